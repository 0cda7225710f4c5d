#include "core/server.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "core/net.h"

#define SERVER_READ_CHUNK 16384
#define SERVER_BUF_KEEP (64 * 1024) /* larger buffers are freed on close, out once drained */

static void serverOnConn(ev_loop *loop, ev_watch *w, uint32_t events);

static uint32_t serverWantedEvents(const server_conn *c) {
    if (c->tls && !tlsHandshakeDone(c->tls)) return tlsWantsWrite(c->tls) ? EPOLLOUT : EPOLLIN;
    if (c->writing) return EPOLLOUT; /* backpressure: read nothing more */
    return c->paused ? 0 : EPOLLIN;
}

static void serverUpdateEvents(server_conn *c) {
    evModify(c->srv->loop, &c->watch, serverWantedEvents(c));
}

static void serverTrimBuf(buf *b) {
    if (b->cap > SERVER_BUF_KEEP) bufFree(b);
    else bufReset(b);
}

void serverClose(server_conn *c) {
    if (!c->open) return;
    server *s = c->srv;
    if (s->ops->on_close) s->ops->on_close(c);
    evUnwatch(s->loop, &c->watch);
    if (c->tls) {
        tlsShutdown(c->tls);
        tlsConnFree(c->tls);
        c->tls = NULL;
    }
    close(c->watch.fd);
    c->watch.fd = -1;
    c->open = false;
    c->gen++;
    serverTrimBuf(&c->in);
    serverTrimBuf(&c->out);
    if (!c->dirty) { /* a dirty conn is freed by the flush pass */
        c->next = s->free_list;
        s->free_list = c;
    }
    s->open_conns--;
}

/* Writes c->out; true when everything went, false if the socket is full. */
static bool serverWrite(server_conn *c) {
    while (bufUnread(&c->out)) {
        ssize_t n = tlsIoWrite(c->tls, c->watch.fd, bufReadPtr(&c->out), bufUnread(&c->out));
        if (n == -EINTR) continue;
        if (n == -EAGAIN) return false;
        if (n <= 0) {
            serverClose(c);
            return true;
        }
        bufConsume(&c->out, (size_t)n);
    }
    /* drained: a large answer (a search of big people is ~1.6 MB) must not
     * keep its buffer for the life of a keep-alive connection */
    serverTrimBuf(&c->out);
    return true;
}

static void serverFlush(server_conn *c) {
    bool was_writing = c->writing;
    bool done = serverWrite(c);
    if (!c->open) return;
    if (done && c->close_after_flush) {
        serverClose(c);
        return;
    }
    c->writing = !done;
    if (c->writing != was_writing) serverUpdateEvents(c);
}

static void serverFlushDirty(ev_loop *loop, void *data) {
    (void)loop;
    server *s = data;
    while (s->dirty_list) {
        server_conn *c = s->dirty_list;
        s->dirty_list = c->next;
        c->dirty = false;
        if (c->open) serverFlush(c);
        else {
            c->next = s->free_list;
            s->free_list = c;
        }
    }
}

void serverMarkDirty(server_conn *c) {
    if (c->dirty || !c->open) return;
    c->dirty = true;
    c->next = c->srv->dirty_list;
    c->srv->dirty_list = c;
}

void serverCloseAfterFlush(server_conn *c) {
    c->close_after_flush = true;
    serverPause(c);
    serverMarkDirty(c);
}

void serverPause(server_conn *c) {
    if (c->paused || !c->open) return;
    c->paused = true;
    serverUpdateEvents(c);
}

void serverResume(server_conn *c) {
    if (!c->paused || !c->open || c->close_after_flush) return;
    c->paused = false;
    serverUpdateEvents(c);
}

/* The TLS handshake, before any byte reaches the protocol: true once it
 * is done, false while it waits (events re-armed) or after it failed (the
 * connection is closed: a peer the CA did not sign, or plaintext). */
static bool serverHandshake(server_conn *c) {
    if (!c->tls || tlsHandshakeDone(c->tls)) return true;
    int rc = tlsHandshake(c->tls);
    if (rc == -EAGAIN) {
        serverUpdateEvents(c);
        return false;
    }
    if (rc < 0) {
        c->srv->tls_refused++;
        logError("TLS handshake refused: %s", tlsError(c->tls));
        serverClose(c);
        return false;
    }
    serverUpdateEvents(c);
    return true;
}

/* Reads once (level-triggered: fairness between clients), then hands the
 * bytes to the protocol. With TLS, a record larger than the room left may
 * sit decrypted inside OpenSSL where epoll cannot see it: those bytes are
 * taken now (tlsPending). A read that wanted a writable socket (a peer's
 * KeyUpdate while our send buffer is full) is retried at the next event. */
static void serverRead(server_conn *c) {
    if (!serverHandshake(c)) return;
    ssize_t n = tlsIoReadBuf(c->tls, c->watch.fd, &c->in, SERVER_READ_CHUNK);
    if (n < 0) {
        serverClose(c);
        return;
    }
    if (n == 0) return; /* nothing new yet */
    c->last_active_ms = evNowMs(c->srv->loop);
    if (!c->srv->ops->on_data(c)) serverClose(c);
}

static void serverOnConn(ev_loop *loop, ev_watch *w, uint32_t events) {
    (void)loop;
    server_conn *c = w->data;
    if ((events & (EPOLLHUP | EPOLLERR)) && c->paused) {
        serverClose(c); /* gone both ways: nobody left to answer, and a
                         * level-triggered HUP would spin the loop */
        return;
    }
    if (c->tls && !tlsHandshakeDone(c->tls)) {
        serverRead(c); /* the handshake, whichever way it waits */
        return;
    }
    if (events & EPOLLOUT) serverFlush(c);
    if (c->open && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !c->paused) serverRead(c);
}

static void serverOpen(server *s, int fd) {
    server_conn *c = s->free_list;
    if (!c) {
        close(fd); /* pool exhausted: refuse rather than degrade everyone */
        return;
    }
    s->free_list = c->next;
    c->watch = (ev_watch){.fd = fd, .fn = serverOnConn, .data = c};
    c->open = true;
    c->dirty = c->paused = c->writing = c->close_after_flush = false;
    c->deadline_ms = 0;
    c->last_active_ms = evNowMs(s->loop);
    c->tls = NULL;
    if ((s->tls && tlsConnCreate(&c->tls, s->tls, fd, NULL) < 0) ||
        evWatch(s->loop, &c->watch, EPOLLIN) < 0) {
        tlsConnFree(c->tls);
        c->tls = NULL;
        close(fd);
        c->open = false;
        c->next = s->free_list;
        s->free_list = c;
        return;
    }
    s->open_conns++;
    s->accepted++;
    if (s->ops->on_open) s->ops->on_open(c);
}

static void serverOnAccept(ev_loop *loop, ev_watch *w, uint32_t events) {
    (void)loop;
    (void)events;
    server *s = w->data;
    for (int i = 0; i < 64; i++) {
        int fd = netAccept(w->fd);
        if (fd < 0) return;
        serverOpen(s, fd);
    }
}

static bool serverExpired(const server *s, const server_conn *c, uint64_t now) {
    if (c->deadline_ms && now >= c->deadline_ms) return true;
    if (c->paused && !c->close_after_flush) return false; /* busy, not idle */
    return s->idle_ms && now - c->last_active_ms >= s->idle_ms;
}

static void serverSweep(ev_loop *loop, void *data) {
    server *s = data;
    uint64_t now = evNowMs(loop);
    for (size_t i = 0; i < s->max_conns; i++) {
        server_conn *c = &s->conns[i];
        if (c->open && serverExpired(s, c, now)) serverClose(c);
    }
}

int serverStart(server *s, ev_loop *loop, const char *addr,
                const server_ops *ops, size_t max_conns, void *ctx) {
    *s = (server){.loop = loop, .ops = ops, .ctx = ctx, .max_conns = max_conns,
                  .idle_ms = 60000};
    s->conns = calloc(max_conns, sizeof(*s->conns));
    if (!s->conns) return -ENOMEM;
    for (size_t i = max_conns; i-- > 0;) {
        s->conns[i] = (server_conn){.srv = s, .watch.fd = -1, .next = s->free_list};
        s->free_list = &s->conns[i];
    }
    int fd = netListen(addr);
    if (fd < 0) goto err;
    s->listener = (ev_watch){.fd = fd, .fn = serverOnAccept, .data = s};
    int rc = evWatch(loop, &s->listener, EPOLLIN);
    if (rc < 0) {
        close(fd);
        fd = rc;
        goto err;
    }
    evOnBeforeSleep(loop, serverFlushDirty, s);
    evOnTick(loop, 1000, serverSweep, s);
    return 0;
err:
    free(s->conns);
    s->conns = NULL;
    return fd;
}

void serverUseTls(server *s, tls_ctx *ctx) { s->tls = ctx; }

void serverStop(server *s) {
    if (!s->conns) return;
    serverFlushDirty(s->loop, s);
    for (size_t i = 0; i < s->max_conns; i++) {
        serverClose(&s->conns[i]);
        bufFree(&s->conns[i].in);
        bufFree(&s->conns[i].out);
    }
    evRemoveHooks(s->loop, s);
    evUnwatch(s->loop, &s->listener);
    close(s->listener.fd);
    s->listener.fd = -1;
    free(s->conns);
    s->conns = NULL;
}
