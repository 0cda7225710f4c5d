/* buf.h - a growable byte buffer with a read cursor.
 *
 * Connections keep one buf for input and one for output for their whole
 * life, so after warm-up the request path allocates nothing: data is
 * appended at `len`, consumed from `off`, and bufCompact() slides the
 * unread tail to the front instead of freeing. Errors are negative errno
 * values (libuv style). */
#ifndef BARDO_BUF_H
#define BARDO_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "core/slice.h"

typedef struct buf {
    char *data;
    size_t off; /* first unread byte */
    size_t len; /* end of valid data */
    size_t cap;
} buf;

int bufInit(buf *b, size_t cap);
void bufFree(buf *b);
/* Makes room for `n` more bytes after len; returns 0 or -ENOMEM. */
int bufReserve(buf *b, size_t n);
int bufAppend(buf *b, const void *p, size_t n);
int bufAppendStr(buf *b, const char *s);
int bufAppendSlice(buf *b, slice s);
/* Appends the decimal form of v. */
int bufAppendU64(buf *b, uint64_t v);
/* Moves unread bytes to the start; resets to empty when all were read. */
void bufCompact(buf *b);
static inline size_t bufUnread(const buf *b) { return b->len - b->off; }
static inline const char *bufReadPtr(const buf *b) { return b->data + b->off; }
static inline void bufConsume(buf *b, size_t n) { b->off += n; }
static inline void bufReset(buf *b) { b->off = b->len = 0; }

#endif
