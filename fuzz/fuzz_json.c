/* fuzz_json.c - fuzzes the JSON reader and personParse.
 *
 * For every input: (1) the raw reader walks all tokens; every string it
 * returns must be valid UTF-8 and survive jsonWriteString + re-read
 * unchanged. (2) personParse; when valid, the person's invariants hold and
 * personWriteJson's output parses back to the same fields; when not, the
 * error body is valid JSON. Any violation aborts.
 *
 *   clang -fsanitize=fuzzer,address,undefined -std=c17 -D_GNU_SOURCE -Isrc \
 *     fuzz/fuzz_json.c src/core/buf.c src/core/utf8.c src/json/json.c \
 *     src/api/date.c src/api/person.c -o /tmp/fuzz_json
 *   /tmp/fuzz_json fuzz/corpus/json */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/date.h"
#include "api/person.h"
#include "core/utf8.h"
#include "json/json.h"

#define MAX_INPUT (1 << 16)

static char scratch[MAX_INPUT], scratch2[8 * MAX_INPUT];
static person p, q;

#define CHECK(cond) \
    do {            \
        if (!(cond)) abort(); \
    } while (0)

/* s written as a JSON string and read back gives s again. */
static void checkStringRoundtrip(slice s) {
    buf b = {0};
    CHECK(jsonWriteString(&b, s) == 0);
    json_reader r;
    jsonReaderInit(&r, b.data, b.len, scratch2, sizeof(scratch2));
    CHECK(jsonNext(&r) == JSON_STRING);
    CHECK(sliceEq(r.value, s));
    CHECK(jsonNext(&r) == JSON_END);
    bufFree(&b);
}

static void walkTokens(const char *data, size_t size) {
    json_reader r;
    jsonReaderInit(&r, data, size, scratch, sizeof(scratch));
    json_tok t;
    while ((t = jsonNext(&r)) > JSON_END) {
        CHECK(r.depth <= JSON_MAX_DEPTH);
        if (t == JSON_STRING || t == JSON_KEY) {
            CHECK(utf8Valid(r.value.ptr, r.value.len));
            checkStringRoundtrip(r.value);
        }
    }
    CHECK(t == JSON_END ? r.err == JSON_OK && r.depth == 0 : r.err != JSON_OK);
    CHECK(r.scratch_len <= size);
}

static bool textOk(slice s, size_t max) {
    size_t n = utf8Count(s.ptr, s.len);
    return utf8Valid(s.ptr, s.len) && n >= 1 && n <= max && !memchr(s.ptr, 0, s.len);
}

static void checkValid(void) {
    CHECK(p.error_count == 0);
    CHECK(textOk(p.apelido, PERSON_APELIDO_MAX) && textOk(p.nome, PERSON_NOME_MAX));
    CHECK(dateValid(p.nascimento));
    CHECK(!p.stack_null || p.stack_len == 0);
    for (size_t i = 0; i < p.stack_len; i++) CHECK(textOk(p.stack[i], PERSON_STACK_ITEM_MAX));
    buf out = {0};
    CHECK(personWriteJson(&p, SLICE_LIT("id"), &out) == 0);
    CHECK(personParse(&q, out.data, out.len, scratch2, sizeof(scratch2)) == 0);
    CHECK(sliceEq(p.apelido, q.apelido) && sliceEq(p.nome, q.nome));
    CHECK(sliceEq(p.nascimento, q.nascimento));
    CHECK(p.stack_null == q.stack_null && p.stack_len == q.stack_len);
    for (size_t i = 0; i < p.stack_len; i++) CHECK(sliceEq(p.stack[i], q.stack[i]));
    bufReset(&out);
    CHECK(personWriteSearchKey(&p, &out) == 0);
    size_t want = p.apelido.len + 1 + p.nome.len;
    for (size_t i = 0; i < p.stack_len; i++) want += 1 + p.stack[i].len;
    CHECK(out.len == want);
    bufFree(&out);
}

static void checkInvalid(int st) {
    CHECK(st == 400 || st == 422);
    CHECK(p.error_count >= 1 && p.error_count <= PERSON_ERRORS_MAX);
    buf out = {0};
    CHECK(personWriteErrors(&p, &out) == 0);
    json_reader r;
    jsonReaderInit(&r, out.data, out.len, scratch2, sizeof(scratch2));
    CHECK(jsonSkipValue(&r) == JSON_OBJECT_BEGIN && jsonNext(&r) == JSON_END);
    bufFree(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > MAX_INPUT) return 0;
    const char *s = (const char *)data;
    walkTokens(s, size);
    int st = personParse(&p, s, size, scratch, size);
    if (st == 0) {
        checkValid();
    } else {
        checkInvalid(st);
    }
    return 0;
}
