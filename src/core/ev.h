/* ev.h - a small epoll event loop (the shape of Redis's ae.c).
 *
 * Level-triggered epoll. Each watched fd is an `ev_watch` embedded in its
 * owner's struct; epoll hands the watch back, the watch names its handler.
 * One periodic tick (timeouts, reconnects) and one before-sleep hook (flush
 * every buffered write once per loop turn, so pipelined responses leave in
 * one write) are all bardo needs, so that is all there is. SIGTERM and
 * SIGINT arrive through a signalfd and stop the loop cleanly. */
#ifndef BARDO_EV_H
#define BARDO_EV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>

typedef struct ev_loop ev_loop;
typedef struct ev_watch ev_watch;
typedef void ev_fn(ev_loop *loop, ev_watch *w, uint32_t events);
typedef void ev_hook(ev_loop *loop, void *data);

struct ev_watch {
    int fd;       /* -1 once closed: stale events for it are ignored */
    ev_fn *fn;
    void *data;
};

ev_loop *evCreate(void);
void evDestroy(ev_loop *loop);
/* Start, change or stop watching w->fd for EPOLLIN/EPOLLOUT. 0 or -errno. */
int evWatch(ev_loop *loop, ev_watch *w, uint32_t events);
int evModify(ev_loop *loop, ev_watch *w, uint32_t events);
void evUnwatch(ev_loop *loop, ev_watch *w);
void evOnTick(ev_loop *loop, int period_ms, ev_hook *fn, void *data);
void evOnBeforeSleep(ev_loop *loop, ev_hook *fn, void *data);
/* Forgets every tick and before-sleep hook registered with `data`. */
void evRemoveHooks(ev_loop *loop, void *data);
/* SIGTERM/SIGINT stop the loop; SIGPIPE is ignored. 0 or -errno. */
int evHandleSignals(ev_loop *loop);
/* Runs until evStop(); returns 0, or -errno if epoll fails. */
int evRun(ev_loop *loop);
void evStop(ev_loop *loop);
/* One loop turn: flush hooks, wait at most max_wait_ms (-1: until the next
 * tick), dispatch, run due ticks. Returns events handled or -errno. */
int evRunOnce(ev_loop *loop, int max_wait_ms);
/* Monotonic milliseconds, refreshed once per loop turn. */
uint64_t evNowMs(const ev_loop *loop);
uint64_t evClockMs(void);

#endif
