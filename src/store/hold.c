#include "store/hold.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void holdInit(reply_hold *h) { memset(h, 0, sizeof(*h)); }

void holdFree(reply_hold *h) {
    bufFree(&h->pending);
    free(h->q);
    memset(h, 0, sizeof(*h));
}

void holdReset(reply_hold *h) {
    bufReset(&h->pending);
    h->head = h->len = 0;
}

buf *holdTarget(reply_hold *h, buf *out) { return h->len ? &h->pending : out; }

static hold_barrier *holdAt(reply_hold *h, size_t i) {
    return &h->q[(h->head + i) & (h->cap - 1)];
}

static int holdGrow(reply_hold *h) {
    size_t cap = h->cap ? h->cap * 2 : 64;
    hold_barrier *q = malloc(cap * sizeof(*q));
    if (!q) return -ENOMEM;
    for (size_t i = 0; i < h->len; i++) q[i] = *holdAt(h, i);
    free(h->q);
    h->q = q;
    h->cap = cap;
    h->head = 0;
    return 0;
}

int holdWait(reply_hold *h, uint64_t seq, uint64_t now_ms) {
    if (h->len == h->cap && holdGrow(h) < 0) return -ENOMEM;
    *holdAt(h, h->len++) = (hold_barrier){bufUnread(&h->pending), seq, now_ms};
    return 0;
}

/* Moves pending's first n bytes to out; later barriers shift down. */
static int holdMove(reply_hold *h, buf *out, size_t n) {
    if (bufAppend(out, bufReadPtr(&h->pending), n) < 0) return -ENOMEM;
    bufConsume(&h->pending, n);
    for (size_t i = 0; i < h->len; i++) holdAt(h, i)->pos -= n;
    return 0;
}

/* Replaces the first barrier with `reply` and lets its followers go. */
static int holdSettleFirst(reply_hold *h, buf *out, const char *reply) {
    if (holdMove(h, out, holdAt(h, 0)->pos) < 0) return -ENOMEM;
    if (bufAppendStr(out, reply) < 0) return -ENOMEM;
    h->head = (h->head + 1) & (h->cap - 1);
    h->len--;
    /* what follows, up to the next held write (or all of it), is free */
    size_t free_bytes = h->len ? holdAt(h, 0)->pos : bufUnread(&h->pending);
    if (holdMove(h, out, free_bytes) < 0) return -ENOMEM;
    if (h->len == 0) bufReset(&h->pending);
    return 0;
}

int holdRelease(reply_hold *h, buf *out, uint64_t committed) {
    int n = 0;
    while (h->len && holdAt(h, 0)->seq <= committed) {
        if (holdSettleFirst(h, out, "+OK\r\n") < 0) return -ENOMEM;
        n++;
    }
    return n;
}

int holdExpire(reply_hold *h, buf *out, uint64_t deadline_ms, const char *error,
               hold_fail_fn *on_fail, void *ctx) {
    int n = 0;
    while (h->len && holdAt(h, 0)->since_ms < deadline_ms) {
        uint64_t seq = holdAt(h, 0)->seq;
        if (holdSettleFirst(h, out, error) < 0) return -ENOMEM;
        if (on_fail) on_fail(ctx, seq);
        n++;
    }
    return n;
}
