/* fuzz_http.c - libFuzzer target for the HTTP request parser and url.c.
 *
 * Parses the input and checks the invariants the server relies on: the
 * result is one of the documented codes, the consumed length and every
 * slice lie inside the input, a parsed head never has both Content-Length
 * and Transfer-Encoding and has at most one Host, exactly one on HTTP/1.1
 * (the framing rules against request smuggling), and parsing any prefix
 * (copied to an exact-size block, so ASan sees over-reads) gives PARTIAL or
 * the very same result - the property that makes re-parsing after PARTIAL
 * safe. The query of a parsed request goes through urlQueryParam() and
 * urlDecode(), in place and out of place. Aborts on any violation.
 *
 * clang -fsanitize=fuzzer,address,undefined -std=c17 -D_GNU_SOURCE -Isrc \
 *     fuzz/fuzz_http.c src/http/\*.c -o /tmp/fuzz_http
 * /tmp/fuzz_http -max_total_time=60 fuzz/corpus/http */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/http_parser.h"
#include "http/url.h"

#define CHECK(cond) \
    do {            \
        if (!(cond)) abort(); \
    } while (0)

/* Inputs longer than this get a sample of prefixes instead of all of them. */
#define ALL_PREFIXES_MAX 512

static void checkSlice(slice s, const char *base, size_t size) {
    if (s.ptr == NULL) {
        CHECK(s.len == 0);
        return;
    }
    CHECK(s.ptr >= base && s.ptr <= base + size);
    CHECK(s.len <= (size_t)(base + size - s.ptr));
}

static void checkRequest(const http_request *r, const char *base, size_t size) {
    checkSlice(r->method_text, base, size);
    checkSlice(r->target, base, size);
    checkSlice(r->path, base, size);
    checkSlice(r->query, base, size);
    CHECK(r->method_text.len > 0 && r->target.len > 0 && r->path.len > 0);
    CHECK(r->path.ptr == r->target.ptr && r->path.ptr[0] == '/');
    if (r->query.ptr) CHECK(r->path.len + 1 + r->query.len == r->target.len);
    else CHECK(r->path.len == r->target.len);
    CHECK(r->minor_version == 0 || r->minor_version == 1);
    CHECK(r->num_headers <= HTTP_MAX_HEADERS);
    for (size_t i = 0; i < r->num_headers; i++) {
        checkSlice(r->headers[i].name, base, size);
        checkSlice(r->headers[i].value, base, size);
        CHECK(r->headers[i].name.len > 0);
    }
    CHECK(r->content_length <= HTTP_MAX_CONTENT_LENGTH);
    CHECK(!(r->transfer_encoding && r->has_content_length));
    if (!r->has_content_length) CHECK(r->content_length == 0);
    size_t hosts = 0;
    for (size_t i = 0; i < r->num_headers; i++)
        hosts += r->headers[i].name.len == 4 && strncasecmp(r->headers[i].name.ptr, "host", 4) == 0;
    CHECK(hosts <= 1 && (r->minor_version == 0 || hosts == 1));
}

/* Parses data[0..len) from an exact-size copy and checks it agrees with the
 * full parse (`want`, `full`). */
static void checkPrefix(const uint8_t *data, size_t len, int want, const http_request *full) {
    char *copy = malloc(len ? len : 1);
    CHECK(copy != NULL);
    memcpy(copy, data, len);
    http_request r;
    int n = httpParseRequest(copy, len, &r);
    CHECK(n == HTTP_PARSE_PARTIAL || n == want);
    if (want >= 0) CHECK((n == want) == (len >= (size_t)want));
    if (n >= 0) {
        CHECK(r.num_headers == full->num_headers && r.method == full->method);
        CHECK(r.content_length == full->content_length && r.keep_alive == full->keep_alive);
        CHECK(r.target.len == full->target.len &&
              r.transfer_encoding == full->transfer_encoding);
    }
    free(copy);
}

static void checkPrefixes(const uint8_t *data, size_t size, int want, const http_request *full) {
    if (size <= ALL_PREFIXES_MAX) {
        for (size_t i = 0; i < size; i++) checkPrefix(data, i, want, full);
        return;
    }
    for (size_t i = 0; i < size; i += 1 + size / 64) checkPrefix(data, i, want, full);
    checkPrefix(data, size - 1, want, full);
    if (want >= 0) {
        checkPrefix(data, (size_t)want, want, full);
        if (want > 0) checkPrefix(data, (size_t)want - 1, want, full);
    }
}

static void checkUrl(slice query) {
    if (query.len == 0) return;
    char *out = malloc(query.len);
    CHECK(out != NULL);
    int n = urlDecode(query.ptr, query.len, out);
    CHECK(n >= -1 && n <= (int)query.len);
    memcpy(out, query.ptr, query.len);
    CHECK(urlDecode(out, query.len, out) == n); /* in place agrees */
    slice v;
    if (urlQueryParam(query, "t", &v)) {
        CHECK(v.ptr >= query.ptr && v.ptr + v.len <= query.ptr + query.len);
        n = urlDecode(v.ptr, v.len, out);
        CHECK(n >= -1 && n <= (int)v.len);
    }
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *base = (const char *)data;
    http_request r;
    int n = httpParseRequest(base, size, &r);
    CHECK(n >= HTTP_PARSE_BAD_HOST); /* the lowest code */
    if (n >= 0) {
        CHECK((size_t)n <= size && n > 0);
        checkRequest(&r, base, size);
        checkUrl(r.query);
    }
    checkPrefixes(data, size, n, &r);
    if (n > 0 && (size_t)n < size) { /* a pipelined follower */
        http_request next;
        int m = httpParseRequest(base + n, size - (size_t)n, &next);
        if (m >= 0) checkRequest(&next, base + n, size - (size_t)n);
    }
    return 0;
}
