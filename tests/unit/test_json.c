/* test_json.c - the pull reader (grammar, strings, numbers, depth,
 * trailing data, skipping) and jsonWriteString. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/utf8.h"
#include "json/json.h"

static char scratch[4096];

/* Renders all tokens of s as characters: { } [ ] k s n t f z (null),
 * '.' for JSON_END, '!' for JSON_ERROR. Stops after END or ERROR. */
static const char *tokens(const char *s, size_t len, json_err *err) {
    static char out[512];
    static const char sym[] = ".{}[]ksntfz";
    json_reader r;
    jsonReaderInit(&r, s, len, scratch, sizeof(scratch));
    size_t n = 0;
    for (;;) {
        json_tok t = jsonNext(&r);
        out[n++] = t == JSON_ERROR ? '!' : sym[t];
        if (t <= JSON_END || n == sizeof(out) - 1) break;
    }
    out[n] = 0;
    if (err) *err = r.err;
    return out;
}

static const char *toks(const char *s) { return tokens(s, strlen(s), NULL); }

static json_err errOf(const char *s) {
    json_err e;
    tokens(s, strlen(s), &e);
    return e;
}

static bool ok(const char *s) { return errOf(s) == JSON_OK; }

static void test_tokens(void **state) {
    (void)state;
    assert_string_equal(toks("{}"), "{}.");
    assert_string_equal(toks("[]"), "[].");
    assert_string_equal(toks("{\"a\":1,\"b\":[true,false,null,\"x\"],\"c\":{}}"), "{knk[tfzs]k{}}.");
    assert_string_equal(toks("\"str\""), "s.");
    assert_string_equal(toks("-1.5e+3"), "n.");
    assert_string_equal(toks("null"), "z.");
    assert_string_equal(toks("[[],[[]],{}]"), "[[][[]]{}].");
}

static void test_whitespace(void **state) {
    (void)state;
    assert_string_equal(toks(" \t\r\n{ \t\r\n\"a\" \t\r\n: \t\r\n[ 1 , 2 ] \t\r\n, \"b\" : null } \n"),
                        "{k[nn]kz}.");
    assert_false(ok("{\"a\":1\f}"));     /* form feed is not JSON whitespace */
    assert_false(ok("\v[]"));
    assert_false(ok("[1,\xc2\xa0" "2]")); /* nor is NBSP */
    assert_false(ok("\xef\xbb\xbf{}"));  /* BOM */
}

static void test_numbers(void **state) {
    (void)state;
    static const char *const good[] = {"0", "-0", "1", "-1", "123", "1.5", "0.0", "-0.25",
                                       "1e10", "1E10", "1e+10", "1e-10", "-1.0e-3", "10.01E+01"};
    static const char *const bad[] = {"01", "-01", "1.", ".5", "-", "+1", "1e", "1e+", "1E-",
                                      "0x1", "NaN", "Infinity", "-Infinity", "1.e5", "--1", "1.5.5",
                                      "00", "1 2", "[01]", "[1.]", "{\"a\":-}"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        if (!ok(good[i])) fail_msg("rejected %s", good[i]);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (ok(bad[i])) fail_msg("accepted %s", bad[i]);
    }
    json_reader r;
    const char *s = "[ -12.5e3 ,7]";
    jsonReaderInit(&r, s, strlen(s), scratch, sizeof(scratch));
    assert_int_equal(jsonNext(&r), JSON_ARRAY_BEGIN);
    assert_int_equal(jsonNext(&r), JSON_NUMBER);
    assert_true(sliceEqStr(r.value, "-12.5e3"));
    assert_int_equal(jsonNext(&r), JSON_NUMBER);
    assert_true(sliceEqStr(r.value, "7"));
}

/* The single string of s, unescaped; NULL on error. */
static const char *str(const char *s, size_t *len) {
    static char out[512];
    json_reader r;
    jsonReaderInit(&r, s, strlen(s), scratch, sizeof(scratch));
    if (jsonNext(&r) != JSON_STRING || jsonNext(&r) != JSON_END) return NULL;
    memcpy(out, r.value.ptr, r.value.len);
    out[r.value.len] = 0;
    if (len) *len = r.value.len;
    return out;
}

static void test_string_escapes(void **state) {
    (void)state;
    assert_string_equal(str("\"a\\\"b\\\\c\\/d\"", NULL), "a\"b\\c/d");
    assert_string_equal(str("\"\\b\\f\\n\\r\\t\"", NULL), "\b\f\n\r\t");
    assert_string_equal(str("\"jos\\u00e9\"", NULL), "jos\xc3\xa9");
    assert_string_equal(str("\"jos\\u00E9\"", NULL), "jos\xc3\xa9");
    assert_string_equal(str("\"\\u20ac\"", NULL), "\xe2\x82\xac");
    assert_string_equal(str("\"\\ud83d\\ude00\"", NULL), "\xf0\x9f\x98\x80");
    assert_string_equal(str("\"\\uDBFF\\uDFFF\"", NULL), "\xf4\x8f\xbf\xbf");
    assert_string_equal(str("\"x\\u0041y\"", NULL), "xAy");
    size_t n;
    const char *z = str("\"a\\u0000b\"", &n);
    assert_non_null(z);
    assert_int_equal(n, 3);
    assert_memory_equal(z, "a\0b", 3);
    assert_string_equal(str("\"jos\xc3\xa9 \xf0\x9f\x98\x80 \x7f\"", NULL), "jos\xc3\xa9 \xf0\x9f\x98\x80 \x7f");
    assert_string_equal(str("\"\"", NULL), "");
}

static void test_string_errors(void **state) {
    (void)state;
    assert_int_equal(errOf("\"\\ud83d\""), JSON_ERR_ESCAPE);        /* lone high */
    assert_int_equal(errOf("\"\\ude00\""), JSON_ERR_ESCAPE);        /* lone low */
    assert_int_equal(errOf("\"\\ud83d\\u0041\""), JSON_ERR_ESCAPE); /* mismatched */
    assert_int_equal(errOf("\"\\ud83d\\ud83d\""), JSON_ERR_ESCAPE);
    assert_int_equal(errOf("\"\\ud83dx\""), JSON_ERR_ESCAPE);
    assert_int_equal(errOf("\"\\ude00\\ud83d\""), JSON_ERR_ESCAPE); /* reversed */
    assert_int_equal(errOf("\"\\u12G4\""), JSON_ERR_ESCAPE);
    assert_int_equal(errOf("\"\\u12\""), JSON_ERR_ESCAPE);
    assert_int_equal(errOf("\"\\x41\""), JSON_ERR_ESCAPE);
    assert_int_equal(errOf("\"\\U0041\""), JSON_ERR_ESCAPE);
    assert_int_equal(errOf("\"\\'\""), JSON_ERR_ESCAPE);
    assert_int_equal(tokens("\"\\\0\"", 4, NULL)[0], '!');
    assert_int_equal(errOf("\"a\nb\""), JSON_ERR_CTRL);
    assert_int_equal(errOf("\"a\tb\""), JSON_ERR_CTRL);
    assert_int_equal(errOf("\"a\x01" "b\""), JSON_ERR_CTRL);
    assert_int_equal(errOf("\"\\n\x1f\""), JSON_ERR_CTRL);            /* slow path too */
    json_err e;
    tokens("\"a\0b\"", 5, &e);
    assert_int_equal(e, JSON_ERR_CTRL);
    assert_int_equal(errOf("\"\xc3\""), JSON_ERR_UTF8);
    assert_int_equal(errOf("\"\xed\xa0\x80\""), JSON_ERR_UTF8);       /* raw surrogate */
    assert_int_equal(errOf("\"\xc0\xaf\""), JSON_ERR_UTF8);           /* overlong */
    assert_int_equal(errOf("\"\\n\xff\""), JSON_ERR_UTF8);
    assert_int_equal(errOf("\"abc"), JSON_ERR_EOF);
    assert_int_equal(errOf("\"abc\\"), JSON_ERR_EOF);
    assert_int_equal(errOf("\"a\\nbc"), JSON_ERR_EOF);
    assert_int_equal(errOf("\xc3\xa9"), JSON_ERR_SYNTAX);             /* outside a string */
}

static void test_zero_copy_and_scratch(void **state) {
    (void)state;
    const char *s = "[\"plain\",\"esc\\n\"]";
    char small[8];
    json_reader r;
    jsonReaderInit(&r, s, strlen(s), small, sizeof(small));
    assert_int_equal(jsonNext(&r), JSON_ARRAY_BEGIN);
    assert_int_equal(jsonNext(&r), JSON_STRING);
    assert_ptr_equal(r.value.ptr, s + 2); /* points into the input */
    assert_int_equal(jsonNext(&r), JSON_STRING);
    assert_ptr_equal(r.value.ptr, small);
    assert_true(sliceEqStr(r.value, "esc\n"));
    assert_int_equal(r.scratch_len, 4);
    assert_int_equal(jsonNext(&r), JSON_ARRAY_END);
    assert_int_equal(jsonNext(&r), JSON_END);
    assert_int_equal(jsonNext(&r), JSON_END); /* stays at the end */

    const char *big = "\"0123456789\\t\"";
    jsonReaderInit(&r, big, strlen(big), small, sizeof(small));
    assert_int_equal(jsonNext(&r), JSON_ERROR);
    assert_int_equal(r.err, JSON_ERR_SCRATCH);
    jsonReaderInit(&r, big, strlen(big), NULL, 0);
    assert_int_equal(jsonNext(&r), JSON_ERROR);
    assert_int_equal(r.err, JSON_ERR_SCRATCH);
}

static void test_syntax_errors(void **state) {
    (void)state;
    static const char *const bad[] = {
        "{,}", "[1,]", "[,1]", "{\"a\":1,}", "{\"a\" 1}", "{1:2}", "[1 2]", "{\"a\":1 \"b\":2}",
        "[", "{", "{\"a\":", "{\"a\"", "]", "}", "tru", "nul", "True", "nulll", "[true false]",
        "{'a':1}", "[1,2", "{\"a\":1]", "[1}", ":", ",", "{\"a\"::1}", "{\"a\":1,,\"b\":2}",
        "[\"a\" : 1]", "{\"a\",1}", "/*c*/{}", "{}//", "undefined",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (ok(bad[i])) fail_msg("accepted %s", bad[i]);
    }
    assert_int_equal(errOf(""), JSON_ERR_EOF);
    assert_int_equal(errOf("   "), JSON_ERR_EOF);
    assert_int_equal(errOf("[1,"), JSON_ERR_EOF);
    assert_int_equal(errOf("{\"a\":1,"), JSON_ERR_EOF);
}

static void test_trailing(void **state) {
    (void)state;
    assert_true(ok("{} \r\n\t"));
    assert_int_equal(errOf("{} x"), JSON_ERR_TRAILING);
    assert_int_equal(errOf("{}{}"), JSON_ERR_TRAILING);
    assert_int_equal(errOf("1 2"), JSON_ERR_TRAILING);
    assert_int_equal(errOf("\"a\"\"b\""), JSON_ERR_TRAILING);
    assert_int_equal(errOf("null,"), JSON_ERR_TRAILING);
    assert_int_equal(errOf("{}]"), JSON_ERR_TRAILING);
    json_err e;
    assert_string_equal(tokens("{}\0", 3, &e), "{}!");
    assert_int_equal(e, JSON_ERR_TRAILING);
}

static void test_depth(void **state) {
    (void)state;
    char s[256];
    size_t n = 0;
    for (int i = 0; i < JSON_MAX_DEPTH; i++) s[n++] = '[';
    for (int i = 0; i < JSON_MAX_DEPTH; i++) s[n++] = ']';
    s[n] = 0;
    assert_true(ok(s));
    n = 0;
    for (int i = 0; i <= JSON_MAX_DEPTH; i++) s[n++] = '[';
    for (int i = 0; i <= JSON_MAX_DEPTH; i++) s[n++] = ']';
    s[n] = 0;
    assert_int_equal(errOf(s), JSON_ERR_DEPTH);
    /* mixed objects and arrays: 32 levels fine, 33 not */
    n = 0;
    for (int i = 0; i < JSON_MAX_DEPTH; i++) n += (size_t)sprintf(s + n, i % 2 ? "[" : "{\"k\":");
    for (int i = JSON_MAX_DEPTH - 1; i >= 0; i--) s[n++] = i % 2 ? ']' : '}';
    s[n] = 0;
    assert_true(ok(s));
    memmove(s + 1, s, n + 1);
    s[0] = '[';
    strcat(s, "]");
    assert_int_equal(errOf(s), JSON_ERR_DEPTH);
}

static void test_skip(void **state) {
    (void)state;
    const char *s = "{\"skip\":{\"a\":[1,{\"b\":null}],\"c\":\"x\\n\"},\"n\":[[]],\"keep\":42}";
    json_reader r;
    jsonReaderInit(&r, s, strlen(s), scratch, sizeof(scratch));
    assert_int_equal(jsonNext(&r), JSON_OBJECT_BEGIN);
    assert_int_equal(jsonNext(&r), JSON_KEY);
    assert_true(sliceEqStr(r.value, "skip"));
    assert_int_equal(jsonSkipValue(&r), JSON_OBJECT_BEGIN);
    assert_int_equal(r.depth, 1);
    assert_int_equal(jsonNext(&r), JSON_KEY);
    json_tok t = jsonNext(&r);
    assert_int_equal(t, JSON_ARRAY_BEGIN);
    assert_int_equal(jsonSkipRest(&r, t), 0);
    assert_int_equal(jsonNext(&r), JSON_KEY);
    assert_true(sliceEqStr(r.value, "keep"));
    assert_int_equal(jsonSkipValue(&r), JSON_NUMBER);
    assert_int_equal(jsonNext(&r), JSON_OBJECT_END);
    assert_int_equal(jsonNext(&r), JSON_END);

    const char *bad = "{\"a\":[1,2}";
    jsonReaderInit(&r, bad, strlen(bad), scratch, sizeof(scratch));
    jsonNext(&r);
    jsonNext(&r);
    assert_int_equal(jsonSkipValue(&r), JSON_ERROR);
    assert_int_equal(jsonNext(&r), JSON_ERROR); /* sticky */
    assert_int_equal(jsonSkipRest(&r, JSON_ERROR), -1);
}

static void test_keys(void **state) {
    (void)state;
    const char *s = "{\"ap\\u0065lido\" : \"x\", \"\":1}";
    json_reader r;
    jsonReaderInit(&r, s, strlen(s), scratch, sizeof(scratch));
    assert_int_equal(jsonNext(&r), JSON_OBJECT_BEGIN);
    assert_int_equal(jsonNext(&r), JSON_KEY);
    assert_true(sliceEqStr(r.value, "apelido"));
    assert_int_equal(jsonNext(&r), JSON_STRING);
    assert_int_equal(jsonNext(&r), JSON_KEY);
    assert_int_equal(r.value.len, 0);
}

static void test_error_text(void **state) {
    (void)state;
    for (int e = JSON_OK; e <= JSON_ERR_SCRATCH + 1; e++) {
        const char *t = jsonErrorText((json_err)e);
        assert_non_null(t);
        assert_true(strlen(t) > 0);
    }
}

static const char *written(slice s) {
    static char out[1024];
    buf b = {0};
    assert_int_equal(jsonWriteString(&b, s), 0);
    memcpy(out, b.data, b.len);
    out[b.len] = 0;
    bufFree(&b);
    return out;
}

static void test_write_string(void **state) {
    (void)state;
    assert_string_equal(written(SLICE_LIT("")), "\"\"");
    assert_string_equal(written(SLICE_LIT("a\"b\\c/")), "\"a\\\"b\\\\c/\"");
    assert_string_equal(written(SLICE_LIT("\b\f\n\r\t")), "\"\\b\\f\\n\\r\\t\"");
    assert_string_equal(written(sliceMake("\0\x01\x1f\x7f", 4)), "\"\\u0000\\u0001\\u001f\x7f\"");
    assert_string_equal(written(SLICE_LIT("jos\xc3\xa9 \xf0\x9f\x98\x80")),
                        "\"jos\xc3\xa9 \xf0\x9f\x98\x80\"");
    buf b = {0};
    assert_int_equal(bufAppendStr(&b, "x="), 0);
    assert_int_equal(jsonWriteString(&b, SLICE_LIT("y")), 0);
    assert_int_equal(b.len, 5);
    assert_memory_equal(b.data, "x=\"y\"", 5);
    bufFree(&b);
}

/* Every byte value 0x00..0x7F plus multibyte text survives write + read. */
static void test_write_roundtrip(void **state) {
    (void)state;
    char in[256];
    size_t n = 0;
    for (int c = 0; c < 0x80; c++) in[n++] = (char)c;
    memcpy(in + n, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9);
    n += 9;
    buf b = {0};
    assert_int_equal(jsonWriteString(&b, sliceMake(in, n)), 0);
    json_reader r;
    jsonReaderInit(&r, b.data, b.len, scratch, sizeof(scratch));
    assert_int_equal(jsonNext(&r), JSON_STRING);
    assert_int_equal(r.value.len, n);
    assert_memory_equal(r.value.ptr, in, n);
    assert_int_equal(jsonNext(&r), JSON_END);
    bufFree(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tokens),         cmocka_unit_test(test_whitespace),
        cmocka_unit_test(test_numbers),        cmocka_unit_test(test_string_escapes),
        cmocka_unit_test(test_string_errors),  cmocka_unit_test(test_zero_copy_and_scratch),
        cmocka_unit_test(test_syntax_errors),  cmocka_unit_test(test_trailing),
        cmocka_unit_test(test_depth),          cmocka_unit_test(test_skip),
        cmocka_unit_test(test_keys),           cmocka_unit_test(test_error_text),
        cmocka_unit_test(test_write_string),   cmocka_unit_test(test_write_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
