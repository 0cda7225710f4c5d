/* netdelay_nfq.h - bardo-netdelay's link to the kernel: an NFQUEUE queue
 * whose packets go through the delay line (netdelay.h).
 *
 * iptables sends packets to queue N (`-j NFQUEUE --queue-num N`); the
 * kernel keeps each one and passes us only its metadata (NFQNL_COPY_META:
 * a verdict needs nothing but the id). We note the id with a due time, and
 * a timerfd armed for the oldest packet's due time wakes the epoll loop
 * (core/ev.h) to accept every packet that is due with one batch verdict
 * ("all ids up to this one"): no sleep per packet, no thread. The queue is
 * fail-open: if the kernel's queue or ours is full, packets pass at once
 * rather than being dropped. SIGTERM or SIGINT accept everything held,
 * then unbind. */
#ifndef BARDO_NETDELAY_NFQ_H
#define BARDO_NETDELAY_NFQ_H

#include <stdint.h>

typedef struct netdelay_opts {
    uint16_t queue_num;  /* the NFQUEUE number (iptables --queue-num) */
    uint32_t delay_us;   /* added to every packet */
    uint32_t max_queue;  /* packets held at once; beyond, passed at once */
} netdelay_opts;

/* Binds the queue and delays its packets until SIGTERM/SIGINT. Logs what
 * it did on exit. Returns 0, or -errno if the queue cannot be bound (not
 * root, queue taken, no nfnetlink_queue) or epoll fails. */
int netdelayNfqRun(const netdelay_opts *o);

#endif
