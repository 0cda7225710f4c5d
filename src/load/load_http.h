/* load_http.h - the load tool's side of HTTP/1.1: requests out, responses in.
 *
 * Responses are parsed incrementally from whatever read() returned, one
 * state per connection and no copy of the body: the parser keeps the status,
 * the Location header, whether the server will close, and at most the
 * first LOAD_BODY_KEEP bytes of the body (the /contagem-pessoas count);
 * the rest is skipped by Content-Length or by the chunked framing. Header
 * lines longer than LOAD_LINE_MAX are skipped whole (none that matters is
 * that long). Responses without a length that end at close are not used by
 * any endpoint here and count as errors. */
#ifndef BARDO_LOAD_HTTP_H
#define BARDO_LOAD_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LOAD_LINE_MAX 192
#define LOAD_BODY_KEEP 32

typedef enum {
    LR_STATUS, LR_HEADERS, LR_BODY, LR_CHUNK_SIZE, LR_CHUNK_DATA, LR_CHUNK_CRLF,
    LR_TRAILER, LR_DONE
} load_resp_state;

typedef struct load_resp {
    uint8_t state;
    bool chunked, close, line_skip;
    uint16_t status;
    uint16_t line_len;
    uint8_t body_len;
    uint64_t remain; /* body or chunk bytes still to come */
    char line[LOAD_LINE_MAX];
    char location[LOAD_LINE_MAX];
    char body[LOAD_BODY_KEEP];
} load_resp;

void loadRespReset(load_resp *r);
/* Feeds n bytes; *used says how many were consumed. Returns 1 when the
 * response is complete (bytes after it belong to the next one), 0 when it
 * needs more, -1 on a malformed response. */
int loadRespFeed(load_resp *r, const char *p, size_t n, size_t *used);

/* Writes a request into out (cap bytes). body may be NULL. Returns its
 * length, or 0 if it does not fit. */
size_t loadReqBuild(char *out, size_t cap, const char *method, const char *path,
                    size_t path_len, const char *host, const char *body, size_t body_len);

#endif
