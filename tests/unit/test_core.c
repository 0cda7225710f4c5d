/* buf, ev, response: the small pieces everything else stands on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/ev.h"
#include "http/response.h"

static void test_buf_append_consume_compact(void **state) {
    (void)state;
    buf b;
    assert_int_equal(bufInit(&b, 4), 0);
    assert_int_equal(bufAppendStr(&b, "hello world"), 0); /* grows */
    assert_int_equal(bufUnread(&b), 11);
    bufConsume(&b, 6);
    assert_memory_equal(bufReadPtr(&b), "world", 5);
    bufCompact(&b);
    assert_int_equal(b.off, 0);
    assert_memory_equal(b.data, "world", 5);
    assert_int_equal(bufAppendU64(&b, 0), 0);
    assert_int_equal(bufAppendU64(&b, 18446744073709551615ull), 0);
    assert_memory_equal(b.data, "world018446744073709551615", 26);
    bufConsume(&b, bufUnread(&b));
    bufCompact(&b);
    assert_int_equal(b.len, 0);
    bufFree(&b);
}

static void test_response_head(void **state) {
    (void)state;
    buf b;
    bufInit(&b, 64);
    http_head h = {.status = 201, .extra = SLICE_LIT("Location: /pessoas/x\r\n")};
    assert_int_equal(httpWriteResponse(&b, &h, (slice){0}), 0);
    bufAppend(&b, "", 1);
    assert_string_equal(b.data, "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n"
                                "Location: /pessoas/x\r\n\r\n");
    bufReset(&b);
    h = (http_head){.status = 404, .content_type = HTTP_CT_JSON, .close = true};
    assert_int_equal(httpWriteResponse(&b, &h, SLICE_LIT("{}")), 0);
    bufAppend(&b, "", 1);
    assert_string_equal(b.data, "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
                                "Content-Length: 2\r\nConnection: close\r\n\r\n{}");
    assert_string_equal(httpReason(422), "Unprocessable Content");
    assert_string_equal(httpReason(299), "Unknown");
    bufFree(&b);
}

typedef struct ev_probe {
    int ticks, sleeps, reads;
} ev_probe;

static void onTick(ev_loop *loop, void *data) {
    ev_probe *p = data;
    if (++p->ticks == 3) evStop(loop);
}

static void onSleep(ev_loop *loop, void *data) {
    (void)loop;
    ((ev_probe *)data)->sleeps++;
}

static void onRead(ev_loop *loop, ev_watch *w, uint32_t events) {
    (void)loop;
    char c;
    assert_true(events & EPOLLIN);
    assert_int_equal(read(w->fd, &c, 1), 1);
    ((ev_probe *)w->data)->reads++;
}

static void test_ev_ticks_hooks_and_io(void **state) {
    (void)state;
    ev_probe p = {0};
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    ev_loop *loop = evCreate();
    ev_watch w = {.fd = fds[0], .fn = onRead, .data = &p};
    assert_int_equal(evWatch(loop, &w, EPOLLIN), 0);
    evOnTick(loop, 10, onTick, &p);
    evOnBeforeSleep(loop, onSleep, &p);
    assert_int_equal(write(fds[1], "ab", 2), 2);
    uint64_t t0 = evClockMs();
    assert_int_equal(evRun(loop), 0);
    assert_int_equal(p.ticks, 3);
    assert_int_equal(p.reads, 2);
    assert_true(p.sleeps >= 3);
    assert_true(evClockMs() - t0 >= 25);
    evUnwatch(loop, &w);
    evDestroy(loop);
    close(fds[0]);
    close(fds[1]);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_append_consume_compact),
        cmocka_unit_test(test_response_head),
        cmocka_unit_test(test_ev_ticks_hooks_and_io),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
