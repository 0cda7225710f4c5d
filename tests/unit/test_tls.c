/* TLS between two non-blocking ends of a socketpair, with certificates
 * made by scripts/certs.sh at setup (so the script is tested too): the
 * handshake and bytes both ways, a megabyte through partial writes, and
 * every peer that must be refused (another CA, no certificate, the wrong
 * name, a plaintext client), each with its reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "core/net.h"
#include "core/server.h"
#include "core/tls.h"

static char dir[64], rogue[80];

static void path(char *out, size_t cap, const char *d, const char *file) {
    snprintf(out, cap, "%s/%s", d, file);
}

/* Files of node `name` in CA folder d. */
typedef struct node_files {
    char ca[128], cert[128], key[128];
    tls_files f;
} node_files;

static void nodeFiles(node_files *n, const char *d, const char *name) {
    char file[64];
    path(n->ca, sizeof n->ca, d, "ca.crt");
    snprintf(file, sizeof file, "%s.crt", name);
    path(n->cert, sizeof n->cert, d, file);
    snprintf(file, sizeof file, "%s.key", name);
    path(n->key, sizeof n->key, d, file);
    n->f = (tls_files){.ca = n->ca, .cert = n->cert, .key = n->key};
}

static int setupCerts(void **state) {
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/bardo-tls-XXXXXX");
    if (!mkdtemp(dir)) return -1;
    snprintf(rogue, sizeof rogue, "%s/rogue", dir);
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "scripts/certs.sh %s store-a=127.0.0.1,store-a.example api-1 >/dev/null && "
             "scripts/certs.sh %s store-a=127.0.0.1 api-1 >/dev/null", dir, rogue);
    return system(cmd) == 0 ? 0 : -1;
}

static int teardownCerts(void **state) {
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

typedef struct pair {
    int fd[2]; /* 0: server end, 1: client end */
    tls_ctx *sctx, *cctx;
    tls_conn *s, *c;
    int src, crc; /* last handshake results */
} pair;

static void pairOpen(pair *p, const node_files *srv_files, const node_files *cli_files,
                     const char *peer) {
    char why[TLS_ERR_MAX];
    *p = (pair){0};
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, p->fd), 0);
    assert_int_equal(tlsCtxCreate(&p->sctx, &srv_files->f, true, why, sizeof why), 0);
    assert_int_equal(tlsCtxCreate(&p->cctx, &cli_files->f, false, why, sizeof why), 0);
    assert_int_equal(tlsConnCreate(&p->s, p->sctx, p->fd[0], NULL), 0);
    assert_int_equal(tlsConnCreate(&p->c, p->cctx, p->fd[1], peer), 0);
}

static void pairClose(pair *p) {
    tlsConnFree(p->s);
    tlsConnFree(p->c);
    tlsCtxFree(p->sctx);
    tlsCtxFree(p->cctx);
    close(p->fd[0]);
    close(p->fd[1]);
}

/* Both handshakes, turn by turn, until neither waits (or 50 turns). */
static void pairHandshake(pair *p) {
    for (int i = 0; i < 50; i++) {
        p->crc = tlsHandshake(p->c);
        p->src = tlsHandshake(p->s);
        if (p->crc != -EAGAIN && p->src != -EAGAIN) return;
        if (p->crc != -EAGAIN && p->crc < 0) return;
        if (p->src != -EAGAIN && p->src < 0) return;
    }
}

static void test_handshake_and_bytes_both_ways(void **state) {
    (void)state;
    node_files sa, api;
    nodeFiles(&sa, dir, "store-a");
    nodeFiles(&api, dir, "api-1");
    pair p;
    pairOpen(&p, &sa, &api, "127.0.0.1");
    assert_false(tlsHandshakeDone(p.c));
    pairHandshake(&p);
    assert_int_equal(p.crc, 0);
    assert_int_equal(p.src, 0);
    assert_true(tlsHandshakeDone(p.s));
    char b[64];
    assert_int_equal(tlsRead(p.s, b, sizeof b), -EAGAIN);
    assert_false(tlsWantsWrite(p.s));
    assert_int_equal(tlsWrite(p.c, "*1\r\n$4\r\nPING\r\n", 14), 14);
    assert_int_equal(tlsRead(p.s, b, sizeof b), 14);
    assert_memory_equal(b, "*1\r\n$4\r\nPING\r\n", 14);
    assert_int_equal(tlsWrite(p.s, "+PONG\r\n", 7), 7);
    assert_int_equal(tlsRead(p.c, b, sizeof b), 7);
    tlsShutdown(p.c);
    assert_int_equal(tlsRead(p.s, b, sizeof b), 0); /* close_notify */
    pairClose(&p);
}

/* A megabyte through a socket buffer much smaller: partial writes,
 * -EAGAIN wanting a writable socket, a retry from the same bytes, and
 * reads into a buffer smaller than a record (tlsPending). */
static void pump(pair *p, const char *src, char *dst, size_t n) {
    size_t sent = 0, got = 0;
    for (int turns = 0; got < n && turns < 1000000; turns++) {
        if (sent < n) {
            ssize_t w = tlsWrite(p->c, src + sent, n - sent);
            if (w > 0) sent += (size_t)w;
            else assert_true(w == -EAGAIN && tlsWantsWrite(p->c));
        }
        ssize_t r;
        do {
            r = tlsRead(p->s, dst + got, n - got < 1000 ? n - got : 1000);
            if (r > 0) got += (size_t)r;
        } while (r > 0 && got < n && tlsPending(p->s));
        assert_true(r > 0 || r == -EAGAIN);
    }
    assert_int_equal(got, n);
}

static void test_a_megabyte_through_partial_writes(void **state) {
    (void)state;
    node_files sa, api;
    nodeFiles(&sa, dir, "store-a");
    nodeFiles(&api, dir, "api-1");
    pair p;
    pairOpen(&p, &sa, &api, "store-a.example");
    int small = 4096;
    setsockopt(p.fd[1], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    pairHandshake(&p);
    assert_int_equal(p.crc, 0);
    size_t n = 1 << 20;
    char *src = malloc(n), *dst = malloc(n);
    assert_non_null(src);
    assert_non_null(dst);
    for (size_t i = 0; i < n; i++) src[i] = (char)(i * 7 + i / 4096);
    pump(&p, src, dst, n);
    assert_memory_equal(src, dst, n);
    free(src);
    free(dst);
    pairClose(&p);
}

/* The server refuses the client: handshake fails with -EPROTO on the
 * server, and its reason contains `why`. */
static void expectServerRefuses(const node_files *srv_files, const node_files *cli_files,
                                const char *why) {
    pair p;
    pairOpen(&p, srv_files, cli_files, NULL);
    pairHandshake(&p);
    assert_int_equal(p.src, -EPROTO);
    /* In TLS 1.3 the client is done before the server has checked it: it
     * learns of the refusal from the alert, on its first read. */
    char b[16];
    ssize_t r = p.crc == 0 ? tlsRead(p.c, b, sizeof b) : p.crc;
    assert_true(r < 0 && r != -EAGAIN);
    if (!strstr(tlsError(p.s), why)) fail_msg("server said '%s', not '%s'", tlsError(p.s), why);
    pairClose(&p);
}

static void test_a_client_of_another_ca_is_refused(void **state) {
    (void)state;
    node_files sa, evil;
    nodeFiles(&sa, dir, "store-a");
    nodeFiles(&evil, rogue, "api-1");
    /* it trusts our CA (it stole ca.crt), but its own cert is the rogue's */
    snprintf(evil.ca, sizeof evil.ca, "%s/ca.crt", dir);
    expectServerRefuses(&sa, &evil, "certificate verify failed");
}

static void test_a_server_of_another_ca_is_refused(void **state) {
    (void)state;
    node_files evil, api;
    nodeFiles(&evil, rogue, "store-a");
    snprintf(evil.ca, sizeof evil.ca, "%s/ca.crt", dir);
    nodeFiles(&api, dir, "api-1");
    pair p;
    pairOpen(&p, &evil, &api, "127.0.0.1");
    pairHandshake(&p);
    assert_int_equal(p.crc, -EPROTO);
    assert_non_null(strstr(tlsError(p.c), "certificate verify failed"));
    pairClose(&p);
}

static void test_a_server_of_the_wrong_name_is_refused(void **state) {
    (void)state;
    node_files api, api2;
    nodeFiles(&api, dir, "api-1"); /* a valid node, but not the one dialled */
    nodeFiles(&api2, dir, "api-1");
    pair p;
    pairOpen(&p, &api, &api2, "127.0.0.1");
    pairHandshake(&p);
    assert_int_equal(p.crc, -EPROTO);
    assert_non_null(strstr(tlsError(p.c), "mismatch"));
    pairClose(&p);
}

/* A client with no certificate (plain OpenSSL: tlsCtxCreate insists on
 * one) that trusts the CA: the server still refuses it. */
static void test_a_client_without_certificate_is_refused(void **state) {
    (void)state;
    node_files sa;
    nodeFiles(&sa, dir, "store-a");
    char why[TLS_ERR_MAX];
    int fd[2];
    tls_ctx *sctx;
    tls_conn *s;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fd), 0);
    assert_int_equal(tlsCtxCreate(&sctx, &sa.f, true, why, sizeof why), 0);
    assert_int_equal(tlsConnCreate(&s, sctx, fd[0], NULL), 0);
    SSL_CTX *cctx = SSL_CTX_new(TLS_client_method());
    assert_int_equal(SSL_CTX_load_verify_locations(cctx, sa.ca, NULL), 1);
    SSL *c = SSL_new(cctx);
    SSL_set_fd(c, fd[1]);
    SSL_set_connect_state(c);
    int src = -EAGAIN;
    for (int i = 0; i < 50 && src == -EAGAIN; i++) {
        (void)SSL_do_handshake(c);
        src = tlsHandshake(s);
    }
    assert_int_equal(src, -EPROTO);
    assert_non_null(strstr(tlsError(s), "certificate"));
    SSL_free(c);
    SSL_CTX_free(cctx);
    tlsConnFree(s);
    tlsCtxFree(sctx);
    close(fd[0]);
    close(fd[1]);
}

/* A plaintext client (redis-cli without --tls) on a TLS port. */
static void test_a_plaintext_client_is_refused(void **state) {
    (void)state;
    node_files sa;
    nodeFiles(&sa, dir, "store-a");
    char why[TLS_ERR_MAX];
    int fd[2];
    tls_ctx *ctx;
    tls_conn *s;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fd), 0);
    assert_int_equal(tlsCtxCreate(&ctx, &sa.f, true, why, sizeof why), 0);
    assert_int_equal(tlsConnCreate(&s, ctx, fd[0], NULL), 0);
    assert_int_equal(write(fd[1], "*1\r\n$4\r\nPING\r\n", 14), 14);
    assert_int_equal(tlsHandshake(s), -EPROTO);
    assert_true(strlen(tlsError(s)) > 0);
    tlsConnFree(s);
    tlsCtxFree(ctx);
    close(fd[0]);
    close(fd[1]);
}

static void test_bad_files_say_which(void **state) {
    (void)state;
    char why[TLS_ERR_MAX];
    tls_ctx *ctx = NULL;
    node_files sa, api;
    nodeFiles(&sa, dir, "store-a");
    nodeFiles(&api, dir, "api-1");
    tls_files wrong_key = {.ca = sa.ca, .cert = sa.cert, .key = api.key};
    assert_int_equal(tlsCtxCreate(&ctx, &wrong_key, true, why, sizeof why), -EINVAL);
    assert_non_null(strstr(why, api.key));
    assert_non_null(strstr(why, "mismatch"));
    tls_files missing = {.ca = "/nonexistent/ca.crt", .cert = sa.cert, .key = sa.key};
    assert_int_equal(tlsCtxCreate(&ctx, &missing, false, why, sizeof why), -EINVAL);
    assert_non_null(strstr(why, "/nonexistent/ca.crt"));
    tls_files none = {.ca = sa.ca};
    assert_int_equal(tlsCtxCreate(&ctx, &none, false, why, sizeof why), -EINVAL);
}

/* --- the server's TLS (core/server.h): an echo protocol over it --------- */

static bool echoData(server_conn *c) {
    if (bufAppend(&c->out, bufReadPtr(&c->in), bufUnread(&c->in)) < 0) return false;
    bufReset(&c->in);
    serverMarkDirty(c);
    return true;
}

static const server_ops ECHO = {.on_data = echoData};

typedef struct echo_run {
    ev_loop *loop;
    server srv;
    tls_ctx *sctx;
    char addr[128];
} echo_run;

static void echoStart(echo_run *e, const node_files *server_files) {
    char why[TLS_ERR_MAX];
    e->loop = evCreate();
    assert_non_null(e->loop);
    snprintf(e->addr, sizeof e->addr, "unix:%s/echo.sock", dir);
    assert_int_equal(serverStart(&e->srv, e->loop, e->addr, &ECHO, 8, NULL), 0);
    assert_int_equal(tlsCtxCreate(&e->sctx, &server_files->f, true, why, sizeof why), 0);
    serverUseTls(&e->srv, e->sctx);
}

static void echoStop(echo_run *e) {
    serverStop(&e->srv);
    tlsCtxFree(e->sctx);
    evDestroy(e->loop);
}

/* Sends n bytes through the server and back, turning the loop between
 * the client's steps; the client's socket is non-blocking too. */
static void echoThrough(echo_run *e, tls_conn *c, const char *src, char *dst, size_t n) {
    size_t sent = 0, got = 0;
    for (int turns = 0; got < n && turns < 100000; turns++) {
        ssize_t w = sent < n ? tlsWrite(c, src + sent, n - sent) : 0;
        if (w > 0) sent += (size_t)w;
        evRunOnce(e->loop, 1);
        ssize_t r = -EAGAIN;
        while (got < n && (r = tlsRead(c, dst + got, n - got)) > 0) got += (size_t)r;
        assert_true(r > 0 || r == -EAGAIN);
    }
    assert_int_equal(got, n);
}

static void test_server_speaks_tls(void **state) {
    (void)state;
    node_files sa, api;
    nodeFiles(&sa, dir, "store-a");
    nodeFiles(&api, dir, "api-1");
    echo_run e;
    echoStart(&e, &sa);
    char why[TLS_ERR_MAX];
    tls_ctx *cctx;
    tls_conn *c;
    assert_int_equal(tlsCtxCreate(&cctx, &api.f, false, why, sizeof why), 0);
    int fd = netConnect(e.addr);
    assert_true(fd >= 0);
    assert_int_equal(tlsConnCreate(&c, cctx, fd, NULL), 0);
    int rc = -EAGAIN;
    for (int i = 0; i < 1000 && rc == -EAGAIN; i++) {
        rc = tlsHandshake(c);
        evRunOnce(e.loop, 1);
    }
    assert_int_equal(rc, 0);
    size_t n = 300000; /* many records, more than one read's room */
    char *src = malloc(n), *dst = malloc(n);
    assert_non_null(src);
    assert_non_null(dst);
    for (size_t i = 0; i < n; i++) src[i] = (char)(i % 251);
    echoThrough(&e, c, src, dst, n);
    assert_memory_equal(src, dst, n);
    assert_int_equal(e.srv.tls_refused, 0);
    free(src);
    free(dst);
    tlsConnFree(c);
    close(fd);
    tlsCtxFree(cctx);
    echoStop(&e);
}

/* redis-cli without --tls against a TLS store: the server refuses the
 * handshake, closes, and counts it; the protocol never sees a byte. */
static void test_server_refuses_plaintext(void **state) {
    (void)state;
    node_files sa;
    nodeFiles(&sa, dir, "store-a");
    echo_run e;
    echoStart(&e, &sa);
    int fd = netConnect(e.addr);
    assert_true(fd >= 0);
    evRunOnce(e.loop, 1);
    assert_int_equal(write(fd, "*1\r\n$4\r\nPING\r\n", 14), 14);
    char b[256];
    ssize_t r;
    for (int i = 0; i < 100 && e.srv.open_conns; i++) evRunOnce(e.loop, 5);
    assert_int_equal(e.srv.open_conns, 0);
    assert_int_equal(e.srv.tls_refused, 1);
    r = read(fd, b, sizeof b); /* at most a TLS alert, never the echo */
    assert_true(r <= 0 || memmem(b, (size_t)r, "PING", 4) == NULL);
    close(fd);
    echoStop(&e);
}

static void test_files_and_addresses(void **state) {
    (void)state;
    char why[TLS_ERR_MAX], host[32];
    assert_int_equal(tlsFilesGiven(&(tls_files){0}, why, sizeof why), 0);
    assert_int_equal(tlsFilesGiven(&(tls_files){"a", "b", "c"}, why, sizeof why), 1);
    assert_int_equal(tlsFilesGiven(&(tls_files){.ca = "a"}, why, sizeof why), -EINVAL);
    assert_string_equal(why, "--tls-ca, --tls-cert and --tls-key go together");
    assert_int_equal(tlsPeerOfAddr("10.77.0.11:6380", host, sizeof host), 0);
    assert_string_equal(host, "10.77.0.11");
    assert_int_equal(tlsPeerOfAddr("store-b.example:6380", host, sizeof host), 0);
    assert_string_equal(host, "store-b.example");
    assert_int_equal(tlsPeerOfAddr("unix:/run/s.sock", host, sizeof host), -EINVAL);
    assert_int_equal(tlsPeerOfAddr(":6380", host, sizeof host), -EINVAL);
    assert_int_equal(tlsPeerOfAddr("a-very-long-host-name-for-this-buffer:1", host, 8), -EINVAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handshake_and_bytes_both_ways),
        cmocka_unit_test(test_a_megabyte_through_partial_writes),
        cmocka_unit_test(test_a_client_of_another_ca_is_refused),
        cmocka_unit_test(test_a_server_of_another_ca_is_refused),
        cmocka_unit_test(test_a_server_of_the_wrong_name_is_refused),
        cmocka_unit_test(test_a_client_without_certificate_is_refused),
        cmocka_unit_test(test_a_plaintext_client_is_refused),
        cmocka_unit_test(test_bad_files_say_which),
        cmocka_unit_test(test_files_and_addresses),
        cmocka_unit_test(test_server_speaks_tls),
        cmocka_unit_test(test_server_refuses_plaintext),
    };
    return cmocka_run_group_tests(tests, setupCerts, teardownCerts);
}
