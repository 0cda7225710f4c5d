/* The delay line of bardo-netdelay: due times, release order, overflow,
 * ring wrap-around, a clock that steps back, drain on shutdown. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "netdelay/netdelay.h"

#define US 1000u

static void test_init_rejects_zero_capacity(void **state) {
    (void)state;
    netdelay q;
    assert_int_equal(netdelayInit(&q, 0, 500 * US), -EINVAL);
    netdelayFree(&q);
}

static void test_empty_has_nothing_due(void **state) {
    (void)state;
    netdelay q;
    uint64_t due = 7;
    uint32_t last = 99;
    assert_int_equal(netdelayInit(&q, 4, 500 * US), 0);
    assert_false(netdelayNextDue(&q, &due));
    assert_int_equal(netdelayPopDue(&q, UINT64_MAX, &last), 0);
    assert_int_equal(last, 99); /* untouched */
    netdelayFree(&q);
}

static void test_due_is_arrival_plus_delay(void **state) {
    (void)state;
    netdelay q;
    uint64_t due = 0;
    uint32_t last = 0;
    assert_int_equal(netdelayInit(&q, 4, 500 * US), 0);
    assert_int_equal(netdelayPush(&q, 1, 1000 * US), 0);
    assert_true(netdelayNextDue(&q, &due));
    assert_int_equal(due, 1500 * US);
    /* not a nanosecond early */
    assert_int_equal(netdelayPopDue(&q, 1500 * US - 1, &last), 0);
    assert_int_equal(netdelayPopDue(&q, 1500 * US, &last), 1);
    assert_int_equal(last, 1);
    assert_false(netdelayNextDue(&q, &due));
    netdelayFree(&q);
}

static void test_released_in_order_up_to_now(void **state) {
    (void)state;
    netdelay q;
    uint64_t due = 0;
    uint32_t last = 0;
    assert_int_equal(netdelayInit(&q, 8, 500 * US), 0);
    for (uint32_t id = 10; id < 15; id++)
        assert_int_equal(netdelayPush(&q, id, (uint64_t)id * 100 * US), 0);
    /* ids 10..12 are due at 1500, 1600, 1700 us */
    assert_int_equal(netdelayPopDue(&q, 1750 * US, &last), 3);
    assert_int_equal(last, 12);
    assert_true(netdelayNextDue(&q, &due));
    assert_int_equal(due, 1800 * US); /* id 13 is next */
    assert_int_equal(netdelayPopDue(&q, 5000 * US, &last), 2);
    assert_int_equal(last, 14);
    assert_int_equal(q.held, 5);
    assert_int_equal(q.released, 5);
    netdelayFree(&q);
}

static void test_full_line_refuses_and_counts(void **state) {
    (void)state;
    netdelay q;
    uint32_t last = 0;
    assert_int_equal(netdelayInit(&q, 3, 500 * US), 0);
    for (uint32_t id = 1; id <= 3; id++) assert_int_equal(netdelayPush(&q, id, 0), 0);
    assert_int_equal(netdelayPush(&q, 4, 0), -ENOBUFS);
    assert_int_equal(netdelayPush(&q, 5, 0), -ENOBUFS);
    assert_int_equal(q.overflowed, 2);
    assert_int_equal(q.max_len, 3);
    /* the refused ones are not held: only 1..3 come out */
    assert_int_equal(netdelayPopDue(&q, 500 * US, &last), 3);
    assert_int_equal(last, 3);
    assert_int_equal(netdelayPush(&q, 6, 600 * US), 0); /* room again */
    netdelayFree(&q);
}

static void test_ring_wraps_around(void **state) {
    (void)state;
    netdelay q;
    uint32_t last = 0;
    assert_int_equal(netdelayInit(&q, 3, 10), 0);
    for (uint32_t id = 0; id < 100; id++) {
        assert_int_equal(netdelayPush(&q, id, id * 10u), 0);
        if (id >= 1) { /* keep two in the line, release the older */
            assert_int_equal(netdelayPopDue(&q, id * 10u, &last), 1);
            assert_int_equal(last, id - 1);
        }
    }
    assert_int_equal(q.len, 1);
    assert_int_equal(q.max_len, 2);
    netdelayFree(&q);
}

static void test_clock_step_back_keeps_order(void **state) {
    (void)state;
    netdelay q;
    uint64_t due = 0;
    uint32_t last = 0;
    assert_int_equal(netdelayInit(&q, 4, 500 * US), 0);
    assert_int_equal(netdelayPush(&q, 1, 2000 * US), 0);
    assert_int_equal(netdelayPush(&q, 2, 1000 * US), 0); /* "earlier" */
    assert_true(netdelayNextDue(&q, &due));
    assert_int_equal(due, 2500 * US);
    /* id 2 may not leave before id 1 */
    assert_int_equal(netdelayPopDue(&q, 2000 * US, &last), 0);
    assert_int_equal(netdelayPopDue(&q, 2500 * US, &last), 2);
    assert_int_equal(last, 2);
    netdelayFree(&q);
}

static void test_drain_releases_everything(void **state) {
    (void)state;
    netdelay q;
    uint32_t last = 0;
    assert_int_equal(netdelayInit(&q, 4, 500 * US), 0);
    assert_int_equal(netdelayDrain(&q, &last), 0);
    for (uint32_t id = 7; id < 10; id++) assert_int_equal(netdelayPush(&q, id, 0), 0);
    assert_int_equal(netdelayDrain(&q, &last), 3);
    assert_int_equal(last, 9);
    assert_int_equal(q.len, 0);
    netdelayFree(&q);
}

static void test_zero_delay_is_due_at_once(void **state) {
    (void)state;
    netdelay q;
    uint32_t last = 0;
    assert_int_equal(netdelayInit(&q, 2, 0), 0);
    assert_int_equal(netdelayPush(&q, 42, 123), 0);
    assert_int_equal(netdelayPopDue(&q, 123, &last), 1);
    assert_int_equal(last, 42);
    netdelayFree(&q);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_rejects_zero_capacity),
        cmocka_unit_test(test_empty_has_nothing_due),
        cmocka_unit_test(test_due_is_arrival_plus_delay),
        cmocka_unit_test(test_released_in_order_up_to_now),
        cmocka_unit_test(test_full_line_refuses_and_counts),
        cmocka_unit_test(test_ring_wraps_around),
        cmocka_unit_test(test_clock_step_back_keeps_order),
        cmocka_unit_test(test_drain_releases_everything),
        cmocka_unit_test(test_zero_delay_is_due_at_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
