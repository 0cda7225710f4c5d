/* http_parser.h - zero-copy HTTP/1.x request-head parser.
 *
 * picohttpparser's model: the caller keeps reading into one buffer and calls
 * httpParseRequest() on all of it until the head is complete. Nothing is
 * copied or allocated: every field is a slice into the caller's buffer, valid
 * as long as the buffer is. Only the request line and headers are parsed; the
 * body (content_length bytes after the returned length) is the caller's.
 *
 * The parser keeps no state between calls, so the caller must bound the head
 * size itself (e.g. answer 431 / close when PARTIAL with more than 8 KiB).
 *
 * Framing is checked here so no caller can get it wrong (RFC 9112 6.1, 6.3,
 * 3.2): a head with an invalid or conflicting Content-Length, Content-Length
 * and Transfer-Encoding together, no Host on HTTP/1.1, or two Host lines is
 * refused with its own code. Transfer codings themselves are not decoded:
 * `transfer_encoding` only says the header is there, and a server that
 * implements none must refuse such a request (501) and close. After any
 * refusal the rest of the input cannot be framed: the caller must close. */
#ifndef BARDO_HTTP_PARSER_H
#define BARDO_HTTP_PARSER_H

#include <stdbool.h>
#include <stddef.h>

#include "core/slice.h"

#define HTTP_MAX_HEADERS 32
/* Upper bound accepted for Content-Length. */
#define HTTP_MAX_CONTENT_LENGTH 1000000000000ULL

enum {
    HTTP_PARSE_ERROR = -1,            /* malformed request line or header line */
    HTTP_PARSE_PARTIAL = -2,          /* the head is not complete yet */
    HTTP_PARSE_TOO_MANY_HEADERS = -3, /* more than HTTP_MAX_HEADERS */
    HTTP_PARSE_BAD_LENGTH = -4,       /* Content-Length invalid, repeated with
                                       * another value, or with Transfer-Encoding */
    HTTP_PARSE_BAD_HOST = -5,         /* HTTP/1.1 without Host, or Host repeated */
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
    bool transfer_encoding; /* a Transfer-Encoding header is present, whatever
                             * its value (even empty); never with Content-Length */
    bool expect_continue; /* Expect: 100-continue on an HTTP/1.1 request */
} http_request;

/* Parses the request line and headers in buf[0..len). Returns the number of
 * bytes of the header block (through the blank line, including any empty
 * lines skipped before the request line) when complete, HTTP_PARSE_PARTIAL
 * when more bytes are needed, or one of the other HTTP_PARSE_* codes above
 * for a head that must be refused (400; 431 for TOO_MANY_HEADERS). A
 * complete HTTP/1.1 head always has exactly one Host; an HTTP/1.0 one has at
 * most one. Never reads past len.
 * Calling again with a longer buffer after PARTIAL gives the same result as
 * a single call on the whole buffer. *req is only meaningful on success. */
int httpParseRequest(const char *buf, size_t len, http_request *req);

/* The value of the first header called `name` (ASCII case-insensitive), or
 * an empty slice with ptr NULL when there is none. */
slice httpHeaderGet(const http_request *r, const char *name);

#endif
