/* test_load_sched.c - the injection math of the load tool's schedule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>

#include <cmocka.h>

#include "load/load_sched.h"

/* The official profile's arrivals: 20 + 75 + (6+600)/2*180 creations. */
static void test_official_counts(void **state) {
    (void)state;
    assert_int_equal(loadSchedTotal(&loadOfficialScenarios[0], 1, 1), 54635);
    assert_int_equal(loadSchedTotal(&loadOfficialScenarios[1], 1, 1), 50 + 9540);
    assert_int_equal(loadSchedTotal(&loadOfficialScenarios[2], 1, 1), 50 + 4140);
    assert_true(fabs(loadSchedSeconds(&loadOfficialScenarios[0], 1) - 205) < 1e-9);
    assert_true(fabs(loadSchedSeconds(&loadOfficialScenarios[1], 0.1) - 20.5) < 1e-9);
}

static void test_scale_multiplies_users(void **state) {
    (void)state;
    assert_int_equal(loadSchedTotal(&loadOfficialScenarios[0], 10, 1), 546350);
    /* time scale 0.1: same rates, a tenth of the time */
    assert_int_equal(loadSchedTotal(&loadOfficialScenarios[0], 1, 0.1), 2 + 8 + 5454);
}

static void test_constant_step_is_evenly_spaced(void **state) {
    (void)state;
    load_step s = {2, 2, 10, false};
    assert_int_equal(loadStepUsers(&s, 1, 1), 20);
    for (uint64_t i = 0; i < 20; i++)
        assert_true(fabs(loadStepOffset(&s, 1, 1, i, 0) - (double)i * 0.5) < 1e-9);
}

/* On a linear ramp, user i arrives when the integral of the rate is i. */
static void test_ramp_integral(void **state) {
    (void)state;
    load_step s = {6, 600, 180, false};
    double a = 6, k = (600.0 - 6) / 180;
    for (uint64_t i = 0; i < 54540; i += 997) {
        double t = loadStepOffset(&s, 1, 1, i, 0);
        assert_true(fabs(a * t + k * t * t / 2 - (double)i) < 1e-6);
    }
    /* later users are closer together: the rate grows */
    double g0 = loadStepOffset(&s, 1, 1, 1, 0) - loadStepOffset(&s, 1, 1, 0, 0);
    double g1 = loadStepOffset(&s, 1, 1, 54000, 0) - loadStepOffset(&s, 1, 1, 53999, 0);
    assert_true(g0 > 0.1 && g1 < 0.002);
    assert_true(loadStepOffset(&s, 1, 1, 54539, 0) <= 180);
}

static void test_iterator_is_monotonic_and_complete(void **state) {
    (void)state;
    load_sched s;
    loadSchedInit(&s, &loadOfficialScenarios[0], 1, 1, 7);
    double t, prev = -1;
    uint64_t n = 0, first_step = 0;
    while (loadSchedNext(&s, &t)) {
        assert_true(t >= prev);
        assert_true(t <= 205.0 + 1e-9);
        if (t < 10) first_step++;
        prev = t;
        n++;
    }
    assert_int_equal(n, 54635);
    assert_int_equal(first_step, 20);
    assert_false(loadSchedNext(&s, &t));
}

/* A randomized step keeps its count and its span; each user stays in its slot. */
static void test_randomized_step(void **state) {
    (void)state;
    load_step s = {5, 5, 15, true};
    for (uint64_t i = 0; i < 75; i++) {
        double t0 = loadStepOffset(&s, 1, 1, i, 0), t1 = loadStepOffset(&s, 1, 1, i, 0.999);
        assert_true(fabs(t0 - (double)i * 0.2) < 1e-9);
        assert_true(t1 < (double)(i + 1) * 0.2 && t1 > t0);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_official_counts),
        cmocka_unit_test(test_scale_multiplies_users),
        cmocka_unit_test(test_constant_step_is_evenly_spaced),
        cmocka_unit_test(test_ramp_integral),
        cmocka_unit_test(test_iterator_is_monotonic_and_complete),
        cmocka_unit_test(test_randomized_step),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
