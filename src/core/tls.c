/* tls.c - TLS 1.3 on a non-blocking socket (see tls.h).
 *
 * OpenSSL does the protocol; what this file adds is the mapping of its
 * SSL_ERROR_* results to the errno contract the event loops use, and the
 * one-line reasons the logs show. OpenSSL's error queue is per thread and
 * sticky: it is cleared before every call, or SSL_get_error() would report
 * an older failure. */
#include "core/tls.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

struct tls_ctx {
    SSL_CTX *ssl;
    bool server;
};

struct tls_conn {
    SSL *ssl;
    bool done, wants_write;
    char why[TLS_ERR_MAX];
};

/* --- contexts ------------------------------------------------------------ */

static int ctxFail(SSL_CTX *ssl, int rc, char *why, size_t cap, const char *what,
                   const char *file) {
    char detail[120];
    ERR_error_string_n(ERR_peek_last_error(), detail, sizeof detail);
    if (why && cap) snprintf(why, cap, "%s %s: %s", what, file ? file : "", detail);
    ERR_clear_error();
    SSL_CTX_free(ssl);
    return rc;
}

/* TLS 1.3 only, a certificate required from the peer either way, no
 * session tickets (nothing to resume: links live for hours, and a ticket
 * is a message the client must read after the handshake). */
static void ctxPolicy(SSL_CTX *ssl) {
    SSL_CTX_set_min_proto_version(ssl, TLS1_3_VERSION);
    SSL_CTX_set_verify(ssl, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    SSL_CTX_set_mode(ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_num_tickets(ssl, 0);
    SSL_CTX_set_session_cache_mode(ssl, SSL_SESS_CACHE_OFF);
}

int tlsFilesGiven(const tls_files *f, char *why, size_t cap) {
    int n = !!f->ca + !!f->cert + !!f->key;
    if (n == 0 || n == 3) return n / 3;
    if (why && cap) snprintf(why, cap, "--tls-ca, --tls-cert and --tls-key go together");
    return -EINVAL;
}

int tlsCtxCreate(tls_ctx **out, const tls_files *f, bool server, char *why, size_t cap) {
    /* OpenSSL's socket BIO writes with write(), not send(MSG_NOSIGNAL): a
     * peer gone mid-write must be an EPIPE, not the end of the process. */
    signal(SIGPIPE, SIG_IGN);
    ERR_clear_error();
    if (!f || !f->ca || !f->cert || !f->key) {
        if (why && cap) snprintf(why, cap, "TLS needs a CA, a certificate and a key");
        return -EINVAL;
    }
    SSL_CTX *ssl = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
    if (!ssl) return ctxFail(NULL, -ENOMEM, why, cap, "cannot create a TLS context", NULL);
    ctxPolicy(ssl);
    if (SSL_CTX_load_verify_locations(ssl, f->ca, NULL) != 1)
        return ctxFail(ssl, -EINVAL, why, cap, "cannot load the CA", f->ca);
    if (SSL_CTX_use_certificate_chain_file(ssl, f->cert) != 1)
        return ctxFail(ssl, -EINVAL, why, cap, "cannot load the certificate", f->cert);
    if (SSL_CTX_use_PrivateKey_file(ssl, f->key, SSL_FILETYPE_PEM) != 1)
        return ctxFail(ssl, -EINVAL, why, cap, "cannot load the key", f->key);
    if (SSL_CTX_check_private_key(ssl) != 1)
        return ctxFail(ssl, -EINVAL, why, cap, "the key does not match the certificate", f->key);
    tls_ctx *c = malloc(sizeof *c);
    if (!c) return ctxFail(ssl, -ENOMEM, why, cap, "out of memory", NULL);
    *c = (tls_ctx){.ssl = ssl, .server = server};
    *out = c;
    return 0;
}

void tlsCtxFree(tls_ctx *ctx) {
    if (!ctx) return;
    SSL_CTX_free(ctx->ssl);
    free(ctx);
}

/* --- connections ---------------------------------------------------------- */

/* A client checks that the server's certificate names what it dialled:
 * an IPv4 address against the IP entries, anything else against DNS. */
static int connExpectPeer(SSL *ssl, const char *peer) {
    X509_VERIFY_PARAM *p = SSL_get0_param(ssl);
    if (X509_VERIFY_PARAM_set1_ip_asc(p, peer) == 1) return 0;
    ERR_clear_error(); /* not an address: a host name */
    return SSL_set1_host(ssl, peer) == 1 ? 0 : -ENOMEM;
}

int tlsConnCreate(tls_conn **out, tls_ctx *ctx, int fd, const char *peer) {
    ERR_clear_error();
    tls_conn *t = calloc(1, sizeof *t);
    if (!t) return -ENOMEM;
    t->ssl = SSL_new(ctx->ssl);
    if (!t->ssl || SSL_set_fd(t->ssl, fd) != 1) goto err;
    if (ctx->server) SSL_set_accept_state(t->ssl);
    else SSL_set_connect_state(t->ssl);
    if (!ctx->server && peer && connExpectPeer(t->ssl, peer) < 0) goto err;
    *out = t;
    return 0;
err:
    ERR_clear_error();
    tlsConnFree(t);
    return -ENOMEM;
}

void tlsConnFree(tls_conn *t) {
    if (!t) return;
    SSL_free(t->ssl);
    free(t);
}

/* The reason for a failed call, for logs: the certificate check's own
 * words when that is what failed, else OpenSSL's queue. */
static void connRecordError(tls_conn *t) {
    long v = SSL_get_verify_result(t->ssl);
    unsigned long e = ERR_peek_last_error();
    if (v != X509_V_OK) {
        snprintf(t->why, sizeof t->why, "certificate verify failed: %s",
                 X509_verify_cert_error_string(v));
    } else if (e) {
        const char *r = ERR_reason_error_string(e);
        snprintf(t->why, sizeof t->why, "%s", r ? r : "TLS error");
    } else {
        snprintf(t->why, sizeof t->why, "TLS error");
    }
    ERR_clear_error();
}

/* Maps SSL_get_error() for a call that returned rc <= 0. */
static int connResult(tls_conn *t, int rc) {
    int saved = errno;
    switch (SSL_get_error(t->ssl, rc)) {
    case SSL_ERROR_WANT_READ: t->wants_write = false; return -EAGAIN;
    case SSL_ERROR_WANT_WRITE: t->wants_write = true; return -EAGAIN;
    case SSL_ERROR_ZERO_RETURN: return 0;
    case SSL_ERROR_SYSCALL:
        if (ERR_peek_last_error()) break;
        ERR_clear_error();
        snprintf(t->why, sizeof t->why, "connection closed by the peer");
        return saved && saved != EAGAIN ? -saved : -ECONNRESET;
    default: break;
    }
    connRecordError(t);
    return -EPROTO;
}

int tlsHandshake(tls_conn *t) {
    if (t->done) return 0;
    ERR_clear_error();
    int rc = SSL_do_handshake(t->ssl);
    if (rc == 1) {
        t->done = true;
        return 0;
    }
    int r = connResult(t, rc);
    return r == 0 ? -ECONNRESET : r; /* a close during the handshake is a failure */
}

bool tlsHandshakeDone(const tls_conn *t) { return t->done; }

ssize_t tlsRead(tls_conn *t, void *p, size_t n) {
    if (n == 0) return -EINVAL;
    ERR_clear_error();
    size_t got = 0;
    if (SSL_read_ex(t->ssl, p, n, &got) == 1) return (ssize_t)got;
    return connResult(t, 0);
}

ssize_t tlsWrite(tls_conn *t, const void *p, size_t n) {
    if (n == 0) return 0;
    ERR_clear_error();
    size_t put = 0;
    if (SSL_write_ex(t->ssl, p, n, &put) == 1) return (ssize_t)put;
    int r = connResult(t, 0);
    return r == 0 ? -ECONNRESET : r;
}

int tlsPeerOfAddr(const char *addr, char *out, size_t cap) {
    const char *colon = strrchr(addr, ':');
    if (strncmp(addr, "unix:", 5) == 0 || !colon || colon == addr) return -EINVAL;
    size_t n = (size_t)(colon - addr);
    if (n >= cap) return -EINVAL;
    memcpy(out, addr, n);
    out[n] = '\0';
    return 0;
}

/* read() on fd when t is NULL, tlsRead otherwise. */
static ssize_t tlsIoRead(tls_conn *t, int fd, void *p, size_t n) {
    if (t) return tlsRead(t, p, n);
    ssize_t r = read(fd, p, n);
    return r < 0 ? -errno : r;
}

ssize_t tlsIoWrite(tls_conn *t, int fd, const void *p, size_t n) {
    if (t) return tlsWrite(t, p, n);
    ssize_t r = send(fd, p, n, MSG_NOSIGNAL);
    return r < 0 ? -errno : r;
}

ssize_t tlsIoReadBuf(tls_conn *t, int fd, buf *b, size_t chunk) {
    size_t before = b->len;
    ssize_t n;
    do {
        if (bufReserve(b, chunk) < 0) return -ENOMEM;
        n = tlsIoRead(t, fd, b->data + b->len, b->cap - b->len);
        if (n > 0) b->len += (size_t)n;
    } while (n > 0 && t && tlsPending(t));
    if (n == 0) return -ECONNRESET;
    if (n < 0 && n != -EAGAIN && n != -EINTR) return n;
    return (ssize_t)(b->len - before);
}

void tlsShutdown(tls_conn *t) {
    ERR_clear_error();
    if (t->done) (void)SSL_shutdown(t->ssl);
    ERR_clear_error();
}

bool tlsWantsWrite(const tls_conn *t) { return t->wants_write; }
bool tlsPending(const tls_conn *t) { return SSL_pending(t->ssl) > 0; }
const char *tlsError(const tls_conn *t) { return t->why; }
