/* load_http.c - incremental HTTP/1.1 response parser and request builder.
 * See load_http.h. */
#include "load/load_http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void loadRespReset(load_resp *r) {
    r->state = LR_STATUS;
    r->chunked = r->close = r->line_skip = false;
    r->status = 0;
    r->line_len = 0;
    r->body_len = 0;
    r->remain = 0;
    r->location[0] = 0;
}

static bool headerIs(const char *line, size_t len, const char *name, const char **val) {
    size_t n = strlen(name);
    if (len <= n || line[n] != ':' || strncasecmp(line, name, n) != 0) return false;
    const char *v = line + n + 1;
    while (*v == ' ' || *v == '\t') v++;
    *val = v;
    return true;
}

/* One complete header line (NUL-terminated, CRLF removed). */
static int headerLine(load_resp *r, const char *line, size_t len) {
    const char *v;
    if (len == 0) { /* end of the head */
        if (r->chunked) r->state = LR_CHUNK_SIZE;
        else r->state = r->remain ? LR_BODY : LR_DONE;
        return 0;
    }
    if (headerIs(line, len, "content-length", &v)) r->remain = strtoull(v, NULL, 10);
    else if (headerIs(line, len, "transfer-encoding", &v)) r->chunked = strcasestr(v, "chunked") != NULL;
    else if (headerIs(line, len, "connection", &v)) r->close = strcasestr(v, "close") != NULL;
    else if (headerIs(line, len, "location", &v)) snprintf(r->location, sizeof r->location, "%s", v);
    return 0;
}

static int statusLine(load_resp *r, const char *line, size_t len) {
    if (len < 12 || strncmp(line, "HTTP/1.", 7) != 0) return -1;
    int code = atoi(line + 9);
    if (code < 100 || code > 999) return -1;
    r->status = (uint16_t)code;
    r->state = LR_HEADERS;
    return 0;
}

static int chunkLine(load_resp *r, const char *line, size_t len) {
    if (r->state == LR_CHUNK_CRLF) {
        r->state = LR_CHUNK_SIZE;
        return len == 0 ? 0 : -1;
    }
    if (r->state == LR_TRAILER) {
        if (len == 0) r->state = LR_DONE;
        return 0;
    }
    char *end;
    r->remain = strtoull(line, &end, 16);
    if (end == line) return -1;
    r->state = r->remain ? LR_CHUNK_DATA : LR_TRAILER;
    return 0;
}

static int onLine(load_resp *r) {
    size_t len = r->line_len;
    if (len && r->line[len - 1] == '\r') len--;
    r->line[len] = 0;
    r->line_len = 0;
    if (r->line_skip) {
        r->line_skip = false;
        return 0;
    }
    if (r->state == LR_STATUS) return statusLine(r, r->line, len);
    if (r->state == LR_HEADERS) return headerLine(r, r->line, len);
    return chunkLine(r, r->line, len);
}

/* Collects line bytes up to '\n'; returns bytes consumed, -1 on error. */
static long feedLine(load_resp *r, const char *p, size_t n) {
    const char *nl = memchr(p, '\n', n);
    size_t take = nl ? (size_t)(nl - p) + 1 : n;
    size_t keep = take - (nl != NULL);
    if (r->line_len + keep >= LOAD_LINE_MAX) {
        r->line_skip = true;
        r->line_len = 0;
    } else {
        memcpy(r->line + r->line_len, p, keep);
        r->line_len += (uint16_t)keep;
    }
    if (nl && onLine(r) < 0) return -1;
    return (long)take;
}

static size_t feedBody(load_resp *r, const char *p, size_t n) {
    size_t take = n < r->remain ? n : (size_t)r->remain;
    size_t room = LOAD_BODY_KEEP - 1 - r->body_len;
    size_t copy = take < room ? take : room;
    memcpy(r->body + r->body_len, p, copy);
    r->body_len += (uint8_t)copy;
    r->body[r->body_len] = 0;
    r->remain -= take;
    if (r->remain == 0) r->state = r->state == LR_BODY ? LR_DONE : LR_CHUNK_CRLF;
    return take;
}

int loadRespFeed(load_resp *r, const char *p, size_t n, size_t *used) {
    size_t i = 0;
    while (i < n && r->state != LR_DONE) {
        if (r->state == LR_BODY || r->state == LR_CHUNK_DATA) {
            i += feedBody(r, p + i, n - i);
            continue;
        }
        long k = feedLine(r, p + i, n - i);
        if (k < 0) return -1;
        i += (size_t)k;
    }
    *used = i;
    return r->state == LR_DONE;
}

size_t loadReqBuild(char *out, size_t cap, const char *method, const char *path,
                    size_t path_len, const char *host, const char *body, size_t body_len) {
    int n;
    if (body) {
        n = snprintf(out, cap,
                     "%s %.*s HTTP/1.1\r\nHost: %s\r\nUser-Agent: Agente do Caos - 2023\r\n"
                     "Accept: */*\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                     method, (int)path_len, path, host, body_len);
    } else {
        n = snprintf(out, cap,
                     "%s %.*s HTTP/1.1\r\nHost: %s\r\nUser-Agent: Agente do Caos - 2023\r\n"
                     "Accept: */*\r\n\r\n",
                     method, (int)path_len, path, host);
    }
    if (n < 0 || (size_t)n + body_len > cap) return 0;
    if (body) memcpy(out + n, body, body_len);
    return (size_t)n + body_len;
}
