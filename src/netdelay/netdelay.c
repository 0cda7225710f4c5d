/* netdelay.c - the delay line (see netdelay.h): a fixed-size ring whose
 * entries are in arrival order and therefore in due-time order. */
#include "netdelay/netdelay.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int netdelayInit(netdelay *q, uint32_t cap, uint64_t delay_ns) {
    memset(q, 0, sizeof(*q));
    if (cap == 0) return -EINVAL;
    q->ring = calloc(cap, sizeof(*q->ring));
    if (!q->ring) return -ENOMEM;
    q->cap = cap;
    q->delay_ns = delay_ns;
    return 0;
}

void netdelayFree(netdelay *q) {
    free(q->ring);
    memset(q, 0, sizeof(*q));
}

int netdelayPush(netdelay *q, uint32_t id, uint64_t now_ns) {
    if (q->len == q->cap) {
        q->overflowed++;
        return -ENOBUFS;
    }
    uint64_t due = now_ns + q->delay_ns;
    /* A clock that stepped back must not let this packet overtake the
     * previous one: the ring's order is the release order. */
    if (q->held > 0 && due < q->last_due_ns) due = q->last_due_ns;
    q->last_due_ns = due;
    uint32_t tail = (q->head + q->len) % q->cap;
    q->ring[tail] = (netdelay_entry){.due_ns = due, .id = id};
    q->len++;
    q->held++;
    if (q->len > q->max_len) q->max_len = q->len;
    return 0;
}

bool netdelayNextDue(const netdelay *q, uint64_t *due_ns) {
    if (q->len == 0) return false;
    *due_ns = q->ring[q->head].due_ns;
    return true;
}

static uint32_t netdelayPopWhile(netdelay *q, bool all, uint64_t now_ns, uint32_t *last_id) {
    uint32_t n = 0;
    while (q->len > 0 && (all || q->ring[q->head].due_ns <= now_ns)) {
        *last_id = q->ring[q->head].id;
        q->head = (q->head + 1) % q->cap;
        q->len--;
        n++;
    }
    q->released += n;
    return n;
}

uint32_t netdelayPopDue(netdelay *q, uint64_t now_ns, uint32_t *last_id) {
    return netdelayPopWhile(q, false, now_ns, last_id);
}

uint32_t netdelayDrain(netdelay *q, uint32_t *last_id) {
    return netdelayPopWhile(q, true, 0, last_id);
}
