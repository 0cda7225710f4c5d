/* test_opt.c - table-driven options: every kind, strict values at the
 * range edges, defaults < environment < command line, getopt errors, the
 * exact one-line reasons, --help text, secrets, bad tables. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/opt.h"

typedef struct cfg {
    bool flag;
    const char *str, *secret;
    uint8_t u8;
    uint16_t u16;
    uint32_t count;
    uint64_t big;
    size_t size;
    double ratio;
    unsigned color;
} cfg;

static cfg C;
static const char *const COLORS[] = {"red", "green", "blue", NULL};

static const opt OPTS[] = {
    {.name = "flag", .letter = 'f', OPT_BOOL(&C.flag), .help = "a flag"},
    {.name = "str", .letter = 's', OPT_STR(&C.str), .def = "dflt", .env = "OPT_TEST_STR",
     .arg = "TEXT", .help = "a string"},
    {.name = "u8", OPT_UINT(&C.u8), .min = 1, .max = 255, .def = "7", .help = "one byte"},
    {.name = "u16", OPT_UINT(&C.u16), .max = 65535, .def = "0", .help = "two bytes"},
    {.name = "count", .letter = 'c', OPT_UINT(&C.count), .min = 0, .max = 16, .def = "1",
     .env = "OPT_TEST_COUNT", .arg = "K", .help = "how many"},
    {.name = "big", OPT_UINT(&C.big), .max = UINT64_MAX, .def = "0", .arg = "N", .help = "all 64 bits"},
    {.name = "size", OPT_UINT(&C.size), .max = 1000, .help = "no default: the caller's"},
    {.name = "ratio", OPT_DBL(&C.ratio), .dmin = -1, .dmax = 1000, .def = "1.5",
     .env = "OPT_TEST_RATIO", .arg = "X", .help = "a fraction"},
    {.name = "color", OPT_ONE_OF(&C.color, COLORS), .def = "red", .help = "a colour"},
    {.env = "OPT_TEST_SECRET", OPT_STR(&C.secret), .secret = true, .help = "the secret"},
    {.env = "OPT_TEST_DOC", .help = "read by someone else"},
};
static const opt_spec SPEC = {.prog = "bardo-test", .about = "Tests options.",
                              .notes = "Notes go last.", .opts = OPTS,
                              .n = sizeof OPTS / sizeof OPTS[0]};

static char why[OPT_ERR_MAX];

static int reset(void **state) {
    (void)state;
    C = (cfg){.size = 33};
    why[0] = '\0';
    unsetenv("OPT_TEST_STR");
    unsetenv("OPT_TEST_COUNT");
    unsetenv("OPT_TEST_RATIO");
    unsetenv("OPT_TEST_SECRET");
    return 0;
}

/* optParse of SPEC over "bardo-test" and the NULL-terminated arguments. */
static int parseWith(const opt_spec *s, const char *first, ...) {
    char *argv[32] = {"bardo-test"};
    int argc = 1;
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a && argc < 31; a = va_arg(ap, const char *))
        argv[argc++] = (char *)a;
    va_end(ap);
    argv[argc] = NULL;
    return optParse(s, argc, argv, why, sizeof why);
}
#define PARSE(...) parseWith(&SPEC, __VA_ARGS__, (const char *)NULL)

static void test_defaults(void **state) {
    (void)state;
    assert_int_equal(parseWith(&SPEC, NULL), 0);
    assert_false(C.flag);
    assert_string_equal(C.str, "dflt");
    assert_int_equal(C.u8, 7);
    assert_int_equal(C.u16, 0);
    assert_int_equal(C.count, 1);
    assert_true(C.big == 0);
    assert_int_equal(C.size, 33); /* no default: untouched */
    assert_true(C.ratio == 1.5);
    assert_int_equal(C.color, 0);
    assert_null(C.secret);
    assert_string_equal(why, "");
}

static void test_every_kind(void **state) {
    (void)state;
    assert_int_equal(PARSE("--flag", "--str", "x y", "--u8", "200", "--u16=65535", "--count", "16",
                           "--big", "18446744073709551615", "--size", "1000", "--ratio", "-0.25",
                           "--color", "blue"),
                     0);
    assert_true(C.flag);
    assert_string_equal(C.str, "x y");
    assert_int_equal(C.u8, 200);
    assert_int_equal(C.u16, 65535);
    assert_int_equal(C.count, 16);
    assert_true(C.big == UINT64_MAX);
    assert_int_equal(C.size, 1000);
    assert_true(C.ratio == -0.25);
    assert_int_equal(C.color, 2);
}

static void test_letters_and_prefixes(void **state) {
    (void)state;
    assert_int_equal(PARSE("-f", "-s", "abc", "-c3", "--rat", "2e2"), 0);
    assert_true(C.flag);
    assert_string_equal(C.str, "abc");
    assert_int_equal(C.count, 3);
    assert_true(C.ratio == 200);
    /* the last of a repeated option wins; a second parse starts afresh */
    assert_int_equal(PARSE("--count", "4", "--count", "5"), 0);
    assert_int_equal(C.count, 5);
}

static void test_unsigned_edges(void **state) {
    (void)state;
    assert_int_equal(PARSE("--u8", "1"), 0);
    assert_int_equal(C.u8, 1);
    assert_int_equal(PARSE("--u8", "255"), 0);
    assert_int_equal(C.u8, 255);
    assert_int_equal(PARSE("--u8", "0"), -EINVAL);
    assert_string_equal(why, "--u8: '0' is not a whole number in 1..255");
    assert_int_equal(PARSE("--u8", "256"), -EINVAL);
    assert_string_equal(why, "--u8: '256' is not a whole number in 1..255");
    assert_int_equal(PARSE("--count", "17"), -EINVAL);
    assert_string_equal(why, "--count: '17' is not a whole number in 0..16");
    assert_int_equal(PARSE("--count", "007"), 0);
    assert_int_equal(C.count, 7);
}

static void test_unsigned_strict(void **state) {
    (void)state;
    static const char *const bad[] = {"two", "", "-1", "+1", " 1", "1 ", "10ms", "0x10",
                                      "1e3", "1.0", "18446744073709551616",
                                      "99999999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        C.big = 42;
        assert_int_equal(PARSE("--big", bad[i]), -EINVAL);
        char want[OPT_ERR_MAX];
        snprintf(want, sizeof want, "--big: '%s' is not a whole number in 0..18446744073709551615",
                 bad[i]);
        assert_string_equal(why, want);
        assert_true(C.big == 0); /* the default, never a partial value */
    }
}

static void test_parse_unsigned_api(void **state) {
    (void)state;
    uint64_t v = 9;
    assert_int_equal(optParseUnsigned("18446744073709551615", 0, UINT64_MAX, &v), 0);
    assert_true(v == UINT64_MAX);
    v = 9;
    assert_int_equal(optParseUnsigned("18446744073709551616", 0, UINT64_MAX, &v), -ERANGE);
    assert_int_equal(optParseUnsigned("5", 6, 10, &v), -ERANGE);
    assert_int_equal(optParseUnsigned("11", 6, 10, &v), -ERANGE);
    assert_int_equal(optParseUnsigned("-0", 0, 10, &v), -EINVAL);
    assert_int_equal(optParseUnsigned("", 0, 10, &v), -EINVAL);
    assert_int_equal(optParseUnsigned(NULL, 0, 10, &v), -EINVAL);
    assert_true(v == 9);
    assert_int_equal(optParseUnsigned("10", 6, 10, &v), 0);
    assert_true(v == 10);
}

static void test_double(void **state) {
    (void)state;
    static const char *const ok[] = {"0", "-1", "1000", ".5", "5.", "1e2", "2.5E-1"};
    static const double val[] = {0, -1, 1000, 0.5, 5, 100, 0.25};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        assert_int_equal(PARSE("--ratio", ok[i]), 0);
        assert_true(C.ratio == val[i]);
    }
    static const char *const bad[] = {"", "x", "inf", "nan", "-inf", "0x1p3", " 1", "+1", "1.5x",
                                      "1e", "-", ".", "1000.001", "-1.5", "1e400", "1,5"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(PARSE("--ratio", bad[i]), -EINVAL);
        char want[OPT_ERR_MAX];
        snprintf(want, sizeof want, "--ratio: '%s' is not a number in -1..1000", bad[i]);
        assert_string_equal(why, want);
    }
    double d = 7;
    assert_int_equal(optParseDouble("1e400", 0, 1e308, &d), -ERANGE);
    assert_int_equal(optParseDouble("abc", 0, 1, &d), -EINVAL);
    assert_true(d == 7);
}

static void test_choice(void **state) {
    (void)state;
    assert_int_equal(PARSE("--color", "green"), 0);
    assert_int_equal(C.color, 1);
    assert_int_equal(PARSE("--color", "Green"), -EINVAL);
    assert_string_equal(why, "--color: 'Green' is not one of red, green, blue");
    assert_int_equal(PARSE("--color", ""), -EINVAL);
    assert_string_equal(why, "--color: '' is not one of red, green, blue");
}

static void test_environment(void **state) {
    (void)state;
    setenv("OPT_TEST_COUNT", "9", 1);
    setenv("OPT_TEST_STR", "from-env", 1);
    setenv("OPT_TEST_RATIO", "", 1); /* empty: as if unset */
    assert_int_equal(parseWith(&SPEC, NULL), 0);
    assert_int_equal(C.count, 9);
    assert_string_equal(C.str, "from-env");
    assert_true(C.ratio == 1.5);
    /* the command line wins over the environment */
    assert_int_equal(PARSE("--count", "2", "--str", "cli"), 0);
    assert_int_equal(C.count, 2);
    assert_string_equal(C.str, "cli");
}

static void test_environment_bad(void **state) {
    (void)state;
    setenv("OPT_TEST_COUNT", "two", 1);
    assert_int_equal(parseWith(&SPEC, NULL), -EINVAL);
    assert_string_equal(why, "OPT_TEST_COUNT: 'two' is not a whole number in 0..16");
    setenv("OPT_TEST_COUNT", "17", 1);
    assert_int_equal(parseWith(&SPEC, NULL), -EINVAL);
    assert_string_equal(why, "OPT_TEST_COUNT: '17' is not a whole number in 0..16");
    /* a variable the command line overrides is not read */
    assert_int_equal(PARSE("--count", "3"), 0);
    assert_int_equal(C.count, 3);
    setenv("OPT_TEST_RATIO", "1e", 1);
    assert_int_equal(PARSE("--count", "3"), -EINVAL);
    assert_string_equal(why, "OPT_TEST_RATIO: '1e' is not a number in -1..1000");
}

static void test_getopt_errors(void **state) {
    (void)state;
    assert_int_equal(PARSE("--foo"), -EINVAL);
    assert_string_equal(why, "unknown option --foo (see --help)");
    assert_int_equal(PARSE("--foo=bar"), -EINVAL);
    assert_string_equal(why, "unknown option --foo (see --help)");
    assert_int_equal(PARSE("-x"), -EINVAL);
    assert_string_equal(why, "unknown option -x (see --help)");
    assert_int_equal(PARSE("--count"), -EINVAL);
    assert_string_equal(why, "--count needs a value (see --help)");
    assert_int_equal(PARSE("-c"), -EINVAL);
    assert_string_equal(why, "-c needs a value (see --help)");
    assert_int_equal(PARSE("--flag=1"), -EINVAL);
    assert_string_equal(why, "--flag takes no value (see --help)");
    assert_int_equal(PARSE("--count", "1", "extra"), -EINVAL);
    assert_string_equal(why, "unexpected argument 'extra' (see --help)");
    assert_int_equal(PARSE("--u"), -EINVAL); /* ambiguous: u8 or u16 */
    assert_string_equal(why, "unknown option --u (see --help)");
    /* env-only entries are no options */
    assert_int_equal(PARSE("--OPT_TEST_SECRET", "x"), -EINVAL);
}

static void test_help_asked(void **state) {
    (void)state;
    assert_int_equal(PARSE("--help"), OPT_HELP);
    assert_int_equal(PARSE("-h"), OPT_HELP);
    assert_int_equal(PARSE("--count", "2", "--help", "--bogus"), OPT_HELP);
    setenv("OPT_TEST_COUNT", "bad", 1); /* help works whatever the environment */
    assert_int_equal(PARSE("--help"), OPT_HELP);
}

static void test_error_quoting(void **state) {
    (void)state;
    assert_int_equal(PARSE("--count", "1\n2"), -EINVAL);
    assert_string_equal(why, "--count: '1?2' is not a whole number in 0..16");
    char longv[200];
    memset(longv, '9', sizeof longv - 1);
    longv[sizeof longv - 1] = '\0';
    assert_int_equal(PARSE("--count", longv), -EINVAL);
    assert_non_null(strstr(why, "'9999999999999999999999999999999999999999...'"));
    assert_null(strchr(why, '\n'));
    assert_true(strlen(why) < OPT_ERR_MAX - 1);
}

static char *helpText(const opt_spec *s) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    assert_int_equal(optHelp(s, f), 0);
    fclose(f);
    return text;
}

/* The help has `what`, and the line it ends in ends in `tail`. */
static void assertLine(const char *text, const char *what, const char *tail) {
    const char *p = strstr(text, what);
    assert_non_null(p);
    const char *end = strchr(p + strlen(what), '\n');
    assert_non_null(end);
    size_t n = strlen(tail), len = (size_t)(end - p);
    if (len < n || memcmp(end - n, tail, n) != 0) fail_msg("help line %.*s lacks %s", (int)len, p, tail);
}

static void test_help_text(void **state) {
    (void)state;
    setenv("OPT_TEST_SECRET", "hunter2", 1);
    char *text = helpText(&SPEC);
    assert_true(strncmp(text, "usage: bardo-test [OPTION]...\nTests options.\n", 45) == 0);
    assertLine(text, "  -f, --flag ", "a flag");
    assertLine(text, "  -s, --str TEXT ", "a string (default: dflt; env: OPT_TEST_STR)");
    assertLine(text, "      --u8 VALUE ", "one byte (1..255; default: 7)");
    assertLine(text, "  -c, --count K ", "how many (0..16; default: 1; env: OPT_TEST_COUNT)");
    assertLine(text, "      --big N ", "(0..18446744073709551615; default: 0)");
    assertLine(text, "      --size VALUE ", "no default: the caller's (0..1000)");
    assertLine(text, "      --ratio X ", "a fraction (-1..1000; default: 1.5; env: OPT_TEST_RATIO)");
    assertLine(text, "      --color red|green|blue ", "a colour (default: red)");
    assertLine(text, "  -h, --help ", "print this help and exit");
    assertLine(text, "\nEnvironment:\n  OPT_TEST_SECRET ", "the secret (set)");
    assertLine(text, "  OPT_TEST_DOC ", "read by someone else");
    assertLine(text, "\nNotes go last.", "last.");
    assert_null(strstr(text, "hunter2"));
    free(text);
    unsetenv("OPT_TEST_SECRET");
    text = helpText(&SPEC);
    assertLine(text, "  OPT_TEST_SECRET ", "the secret (unset)");
    free(text);
}

static void test_secret(void **state) {
    (void)state;
    setenv("OPT_TEST_SECRET", "hunter2", 1);
    assert_int_equal(parseWith(&SPEC, NULL), 0);
    assert_string_equal(C.secret, "hunter2");
    static uint32_t pin;
    static const opt secret_num[] = {{.env = "OPT_TEST_SECRET", OPT_UINT(&pin), .max = 9999,
                                      .secret = true}};
    const opt_spec s = {.prog = "p", .opts = secret_num, .n = 1};
    assert_int_equal(parseWith(&s, NULL), -EINVAL);
    assert_string_equal(why, "OPT_TEST_SECRET: (hidden) is not a whole number in 0..9999");
}

static void test_bad_tables(void **state) {
    (void)state;
    static uint8_t b;
    static unsigned u;
    static const opt bad_default[] = {{.name = "n", OPT_UINT(&b), .max = 10, .def = "11"}};
    static const opt too_wide[] = {{.name = "n", OPT_UINT(&b), .max = 256}};
    static const opt upside_down[] = {{.name = "n", OPT_UINT(&b), .min = 5, .max = 4}};
    static const opt no_choices[] = {{.name = "n", .kind = OPT_CHOICE, .dest = &u}};
    static const opt doc_option[] = {{.name = "n", .kind = OPT_STRING}};
    static const opt h_letter[] = {{.name = "n", .letter = 'h', OPT_UINT(&b), .max = 1}};
    static const opt nameless[] = {{OPT_UINT(&b), .max = 1}};
    const opt *tables[] = {bad_default, too_wide, upside_down, no_choices, doc_option, h_letter,
                           nameless};
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        const opt_spec s = {.prog = "p", .opts = tables[i], .n = 1};
        assert_int_equal(parseWith(&s, NULL), -EINVAL);
        assert_true(strlen(why) > 0);
    }
    const opt_spec s = {.prog = "p", .opts = bad_default, .n = 1};
    assert_int_equal(parseWith(&s, NULL), -EINVAL);
    assert_string_equal(why, "the default of n: '11' is not a whole number in 0..10");
    const opt_spec huge = {.prog = "p", .opts = OPTS, .n = OPT_MAX + 1};
    assert_int_equal(parseWith(&huge, NULL), -EINVAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_defaults, reset),
        cmocka_unit_test_setup(test_every_kind, reset),
        cmocka_unit_test_setup(test_letters_and_prefixes, reset),
        cmocka_unit_test_setup(test_unsigned_edges, reset),
        cmocka_unit_test_setup(test_unsigned_strict, reset),
        cmocka_unit_test_setup(test_parse_unsigned_api, reset),
        cmocka_unit_test_setup(test_double, reset),
        cmocka_unit_test_setup(test_choice, reset),
        cmocka_unit_test_setup(test_environment, reset),
        cmocka_unit_test_setup(test_environment_bad, reset),
        cmocka_unit_test_setup(test_getopt_errors, reset),
        cmocka_unit_test_setup(test_help_asked, reset),
        cmocka_unit_test_setup(test_error_quoting, reset),
        cmocka_unit_test_setup(test_help_text, reset),
        cmocka_unit_test_setup(test_secret, reset),
        cmocka_unit_test_setup(test_bad_tables, reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
