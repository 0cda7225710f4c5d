/* server.h - accept connections and move bytes; protocols do the rest.
 *
 * Both bardo servers (the HTTP API and the store) are one event loop over
 * a fixed pool of connections. This module owns what they share:
 *   - accepting into a pooled `server_conn` (no malloc per connection once
 *     the pool's buffers are warm),
 *   - reading into `c->in` and handing it to the protocol's on_data(),
 *   - buffering replies in `c->out` and flushing every dirty connection
 *     once per loop turn (pipelined replies leave in one write),
 *   - backpressure: while a client does not drain its replies, or while the
 *     protocol pauses it, nothing more is read from it,
 *   - timeouts: idle connections, and protocol-set deadlines (a request
 *     that takes too long to arrive), swept once a second,
 *   - TLS when serverUseTls() gave a context (core/tls.h): the handshake
 *     runs first, then the same reads and writes go through OpenSSL; the
 *     protocol above sees the same plaintext bytes either way.
 * A connection's `gen` changes every time its slot is reused, so code that
 * answers later (after a store round trip) can tell it is still the same. */
#ifndef BARDO_SERVER_H
#define BARDO_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/ev.h"
#include "core/tls.h"

typedef struct server server;
typedef struct server_conn server_conn;

typedef struct server_ops {
    /* New bytes are in c->in. Return false to close the connection now. */
    bool (*on_data)(server_conn *c);
    /* Called once as a connection closes, before its slot is reused. */
    void (*on_close)(server_conn *c);
    /* Called once a connection is accepted, before any byte is read (NULL:
     * nothing to do); it may set a deadline, or close another connection. */
    void (*on_open)(server_conn *c);
} server_ops;

struct server_conn {
    ev_watch watch;
    server *srv;
    buf in, out;
    uint64_t last_active_ms;
    uint64_t deadline_ms;   /* 0: none; set by the protocol */
    uint32_t gen;
    bool open, dirty, paused, writing, close_after_flush;
    tls_conn *tls;          /* NULL: plaintext */
    server_conn *next;      /* free list or dirty list */
    void *user;             /* the protocol's per-connection state */
};

struct server {
    ev_loop *loop;
    ev_watch listener;
    const server_ops *ops;
    void *ctx;
    server_conn *conns;
    size_t max_conns, open_conns;
    server_conn *free_list, *dirty_list;
    uint64_t idle_ms;       /* close connections silent this long; 0: never */
    uint64_t accepted;
    tls_ctx *tls;           /* set: every connection speaks TLS */
    uint64_t tls_refused;   /* handshakes that failed */
};

/* Listens on addr and serves it from `loop`. 0 or -errno. */
int serverStart(server *s, ev_loop *loop, const char *addr,
                const server_ops *ops, size_t max_conns, void *ctx);
/* From now on, connections accepted speak TLS with ctx (a server
 * context; the caller keeps it and frees it after serverStop). */
void serverUseTls(server *s, tls_ctx *ctx);
/* Closes every connection and the listener. */
void serverStop(server *s);
/* Queues c->out to be flushed before the loop sleeps. */
void serverMarkDirty(server_conn *c);
/* Flush what is queued, then close. */
void serverCloseAfterFlush(server_conn *c);
void serverClose(server_conn *c);
/* Stop or resume reading from c (the protocol is busy with it). */
void serverPause(server_conn *c);
void serverResume(server_conn *c);

#endif
