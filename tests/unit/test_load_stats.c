/* test_load_stats.c - the load tool's histograms and percentiles. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "load/load_stats.h"

static void test_buckets_cover_every_value(void **state) {
    (void)state;
    for (uint64_t v = 0; v < 5000000; v += 1 + v / 50) {
        int i = loadHistIndex(v);
        assert_true(loadHistLow(i) <= v && v <= loadHistHigh(i));
        /* within 1/64 of the value */
        assert_true((loadHistHigh(i) - loadHistLow(i)) * 64 <= v + 64);
    }
    assert_int_equal(loadHistIndex(63), 63);
    assert_int_equal(loadHistIndex(64), 64);
    assert_int_equal(loadHistIndex(UINT64_MAX), LOAD_HIST_N - 1);
}

static load_hist h; /* 8 KB */

static void test_percentiles_of_1_to_1000(void **state) {
    (void)state;
    loadHistReset(&h);
    for (uint64_t v = 1; v <= 1000; v++) loadHistAdd(&h, v);
    assert_int_equal(h.n, 1000);
    assert_int_equal(h.min_us, 1);
    assert_int_equal(h.max_us, 1000);
    /* nearest rank, within the bucket's 1/64 */
    assert_in_range(loadHistPct(&h, 50), 500 - 8, 500 + 8);
    assert_in_range(loadHistPct(&h, 95), 950 - 15, 950 + 15);
    assert_in_range(loadHistPct(&h, 99), 990 - 16, 990 + 16);
    assert_int_equal(loadHistPct(&h, 100), 1000);
    assert_int_equal(loadHistPct(&h, 0), 1);
    assert_true(loadHistMeanUs(&h) > 500.4 && loadHistMeanUs(&h) < 500.6);
}

static void test_small_values_are_exact(void **state) {
    (void)state;
    loadHistReset(&h);
    for (int i = 0; i < 99; i++) loadHistAdd(&h, 10);
    loadHistAdd(&h, 60);
    assert_int_equal(loadHistPct(&h, 50), 10);
    assert_int_equal(loadHistPct(&h, 99), 10);  /* rank 99 of 100 */
    assert_int_equal(loadHistPct(&h, 99.5), 60); /* rank 100 */
    loadHistReset(&h);
    assert_int_equal(loadHistPct(&h, 99), 0); /* empty */
}

static void test_bands_and_ko(void **state) {
    (void)state;
    load_kstats *k = calloc(1, sizeof *k);
    loadHistReset(&k->h);
    loadKstatsOk(k, 1000);
    loadKstatsOk(k, 900000);
    loadKstatsOk(k, 1300000);
    loadKstatsKo(k, 60000000, LOAD_KO_TIMEOUT);
    loadKstatsKo(k, 50, LOAD_KO_CONN);
    assert_int_equal(k->ok, 3);
    assert_int_equal(k->ko, 2);
    assert_int_equal(k->lt800, 1);
    assert_int_equal(k->lt1200, 1);
    assert_int_equal(k->ge1200, 1);
    assert_int_equal(k->ko_timeout, 1);
    assert_int_equal(k->ko_conn, 1);
    assert_int_equal(k->h.max_us, 60000000);
    free(k);
}

static void test_series_grows(void **state) {
    (void)state;
    load_series s = {0};
    assert_non_null(loadSeriesAt(&s, 0));
    loadSeriesAt(&s, 0)->arrivals = 3;
    loadSeriesTime(&s, 1000, 42);
    assert_int_equal(s.n, 1001);
    assert_int_equal(s.s[0].arrivals, 3);
    assert_null(s.s[500].h);
    assert_int_equal(s.s[1000].h->n, 1);
    loadSeriesFree(&s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buckets_cover_every_value),
        cmocka_unit_test(test_percentiles_of_1_to_1000),
        cmocka_unit_test(test_small_values_are_exact),
        cmocka_unit_test(test_bands_and_ko),
        cmocka_unit_test(test_series_grows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
