/* load_feed.h - the feeders: lines of a TSV file served in order, wrapping
 * around (Gatling's `tsv(...).circular()`).
 *
 * A file feeder reads the whole file once into one block, drops the header
 * line and keeps an array of (offset, length) per line; next() is an index
 * increment. Search terms are percent-encoded once at load time (as Gatling
 * encodes the URL it builds from "#{t}"), so the hot path only copies.
 * (--procedural replaces the payload file: see load_gen.h.) */
#ifndef BARDO_LOAD_FEED_H
#define BARDO_LOAD_FEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct load_feed {
    char *data;        /* the lines, owned */
    uint32_t *off;     /* start of line i in data */
    uint32_t *len;     /* length of line i, without '\n' */
    size_t n;          /* lines after the header */
    size_t next;       /* next line to serve */
    uint64_t served;   /* total lines served, wraps included */
} load_feed;

/* Reads path; drops the first (header) line and empty lines; encode=true
 * percent-encodes each line for a query string. 0 or -errno (-ENODATA when
 * the file has no line after the header). */
int loadFeedOpen(load_feed *f, const char *path, bool encode);
/* The same from a buffer (tests). */
int loadFeedFromBuffer(load_feed *f, const char *text, size_t n, bool encode);
void loadFeedFree(load_feed *f);
/* The next line, wrapping to the first after the last. */
const char *loadFeedNext(load_feed *f, size_t *len);

/* Percent-encodes in[0..n) for a query string value: unreserved bytes
 * (RFC 3986) stay, others become %XX. out needs 3n bytes. Returns its length. */
size_t loadUrlEncode(const char *in, size_t n, char *out);

#endif
