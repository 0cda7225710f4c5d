/* test_url.c - unit tests for percent-decoding and query lookup. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http/url.h"

/* Decodes s into a fresh buffer and compares with want (want_len bytes). */
static void checkDecode(const char *s, const char *want, size_t want_len) {
    char out[256];
    int n = urlDecode(s, strlen(s), out);
    assert_int_equal(n, (int)want_len);
    assert_memory_equal(out, want, want_len);
}

static void test_decode_plain(void **state) {
    (void)state;
    checkDecode("", "", 0);
    checkDecode("node", "node", 4);
    checkDecode("a-b_c.d~e", "a-b_c.d~e", 9);
}

static void test_decode_plus_and_percent20(void **state) {
    (void)state;
    checkDecode("a+b", "a b", 3);
    checkDecode("a%20b", "a b", 3);
    checkDecode("+%20+", "   ", 3);
    checkDecode("%2B", "+", 1);
    checkDecode("%2b%2F", "+/", 2);
    checkDecode("%41%4a%4A%6A", "AJJj", 4);
    checkDecode("%25", "%", 1);
    checkDecode("%2525", "%25", 3);
}

static void test_decode_utf8(void **state) {
    (void)state;
    checkDecode("jos%C3%A9", "jos\xc3\xa9", 5);
    checkDecode("%c3%a9", "\xc3\xa9", 2);
    checkDecode("%00", "\0", 1);
    checkDecode("%FF", "\xff", 1); /* not validated here */
}

static void test_decode_errors(void **state) {
    (void)state;
    static const char *bad[] = {"%zz", "%", "%4", "a%4", "%4g", "%g4", "x%", "%%41", "%-1", "% 1"};
    char out[64];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (urlDecode(bad[i], strlen(bad[i]), out) != -1) fail_msg("'%s' decoded", bad[i]);
}

static void test_decode_in_place(void **state) {
    (void)state;
    char s[] = "caf%C3%A9+com+%41%42c";
    int n = urlDecode(s, strlen(s), s);
    assert_int_equal(n, 13);
    assert_memory_equal(s, "caf\xc3\xa9 com ABc", 13);
}

static void test_decode_exact_buffer(void **state) {
    (void)state;
    /* reads stay within len even when the escape is cut at the end */
    char *in = malloc(2);
    assert_non_null(in);
    memcpy(in, "%4", 2);
    char out[4];
    assert_int_equal(urlDecode(in, 2, out), -1);
    assert_int_equal(urlDecode(in, 1, out), -1);
    assert_int_equal(urlDecode(in, 0, out), 0);
    free(in);
}

/* Looks name up in q; returns the value as a NUL-terminated static copy,
 * or NULL when absent. */
static const char *param(const char *q, const char *name) {
    static char out[128];
    slice v = {"junk", 999}; /* must be overwritten */
    if (!urlQueryParam(sliceMake(q, strlen(q)), name, &v)) return NULL;
    assert_true(v.ptr >= q && v.ptr + v.len <= q + strlen(q));
    memcpy(out, v.ptr, v.len);
    out[v.len] = '\0';
    return out;
}

static void test_query_param(void **state) {
    (void)state;
    assert_string_equal(param("t=node", "t"), "node");
    assert_null(param("", "t"));
    assert_null(param("x=1", "t"));
    assert_string_equal(param("t=", "t"), "");
    assert_string_equal(param("t", "t"), "");
    assert_string_equal(param("a=1&b=2&t=java+script", "t"), "java+script");
    assert_string_equal(param("tt=x&t=y", "t"), "y");
    assert_string_equal(param("t=first&t=second", "t"), "first");
    assert_string_equal(param("a&&t=z&", "t"), "z");
    assert_string_equal(param("t=a=b", "t"), "a=b");
    assert_string_equal(param("t=%C3%A9", "t"), "%C3%A9");
    assert_null(param("T=x", "t"));
    assert_null(param("tt=x", "t"));
    assert_null(param("xt=x", "t"));
    assert_null(param("a=t", "t"));
    assert_string_equal(param("a=1&t&b=2", "t"), "");
}

static void test_query_param_null_query(void **state) {
    (void)state;
    slice v;
    assert_false(urlQueryParam(sliceMake(NULL, 0), "t", &v));
}

static void test_query_then_decode(void **state) {
    (void)state;
    const char *q = "x=1&t=Jos%C3%A9+da%20Silva";
    slice raw;
    assert_true(urlQueryParam(sliceMake(q, strlen(q)), "t", &raw));
    char out[64];
    int n = urlDecode(raw.ptr, raw.len, out);
    assert_int_equal(n, 14);
    assert_memory_equal(out, "Jos\xc3\xa9 da Silva", 14);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_plain),
        cmocka_unit_test(test_decode_plus_and_percent20),
        cmocka_unit_test(test_decode_utf8),
        cmocka_unit_test(test_decode_errors),
        cmocka_unit_test(test_decode_in_place),
        cmocka_unit_test(test_decode_exact_buffer),
        cmocka_unit_test(test_query_param),
        cmocka_unit_test(test_query_param_null_query),
        cmocka_unit_test(test_query_then_decode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
