/* netdelay.h - the delay line of bardo-netdelay: packets held for a fixed
 * time, released in arrival order.
 *
 * A ring of (packet id, due time) entries, allocated once. Every packet gets
 * the same delay, so due times only grow along the ring and the oldest entry
 * is always the next one due: releasing is popping a prefix, and one timer
 * armed for the head is enough. A packet that arrives when the ring is full
 * is not held (the caller lets it through at once and it is counted), so
 * memory is bounded whatever the traffic. Pure: no clock, no I/O; callers
 * pass "now" in nanoseconds of any monotonic clock. */
#ifndef BARDO_NETDELAY_H
#define BARDO_NETDELAY_H

#include <stdbool.h>
#include <stdint.h>

typedef struct netdelay_entry {
    uint64_t due_ns;
    uint32_t id;
} netdelay_entry;

typedef struct netdelay {
    netdelay_entry *ring;
    uint32_t cap, head, len;
    uint64_t delay_ns;
    uint64_t last_due_ns;  /* due time of the newest entry ever pushed */
    /* counters */
    uint64_t held, released, overflowed;
    uint32_t max_len;
} netdelay;

/* A delay line of `cap` entries (cap >= 1). 0, -EINVAL or -ENOMEM. */
int netdelayInit(netdelay *q, uint32_t cap, uint64_t delay_ns);
void netdelayFree(netdelay *q);

/* Holds packet `id` seen at `now_ns` until now_ns + delay (never earlier
 * than the packet before it, so order holds even if `now` steps back).
 * 0 if held, -ENOBUFS if full: the caller releases it at once. */
int netdelayPush(netdelay *q, uint32_t id, uint64_t now_ns);

/* The due time of the oldest held packet; false if none is held. */
bool netdelayNextDue(const netdelay *q, uint64_t *due_ns);

/* Releases every packet due at or before `now_ns`, oldest first. Returns
 * how many; *last_id is the id of the newest one released (untouched if
 * none), which is what a batch verdict needs. */
uint32_t netdelayPopDue(netdelay *q, uint64_t now_ns, uint32_t *last_id);

/* Releases everything held, due or not (shutdown). Same contract. */
uint32_t netdelayDrain(netdelay *q, uint32_t *last_id);

#endif
