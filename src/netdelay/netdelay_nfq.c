/* netdelay_nfq.c - NFQUEUE glue for the delay line (see netdelay_nfq.h).
 *
 * Per packet the cost is system calls, so there are few: one recvmmsg
 * takes every queued netlink datagram (one packet each) per wake-up; each
 * goes through nfq_handle_packet to onPacket, which pushes its id. The
 * timerfd is set only when the oldest held packet changes, and never read:
 * setting it again clears its expiry count, so a wake-up of the timer
 * costs one batch verdict and one timerfd_settime. */
#include "netdelay/netdelay_nfq.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netfilter.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <libnetfilter_queue/libnetfilter_queue.h>

#include "core/ev.h"
#include "core/log.h"
#include "netdelay/netdelay.h"

enum {
    NFQ_BATCH = 64,                /* datagrams per recvmmsg */
    NFQ_MSG_MAX = 2048,            /* a meta-only message is ~100-300 bytes */
    NFQ_RCVBUF = 4 << 20,          /* socket buffer: a burst of metadata */
    NFQ_KERNEL_SLACK = 1024,       /* kernel queue = ours + packets not read yet */
};

typedef struct nfq_state {
    netdelay line;
    ev_loop *loop;
    struct nfq_handle *h;
    struct nfq_q_handle *qh;
    ev_watch nl, timer;
    uint64_t now_ns;        /* when the datagram being handled was read */
    uint64_t armed_ns;      /* due time the timer is set for; 0 = disarmed */
    uint64_t enobufs, verdict_errors, truncated;
    struct mmsghdr msgs[NFQ_BATCH];
    struct iovec iovs[NFQ_BATCH];
    char bufs[NFQ_BATCH][NFQ_MSG_MAX];
} nfq_state;

static uint64_t nowNs(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Accepts every packet with an id up to `id` (the kernel's batch verdict). */
static void acceptUpTo(nfq_state *st, uint32_t id) {
    if (nfq_set_verdict_batch(st->qh, id, NF_ACCEPT) < 0) st->verdict_errors++;
}

static void acceptOne(nfq_state *st, uint32_t id) {
    if (nfq_set_verdict(st->qh, id, NF_ACCEPT, 0, NULL) < 0) st->verdict_errors++;
}

/* Points the timer at the oldest held packet, if that changed. */
static void armTimer(nfq_state *st) {
    uint64_t due = 0;
    if (!netdelayNextDue(&st->line, &due)) due = 0;
    if (due == st->armed_ns) return;
    struct itimerspec its = {0};  /* all zero disarms */
    its.it_value.tv_sec = (time_t)(due / 1000000000u);
    its.it_value.tv_nsec = (long)(due % 1000000000u);
    timerfd_settime(st->timer.fd, TFD_TIMER_ABSTIME, &its, NULL);
    st->armed_ns = due;
}

static int onPacket(struct nfq_q_handle *qh, struct nfgenmsg *msg, struct nfq_data *nfa, void *data) {
    (void)qh;
    (void)msg;
    nfq_state *st = data;
    struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
    if (!ph) return 0;
    uint32_t id = ntohl(ph->packet_id);
    if (netdelayPush(&st->line, id, st->now_ns) < 0) acceptOne(st, id);
    return 0;
}

static void initMsgs(nfq_state *st) {
    for (int i = 0; i < NFQ_BATCH; i++) {
        st->iovs[i] = (struct iovec){.iov_base = st->bufs[i], .iov_len = NFQ_MSG_MAX};
        st->msgs[i].msg_hdr = (struct msghdr){.msg_iov = &st->iovs[i], .msg_iovlen = 1};
    }
}

/* Level-triggered: whatever one recvmmsg leaves comes at the next turn. */
static void onNetlink(ev_loop *loop, ev_watch *w, uint32_t events) {
    (void)loop;
    (void)events;
    nfq_state *st = w->data;
    int n = recvmmsg(w->fd, st->msgs, NFQ_BATCH, MSG_DONTWAIT, NULL);
    /* ENOBUFS: the kernel dropped messages. Those packets still wait in
     * the kernel; the next batch verdict ("ids up to ...") frees them. */
    if (n < 0 && errno == ENOBUFS) st->enobufs++;
    if (n <= 0) return;
    st->now_ns = nowNs();
    for (int i = 0; i < n; i++) {
        if (st->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) st->truncated++;
        else nfq_handle_packet(st->h, st->bufs[i], (int)st->msgs[i].msg_len);
    }
    armTimer(st);
}

static void onTimer(ev_loop *loop, ev_watch *w, uint32_t events) {
    (void)loop;
    (void)events;
    nfq_state *st = w->data;
    uint32_t last = 0;
    if (netdelayPopDue(&st->line, nowNs(), &last) > 0) acceptUpTo(st, last);
    /* Always set the timer again (or disarm it): that clears the expiry
     * count, so the fd stops being readable without a read(). */
    st->armed_ns = UINT64_MAX;
    armTimer(st);
}

static void growRcvbuf(int fd) {
    int size = NFQ_RCVBUF;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
}

/* Opens the handle and binds the queue in meta-only, fail-open mode. */
static int bindQueue(nfq_state *st, const netdelay_opts *o) {
    st->h = nfq_open();
    if (!st->h) return errno ? -errno : -EPERM;
    nfq_bind_pf(st->h, AF_INET);  /* a no-op on kernels >= 3.8 */
    st->qh = nfq_create_queue(st->h, o->queue_num, onPacket, st);
    if (!st->qh) return errno ? -errno : -EBUSY;
    if (nfq_set_mode(st->qh, NFQNL_COPY_META, 0) < 0) return -errno;
    nfq_set_queue_maxlen(st->qh, o->max_queue + NFQ_KERNEL_SLACK);
    /* GSO: queue super-packets whole (we never look inside, so the kernel
     * need not segment them first). Older kernels refuse: not fatal. */
    uint32_t flags = NFQA_CFG_F_FAIL_OPEN | NFQA_CFG_F_GSO;
    if (nfq_set_queue_flags(st->qh, flags, flags) < 0)
        logInfo("queue %u: kernel refuses fail-open/GSO flags; going on without", o->queue_num);
    int fd = nfq_fd(st->h);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    growRcvbuf(fd);
    return 0;
}

static int watchAll(nfq_state *st) {
    st->timer.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (st->timer.fd < 0) return -errno;
    st->timer.fn = onTimer;
    st->timer.data = st;
    st->nl.fd = nfq_fd(st->h);
    st->nl.fn = onNetlink;
    st->nl.data = st;
    int rc = evHandleSignals(st->loop);
    if (rc == 0) rc = evWatch(st->loop, &st->timer, EPOLLIN);
    if (rc == 0) rc = evWatch(st->loop, &st->nl, EPOLLIN);
    return rc;
}

/* Accepts everything still held, logs the counters, frees everything. */
static void shutDown(nfq_state *st, const netdelay_opts *o) {
    uint32_t last = 0;
    if (st->qh && netdelayDrain(&st->line, &last) > 0) acceptUpTo(st, last);
    if (st->line.ring)
        logInfo("queue %u: %llu packets delayed %u us, %llu passed at once (full), "
                "at most %u held, %llu netlink overruns, %llu truncated, %llu verdict errors",
                o->queue_num, (unsigned long long)st->line.held, o->delay_us,
                (unsigned long long)st->line.overflowed, st->line.max_len,
                (unsigned long long)st->enobufs, (unsigned long long)st->truncated,
                (unsigned long long)st->verdict_errors);
    if (st->qh) nfq_destroy_queue(st->qh);
    if (st->h) nfq_close(st->h);
    if (st->timer.fd >= 0) close(st->timer.fd);
    if (st->loop) evDestroy(st->loop);
    netdelayFree(&st->line);
}

int netdelayNfqRun(const netdelay_opts *o) {
    nfq_state *st = calloc(1, sizeof(*st));
    if (!st) return -ENOMEM;
    st->timer.fd = -1;
    initMsgs(st);
    int rc = netdelayInit(&st->line, o->max_queue, (uint64_t)o->delay_us * 1000u);
    if (rc < 0) goto err;
    st->loop = evCreate();
    rc = st->loop ? bindQueue(st, o) : -ENOMEM;
    if (rc == 0) rc = watchAll(st);
    if (rc < 0) goto err;
    logInfo("queue %u: delaying every packet by %u us (at most %u held)", o->queue_num,
            o->delay_us, o->max_queue);
    rc = evRun(st->loop);
err:
    shutDown(st, o);
    free(st);
    return rc;
}
