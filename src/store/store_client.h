/* store_client.h - the API's pipelined connection to the store.
 *
 * Commands are written back to back into one buffer and flushed once per
 * loop turn; the store answers in order, so a FIFO of tags is all it takes
 * to route each reply to whoever asked (the tag names an HTTP connection
 * and its generation). If the store goes away or stops answering, every
 * waiting caller is answered with a NULL reply (it sends 503) and the
 * client reconnects on its own.
 *
 * Every (re)connection authenticates first (acl.h), when a user was set,
 * and over TCP speaks TLS when a context was set (core/tls.h):
 *   IDLE -> CONNECTING [-> HANDSHAKING] -> AUTHENTICATING --+OK--> READY
 * The handshake checks that the store's certificate is signed by the CA
 * and names the host dialled; a failure is logged (once until it next
 * succeeds) and retried a second later, like a refused AUTH.
 * AUTH <user> <password> is the first thing sent; only its +OK makes the
 * client ready (storeClientReady), so no command ever reaches the store
 * unauthenticated. A refusal is logged (once until it next succeeds) and
 * the link reset; the next try comes a second later, not at the next
 * 100 ms reconnect tick. */
#ifndef BARDO_STORE_CLIENT_H
#define BARDO_STORE_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/ev.h"
#include "core/tls.h"
#include "store/resp.h"

/* reply is NULL when the store could not answer. */
typedef void store_reply_fn(void *ctx, uint64_t tag, const resp_reply *reply);

typedef struct store_pending {
    uint64_t tag;
    uint64_t sent_ms;
} store_pending;

typedef enum store_client_state {
    SC_IDLE, SC_CONNECTING, SC_HANDSHAKING, SC_AUTHENTICATING, SC_READY
} store_client_state;

typedef struct store_client {
    ev_loop *loop;
    ev_watch watch;
    const char *addr;
    const char *user, *password; /* NULL: no AUTH (borrowed, must outlive) */
    tls_ctx *tls;                /* NULL: plaintext (borrowed) */
    tls_conn *tc;                /* this connection's TLS, while it lasts */
    buf in, out;
    store_client_state state;
    bool writing, auth_refused, tls_refused;
    uint64_t auth_sent_ms, retry_at_ms;
    store_pending *fifo;
    size_t fifo_cap, fifo_head, fifo_len; /* ring buffer, cap a power of 2 */
    store_reply_fn *on_reply;
    void *ctx;
    uint64_t timeout_ms;
    uint64_t reconnects;
} store_client;

int storeClientInit(store_client *sc, ev_loop *loop, const char *addr,
                    store_reply_fn *on_reply, void *ctx);
void storeClientFree(store_client *sc);
/* Authenticate as user/password on every (re)connection from now on; call
 * right after storeClientInit (the first connect completes later, in the
 * loop). Both strings are borrowed. */
void storeClientSetAuth(store_client *sc, const char *user, const char *password);
/* Speak TLS with ctx (a client context, borrowed) on every TCP
 * (re)connection from now on; Unix sockets stay plaintext. Call right
 * after storeClientInit, like storeClientSetAuth. */
void storeClientSetTls(store_client *sc, tls_ctx *ctx);
/* Queues a command; its reply comes to on_reply with `tag`.
 * 0, -ENOTCONN when the store is unreachable, -ENOMEM. */
int storeClientSend(store_client *sc, uint64_t tag, size_t argc, const slice *argv);
/* Queues an already encoded command (RESP bytes). Same contract. */
int storeClientSendRaw(store_client *sc, uint64_t tag, slice command);
bool storeClientReady(const store_client *sc);

#endif
