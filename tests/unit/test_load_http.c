/* test_load_http.c - the load tool's response parser and request builder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "load/load_http.h"

/* Feeds s in pieces of `step` bytes; returns the parser's final verdict. */
static int feedInSteps(load_resp *r, const char *s, size_t step) {
    size_t n = strlen(s), i = 0;
    loadRespReset(r);
    while (i < n) {
        size_t len = n - i < step ? n - i : step, used;
        int rc = loadRespFeed(r, s + i, len, &used);
        i += used;
        if (rc != 0) return rc;
    }
    return 0;
}

static void test_created_with_location(void **state) {
    (void)state;
    const char *s = "HTTP/1.1 201 Created\r\nServer: nginx\r\nContent-Length: 0\r\n"
                    "Location: /pessoas/0b6c1ad2-5d5a-4b35-a1f4-03b5a0b0e7a9\r\n\r\n";
    load_resp r;
    for (size_t step = 1; step < 20; step++) {
        assert_int_equal(feedInSteps(&r, s, step), 1);
        assert_int_equal(r.status, 201);
        assert_string_equal(r.location, "/pessoas/0b6c1ad2-5d5a-4b35-a1f4-03b5a0b0e7a9");
        assert_false(r.close);
    }
}

static void test_body_by_length_and_count(void **state) {
    (void)state;
    load_resp r;
    assert_int_equal(feedInSteps(&r, "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n46611", 3), 1);
    assert_string_equal(r.body, "46611");
    /* the response ends at its length: the next bytes are not consumed */
    const char *two = "HTTP/1.1 400 Bad Request\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}X";
    size_t used;
    loadRespReset(&r);
    assert_int_equal(loadRespFeed(&r, two, strlen(two), &used), 1);
    assert_int_equal(used, strlen(two) - 1);
    assert_true(r.close);
    assert_int_equal(r.status, 400);
}

static void test_chunked(void **state) {
    (void)state;
    const char *s = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "5\r\n[{\"a\"\r\na;ext=1\r\n:1},{}]   \r\n0\r\n\r\n";
    load_resp r;
    for (size_t step = 1; step < 9; step++) {
        assert_int_equal(feedInSteps(&r, s, step), 1);
        assert_int_equal(r.status, 200);
        assert_string_equal(r.body, "[{\"a\":1},{}]   ");
    }
}

static void test_malformed_and_partial(void **state) {
    (void)state;
    load_resp r;
    assert_int_equal(feedInSteps(&r, "SSH-2.0-OpenSSH\r\n", 4), -1);
    assert_int_equal(feedInSteps(&r, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 4), 0);
    assert_int_equal(feedInSteps(&r, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 4),
                     -1);
    /* an over-long header line is skipped, not an error */
    char big[600] = "HTTP/1.1 204 No Content\r\nX-Long: ";
    memset(big + strlen(big), 'x', 400);
    strcat(big, "\r\n\r\n");
    assert_int_equal(feedInSteps(&r, big, 7), 1);
    assert_int_equal(r.status, 204);
}

static void test_request_builder(void **state) {
    (void)state;
    char out[512];
    size_t n = loadReqBuild(out, sizeof out, "POST", "/pessoas", 8, "127.0.0.1:9999", "{}", 2);
    out[n] = 0;
    assert_non_null(strstr(out, "POST /pessoas HTTP/1.1\r\nHost: 127.0.0.1:9999\r\n"));
    assert_non_null(strstr(out, "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"));
    n = loadReqBuild(out, sizeof out, "GET", "/pessoas?t=x", 12, "h", NULL, 0);
    assert_int_equal(memcmp(out + n - 4, "\r\n\r\n", 4), 0);
    assert_int_equal(loadReqBuild(out, 20, "GET", "/pessoas", 8, "h", NULL, 0), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_created_with_location),
        cmocka_unit_test(test_body_by_length_and_count),
        cmocka_unit_test(test_chunked),
        cmocka_unit_test(test_malformed_and_partial),
        cmocka_unit_test(test_request_builder),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
