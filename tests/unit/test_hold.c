/* Held write replies: order kept, released by commit, failed by age. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "store/hold.h"

static void reply(reply_hold *h, buf *out, const char *text) {
    bufAppendStr(holdTarget(h, out), text);
}

static void assert_out(buf *out, const char *expect) {
    assert_int_equal(bufUnread(out), strlen(expect));
    assert_memory_equal(bufReadPtr(out), expect, strlen(expect));
}

static void test_nothing_held_goes_straight_out(void **state) {
    (void)state;
    reply_hold h;
    buf out = {0};
    holdInit(&h);
    reply(&h, &out, ":1\r\n");
    assert_out(&out, ":1\r\n");
    assert_false(holdActive(&h));
    holdFree(&h);
    bufFree(&out);
}

static void test_order_kept_until_commit(void **state) {
    (void)state;
    reply_hold h;
    buf out = {0};
    holdInit(&h);
    reply(&h, &out, ":0\r\n");             /* before any write */
    assert_int_equal(holdWait(&h, 5, 100), 0); /* write seq 5 */
    reply(&h, &out, "$1\r\na\r\n");        /* a read after it */
    assert_int_equal(holdWait(&h, 6, 101), 0); /* write seq 6 */
    reply(&h, &out, ":2\r\n");
    assert_out(&out, ":0\r\n");
    assert_int_equal(holdRelease(&h, &out, 4), 0);
    assert_out(&out, ":0\r\n");
    assert_int_equal(holdRelease(&h, &out, 5), 1);
    assert_out(&out, ":0\r\n+OK\r\n$1\r\na\r\n");
    assert_true(holdActive(&h));
    assert_int_equal(holdRelease(&h, &out, 9), 1);
    assert_out(&out, ":0\r\n+OK\r\n$1\r\na\r\n+OK\r\n:2\r\n");
    assert_false(holdActive(&h));
    reply(&h, &out, ":3\r\n");
    assert_out(&out, ":0\r\n+OK\r\n$1\r\na\r\n+OK\r\n:2\r\n:3\r\n");
    holdFree(&h);
    bufFree(&out);
}

static void recordFail(void *ctx, uint64_t seq) { *(uint64_t *)ctx = seq; }

static void test_expire_fails_old_writes_only(void **state) {
    (void)state;
    reply_hold h;
    buf out = {0};
    holdInit(&h);
    holdWait(&h, 1, 100);
    reply(&h, &out, ":7\r\n");
    holdWait(&h, 2, 300);
    uint64_t failed = 0;
    assert_int_equal(holdExpire(&h, &out, 200, "-TIMEOUT\r\n", recordFail, &failed), 1);
    assert_int_equal(failed, 1);
    assert_out(&out, "-TIMEOUT\r\n:7\r\n");
    assert_int_equal(holdRelease(&h, &out, 2), 1);
    assert_out(&out, "-TIMEOUT\r\n:7\r\n+OK\r\n");
    holdFree(&h);
    bufFree(&out);
}

static void test_many_barriers_grow_ring(void **state) {
    (void)state;
    reply_hold h;
    buf out = {0};
    holdInit(&h);
    for (uint64_t s = 1; s <= 1000; s++) {
        assert_int_equal(holdWait(&h, s, 0), 0);
        reply(&h, &out, ".");
    }
    assert_int_equal(bufUnread(&out), 0);
    assert_int_equal(holdRelease(&h, &out, 500), 500);
    assert_int_equal(bufUnread(&out), 500 * 6);
    assert_int_equal(holdRelease(&h, &out, 1000), 500);
    assert_int_equal(bufUnread(&out), 1000 * 6);
    holdFree(&h);
    bufFree(&out);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nothing_held_goes_straight_out),
        cmocka_unit_test(test_order_kept_until_commit),
        cmocka_unit_test(test_expire_fails_old_writes_only),
        cmocka_unit_test(test_many_barriers_grow_ring),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
