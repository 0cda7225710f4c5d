/* test_http_parser.c - unit tests for the HTTP request-head parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http/http_parser.h"

#define NGINX_GET                                                              \
    "GET /pessoas?t=node HTTP/1.1\r\n"                                         \
    "Host: api\r\n"                                                            \
    "Connection: keep-alive\r\n"                                               \
    "User-Agent: Gatling/3\r\n"                                                \
    "Accept: */*\r\n"                                                          \
    "\r\n"

#define NGINX_POST_HEAD                                                        \
    "POST /pessoas HTTP/1.1\r\n"                                               \
    "Host: api\r\n"                                                            \
    "Content-Type: application/json\r\n"                                       \
    "Content-Length: 26\r\n"                                                   \
    "\r\n"
#define POST_BODY "{\"apelido\":\"x\",\"nome\":\"y\"}"

/* Parses a string literal / NUL-terminated request. */
static int parse(const char *s, http_request *r) {
    return httpParseRequest(s, strlen(s), r);
}

static void assertSliceStr(slice s, const char *want) {
    assert_non_null(s.ptr);
    assert_int_equal(s.len, strlen(want));
    assert_memory_equal(s.ptr, want, s.len);
}

static int parseErr(const char *s) {
    http_request r;
    return parse(s, &r);
}

/* --- happy paths ---------------------------------------------------------- */

static void test_get_with_query(void **state) {
    (void)state;
    http_request r;
    int n = parse(NGINX_GET, &r);
    assert_int_equal(n, (int)strlen(NGINX_GET));
    assert_int_equal(r.method, HTTP_GET);
    assertSliceStr(r.method_text, "GET");
    assertSliceStr(r.target, "/pessoas?t=node");
    assertSliceStr(r.path, "/pessoas");
    assertSliceStr(r.query, "t=node");
    assert_int_equal(r.minor_version, 1);
    assert_int_equal(r.num_headers, 4);
    assertSliceStr(r.headers[0].name, "Host");
    assertSliceStr(r.headers[0].value, "api");
    assertSliceStr(r.headers[3].value, "*/*");
    assert_false(r.has_content_length);
    assert_int_equal(r.content_length, 0);
    assert_true(r.keep_alive);
    assert_false(r.transfer_encoding);
    assert_false(r.expect_continue);
}

static void test_post_with_body(void **state) {
    (void)state;
    const char *req = NGINX_POST_HEAD POST_BODY;
    http_request r;
    int n = parse(req, &r);
    assert_int_equal(n, (int)strlen(NGINX_POST_HEAD));
    assert_int_equal(r.method, HTTP_POST);
    assertSliceStr(r.path, "/pessoas");
    assert_null(r.query.ptr);
    assert_int_equal(r.query.len, 0);
    assert_true(r.has_content_length);
    assert_int_equal(r.content_length, strlen(POST_BODY));
    assert_memory_equal(req + n, POST_BODY, r.content_length);
}

static void test_empty_query_and_question_mark(void **state) {
    (void)state;
    http_request r;
    assert_true(parse("GET /pessoas? HTTP/1.1\r\nHost: x\r\n\r\n", &r) > 0);
    assertSliceStr(r.path, "/pessoas");
    assert_non_null(r.query.ptr);
    assert_int_equal(r.query.len, 0);
    assert_true(parse("GET /a?b?c HTTP/1.1\r\nHost: x\r\n\r\n", &r) > 0);
    assertSliceStr(r.path, "/a");
    assertSliceStr(r.query, "b?c");
}

static void test_methods(void **state) {
    (void)state;
    static const struct {
        const char *req;
        http_method m;
    } cases[] = {
        {"GET / HTTP/1.1\r\nHost: x\r\n\r\n", HTTP_GET},
        {"POST / HTTP/1.1\r\nHost: x\r\n\r\n", HTTP_POST},
        {"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n", HTTP_HEAD},
        {"PUT / HTTP/1.1\r\nHost: x\r\n\r\n", HTTP_PUT},
        {"DELETE / HTTP/1.1\r\nHost: x\r\n\r\n", HTTP_DELETE},
        {"PATCH / HTTP/1.1\r\nHost: x\r\n\r\n", HTTP_OTHER},
        {"get / HTTP/1.1\r\nHost: x\r\n\r\n", HTTP_OTHER},
        {"GETS / HTTP/1.1\r\nHost: x\r\n\r\n", HTTP_OTHER},
        {"M-SEARCH / HTTP/1.1\r\nHost: x\r\n\r\n", HTTP_OTHER},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        http_request r;
        assert_int_equal(parse(cases[i].req, &r), (int)strlen(cases[i].req));
        assert_int_equal(r.method, cases[i].m);
    }
}

static void test_lf_only(void **state) {
    (void)state;
    const char *req = "POST /bards HTTP/1.1\nHost: x\nContent-Length: 2\n\n{}";
    http_request r;
    int n = parse(req, &r);
    assert_int_equal(n, (int)strlen(req) - 2);
    assertSliceStr(r.path, "/bards");
    assertSliceStr(r.headers[0].value, "x");
    assert_int_equal(r.content_length, 2);
    /* mixed endings */
    req = "GET / HTTP/1.1\r\nHost: x\n\r\n";
    assert_int_equal(parse(req, &r), (int)strlen(req));
    assert_int_equal(r.num_headers, 1);
}

static void test_header_whitespace_trimmed(void **state) {
    (void)state;
    http_request r;
    const char *req = "GET / HTTP/1.1\r\nA:b\r\nB: \t c d \t \r\nC:\r\nD:   \r\nHost: x\r\n\r\n";
    assert_int_equal(parse(req, &r), (int)strlen(req));
    assert_int_equal(r.num_headers, 5);
    assertSliceStr(r.headers[0].value, "b");
    assertSliceStr(r.headers[1].value, "c d");
    assert_int_equal(r.headers[2].value.len, 0);
    assert_int_equal(r.headers[3].value.len, 0);
    /* obs-text in values is allowed */
    req = "GET / HTTP/1.1\r\nHost: x\r\nX: caf\xc3\xa9\r\n\r\n";
    assert_int_equal(parse(req, &r), (int)strlen(req));
}

static void test_header_get(void **state) {
    (void)state;
    http_request r;
    assert_true(parse(NGINX_POST_HEAD, &r) > 0);
    assertSliceStr(httpHeaderGet(&r, "content-type"), "application/json");
    assertSliceStr(httpHeaderGet(&r, "CONTENT-LENGTH"), "26");
    assertSliceStr(httpHeaderGet(&r, "Host"), "api");
    slice none = httpHeaderGet(&r, "X-Missing");
    assert_null(none.ptr);
    assert_int_equal(none.len, 0);
    assert_null(httpHeaderGet(&r, "Hos").ptr);
}

static void test_leading_empty_lines_skipped(void **state) {
    (void)state;
    http_request r;
    const char *req = "\r\n\nGET / HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_int_equal(parse(req, &r), (int)strlen(req));
    assertSliceStr(r.path, "/");
    assert_int_equal(parse("\r\n", &r), HTTP_PARSE_PARTIAL);
    assert_int_equal(parse("\r", &r), HTTP_PARSE_PARTIAL);
    assert_int_equal(parse("", &r), HTTP_PARSE_PARTIAL);
    assert_int_equal(parse("\rGET / HTTP/1.1\r\n\r\n", &r), HTTP_PARSE_ERROR);
}

/* --- incremental ---------------------------------------------------------- */

/* Every proper prefix is PARTIAL; the whole gives the full result, also when
 * the prefix is copied to an exact-size heap block (ASan catches over-reads). */
static void checkEveryPrefix(const char *req, size_t head_len) {
    size_t len = strlen(req);
    for (size_t i = 0; i <= len; i++) {
        char *copy = malloc(i ? i : 1);
        assert_non_null(copy);
        memcpy(copy, req, i);
        http_request r;
        int n = httpParseRequest(copy, i, &r);
        if (i < head_len) assert_int_equal(n, HTTP_PARSE_PARTIAL);
        else assert_int_equal(n, (int)head_len);
        free(copy);
    }
}

static void test_every_prefix_partial(void **state) {
    (void)state;
    checkEveryPrefix(NGINX_GET, strlen(NGINX_GET));
    checkEveryPrefix(NGINX_POST_HEAD POST_BODY, strlen(NGINX_POST_HEAD));
    checkEveryPrefix("GET / HTTP/1.0\nA: b\n\n", 21);
    checkEveryPrefix("\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", 29);
}

static void test_error_detected_early(void **state) {
    (void)state;
    /* once the bad line is complete the error is reported, head or not */
    assert_int_equal(parseErr("GET / HTTP/2.0\r\n"), HTTP_PARSE_ERROR);
    assert_int_equal(parseErr("GET / HTTP/1.1\r\nBad Header: x\r\nHost"),
                     HTTP_PARSE_ERROR);
}

static void test_pipelined(void **state) {
    (void)state;
    const char *two = NGINX_POST_HEAD POST_BODY NGINX_GET;
    size_t len = strlen(two);
    http_request r;
    int n = httpParseRequest(two, len, &r);
    assert_int_equal(n, (int)strlen(NGINX_POST_HEAD));
    assert_int_equal(r.method, HTTP_POST);
    size_t off = (size_t)n + r.content_length;
    assert_memory_equal(two + n, POST_BODY, r.content_length);
    n = httpParseRequest(two + off, len - off, &r);
    assert_int_equal(n, (int)strlen(NGINX_GET));
    assert_int_equal(r.method, HTTP_GET);
    assertSliceStr(r.query, "t=node");
    assert_int_equal(off + (size_t)n, len);
}

static void test_pipelined_gets(void **state) {
    (void)state;
    const char *two = "GET /contagem-pessoas HTTP/1.1\r\nHost: x\r\n\r\n"
                      "GET /pessoas/abc HTTP/1.1\r\nHost: x\r\n\r\n";
    http_request r;
    int n = parse(two, &r);
    assert_int_equal(n, 43);
    assertSliceStr(r.path, "/contagem-pessoas");
    assert_int_equal(parse(two + n, &r), (int)strlen(two) - n);
    assertSliceStr(r.path, "/pessoas/abc");
}

static void test_body_split(void **state) {
    (void)state;
    /* head complete, body only partly there: the head length is returned */
    const char *req = NGINX_POST_HEAD "{\"apel";
    http_request r;
    assert_int_equal(parse(req, &r), (int)strlen(NGINX_POST_HEAD));
    assert_int_equal(r.content_length, 26);
    req = NGINX_POST_HEAD;
    assert_int_equal(parse(req, &r), (int)strlen(NGINX_POST_HEAD));
}

/* --- errors --------------------------------------------------------------- */

static void test_request_line_errors(void **state) {
    (void)state;
    static const char *bad[] = {
        "G(T / HTTP/1.1\r\n\r\n",     "G\x01T / HTTP/1.1\r\n\r\n",
        " GET / HTTP/1.1\r\n\r\n",    "GET  / HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1 \r\n\r\n",    "GET /\r\n\r\n",
        "GET / \r\n\r\n",             "GET / HTTP/2.0\r\n\r\n",
        "GET / HTTP/1.2\r\n\r\n",     "GET / HTTP/1.10\r\n\r\n",
        "GET / http/1.1\r\n\r\n",     "GET /a b HTTP/1.1\r\n\r\n",
        "GET /a\tb HTTP/1.1\r\n\r\n", "GET /a\x7f HTTP/1.1\r\n\r\n",
        "GET pessoas HTTP/1.1\r\n\r\n", "GET * HTTP/1.1\r\n\r\n",
        "GET http://x/ HTTP/1.1\r\n\r\n", "GET HTTP/1.1\r\n\r\n",
        " / HTTP/1.1\r\n\r\n",        "GET / HTTP/1.1\r\r\n\r\n",
        "GET\r\n\r\n",               "X\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        http_request r;
        int n = parse(bad[i], &r);
        if (n != HTTP_PARSE_ERROR) fail_msg("case %zu: %s -> %d", i, bad[i], n);
    }
    /* NUL inside the target (strlen would stop at it) */
    static const char nul[] = "GET /a\0b HTTP/1.1\r\n\r\n";
    http_request r;
    assert_int_equal(httpParseRequest(nul, sizeof nul - 1, &r), HTTP_PARSE_ERROR);
}

static void test_header_errors(void **state) {
    (void)state;
    static const char *bad[] = {
        "GET / HTTP/1.1\r\nNoColon\r\n\r\n",
        "GET / HTTP/1.1\r\nName : v\r\n\r\n",
        "GET / HTTP/1.1\r\n: v\r\n\r\n",
        "GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n",   /* obs-fold */
        "GET / HTTP/1.1\r\nA: b\r\n\tc\r\n\r\n",  /* obs-fold with tab */
        "GET / HTTP/1.1\r\n Host: x\r\n\r\n",     /* space before first header */
        "GET / HTTP/1.1\r\nA(b: v\r\n\r\n",
        "GET / HTTP/1.1\r\nA: b\x01 c\r\n\r\n",
        "GET / HTTP/1.1\r\nA: b\rc\r\n\r\n",
        "GET / HTTP/1.1\r\nA: b\x7f\r\n\r\n",
        "GET / HTTP/1.1\r\nA: b\r\r\n\r\n",
        "GET / HTTP/1.1\r\n\r\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int n = parseErr(bad[i]);
        if (n != HTTP_PARSE_ERROR) fail_msg("case %zu: %s -> %d", i, bad[i], n);
    }
}

static int parseCl(const char *value, http_request *r) {
    char req[256];
    snprintf(req, sizeof req, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %s\r\n\r\n", value);
    return parse(req, r);
}

static void test_content_length(void **state) {
    (void)state;
    static const char *bad[] = {"-1", "1a", "99999999999999999999", "", "+1",
                                "1 2", "0x10", "1,1", "1000000000001",
                                "18446744073709551616"};
    http_request r;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (parseCl(bad[i], &r) != HTTP_PARSE_BAD_LENGTH) fail_msg("CL '%s' accepted", bad[i]);
    assert_true(parseCl("0", &r) > 0);
    assert_true(r.has_content_length);
    assert_int_equal(r.content_length, 0);
    assert_true(parseCl("1000000000000", &r) > 0);
    assert_int_equal(r.content_length, 1000000000000ULL);
    assert_true(parseCl("007", &r) > 0);
    assert_int_equal(r.content_length, 7);
    assert_true(parseCl("  42  ", &r) > 0);
    assert_int_equal(r.content_length, 42);
}

static void test_content_length_duplicates(void **state) {
    (void)state;
    http_request r;
    assert_int_equal(parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                           "content-length: 6\r\n\r\n", &r),
                     HTTP_PARSE_BAD_LENGTH);
    /* refused at the second line, before the head is complete */
    assert_int_equal(parseErr("POST / HTTP/1.1\r\nContent-Length: 0\r\nContent-Length: 60\r\n"),
                     HTTP_PARSE_BAD_LENGTH);
    assert_int_equal(parseErr("POST / HTTP/1.0\r\nContent-Length: 1\r\nContent-Length: 01\r\n"
                              "Content-Length: 2\r\n\r\n"),
                     HTTP_PARSE_BAD_LENGTH);
    const char *same = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nCONTENT-LENGTH: 5\r\n\r\n";
    assert_int_equal(parse(same, &r), (int)strlen(same));
    assert_int_equal(r.content_length, 5);
}

/* --- framing against request smuggling (RFC 9112 6.1, 6.3, 3.2) --------- */

/* POST / HTTP/1.1 with Host and the given header lines. */
static int parseWith(const char *lines, http_request *r) {
    static char req[512];
    snprintf(req, sizeof req, "POST / HTTP/1.1\r\nHost: x\r\n%s\r\n", lines);
    return parse(req, r);
}

static void test_transfer_encoding_any_value(void **state) {
    (void)state;
    /* the flag says the header is there, whatever it holds: the API
     * implements no coding, and one it ignored would smuggle the body */
    static const char *present[] = {
        "Transfer-Encoding: chunked\r\n",
        "Transfer-Encoding: gzip\r\n",
        "Transfer-Encoding: gzip, chunked\r\n",
        "Transfer-Encoding: chunked, gzip\r\n",
        "Transfer-Encoding: identity\r\n",
        "Transfer-Encoding: chunked;foo=bar\r\n",
        "Transfer-Encoding: xchunked\r\n",
        "Transfer-Encoding:\r\n",
        "Transfer-Encoding: \t \r\n",
        "transfer-encoding: CHUNKED\r\n",
        "TRANSFER-ENCODING:\t chunked \t\r\n",
        "tRaNsFeR-eNcOdInG: gzip\r\n",
        "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n",
        "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
        "X-A: 1\r\nTransfer-Encoding: gzip\r\nX-B: 2\r\n",
    };
    http_request r;
    for (size_t i = 0; i < sizeof present / sizeof present[0]; i++) {
        int n = parseWith(present[i], &r);
        if (n <= 0 || !r.transfer_encoding) fail_msg("case %zu: %s -> %d", i, present[i], n);
        assert_false(r.has_content_length);
    }
    static const char *absent[] = {"", "Transfer-Encodings: chunked\r\n",
                                   "Transfer-Encodin: chunked\r\n", "X-Transfer-Encoding: gzip\r\n",
                                   "TE: chunked\r\n"};
    for (size_t i = 0; i < sizeof absent / sizeof absent[0]; i++) {
        assert_true(parseWith(absent[i], &r) > 0);
        if (r.transfer_encoding) fail_msg("case %zu: %s taken for Transfer-Encoding", i, absent[i]);
    }
    /* HTTP/1.0 too, and the flag survives a re-parse after PARTIAL */
    const char *req = "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n";
    assert_int_equal(parse(req, &r), (int)strlen(req));
    assert_true(r.transfer_encoding);
    checkEveryPrefix(req, strlen(req));
    /* a malformed name is no Transfer-Encoding: the line is refused */
    assert_int_equal(parseWith("Transfer-Encoding : chunked\r\n", &r), HTTP_PARSE_ERROR);
}

static void test_content_length_with_transfer_encoding(void **state) {
    (void)state;
    static const char *both[] = {
        "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n",
        "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n",
        "Content-Length: 3\r\nTransfer-Encoding: gzip\r\n",
        "Transfer-Encoding: gzip\r\nContent-Length: 0\r\n",
        "Content-Length: 3\r\nTransfer-Encoding: identity\r\n",
        "Content-Length: 3\r\nTransfer-Encoding:\r\n",
        "Content-Length: 3\r\nContent-Length: 3\r\ntransfer-encoding: CHUNKED\r\n",
    };
    http_request r;
    for (size_t i = 0; i < sizeof both / sizeof both[0]; i++) {
        int n = parseWith(both[i], &r);
        if (n != HTTP_PARSE_BAD_LENGTH) fail_msg("case %zu: %s -> %d", i, both[i], n);
    }
    assert_int_equal(parse("POST / HTTP/1.0\r\nContent-Length: 1\r\nTransfer-Encoding: gzip\r\n\r\n",
                           &r),
                     HTTP_PARSE_BAD_LENGTH);
}

static void test_host_required_on_http11(void **state) {
    (void)state;
    http_request r;
    assert_int_equal(parse("GET / HTTP/1.1\r\n\r\n", &r), HTTP_PARSE_BAD_HOST);
    assert_int_equal(parse("POST /pessoas HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}", &r),
                     HTTP_PARSE_BAD_HOST);
    assert_int_equal(parse("GET / HTTP/1.1\r\nHostname: x\r\nX-Host: y\r\n\r\n", &r),
                     HTTP_PARSE_BAD_HOST);
    /* only known at the blank line: every shorter prefix is PARTIAL */
    const char *no_host = "GET / HTTP/1.1\r\nA: b\r\n\r\n";
    for (size_t i = 0; i < strlen(no_host); i++)
        assert_int_equal(httpParseRequest(no_host, i, &r), HTTP_PARSE_PARTIAL);
    /* HTTP/1.0 may omit it; an empty value is allowed (RFC 9112 3.2) */
    const char *ok[] = {"GET / HTTP/1.0\r\n\r\n", "GET / HTTP/1.1\r\nHost:\r\n\r\n",
                        "GET / HTTP/1.1\r\nhOsT: api:9999\r\n\r\n",
                        "GET / HTTP/1.0\r\nHost: x\r\n\r\n"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        assert_int_equal(parse(ok[i], &r), (int)strlen(ok[i]));
}

static void test_host_repeated(void **state) {
    (void)state;
    static const char *bad[] = {
        "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\nHOST:\r\n\r\n",
        "GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n",
        /* refused at the second Host, before the head is complete */
        "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int n = parseErr(bad[i]);
        if (n != HTTP_PARSE_BAD_HOST) fail_msg("case %zu: %s -> %d", i, bad[i], n);
    }
}

static void test_expect_continue(void **state) {
    (void)state;
    http_request r;
    assert_true(parse("POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-Continue\r\n\r\n", &r) > 0);
    assert_true(r.expect_continue);
    assert_true(parse("POST / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n", &r) > 0);
    assert_false(r.expect_continue);
    assert_true(parse("POST / HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\n\r\n", &r) > 0);
    assert_false(r.expect_continue);
}

/* --- Connection ----------------------------------------------------------- */

static bool keepAlive(const char *version, const char *conn) {
    char req[256];
    if (conn)
        snprintf(req, sizeof req, "GET / HTTP/%s\r\nHost: x\r\nConnection: %s\r\n\r\n", version,
                 conn);
    else
        snprintf(req, sizeof req, "GET / HTTP/%s\r\nHost: x\r\n\r\n", version);
    http_request r;
    assert_int_equal(parse(req, &r), (int)strlen(req));
    return r.keep_alive;
}

static void test_connection(void **state) {
    (void)state;
    assert_true(keepAlive("1.1", NULL));
    assert_false(keepAlive("1.1", "close"));
    assert_false(keepAlive("1.1", "CLOSE"));
    assert_true(keepAlive("1.1", "keep-alive"));
    assert_false(keepAlive("1.1", "Upgrade, close"));
    assert_true(keepAlive("1.1", "closed"));
    assert_false(keepAlive("1.0", NULL));
    assert_false(keepAlive("1.0", "close"));
    assert_true(keepAlive("1.0", "keep-alive"));
    assert_true(keepAlive("1.0", "Keep-Alive"));
    assert_true(keepAlive("1.0", "foo , keep-alive ,bar"));
    assert_false(keepAlive("1.0", "keep-alive, close"));
    assert_false(keepAlive("1.0", "keep-alives"));
}

/* --- header limit --------------------------------------------------------- */

/* A head of `count` headers: Host, then fillers X-H0, X-H1... */
static void buildHeaders(char *out, size_t cap, int count) {
    size_t off = (size_t)snprintf(out, cap, "GET / HTTP/1.1\r\nHost: x\r\n");
    for (int i = 0; i < count - 1; i++)
        off += (size_t)snprintf(out + off, cap - off, "X-H%d: %d\r\n", i, i);
    snprintf(out + off, cap - off, "\r\n");
}

static void test_too_many_headers(void **state) {
    (void)state;
    char req[4096];
    http_request r;
    buildHeaders(req, sizeof req, HTTP_MAX_HEADERS);
    assert_int_equal(parse(req, &r), (int)strlen(req));
    assert_int_equal(r.num_headers, HTTP_MAX_HEADERS);
    assertSliceStr(r.headers[HTTP_MAX_HEADERS - 1].name, "X-H30");
    buildHeaders(req, sizeof req, HTTP_MAX_HEADERS + 1);
    assert_int_equal(parse(req, &r), HTTP_PARSE_TOO_MANY_HEADERS);
    buildHeaders(req, sizeof req, 100);
    assert_int_equal(parse(req, &r), HTTP_PARSE_TOO_MANY_HEADERS);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_with_query),
        cmocka_unit_test(test_post_with_body),
        cmocka_unit_test(test_empty_query_and_question_mark),
        cmocka_unit_test(test_methods),
        cmocka_unit_test(test_lf_only),
        cmocka_unit_test(test_header_whitespace_trimmed),
        cmocka_unit_test(test_header_get),
        cmocka_unit_test(test_leading_empty_lines_skipped),
        cmocka_unit_test(test_every_prefix_partial),
        cmocka_unit_test(test_error_detected_early),
        cmocka_unit_test(test_pipelined),
        cmocka_unit_test(test_pipelined_gets),
        cmocka_unit_test(test_body_split),
        cmocka_unit_test(test_request_line_errors),
        cmocka_unit_test(test_header_errors),
        cmocka_unit_test(test_content_length),
        cmocka_unit_test(test_content_length_duplicates),
        cmocka_unit_test(test_transfer_encoding_any_value),
        cmocka_unit_test(test_content_length_with_transfer_encoding),
        cmocka_unit_test(test_host_required_on_http11),
        cmocka_unit_test(test_host_repeated),
        cmocka_unit_test(test_expect_continue),
        cmocka_unit_test(test_connection),
        cmocka_unit_test(test_too_many_headers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
