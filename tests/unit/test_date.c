/* test_date.c - AAAA-MM-DD validation with Gregorian leap years. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "api/date.h"

static bool dv(const char *s) { return dateValid(sliceMake(s, strlen(s))); }

static void test_valid(void **state) {
    (void)state;
    static const char *const ok[] = {
        "2000-01-01", "1985-09-23", "0001-01-01", "9999-12-31", "2000-02-29",
        "2024-02-29", "1600-02-29", "2023-02-28", "2023-01-31", "2023-03-31",
        "2023-04-30", "2023-12-31", "1949-02-05",
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        if (!dv(ok[i])) fail_msg("rejected %s", ok[i]);
    }
}

static void test_invalid(void **state) {
    (void)state;
    static const char *const bad[] = {
        "1900-02-29", "2021-02-29", "2100-02-29", "2023-02-30", "2023-04-31",
        "2023-06-31", "2023-09-31", "2023-11-31", "2023-01-32", "2023-13-01",
        "2023-00-10", "2023-01-00", "0000-01-01", "1984-13-07", "12-12-2000",
        "2000-1-01",  "2000-01-1",  "20000-01-01", "2000/01/01", "2000-01-01 ",
        " 2000-01-01", "2000-01-0a", "2000-0a-01", "200a-01-01", "+200-01-01",
        "2000-01--1", "", "null", "10", "2000-01-01T00:00:00",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (dv(bad[i])) fail_msg("accepted %s", bad[i]);
    }
    assert_false(dateValid(sliceMake("2000-01-01\0", 11)));
    assert_false(dateValid(sliceMake("2000-\0" "1-01", 10)));
}

/* Leap rule against a brute-force day count for four centuries. */
static void test_leap_years(void **state) {
    (void)state;
    for (int y = 1600; y < 2400; y++) {
        char s[32];
        snprintf(s, sizeof(s), "%04d-02-29", y);
        bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        assert_int_equal(dv(s), leap);
        snprintf(s, sizeof(s), "%04d-02-28", y);
        assert_true(dv(s));
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_leap_years),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
