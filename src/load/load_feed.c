/* load_feed.c - circular TSV feeders and the procedural payload source.
 * See load_feed.h. */
#include "load/load_feed.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t loadUrlEncode(const char *in, size_t n, char *out) {
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in[i];
        bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.' || c == '_' || c == '~';
        if (keep) {
            out[o++] = (char)c;
        } else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    return o;
}

/* Counts the lines after the header, to size the index. */
static size_t countLines(const char *t, size_t n) {
    size_t lines = 1;
    for (size_t i = 0; i < n; i++) lines += t[i] == '\n';
    return lines;
}

/* Appends one line (trailing '\r' dropped) to the feeder's block. */
static void addLine(load_feed *f, size_t *used, const char *p, size_t len, bool encode) {
    if (len > 0 && p[len - 1] == '\r') len--;
    if (len == 0) return;
    f->off[f->n] = (uint32_t)*used;
    if (encode) {
        f->len[f->n] = (uint32_t)loadUrlEncode(p, len, f->data + *used);
    } else {
        memcpy(f->data + *used, p, len);
        f->len[f->n] = (uint32_t)len;
    }
    *used += f->len[f->n];
    f->n++;
}

int loadFeedFromBuffer(load_feed *f, const char *text, size_t n, bool encode) {
    *f = (load_feed){0};
    size_t lines = countLines(text, n);
    if (n > UINT32_MAX / 3) return -EFBIG;
    f->data = malloc(encode ? 3 * n + 1 : n + 1);
    f->off = malloc(lines * sizeof *f->off);
    f->len = malloc(lines * sizeof *f->len);
    if (!f->data || !f->off || !f->len) {
        loadFeedFree(f);
        return -ENOMEM;
    }
    const char *p = text, *end = text + n;
    const char *nl = memchr(p, '\n', n);
    p = nl ? nl + 1 : end; /* skip the header */
    size_t used = 0;
    while (p < end) {
        nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        addLine(f, &used, p, (size_t)(e - p), encode);
        p = e + 1;
    }
    if (f->n == 0) {
        loadFeedFree(f);
        return -ENODATA;
    }
    return 0;
}

int loadFeedOpen(load_feed *f, const char *path, bool encode) {
    FILE *fp = fopen(path, "rb");
    if (!fp) return -errno;
    char *text = NULL;
    size_t cap = 0, n = 0, got;
    int rc = 0;
    do {
        if (cap - n < 65536) {
            char *t = realloc(text, cap = cap * 2 + 65536);
            if (!t) { rc = -ENOMEM; break; }
            text = t;
        }
        got = fread(text + n, 1, cap - n, fp);
        n += got;
    } while (got > 0);
    if (rc == 0 && ferror(fp)) rc = -EIO;
    fclose(fp);
    if (rc == 0) rc = loadFeedFromBuffer(f, text, n, encode);
    free(text);
    return rc;
}

void loadFeedFree(load_feed *f) {
    free(f->data);
    free(f->off);
    free(f->len);
    *f = (load_feed){0};
}

const char *loadFeedNext(load_feed *f, size_t *len) {
    size_t i = f->next;
    f->next = i + 1 == f->n ? 0 : i + 1;
    f->served++;
    *len = f->len[i];
    return f->data + f->off[i];
}
