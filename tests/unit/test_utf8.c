/* test_utf8.c - strict validation, decoding, counting, encoding, folding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/utf8.h"

static bool valid(const char *s) { return utf8Valid(s, strlen(s)); }

static void test_valid(void **state) {
    (void)state;
    assert_true(utf8Valid("", 0));
    assert_true(valid("plain ascii, long enough for the 8-byte path"));
    assert_true(valid("jos\xc3\xa9"));
    assert_true(valid("\xe2\x82\xac"));         /* U+20AC */
    assert_true(valid("\xf0\x9f\x98\x80"));     /* U+1F600 */
    assert_true(valid("\xf4\x8f\xbf\xbf"));     /* U+10FFFF */
    assert_true(valid("\xed\x9f\xbf"));         /* U+D7FF */
    assert_true(valid("\xee\x80\x80"));         /* U+E000 */
    assert_true(valid("\xc2\x80"));             /* U+0080 */
    assert_true(valid("\xe0\xa0\x80"));         /* U+0800 */
    assert_true(valid("\xf0\x90\x80\x80"));     /* U+10000 */
    assert_true(utf8Valid("a\0b", 3));          /* NUL is valid UTF-8 */
}

static void test_invalid(void **state) {
    (void)state;
    static const char *const bad[] = {
        "\xc0\x80",         "\xc1\xbf",         "\xe0\x80\xaf",     "\xe0\x9f\xbf",
        "\xed\xa0\x80",     "\xed\xbf\xbf",     "\xf0\x80\x80\x80", "\xf0\x8f\xbf\xbf",
        "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xff",             "\xfe",
        "\x80",             "\xbf",             "\xc3",             "\xe2\x82",
        "\xf0\x9f\x98",     "\xc3\x28",         "\xe2\x28\xac",     "\xf0\x9f\x28\x80",
        "abcdefghijklmnop\xc3", "abcdefgh\x80ijklmnop",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (valid(bad[i])) fail_msg("accepted bad[%zu]", i);
    }
    uint32_t cp;
    assert_int_equal(utf8Decode("\xc3\xa9", 1, &cp), 0); /* truncated by len */
    assert_int_equal(utf8Decode("", 0, &cp), 0);
}

/* Every scalar value encodes, validates and decodes back; surrogates and
 * values above U+10FFFF do not encode. */
static void test_roundtrip_all(void **state) {
    (void)state;
    for (uint32_t cp = 0; cp <= 0x110000; cp++) {
        char out[4];
        size_t n = utf8Encode(cp, out);
        if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
            assert_int_equal(n, 0);
            continue;
        }
        size_t want = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
        assert_int_equal(n, want);
        assert_true(utf8Valid(out, n));
        assert_int_equal(utf8Count(out, n), 1);
        uint32_t back = 0;
        assert_int_equal(utf8Decode(out, n, &back), n);
        assert_int_equal(back, cp);
    }
    char out[4];
    assert_int_equal(utf8Encode(0xFFFFFFFFu, out), 0);
}

static void test_count(void **state) {
    (void)state;
    assert_int_equal(utf8Count("", 0), 0);
    assert_int_equal(utf8Count("jos\xc3\xa9", 5), 4);
    assert_int_equal(utf8Count("\xf0\x9f\x98\x80", 4), 1);
    assert_int_equal(utf8Count("a\xe2\x82\xac" "b", 5), 3);
}

static void checkFold(const char *in, const char *want) {
    char out[256];
    size_t n = strlen(in);
    assert_int_equal(n, strlen(want));
    utf8Fold(in, n, out);
    assert_memory_equal(out, want, n);
    char inplace[256];
    memcpy(inplace, in, n);
    utf8Fold(inplace, n, inplace);
    assert_memory_equal(inplace, want, n);
}

static void test_fold(void **state) {
    (void)state;
    checkFold("JoS\xc3\x89", "jos\xc3\xa9");                        /* JoSÉ */
    checkFold("ABC xyz 123 @[`{", "abc xyz 123 @[`{");
    checkFold("\xc3\x80\xc3\x9e\xc3\x97\xc3\x9f", "\xc3\xa0\xc3\xbe\xc3\x97\xc3\x9f"); /* ÀÞ×ß */
    checkFold("\xc3\x87\xc3\x83O", "\xc3\xa7\xc3\xa3o");              /* ÇÃO */
    checkFold("\xc4\x80\xc4\x81\xc4\xb9\xc4\xba", "\xc4\x81\xc4\x81\xc4\xba\xc4\xba"); /* ĀāĹĺ */
    checkFold("\xc5\xb8\xc5\xb9\xc5\x8a", "\xc3\xbf\xc5\xba\xc5\x8b"); /* ŸŹŊ */
    checkFold("\xc4\xb0\xc4\xb8\xc5\x88\xc5\xbe", "\xc4\xb0\xc4\xb8\xc5\x88\xc5\xbe"); /* İĸňž kept */
    checkFold("\xce\x91\xce\xa3\xce\xa9\xce\xa2", "\xce\xb1\xcf\x83\xcf\x89\xce\xa2"); /* ΑΣΩ, U+03A2 */
    checkFold("\xd0\x80\xd0\x8f\xd0\x90\xd0\xaf", "\xd1\x90\xd1\x9f\xd0\xb0\xd1\x8f"); /* ЀЏАЯ */
    checkFold("\xe2\x82\xac\xf0\x9f\x98\x80", "\xe2\x82\xac\xf0\x9f\x98\x80");
    checkFold("A\xff" "B\x80\xc3", "a\xff" "b\x80\xc3");             /* invalid bytes kept */
    checkFold("\xc3\xc3\x89", "\xc3\xc3\xa9");
}

/* Folding keeps the length, maps into lower case only once (idempotent)
 * and leaves every non-capital 2-byte character alone. */
static void test_fold_idempotent(void **state) {
    (void)state;
    for (uint32_t cp = 0; cp < 0x800; cp++) {
        char a[4], b[4], c[4];
        size_t n = utf8Encode(cp, a);
        utf8Fold(a, n, b);
        utf8Fold(b, n, c);
        assert_memory_equal(b, c, n);
        assert_true(utf8Valid(b, n));
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),         cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_roundtrip_all), cmocka_unit_test(test_count),
        cmocka_unit_test(test_fold),          cmocka_unit_test(test_fold_idempotent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
