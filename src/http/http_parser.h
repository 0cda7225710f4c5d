/* http_parser.h - zero-copy HTTP/1.x request-head parser.
 *
 * picohttpparser's model: the caller keeps reading into one buffer and calls
 * httpParseRequest() on all of it until the head is complete. Nothing is
 * copied or allocated: every field is a slice into the caller's buffer, valid
 * as long as the buffer is. Only the request line and headers are parsed; the
 * body (content_length bytes after the returned length) is the caller's.
 *
 * The parser keeps no state between calls, so the caller must bound the head
 * size itself (e.g. answer 431 / close when PARTIAL with more than 8 KiB). */
#ifndef BARDO_HTTP_PARSER_H
#define BARDO_HTTP_PARSER_H

#include <stdbool.h>
#include <stddef.h>

#include "core/slice.h"

#define HTTP_MAX_HEADERS 32
/* Upper bound accepted for Content-Length. */
#define HTTP_MAX_CONTENT_LENGTH 1000000000000ULL

enum {
    HTTP_PARSE_ERROR = -1,
    HTTP_PARSE_PARTIAL = -2,
    HTTP_PARSE_TOO_MANY_HEADERS = -3,
};

typedef struct http_header {
    slice name, value; /* value has surrounding spaces/tabs trimmed */
} http_header;

typedef enum {
    HTTP_GET,
    HTTP_POST,
    HTTP_HEAD,
    HTTP_PUT,
    HTTP_DELETE,
    HTTP_OTHER
} http_method;

typedef struct http_request {
    http_method method; /* methods are case-sensitive: "get" is HTTP_OTHER */
    slice method_text;
    slice target; /* as sent: path plus optional ?query */
    slice path;   /* target up to the first '?' */
    slice query;  /* after the first '?'; ptr NULL (len 0) when there is no '?' */
    int minor_version; /* 0 or 1 */
    http_header headers[HTTP_MAX_HEADERS];
    size_t num_headers;
    size_t content_length; /* 0 when absent */
    bool has_content_length;
    bool keep_alive; /* 1.1: true unless Connection: close; 1.0: only with keep-alive */
    bool chunked;    /* Transfer-Encoding lists chunked */
    bool expect_continue; /* Expect: 100-continue on an HTTP/1.1 request */
} http_request;

/* Parses the request line and headers in buf[0..len). Returns the number of
 * bytes of the header block (through the blank line, including any empty
 * lines skipped before the request line) when complete, HTTP_PARSE_PARTIAL
 * when more bytes are needed, HTTP_PARSE_ERROR on a malformed request,
 * HTTP_PARSE_TOO_MANY_HEADERS past HTTP_MAX_HEADERS. Never reads past len.
 * Calling again with a longer buffer after PARTIAL gives the same result as
 * a single call on the whole buffer. *req is only meaningful on success. */
int httpParseRequest(const char *buf, size_t len, http_request *req);

/* The value of the first header called `name` (ASCII case-insensitive), or
 * an empty slice with ptr NULL when there is none. */
slice httpHeaderGet(const http_request *r, const char *name);

#endif
