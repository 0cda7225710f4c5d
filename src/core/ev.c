#include "core/ev.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#define EV_BATCH 256
#define EV_HOOKS 64 /* five store nodes in one test loop take ~40 */

typedef struct ev_hook_slot {
    ev_hook *fn;
    void *data;
    uint64_t period_ms, next_ms; /* ticks only */
} ev_hook_slot;

struct ev_loop {
    int epfd;
    bool stop;
    uint64_t now_ms;
    ev_hook_slot tick[EV_HOOKS];
    ev_hook_slot sleep[EV_HOOKS];
    ev_watch signals;
};

uint64_t evClockMs(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

ev_loop *evCreate(void) {
    ev_loop *loop = calloc(1, sizeof(*loop));
    if (!loop) return NULL;
    loop->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (loop->epfd < 0) {
        free(loop);
        return NULL;
    }
    loop->signals.fd = -1;
    loop->now_ms = evClockMs();
    return loop;
}

void evDestroy(ev_loop *loop) {
    if (!loop) return;
    if (loop->signals.fd >= 0) close(loop->signals.fd);
    close(loop->epfd);
    free(loop);
}

static int evCtl(ev_loop *loop, int op, ev_watch *w, uint32_t events) {
    struct epoll_event ev = {.events = events, .data.ptr = w};
    return epoll_ctl(loop->epfd, op, w->fd, &ev) < 0 ? -errno : 0;
}

int evWatch(ev_loop *loop, ev_watch *w, uint32_t events) {
    return evCtl(loop, EPOLL_CTL_ADD, w, events);
}

int evModify(ev_loop *loop, ev_watch *w, uint32_t events) {
    return evCtl(loop, EPOLL_CTL_MOD, w, events);
}

void evUnwatch(ev_loop *loop, ev_watch *w) {
    if (w->fd >= 0) epoll_ctl(loop->epfd, EPOLL_CTL_DEL, w->fd, NULL);
}

static void evAddHook(ev_hook_slot *slots, ev_hook_slot hook) {
    for (int i = 0; i < EV_HOOKS; i++) {
        if (!slots[i].fn) {
            slots[i] = hook;
            return;
        }
    }
    abort(); /* a programming error: raise EV_HOOKS */
}

void evOnTick(ev_loop *loop, int period_ms, ev_hook *fn, void *data) {
    uint64_t period = period_ms > 0 ? (uint64_t)period_ms : 1;
    evAddHook(loop->tick, (ev_hook_slot){fn, data, period, evClockMs() + period});
}

void evOnBeforeSleep(ev_loop *loop, ev_hook *fn, void *data) {
    evAddHook(loop->sleep, (ev_hook_slot){.fn = fn, .data = data});
}

static void evDropHooks(ev_hook_slot *slots, void *data) {
    int kept = 0;
    for (int i = 0; i < EV_HOOKS && slots[i].fn; i++)
        if (slots[i].data != data) slots[kept++] = slots[i];
    for (int i = kept; i < EV_HOOKS; i++) slots[i] = (ev_hook_slot){0};
}

void evRemoveHooks(ev_loop *loop, void *data) {
    evDropHooks(loop->tick, data);
    evDropHooks(loop->sleep, data);
}

static void evRunHooks(ev_loop *loop, ev_hook_slot *slots) {
    for (int i = 0; i < EV_HOOKS && slots[i].fn; i++) slots[i].fn(loop, slots[i].data);
}

static void evOnSignal(ev_loop *loop, ev_watch *w, uint32_t events) {
    (void)events;
    struct signalfd_siginfo si;
    while (read(w->fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) evStop(loop);
}

int evHandleSignals(ev_loop *loop) {
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    signal(SIGPIPE, SIG_IGN);
    if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0) return -errno;
    loop->signals.fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (loop->signals.fd < 0) return -errno;
    loop->signals.fn = evOnSignal;
    return evWatch(loop, &loop->signals, EPOLLIN);
}

/* Milliseconds until the next tick is due (-1: no ticks, sleep until I/O). */
static int evTimeout(const ev_loop *loop) {
    uint64_t next = UINT64_MAX;
    for (int i = 0; i < EV_HOOKS && loop->tick[i].fn; i++)
        if (loop->tick[i].next_ms < next) next = loop->tick[i].next_ms;
    if (next == UINT64_MAX) return -1;
    return next <= loop->now_ms ? 0 : (int)(next - loop->now_ms);
}

static void evRunTicks(ev_loop *loop) {
    for (int i = 0; i < EV_HOOKS && loop->tick[i].fn; i++) {
        ev_hook_slot *t = &loop->tick[i];
        if (loop->now_ms < t->next_ms) continue;
        t->next_ms = loop->now_ms + t->period_ms;
        t->fn(loop, t->data);
    }
}

int evRunOnce(ev_loop *loop, int max_wait_ms) {
    struct epoll_event events[EV_BATCH];
    evRunHooks(loop, loop->sleep);
    int timeout = evTimeout(loop);
    if (max_wait_ms >= 0 && (timeout < 0 || timeout > max_wait_ms)) timeout = max_wait_ms;
    int n = epoll_wait(loop->epfd, events, EV_BATCH, timeout);
    if (n < 0 && errno != EINTR) return -errno;
    loop->now_ms = evClockMs();
    for (int i = 0; i < n; i++) {
        ev_watch *w = events[i].data.ptr;
        if (w->fd >= 0) w->fn(loop, w, events[i].events);
    }
    evRunTicks(loop);
    return n < 0 ? 0 : n;
}

int evRun(ev_loop *loop) {
    loop->stop = false;
    while (!loop->stop) {
        int rc = evRunOnce(loop, -1);
        if (rc < 0) return rc;
    }
    evRunHooks(loop, loop->sleep); /* last flush before exit */
    return 0;
}

void evStop(ev_loop *loop) { loop->stop = true; }

uint64_t evNowMs(const ev_loop *loop) { return loop->now_ms; }
