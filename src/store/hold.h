/* hold.h - replies that wait for replicas, in request order.
 *
 * A write is acknowledged only once K replicas hold it (issue 4), but the
 * API pipelines many commands on one connection and reads its replies in
 * order. So a write's reply cannot be sent yet, and neither can anything
 * after it. A reply_hold keeps, per connection:
 *   - `pending`: replies of commands that came after a held write, and
 *   - a FIFO of barriers: each the position in `pending` where a held
 *     write's reply belongs, and the sequence number it waits for.
 * When the committed sequence number advances, holdRelease() moves every
 * reply up to the first still-unsatisfied barrier into the connection's
 * output, writing each satisfied write's "+OK" in its place. A write that
 * waits too long gets an error in its place instead (holdExpire), and its
 * followers flow again. With nothing held, replies go straight to `out`. */
#ifndef BARDO_HOLD_H
#define BARDO_HOLD_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"

typedef struct hold_barrier {
    size_t pos;        /* in pending, relative to its unread start */
    uint64_t seq;      /* committed once replicas acked this */
    uint64_t since_ms;
} hold_barrier;

typedef struct reply_hold {
    buf pending;
    hold_barrier *q;
    size_t head, len, cap; /* ring; cap a power of 2 */
} reply_hold;

void holdInit(reply_hold *h);
void holdFree(reply_hold *h);
static inline bool holdActive(const reply_hold *h) { return h->len > 0; }
/* Where the next reply must be appended. */
buf *holdTarget(reply_hold *h, buf *out);
/* The reply of the command being run waits for `seq`. 0 or -ENOMEM. */
int holdWait(reply_hold *h, uint64_t seq, uint64_t now_ms);
/* Releases replies whose writes have seq <= committed. Returns how many
 * writes were acknowledged, or -ENOMEM. */
int holdRelease(reply_hold *h, buf *out, uint64_t committed);
/* Fails (with `error`, a RESP error line) every held write older than
 * deadline_ms, releasing what follows; calls on_fail(ctx, seq) for each
 * (NULL: nothing to call). Returns how many failed. */
typedef void hold_fail_fn(void *ctx, uint64_t seq);
int holdExpire(reply_hold *h, buf *out, uint64_t deadline_ms, const char *error,
               hold_fail_fn *on_fail, void *ctx);
/* Drops everything (the connection is gone). */
void holdReset(reply_hold *h);

#endif
