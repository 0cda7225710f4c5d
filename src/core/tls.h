/* tls.h - TLS 1.3 on a non-blocking socket, both ends authenticated.
 *
 * The links between sites (API -> store, replica -> primary) cross
 * networks nobody here controls, so they are encrypted and each end shows
 * a certificate signed by the cluster's CA (scripts/certs.sh makes one;
 * docs/SECURITY.md says how to bring your own). This module is a thin
 * layer over OpenSSL's SSL objects on a file descriptor the caller owns
 * and polls:
 *   - tls_ctx: one per process and role (server or client): the CA to
 *     trust, this node's certificate and key, TLS 1.3 only, and a peer
 *     certificate required in both directions;
 *   - tls_conn: one per connection. tlsHandshake() until it returns 0,
 *     then tlsRead()/tlsWrite() in place of read()/send().
 * Every call is non-blocking. -EAGAIN means "call again when the socket is
 * ready"; tlsWantsWrite() says which readiness: writable (true) or
 * readable (false), so the caller arms EPOLLOUT only when needed.
 *
 * Two things differ from a plain socket, and callers must honour them:
 *   - After tlsRead() returns, bytes may already be decrypted inside
 *     OpenSSL (a 16 KB record read into a smaller buffer): while
 *     tlsPending() is true, read again without waiting for the fd, which
 *     will not wake up for them.
 *   - A tlsWrite() that returned -EAGAIN must be retried with at least the
 *     same bytes (the buffer may move: SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER).
 * Errors are negative errno values: -EAGAIN, -EPROTO (a TLS failure: bad
 * certificate, a plaintext peer, a broken record; tlsError() says which in
 * one line), -ECONNRESET (the peer closed without close_notify), -ENOMEM,
 * or the socket's own errno. */
#ifndef BARDO_TLS_H
#define BARDO_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "core/buf.h"

#define TLS_ERR_MAX 160

typedef struct tls_ctx tls_ctx;
typedef struct tls_conn tls_conn;

typedef struct tls_files {
    const char *ca;   /* PEM: the CA whose signature makes a peer trusted */
    const char *cert; /* PEM: this node's certificate (chain) */
    const char *key;  /* PEM: its private key */
} tls_files;

/* 1 when all three files are named, 0 when none is, -EINVAL when only
 * some are (with why: "--tls-ca, --tls-cert and --tls-key go together"). */
int tlsFilesGiven(const tls_files *f, char *why, size_t cap);

/* Loads the three files for a server (accepts) or a client (connects).
 * Also ignores SIGPIPE for the whole process (OpenSSL writes with write()).
 * 0 and *out, or -EINVAL / -ENOENT / -ENOMEM with `why` naming the file
 * and what is wrong with it ("key does not match the certificate"). */
int tlsCtxCreate(tls_ctx **out, const tls_files *f, bool server, char *why, size_t cap);
void tlsCtxFree(tls_ctx *ctx);

/* A connection on fd (not taken over: the caller still closes it). For a
 * client, `peer` (or NULL) is the host name or IPv4 address it dialled:
 * the server's certificate must name it in its subjectAltName.
 * 0 and *out, or -ENOMEM. */
int tlsConnCreate(tls_conn **out, tls_ctx *ctx, int fd, const char *peer);
/* Frees the connection without a close_notify (the fd is the caller's). */
void tlsConnFree(tls_conn *t);

/* 0 once the handshake is done (then it stays 0), -EAGAIN, or -EPROTO /
 * -ECONNRESET / -errno: the peer cannot be trusted or is gone. */
int tlsHandshake(tls_conn *t);
bool tlsHandshakeDone(const tls_conn *t);
/* Bytes read (> 0), 0 at an orderly close (close_notify), or -errno. */
ssize_t tlsRead(tls_conn *t, void *p, size_t n);
/* Bytes written (> 0, maybe fewer than n), or -errno. */
ssize_t tlsWrite(tls_conn *t, const void *p, size_t n);
/* Sends close_notify if it can, without waiting for the peer's. */
void tlsShutdown(tls_conn *t);

/* The host part of a "host:port" address, for tlsConnCreate's `peer`:
 * 0, or -EINVAL for a unix: address, an empty host or no room. */
int tlsPeerOfAddr(const char *addr, char *out, size_t cap);

/* send(MSG_NOSIGNAL) on fd when t is NULL, tlsWrite otherwise: one call
 * site for plaintext and TLS links. Same results as tlsWrite (-EAGAIN,
 * -EINTR, -errno). */
ssize_t tlsIoWrite(tls_conn *t, int fd, const void *p, size_t n);

/* Appends to b what fd has (room for `chunk` more made before each read),
 * and with TLS what OpenSSL already decrypted (tlsPending), so one call
 * per readiness leaves nothing behind that epoll would not report.
 * Returns the bytes appended (0: none yet), or -ECONNRESET when the peer
 * closed, -ENOMEM, or another -errno: either way the link is over. */
ssize_t tlsIoReadBuf(tls_conn *t, int fd, buf *b, size_t chunk);

/* The last -EAGAIN wanted the socket writable (else readable). */
bool tlsWantsWrite(const tls_conn *t);
/* Decrypted bytes wait inside OpenSSL: read again now. */
bool tlsPending(const tls_conn *t);
/* One line on the last failure ("certificate verify failed"), or "". */
const char *tlsError(const tls_conn *t);

#endif
