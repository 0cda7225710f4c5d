/* test_person.c - personParse rules (SPEC section 1), the JSON / search
 * key / error writers, and the generated stress-test payloads against the
 * generator's own ground truth. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "api/person.h"
#include "core/utf8.h"
#include "json/json.h"
#include "load/load_data.h"
#include "load/load_gen.h"
#include "load/load_perfect.h"
#include "load/load_sched.h"

static person P;
static char S[1 << 16];

static int parseN(const char *body, size_t len) {
    return personParse(&P, body, len, S, sizeof(S));
}

static int parse(const char *body) { return parseN(body, strlen(body)); }

/* The message recorded for a field, or NULL. */
static const char *errFor(const char *field) {
    for (size_t i = 0; i < P.error_count; i++) {
        if (strcmp(P.errors[i].field, field) == 0) return P.errors[i].message;
    }
    return NULL;
}

/* body gives status, and field has an error whose message contains msg. */
static void expectErr(const char *body, int status, const char *field, const char *msg) {
    int got = parse(body);
    if (got != status) fail_msg("%s: status %d, want %d", body, got, status);
    const char *m = errFor(field);
    if (!m) fail_msg("%s: no error for %s", body, field);
    if (!strstr(m, msg)) fail_msg("%s: %s message '%s' lacks '%s'", body, field, m, msg);
}

static void expectOk(const char *body) {
    int got = parse(body);
    if (got != 0) {
        fail_msg("%s: status %d (%s: %s)", body, got, P.error_count ? P.errors[0].field : "-",
                 P.error_count ? P.errors[0].message : "-");
    }
    assert_int_equal(P.error_count, 0);
}

/* A body with the given fields; each argument is a JSON value or NULL
 * (member omitted). */
static const char *body4(const char *apelido, const char *nome, const char *nasc,
                         const char *stack) {
    static char b[1 << 15];
    size_t n = (size_t)snprintf(b, sizeof(b), "{");
    const char *names[] = {"apelido", "nome", "nascimento", "stack"};
    const char *vals[] = {apelido, nome, nasc, stack};
    for (int i = 0; i < 4; i++) {
        if (!vals[i]) continue;
        n += (size_t)snprintf(b + n, sizeof(b) - n, "%s\"%s\":%s", n > 1 ? "," : "", names[i],
                              vals[i]);
    }
    snprintf(b + n, sizeof(b) - n, "}");
    return b;
}

static void test_spec_examples_valid(void **state) {
    (void)state;
    expectOk("{\"apelido\" : \"jos\xc3\xa9\", \"nome\" : \"Jos\xc3\xa9 Roberto\", "
             "\"nascimento\" : \"2000-10-01\", \"stack\" : [\"C#\", \"Node\", \"Oracle\"]}");
    assert_true(sliceEqStr(P.apelido, "jos\xc3\xa9"));
    assert_true(sliceEqStr(P.nome, "Jos\xc3\xa9 Roberto"));
    assert_true(sliceEqStr(P.nascimento, "2000-10-01"));
    assert_false(P.stack_null);
    assert_int_equal(P.stack_len, 3);
    assert_true(sliceEqStr(P.stack[0], "C#"));
    assert_true(sliceEqStr(P.stack[2], "Oracle"));
    expectOk("{\"apelido\":\"ana\",\"nome\":\"Ana Barbosa\",\"nascimento\":\"1985-09-23\","
             "\"stack\":null}");
    assert_true(P.stack_null);
    assert_int_equal(P.stack_len, 0);
    expectOk(body4("\"ana\"", "\"Ana\"", "\"1985-09-23\"", NULL));
    assert_true(P.stack_null);
    expectOk(body4("\"ana\"", "\"Ana\"", "\"1985-09-23\"", "[]"));
    assert_false(P.stack_null);
    assert_int_equal(P.stack_len, 0);
}

static void test_spec_examples_invalid(void **state) {
    (void)state;
    expectErr("{\"apelido\":\"ana\",\"nome\":null,\"nascimento\":\"1985-09-23\",\"stack\":null}",
              422, "nome", "required");
    expectErr("{\"apelido\":null,\"nome\":\"Ana Barbosa\",\"nascimento\":\"1985-01-01\","
              "\"stack\":null}", 422, "apelido", "required");
    expectErr("{\"apelido\":\"apelido\",\"nome\":1,\"nascimento\":\"1985-01-01\",\"stack\":null}",
              400, "nome", "must be a string");
    expectErr("{\"apelido\":\"apelido\",\"nome\":\"nome\",\"nascimento\":\"1985-01-01\","
              "\"stack\":[1,\"PHP\"]}", 400, "stack", "must be strings");
    expectErr(body4("\"a\"", "\"n\"", "\"1985-01-01\"", "\"string\""), 400, "stack", "array");
    expectErr(body4("\"a\"", "\"n\"", "\"1985-01-01\"", "1"), 400, "stack", "array");
    assert_int_equal(P.error_count, 1);
}

static void test_missing(void **state) {
    (void)state;
    assert_int_equal(parse("{}"), 422);
    assert_int_equal(P.error_count, 3);
    assert_string_equal(P.errors[0].field, "apelido");
    assert_string_equal(P.errors[1].field, "nome");
    assert_string_equal(P.errors[2].field, "nascimento");
    assert_string_equal(P.errors[0].message, "is required");
    expectErr(body4(NULL, "\"n\"", "\"2000-01-01\"", NULL), 422, "apelido", "required");
    expectErr(body4("\"a\"", NULL, "\"2000-01-01\"", NULL), 422, "nome", "required");
    expectErr(body4("\"a\"", "\"n\"", NULL, NULL), 422, "nascimento", "required");
    expectErr(body4("\"a\"", "\"n\"", "null", NULL), 422, "nascimento", "required");
    assert_int_equal(P.error_count, 1);
}

static void test_nascimento(void **state) {
    (void)state;
    expectOk(body4("\"a\"", "\"n\"", "\"2000-02-29\"", NULL));
    expectErr(body4("\"a\"", "\"n\"", "\"1900-02-29\"", NULL), 400, "nascimento", "AAAA-MM-DD");
    expectErr(body4("\"a\"", "\"n\"", "\"2021-02-29\"", NULL), 400, "nascimento", "AAAA-MM-DD");
    expectErr(body4("\"a\"", "\"n\"", "\"1984-13-07\"", NULL), 400, "nascimento", "AAAA-MM-DD");
    expectErr(body4("\"a\"", "\"n\"", "\"12-12-2000\"", NULL), 400, "nascimento", "AAAA-MM-DD");
    expectErr(body4("\"a\"", "\"n\"", "\"\"", NULL), 400, "nascimento", "AAAA-MM-DD");
    expectErr(body4("\"a\"", "\"n\"", "10", NULL), 400, "nascimento", "must be a string");
    expectErr(body4("\"a\"", "\"n\"", "[\"2000-01-01\"]", NULL), 400, "nascimento", "string");
    expectErr(body4("\"a\"", "\"n\"", "\"2000-01-01\\u0000\"", NULL), 400, "nascimento",
              "AAAA-MM-DD");
    expectOk(body4("\"a\"", "\"n\"", "\"\\u0032000-01-01\"", NULL)); /* escaped digit */
}

/* A JSON string of n copies of the UTF-8 (or escaped) text unit. */
static const char *repeat(const char *unit, int n) {
    static char b[4][8192];
    static int k;
    char *o = b[k++ % 4];
    size_t len = 0, u = strlen(unit);
    o[len++] = '"';
    for (int i = 0; i < n; i++, len += u) memcpy(o + len, unit, u);
    o[len++] = '"';
    o[len] = 0;
    return o;
}

static void test_lengths(void **state) {
    (void)state;
    const char *e = "\xc3\xa9";
    expectOk(body4(repeat(e, 32), "\"n\"", "\"2000-01-01\"", NULL));
    assert_int_equal(P.apelido.len, 64);
    expectErr(body4(repeat(e, 33), "\"n\"", "\"2000-01-01\"", NULL), 422, "apelido", "32");
    expectOk(body4(repeat("\\ud83d\\ude00", 32), "\"n\"", "\"2000-01-01\"", NULL));
    assert_int_equal(P.apelido.len, 128);
    expectErr(body4(repeat("\xf0\x9f\x98\x80", 33), "\"n\"", "\"2000-01-01\"", NULL), 422,
              "apelido", "32");
    expectOk(body4(repeat("a", 32), "\"n\"", "\"2000-01-01\"", NULL));
    expectErr(body4(repeat("a", 33), "\"n\"", "\"2000-01-01\"", NULL), 422, "apelido", "32");
    expectErr(body4("\"\"", "\"n\"", "\"2000-01-01\"", NULL), 422, "apelido", "1 to 32");
    expectOk(body4("\"a\"", repeat("\xe2\x82\xac", 100), "\"2000-01-01\"", NULL));
    expectErr(body4("\"a\"", repeat("\xe2\x82\xac", 101), "\"2000-01-01\"", NULL), 422, "nome",
              "100");
    expectErr(body4("\"a\"", "\"\"", "\"2000-01-01\"", NULL), 422, "nome", "1 to 100");
    expectOk(body4("\"jos\\u00e9\"", "\"n\"", "\"2000-01-01\"", NULL));
    assert_true(sliceEqStr(P.apelido, "jos\xc3\xa9"));
    assert_int_equal(utf8Count(P.apelido.ptr, P.apelido.len), 4);
}

static void test_stack(void **state) {
    (void)state;
    char st[128];
    snprintf(st, sizeof(st), "[%s]", repeat("\xc3\xa9", 32));
    expectOk(body4("\"a\"", "\"n\"", "\"2000-01-01\"", st));
    snprintf(st, sizeof(st), "[\"C\",%s]", repeat("\xc3\xa9", 33));
    expectErr(body4("\"a\"", "\"n\"", "\"2000-01-01\"", st), 422, "stack", "32");
    expectErr(body4("\"a\"", "\"n\"", "\"2000-01-01\"", "[\"C\",\"\"]"), 422, "stack", "1 to 32");
    static const char *const wrong[] = {"[null]", "[[]]", "[{}]", "[true]", "[\"a\",{\"b\":[1]}]",
                                        "{}", "true", "\"C\"", "0"};
    for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
        expectErr(body4("\"a\"", "\"n\"", "\"2000-01-01\"", wrong[i]), 400, "stack", "must");
    }
    /* 422 element and 400 element: 400 wins */
    expectErr(body4("\"a\"", "\"n\"", "\"2000-01-01\"", "[\"\",1]"), 400, "stack", "strings");
}

static void test_stack_max(void **state) {
    (void)state;
    static char st[PERSON_STACK_MAX * 4 + 16];
    size_t n = 0;
    st[n++] = '[';
    for (int i = 0; i < PERSON_STACK_MAX; i++) n += (size_t)sprintf(st + n, "%s\"C\"", i ? "," : "");
    strcpy(st + n, "]");
    expectOk(body4("\"a\"", "\"n\"", "\"2000-01-01\"", st));
    assert_int_equal(P.stack_len, PERSON_STACK_MAX);
    strcpy(st + n, ",\"C\"]");
    expectErr(body4("\"a\"", "\"n\"", "\"2000-01-01\"", st), 422, "stack", "1024");
}

static void test_nul(void **state) {
    (void)state;
    expectErr(body4("\"a\\u0000b\"", "\"n\"", "\"2000-01-01\"", NULL), 422, "apelido", "U+0000");
    expectErr(body4("\"a\"", "\"\\u0000\"", "\"2000-01-01\"", NULL), 422, "nome", "U+0000");
    expectErr(body4("\"a\"", "\"n\"", "\"2000-01-01\"", "[\"x\\u0000\"]"), 422, "stack", "U+0000");
    /* a raw NUL byte is a control character: malformed JSON */
    static const char raw[] = "{\"apelido\":\"a\0b\",\"nome\":\"n\",\"nascimento\":\"2000-01-01\"}";
    assert_int_equal(parseN(raw, sizeof(raw) - 1), 400);
    assert_non_null(errFor("body"));
}

static void test_duplicates(void **state) {
    (void)state;
    expectErr("{\"apelido\":\"a\",\"nome\":\"n\",\"nascimento\":\"2000-01-01\",\"apelido\":\"b\"}",
              400, "apelido", "duplicate");
    assert_true(sliceEqStr(P.apelido, "a"));
    expectErr("{\"apelido\":\"a\",\"nome\":\"n\",\"nascimento\":\"2000-01-01\",\"ap\\u0065lido\":1}",
              400, "apelido", "duplicate");
    expectErr("{\"apelido\":\"a\",\"nome\":\"n\",\"nascimento\":\"2000-01-01\",\"stack\":null,"
              "\"stack\":[\"x\"]}", 400, "stack", "duplicate");
    expectErr("{\"apelido\":\"a\",\"nome\":null,\"nome\":\"n\",\"nascimento\":\"2000-01-01\"}",
              400, "nome", "duplicate");
    /* unknown members may repeat */
    expectOk("{\"x\":1,\"x\":2,\"apelido\":\"a\",\"nome\":\"n\",\"nascimento\":\"2000-01-01\"}");
}

static void test_extra_fields(void **state) {
    (void)state;
    expectOk("{\"id\":\"x\",\"i\":-1.5e3,\"s\":\"\\u00e9\\n\",\"t\":true,\"f\":false,\"z\":null,"
             "\"o\":{\"a\":{\"b\":[1,[2,{\"c\":null}]]}},\"a\":[[],{},\"\",0],\"Apelido\":1,"
             "\"apelido\":\"a\",\"nome\":\"n\",\"nascimento\":\"2000-01-01\",\"apelidos\":[]}");
    assert_true(sliceEqStr(P.apelido, "a"));
}

static void test_wrong_types(void **state) {
    (void)state;
    static const char *const vals[] = {"1", "1.5", "true", "false", "[]", "[\"a\"]", "{}",
                                       "{\"a\":\"b\"}"};
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        expectErr(body4(vals[i], "\"n\"", "\"2000-01-01\"", NULL), 400, "apelido", "string");
        expectErr(body4("\"a\"", vals[i], "\"2000-01-01\"", NULL), 400, "nome", "string");
        expectErr(body4("\"a\"", "\"n\"", vals[i], NULL), 400, "nascimento", "string");
        assert_int_equal(P.error_count, 1);
    }
}

static void test_body_errors(void **state) {
    (void)state;
    static const char *const bad[] = {
        "", " ", "[]", "\"str\"", "null", "1", "true", "[{\"apelido\":\"a\"}]", "{", "{\"apelido\"",
        "{\"apelido\":\"a\",}", "{\"apelido\":\"a\"} x", "{}{}", "{\"apelido\":\"a\xff\"}",
        "{\"apelido\":\"\\ud83d\"}", "{\"apelido\":\"\\ude00x\"}", "{\"apelido\":\"a\nb\"}",
        "{\"nome\":01}", "{\"x\":[1,2}", "{\"apelido\":'a'}", "{\"stack\":[\"a\",]}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(parse(bad[i]), 400);
        assert_int_equal(P.error_count, 1);
        assert_string_equal(P.errors[0].field, "body");
    }
    expectErr("[]", 400, "body", "object");
    expectErr("\"str\"", 400, "body", "object");
    expectErr("{\"apelido\":\"a\xc3\"}", 400, "body", "UTF-8");
    expectErr("{} x", 400, "body", "trailing");
    expectErr("[1,", 400, "body", "end");
    assert_int_equal(parseN(NULL, 0), 400);
}

static void test_depth(void **state) {
    (void)state;
    char b[512] = "{\"apelido\":\"a\",\"nome\":\"n\",\"nascimento\":\"2000-01-01\",\"x\":";
    size_t n = strlen(b);
    for (int i = 1; i < JSON_MAX_DEPTH; i++) b[n++] = '[';
    for (int i = 1; i < JSON_MAX_DEPTH; i++) b[n++] = ']';
    strcpy(b + n, "}");
    expectOk(b);
    memmove(b + n + 1, b + n, 2);
    b[n] = ']';
    memmove(b + n - (JSON_MAX_DEPTH - 1) + 1, b + n - (JSON_MAX_DEPTH - 1), JSON_MAX_DEPTH + 2);
    b[n - (JSON_MAX_DEPTH - 1)] = '[';
    expectErr(b, 400, "body", "deep");
    assert_int_equal(P.error_count, 1);
}

static void test_errors_collected(void **state) {
    (void)state;
    /* 422 + 400 + 400 + 422: status 400, all listed in field order */
    assert_int_equal(parse("{\"stack\":[\"\"],\"nascimento\":\"2000-02-30\",\"nome\":5,"
                           "\"apelido\":\"\"}"), 400);
    assert_int_equal(P.error_count, 4);
    assert_string_equal(P.errors[0].field, "apelido");
    assert_string_equal(P.errors[1].field, "nome");
    assert_string_equal(P.errors[2].field, "nascimento");
    assert_string_equal(P.errors[3].field, "stack");
    /* only 422s */
    assert_int_equal(parse("{\"apelido\":null,\"stack\":[\"\"]}"), 422);
    assert_int_equal(P.error_count, 4);
    /* a syntax error discards the field errors */
    assert_int_equal(parse("{\"apelido\":1,\"nome\":null,\"nascimento\": }"), 400);
    assert_int_equal(P.error_count, 1);
    assert_string_equal(P.errors[0].field, "body");
}

static void test_whitespace(void **state) {
    (void)state;
    expectOk(" \r\n\t{ \r\n\t\"apelido\" \r\n\t: \r\n\t\"a\" \r\n\t, \r\n\t\"nome\" : \"n\" ,"
             "\"nascimento\"\t:\t\"2000-01-01\"\t,\n\"stack\"\n:\n[\n\"C\"\n,\n\"Go\"\n]\n}\n\r\t ");
    assert_int_equal(P.stack_len, 2);
    assert_true(sliceEqStr(P.stack[1], "Go"));
}

/* personWriteJson output parses back to the same fields. */
static void roundtrip(const char *body) {
    expectOk(body);
    person q = P;
    buf out = {0};
    assert_int_equal(personWriteJson(&q, SLICE_LIT("6f1c\"id"), &out), 0);
    char scratch2[4096];
    int st = personParse(&P, out.data, out.len, scratch2, sizeof(scratch2));
    if (st) fail_msg("reparse of %.*s: %d", (int)out.len, out.data, st);
    assert_true(sliceEq(P.apelido, q.apelido));
    assert_true(sliceEq(P.nome, q.nome));
    assert_true(sliceEq(P.nascimento, q.nascimento));
    assert_int_equal(P.stack_null, q.stack_null);
    assert_int_equal(P.stack_len, q.stack_len);
    for (size_t i = 0; i < q.stack_len; i++) assert_true(sliceEq(P.stack[i], q.stack[i]));
    bufFree(&out);
}

static void test_write_json(void **state) {
    (void)state;
    expectOk("{\"apelido\":\"jos\\u00e9\",\"nome\":\"Jos\xc3\xa9\",\"nascimento\":\"2000-10-01\","
             "\"stack\":[\"C#\",\"Node\"]}");
    buf out = {0};
    assert_int_equal(personWriteJson(&P, SLICE_LIT("f7379ae8-8f9b-4cd5-8221-51efe19e721b"), &out), 0);
    const char *want = "{\"id\":\"f7379ae8-8f9b-4cd5-8221-51efe19e721b\",\"apelido\":\"jos\xc3\xa9\","
                       "\"nome\":\"Jos\xc3\xa9\",\"nascimento\":\"2000-10-01\",\"stack\":[\"C#\",\"Node\"]}";
    assert_int_equal(out.len, strlen(want));
    assert_memory_equal(out.data, want, out.len);
    bufFree(&out);
    expectOk(body4("\"a\"", "\"n\"", "\"2000-01-01\"", NULL));
    assert_int_equal(personWriteJson(&P, SLICE_LIT("x"), &out), 0);
    want = "{\"id\":\"x\",\"apelido\":\"a\",\"nome\":\"n\",\"nascimento\":\"2000-01-01\",\"stack\":null}";
    assert_int_equal(out.len, strlen(want));
    assert_memory_equal(out.data, want, out.len);
    bufFree(&out);
    roundtrip("{\"apelido\":\"q\\\"b\\\\s/\",\"nome\":\"\\n\\r\\t\\b\\f\\u0001\\u001f\x7f\","
              "\"nascimento\":\"2000-01-01\",\"stack\":[\"\\ud83d\\ude00\",\"\xe2\x82\xac\",\"\\\"\"]}");
    roundtrip(body4("\"a\"", "\"n\"", "\"2000-01-01\"", "[]"));
    roundtrip(body4("\"a\"", "\"n\"", "\"2000-01-01\"", "null"));
}

/* PERSON_JSON_MAX (person.h): a valid body never renders longer than
 * itself plus PERSON_JSON_EXTRA (the id member, ',"stack":null'); returns
 * how much longer it rendered. */
static long renderGrowth(const char *body, size_t n) {
    if (parseN(body, n) != 0) fail_msg("invalid: %.*s", (int)(n > 200 ? 200 : n), body);
    buf out = {0};
    assert_int_equal(personWriteJson(&P, SLICE_LIT("f7379ae8-8f9b-4cd5-8221-51efe19e721b"), &out), 0);
    long growth = (long)out.len - (long)n;
    if (growth > (long)PERSON_JSON_EXTRA) fail_msg("%zu-byte body renders %zu bytes", n, out.len);
    bufFree(&out);
    return growth;
}

/* The largest body: a stack of 32-character elements, each spelt with
 * escapes (a control character as \u0001 renders as long as it is read). */
static size_t bigBody(char *b, size_t cap) {
    size_t n = (size_t)snprintf(b, cap, "{\"apelido\":\"a\",\"nome\":\"n\",\"nascimento\":\"2000-01-01\",\"stack\":[");
    const char *item = "\"\\t\\u0001\\\\\\\"\xc3\xa9\\ud83d\\ude00xxxxxxxxxxxxxxxxxxxxxxxxxx\"";
    while (n + strlen(item) + 3 <= PERSON_BODY_MAX) n += (size_t)snprintf(b + n, cap - n, "%s,", item);
    b[n - 1] = ']';
    b[n++] = '}';
    return n;
}

static void test_json_bound(void **state) {
    (void)state;
    const char *tight = body4("\"a\"", "\"n\"", "\"2000-01-01\"", NULL);
    assert_int_equal(renderGrowth(tight, strlen(tight)), (long)PERSON_JSON_EXTRA); /* the worst */
    const char *esc = body4("\"\\t\\/\\u0041\"", "\"\\n\\r\\b\\f\\u0001\\u001f\\\"\\\\\\ud83d\\ude00\"",
                            "\"2000-01-01\"", "null");
    renderGrowth(esc, strlen(esc));
    static char big[PERSON_BODY_MAX + 64];
    size_t n = bigBody(big, sizeof(big));
    assert_true(n > PERSON_BODY_MAX - 64 && n <= PERSON_BODY_MAX);
    renderGrowth(big, n);
    load_gen g;
    loadGenInit(&g, LOAD_DATA_SEED);
    char body[LOAD_GEN_MAX];
    for (int i = 0; i < 20000; i++) {
        size_t len = loadGenPayload(&g, body);
        if (g.status == 0) renderGrowth(body, len);
    }
}

static void test_search_key(void **state) {
    (void)state;
    expectOk("{\"apelido\":\"JoS\\u00c9\",\"nome\":\"Jos\xc3\xa9 ROBERTO\",\"nascimento\":\"2000-10-01\","
             "\"stack\":[\"C#\",\"NODE\",\"\xce\xa3QL\"]}");
    buf out = {0};
    assert_int_equal(bufAppendStr(&out, ">"), 0);
    assert_int_equal(personWriteSearchKey(&P, &out), 0);
    static const char want[] = ">jos\xc3\xa9\0jos\xc3\xa9 roberto\0c#\0node\0\xcf\x83ql";
    assert_int_equal(out.len, sizeof(want) - 1);
    assert_memory_equal(out.data, want, out.len);
    assert_true(sliceEqStr(P.apelido, "JoS\xc3\x89")); /* the person is not modified */
    bufFree(&out);
    expectOk(body4("\"A\"", "\"B\"", "\"2000-01-01\"", "[]"));
    assert_int_equal(personWriteSearchKey(&P, &out), 0);
    assert_int_equal(out.len, 3);
    assert_memory_equal(out.data, "a\0b", 3);
    bufFree(&out);
}

static void test_write_errors(void **state) {
    (void)state;
    buf out = {0};
    assert_int_equal(parse(body4("null", "\"n\"", "\"2000-01-01\"", NULL)), 422);
    assert_int_equal(personWriteErrors(&P, &out), 0);
    const char *want = "{\"errors\":[{\"field\":\"apelido\",\"message\":\"is required\"}]}";
    assert_int_equal(out.len, strlen(want));
    assert_memory_equal(out.data, want, out.len);
    bufReset(&out);
    assert_int_equal(parse("{}"), 422);
    assert_int_equal(personWriteErrors(&P, &out), 0);
    json_reader r;
    jsonReaderInit(&r, out.data, out.len, S, sizeof(S));
    size_t strings = 0;
    json_tok t;
    while ((t = jsonNext(&r)) > JSON_END) strings += t == JSON_STRING;
    assert_int_equal(t, JSON_END);
    assert_int_equal(strings, 6);
    bufFree(&out);
}

typedef struct seen_apelido {
    char *s;
    size_t len;
} seen_apelido;

static int cmpApelido(const void *a, const void *b) {
    const seen_apelido *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->s, y->s, n);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* Distinct apelidos among the valid bodies of the first `limit` lines. */
static size_t distinct(seen_apelido *v, size_t n) {
    qsort(v, n, sizeof(*v), cmpApelido);
    size_t d = 0;
    for (size_t i = 0; i < n; i++) d += i == 0 || cmpApelido(&v[i - 1], &v[i]) != 0;
    return d;
}

/* The generated payloads (load_gen.h, the first LOAD_DATA_PAYLOADS of the
 * default seed's stream: the repository's own stress-test file): the
 * generator knows which bodies it spoiled and how (its ground truth), and
 * the validator must agree, payload by payload. Then the official
 * profile's creations, counted here by sorting the valid apelidos, must
 * give the perfect count bardo-load computes (load_perfect.c, a hash set). */
static void test_generated_payloads(void **state) {
    (void)state;
    uint64_t profile = loadSchedTotal(&loadOfficialScenarios[0], 1, 1);
    seen_apelido *v = calloc(profile, sizeof(*v));
    assert_non_null(v);
    load_gen g;
    loadGenInit(&g, LOAD_DATA_SEED);
    char body[LOAD_GEN_MAX];
    size_t count[3] = {0}, nv = 0; /* valid, 400, 422 */
    clock_t t0 = clock();
    for (size_t i = 0; i < LOAD_DATA_PAYLOADS; i++) {
        size_t n = loadGenPayload(&g, body);
        int st = parseN(body, n);
        if (st != g.status) fail_msg("payload %zu: validator %d, generator %d: %s", i, st, g.status, body);
        count[st == 0 ? 0 : st == 400 ? 1 : 2]++;
        if (st == 0 && i < profile) {
            v[nv].s = strndup(P.apelido.ptr, P.apelido.len);
            v[nv++].len = P.apelido.len;
        }
    }
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    size_t first = distinct(v, nv);
    printf("payloads: %d generated, %zu valid, %zu x 400, %zu x 422; first %llu: %zu valid, "
           "%zu distinct apelidos; %.0f bodies/s\n", LOAD_DATA_PAYLOADS, count[0], count[1],
           count[2], (unsigned long long)profile, nv, first, secs > 0 ? LOAD_DATA_PAYLOADS / secs : 0.0);
    assert_true(count[1] > 0 && count[2] > 0); /* both kinds of error were exercised */
    assert_int_equal(count[0] + count[1] + count[2], LOAD_DATA_PAYLOADS);
    assert_int_equal(loadPerfectProcedural(LOAD_DATA_SEED, profile), (int64_t)first);
    for (size_t i = 0; i < nv; i++) free(v[i].s);
    free(v);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_examples_valid),
        cmocka_unit_test(test_spec_examples_invalid),
        cmocka_unit_test(test_missing),
        cmocka_unit_test(test_nascimento),
        cmocka_unit_test(test_lengths),
        cmocka_unit_test(test_stack),
        cmocka_unit_test(test_stack_max),
        cmocka_unit_test(test_nul),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_extra_fields),
        cmocka_unit_test(test_wrong_types),
        cmocka_unit_test(test_body_errors),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_errors_collected),
        cmocka_unit_test(test_whitespace),
        cmocka_unit_test(test_write_json),
        cmocka_unit_test(test_json_bound),
        cmocka_unit_test(test_search_key),
        cmocka_unit_test(test_write_errors),
        cmocka_unit_test(test_generated_payloads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
