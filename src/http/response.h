/* response.h - writing HTTP/1.1 responses into a connection's output.
 *
 * Responses are small and built by appending to the output buffer: the
 * status line from a table, the headers a bardo answer needs, the body. */
#ifndef BARDO_HTTP_RESPONSE_H
#define BARDO_HTTP_RESPONSE_H

#include <stdbool.h>

#include "core/buf.h"
#include "core/slice.h"

#define HTTP_CT_JSON "application/json"
#define HTTP_CT_TEXT "text/plain; charset=utf-8"

typedef struct http_head {
    int status;
    const char *content_type;   /* NULL: no body type */
    size_t content_length;
    bool close;                 /* send Connection: close */
    bool keep_alive_10;         /* HTTP/1.0 client asked to keep alive */
    slice extra;                /* whole extra header lines, CRLF-terminated */
} http_head;

/* The reason phrase of a status ("Not Found"), "Unknown" if not in the table. */
const char *httpReason(int status);
int httpWriteHead(buf *out, const http_head *h);
/* Head plus body in one go. */
int httpWriteResponse(buf *out, const http_head *h, slice body);

#endif
