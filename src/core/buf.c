#include "core/buf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int bufInit(buf *b, size_t cap) {
    b->off = b->len = 0;
    b->cap = cap;
    b->data = cap ? malloc(cap) : NULL;
    return (cap && !b->data) ? -ENOMEM : 0;
}

void bufFree(buf *b) {
    free(b->data);
    b->data = NULL;
    b->off = b->len = b->cap = 0;
}

int bufReserve(buf *b, size_t n) {
    if (b->cap - b->len >= n) return 0;
    bufCompact(b);
    if (b->cap - b->len >= n) return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < n) {
        if (cap > SIZE_MAX / 2) return -ENOMEM;
        cap *= 2;
    }
    char *p = realloc(b->data, cap);
    if (!p) return -ENOMEM;
    b->data = p;
    b->cap = cap;
    return 0;
}

int bufAppend(buf *b, const void *p, size_t n) {
    int rc = bufReserve(b, n);
    if (rc < 0) return rc;
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

int bufAppendStr(buf *b, const char *s) { return bufAppend(b, s, strlen(s)); }

int bufAppendSlice(buf *b, slice s) { return bufAppend(b, s.ptr, s.len); }

int bufAppendU64(buf *b, uint64_t v) {
    char tmp[24];
    size_t i = sizeof(tmp);
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return bufAppend(b, tmp + i, sizeof(tmp) - i);
}

void bufCompact(buf *b) {
    if (b->off == 0) return;
    size_t unread = b->len - b->off;
    if (unread) memmove(b->data, b->data + b->off, unread);
    b->off = 0;
    b->len = unread;
}
