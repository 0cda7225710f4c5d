#include "store/store_client.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "core/net.h"

#define STORE_FIFO_MIN 1024
#define STORE_READ_CHUNK 65536
#define STORE_AUTH_RETRY_MS 1000 /* after AUTH was refused */

static void storeClientOnEvent(ev_loop *loop, ev_watch *w, uint32_t events);

static int storeFifoPush(store_client *sc, uint64_t tag) {
    if (sc->fifo_len == sc->fifo_cap) {
        size_t cap = sc->fifo_cap ? sc->fifo_cap * 2 : STORE_FIFO_MIN;
        store_pending *f = malloc(cap * sizeof(*f));
        if (!f) return -ENOMEM;
        for (size_t i = 0; i < sc->fifo_len; i++)
            f[i] = sc->fifo[(sc->fifo_head + i) & (sc->fifo_cap - 1)];
        free(sc->fifo);
        sc->fifo = f;
        sc->fifo_cap = cap;
        sc->fifo_head = 0;
    }
    size_t slot = (sc->fifo_head + sc->fifo_len++) & (sc->fifo_cap - 1);
    sc->fifo[slot] = (store_pending){tag, evNowMs(sc->loop)};
    return 0;
}

static uint64_t storeFifoPop(store_client *sc) {
    uint64_t tag = sc->fifo[sc->fifo_head].tag;
    sc->fifo_head = (sc->fifo_head + 1) & (sc->fifo_cap - 1);
    sc->fifo_len--;
    return tag;
}

/* Drops the connection; everyone still waiting gets a NULL reply. */
static void storeClientReset(store_client *sc) {
    tlsConnFree(sc->tc);
    sc->tc = NULL;
    if (sc->watch.fd >= 0) {
        evUnwatch(sc->loop, &sc->watch);
        close(sc->watch.fd);
        sc->watch.fd = -1;
    }
    sc->state = SC_IDLE;
    sc->writing = false;
    bufReset(&sc->in);
    bufReset(&sc->out);
    while (sc->fifo_len) sc->on_reply(sc->ctx, storeFifoPop(sc), NULL);
}

static void storeClientConnect(store_client *sc) {
    int fd = netConnect(sc->addr);
    if (fd < 0) return;
    sc->watch = (ev_watch){.fd = fd, .fn = storeClientOnEvent, .data = sc};
    if (evWatch(sc->loop, &sc->watch, EPOLLOUT) < 0) {
        close(fd);
        sc->watch.fd = -1;
        return;
    }
    sc->state = SC_CONNECTING;
    sc->reconnects++;
}

/* AUTH goes out first; nothing else is queued until its +OK. */
static int storeClientSendAuth(store_client *sc) {
    slice auth[3] = {SLICE_LIT("AUTH"), sliceMake(sc->user, strlen(sc->user)),
                     sliceMake(sc->password, strlen(sc->password))};
    int rc = respWriteCommand(&sc->out, 3, auth);
    sc->auth_sent_ms = evNowMs(sc->loop);
    return rc;
}

/* After the connect, or after the handshake: AUTH first (queued, flushed
 * by storeClientFlush), or ready at once when no user was set. */
static void storeClientLinkUp(store_client *sc) {
    sc->state = sc->user ? SC_AUTHENTICATING : SC_READY;
    if (sc->user && storeClientSendAuth(sc) < 0) {
        storeClientReset(sc);
        return;
    }
    sc->writing = false;
    evModify(sc->loop, &sc->watch, EPOLLIN); /* AUTH leaves at the loop's flush */
}

/* A TLS failure: logged once until the link next comes up, retried in a
 * second (a certificate the CA did not sign stays unsigned). */
static void storeClientTlsFailed(store_client *sc) {
    if (!sc->tls_refused) logError("store %s: TLS: %s", sc->addr, tlsError(sc->tc));
    sc->tls_refused = true;
    sc->retry_at_ms = evNowMs(sc->loop) + STORE_AUTH_RETRY_MS;
    storeClientReset(sc);
}

/* HANDSHAKING: one more step of it. */
static void storeClientHandshake(store_client *sc) {
    int rc = tlsHandshake(sc->tc);
    if (rc == -EAGAIN) {
        evModify(sc->loop, &sc->watch, tlsWantsWrite(sc->tc) ? EPOLLOUT : EPOLLIN);
        return;
    }
    if (rc < 0) {
        storeClientTlsFailed(sc);
        return;
    }
    if (sc->tls_refused) logInfo("store %s: TLS up again", sc->addr);
    sc->tls_refused = false;
    storeClientLinkUp(sc);
}

/* CONNECTING: the connect finished (or failed). Over TCP with a TLS
 * context, the handshake comes next, checking the name dialled. */
static void storeClientConnected(store_client *sc) {
    int err = 0;
    socklen_t len = sizeof(err);
    getsockopt(sc->watch.fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err) {
        storeClientReset(sc);
        return;
    }
    char host[256];
    if (!sc->tls || tlsPeerOfAddr(sc->addr, host, sizeof host) < 0) {
        storeClientLinkUp(sc);
        return;
    }
    if (tlsConnCreate(&sc->tc, sc->tls, sc->watch.fd, host) < 0) {
        storeClientReset(sc);
        return;
    }
    sc->state = SC_HANDSHAKING;
    sc->auth_sent_ms = evNowMs(sc->loop); /* the handshake's deadline too */
    storeClientHandshake(sc);
}

/* AUTHENTICATING: the reply to AUTH. False to reset the link. */
static bool storeClientOnAuthReply(store_client *sc, const resp_reply *r) {
    if (r->type == RESP_SIMPLE && sliceEqStr(r->str, "OK")) {
        if (sc->auth_refused) logInfo("store %s: authenticated as %s again", sc->addr, sc->user);
        sc->auth_refused = false;
        sc->state = SC_READY;
        return true;
    }
    if (!sc->auth_refused) /* the store's words; never the password */
        logError("store %s refused AUTH as %s: %.*s", sc->addr, sc->user,
                 (int)(r->str.len > 80 ? 80 : r->str.len), r->str.ptr);
    sc->auth_refused = true;
    /* a wrong password stays wrong: knock again in a second, not at the
     * next 100 ms tick (the store logs, and delays, every refusal) */
    sc->retry_at_ms = evNowMs(sc->loop) + STORE_AUTH_RETRY_MS;
    return false;
}

static void storeClientDispatch(store_client *sc) {
    while (bufUnread(&sc->in)) {
        resp_reply r;
        int n = respParseReply(bufReadPtr(&sc->in), bufUnread(&sc->in), &r);
        if (n == RESP_PARTIAL) break;
        if (n >= 0 && sc->state == SC_AUTHENTICATING) {
            if (!storeClientOnAuthReply(sc, &r)) {
                storeClientReset(sc);
                return;
            }
            bufConsume(&sc->in, (size_t)n);
            continue;
        }
        if (n < 0 || sc->fifo_len == 0) { /* the store speaks nonsense */
            /* say so: a reset answers every waiting request 503, and it
             * used to happen silently for a search too big to parse */
            logError("store %s: %s reply, resetting the link", sc->addr,
                     n == RESP_TOO_BIG ? "an oversized" : n < 0 ? "a malformed" : "an unasked-for");
            storeClientReset(sc);
            return;
        }
        uint64_t tag = storeFifoPop(sc);
        sc->on_reply(sc->ctx, tag, &r); /* r points into sc->in: use it now */
        bufConsume(&sc->in, (size_t)n);
    }
    bufCompact(&sc->in);
}

/* Reads what is there; with TLS also what OpenSSL already decrypted
 * (tlsPending: epoll would not wake for it). */
static void storeClientRead(store_client *sc) {
    ssize_t n = tlsIoReadBuf(sc->tc, sc->watch.fd, &sc->in, STORE_READ_CHUNK);
    if (n < 0) storeClientReset(sc);
    else if (n > 0) storeClientDispatch(sc);
}

static void storeClientFlush(ev_loop *loop, void *data) {
    (void)loop;
    store_client *sc = data;
    if (sc->state < SC_AUTHENTICATING || !bufUnread(&sc->out)) return;
    ssize_t n = tlsIoWrite(sc->tc, sc->watch.fd, bufReadPtr(&sc->out), bufUnread(&sc->out));
    if (n < 0 && n != -EAGAIN && n != -EINTR) {
        storeClientReset(sc);
        return;
    }
    if (n > 0) bufConsume(&sc->out, (size_t)n);
    bool pending = bufUnread(&sc->out) > 0;
    if (!pending) bufReset(&sc->out);
    if (pending != sc->writing) {
        sc->writing = pending;
        evModify(sc->loop, &sc->watch, EPOLLIN | (pending ? EPOLLOUT : 0));
    }
}

static void storeClientOnEvent(ev_loop *loop, ev_watch *w, uint32_t events) {
    store_client *sc = w->data;
    if (sc->state == SC_CONNECTING) {
        storeClientConnected(sc);
        return;
    }
    if (sc->state == SC_HANDSHAKING) {
        storeClientHandshake(sc);
        return;
    }
    if (events & EPOLLOUT) storeClientFlush(loop, sc);
    if (sc->state >= SC_AUTHENTICATING && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
        storeClientRead(sc);
}

/* Reconnects a lost store; gives up on one that stopped answering. */
static void storeClientTick(ev_loop *loop, void *data) {
    store_client *sc = data;
    if (sc->state == SC_IDLE) {
        if (evNowMs(loop) >= sc->retry_at_ms) storeClientConnect(sc);
        return;
    }
    uint64_t now = evNowMs(loop);
    bool linking = sc->state == SC_HANDSHAKING || sc->state == SC_AUTHENTICATING;
    if (linking && now - sc->auth_sent_ms > sc->timeout_ms)
        storeClientReset(sc);
    else if (sc->fifo_len && now - sc->fifo[sc->fifo_head].sent_ms > sc->timeout_ms)
        storeClientReset(sc);
}

int storeClientInit(store_client *sc, ev_loop *loop, const char *addr,
                    store_reply_fn *on_reply, void *ctx) {
    *sc = (store_client){.loop = loop, .addr = addr, .on_reply = on_reply, .ctx = ctx,
                         .timeout_ms = 5000, .watch.fd = -1};
    if (bufInit(&sc->in, STORE_READ_CHUNK) < 0 || bufInit(&sc->out, STORE_READ_CHUNK) < 0)
        return -ENOMEM;
    evOnBeforeSleep(loop, storeClientFlush, sc);
    evOnTick(loop, 100, storeClientTick, sc);
    storeClientConnect(sc);
    return 0;
}

void storeClientFree(store_client *sc) {
    evRemoveHooks(sc->loop, sc);
    storeClientReset(sc);
    bufFree(&sc->in);
    bufFree(&sc->out);
    free(sc->fifo);
    sc->fifo = NULL;
}

void storeClientSetAuth(store_client *sc, const char *user, const char *password) {
    sc->user = user && password ? user : NULL;
    sc->password = sc->user ? password : NULL;
}

void storeClientSetTls(store_client *sc, tls_ctx *ctx) { sc->tls = ctx; }

bool storeClientReady(const store_client *sc) { return sc->state == SC_READY; }

int storeClientSend(store_client *sc, uint64_t tag, size_t argc, const slice *argv) {
    if (sc->state != SC_READY) return -ENOTCONN;
    int rc = respWriteCommand(&sc->out, argc, argv);
    if (rc < 0) return rc;
    return storeFifoPush(sc, tag);
}

int storeClientSendRaw(store_client *sc, uint64_t tag, slice command) {
    if (sc->state != SC_READY) return -ENOTCONN;
    int rc = bufAppendSlice(&sc->out, command);
    if (rc < 0) return rc;
    return storeFifoPush(sc, tag);
}
