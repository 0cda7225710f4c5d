/* slice.h - a borrowed view of bytes: pointer + length, never owning.
 *
 * Parsers in bardo are zero-copy (picohttpparser style): they hand back
 * slices into the caller's buffer instead of copying strings out. */
#ifndef BARDO_SLICE_H
#define BARDO_SLICE_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

typedef struct slice {
    const char *ptr;
    size_t len;
} slice;

#define SLICE_LIT(s) ((slice){(s), sizeof(s) - 1})

static inline slice sliceMake(const char *ptr, size_t len) {
    return (slice){ptr, len};
}

static inline bool sliceEq(slice a, slice b) {
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

static inline bool sliceEqStr(slice a, const char *s) {
    return sliceEq(a, (slice){s, strlen(s)});
}

#endif
