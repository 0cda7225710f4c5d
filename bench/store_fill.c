/* store_fill.c - loads N people into a running store over RESP, fast:
 * PADD commands made by the API's own pipeline (personParse, UUID, JSON,
 * folded search key) from the payload file, apelido made unique by a
 * suffix (in the JSON and the key too: the store checks them), sent in pipelined batches. For benchmarks that need a store
 * with a million people (bench/repl_bench.sh); asserts nothing.
 *
 * usage: store_fill ADDR N [payloads.tsv]     ADDR: host:port or unix:/path
 * (no file: the generated data set, docs/DATA.md). It authenticates as
 * the user api, its password from BARDO_CREDENTIALS_FILE or BARDO_SECRET
 * (store/acl.h), as the API does. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "api/person.h"
#include "bench_lines.h"
#include "core/net.h"
#include "core/utf8.h"
#include "store/acl.h"
#include "store/resp.h"

#define BATCH 2000

/* A blocking connection (netConnect's fd is non-blocking: wait for it). */
static int dial(const char *addr) {
    for (int i = 0; i < 100; i++) {
        int fd = netConnect(addr);
        if (fd < 0) return fd;
        fd_set w;
        FD_ZERO(&w);
        FD_SET(fd, &w);
        struct timeval tv = {5, 0};
        int err = 0;
        socklen_t len = sizeof(err);
        if (select(fd + 1, NULL, &w, NULL, &tv) == 1 &&
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0) {
            fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
            return fd;
        }
        close(fd);
    }
    return -1;
}

/* Appends one PADD for payload line `line` as person number i; false if
 * the payload is invalid (skipped). */
static bool addCommand(buf *out, const char *line, size_t i) {
    static person p;
    static char scratch[1 << 16];
    static buf json, key, apelido;
    size_t len = strlen(line);
    if (len > sizeof(scratch) || personParse(&p, line, len, scratch, sizeof(scratch)) != 0)
        return false;
    uuid_t uu;
    char id[37];
    uuid_generate_random(uu);
    uuid_unparse_lower(uu, id);
    bufReset(&json);
    bufReset(&key);
    bufReset(&apelido);
    bufAppendSlice(&apelido, p.apelido);
    bufAppendU64(&apelido, i);
    if (utf8Count(apelido.data, apelido.len) > PERSON_APELIDO_MAX) { /* too long with it */
        bufReset(&apelido);
        bufAppendStr(&apelido, "p");
        bufAppendU64(&apelido, i);
    }
    /* the store keeps only what the API would render (person_check.h):
     * the JSON and the search key carry the unique apelido too */
    p.apelido = sliceMake(apelido.data, apelido.len);
    personWriteJson(&p, sliceMake(id, 36), &json);
    personWriteSearchKey(&p, &key);
    slice argv[5] = {SLICE_LIT("PADD"), sliceMake(id, 36), sliceMake(apelido.data, apelido.len),
                     sliceMake(key.data, key.len), sliceMake(json.data, json.len)};
    return respWriteCommand(out, 5, argv) == 0;
}

static bool sendAll(int fd, buf *b) {
    while (bufUnread(b)) {
        ssize_t n = write(fd, bufReadPtr(b), bufUnread(b));
        if (n <= 0) return false;
        bufConsume(b, (size_t)n);
    }
    bufReset(b);
    return true;
}

/* Reads `want` replies; counts the +OK ones. */
static bool readReplies(int fd, buf *in, size_t want, size_t *ok) {
    while (want) {
        resp_reply r;
        int n = respParseReply(bufReadPtr(in), bufUnread(in), &r);
        if (n > 0) {
            *ok += r.type == RESP_SIMPLE;
            bufConsume(in, (size_t)n);
            want--;
            continue;
        }
        if (n != RESP_PARTIAL || bufReserve(in, 1 << 16) < 0) return false;
        ssize_t got = read(fd, in->data + in->len, in->cap - in->len);
        if (got <= 0) return false;
        in->len += (size_t)got;
    }
    bufCompact(in);
    return true;
}
/* AUTH api <password> first: every store command needs it. */
static bool authenticate(int fd, buf *out, buf *in) {
    static acl creds;
    char why[256];
    if (aclLoad(&creds, getenv("BARDO_CREDENTIALS_FILE"), getenv("BARDO_SECRET"), why,
                sizeof why) < 0 || !aclPassword(&creds, ACL_API)) {
        fprintf(stderr, "store_fill: %s\n", aclPassword(&creds, ACL_API) ? why : "no api password");
        return false;
    }
    const char *pw = aclPassword(&creds, ACL_API);
    slice auth[3] = {SLICE_LIT("AUTH"), SLICE_LIT("api"), sliceMake(pw, strlen(pw))};
    size_t ok = 0;
    respWriteCommand(out, 3, auth);
    aclClear(&creds);
    return sendAll(fd, out) && readReplies(fd, in, 1, &ok) && ok == 1;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: store_fill ADDR N [payloads.tsv]\n");
        return 2;
    }
    size_t n = strtoul(argv[2], NULL, 10), ok = 0, sent = 0;
    lines pl = benchData(argc > 3 ? argv[3] : NULL, LOAD_DATA_PAYLOAD_SET);
    int fd = dial(argv[1]);
    if (pl.n == 0 || fd < 0) {
        fprintf(stderr, "store_fill: cannot read payloads or connect to %s\n", argv[1]);
        return 1;
    }
    buf out, in;
    bufInit(&out, 1 << 20);
    bufInit(&in, 1 << 16);
    if (!authenticate(fd, &out, &in)) {
        fprintf(stderr, "store_fill: %s refused AUTH api\n", argv[1]);
        return 1;
    }
    double t0 = benchNow();
    for (size_t line = 0; sent < n;) {
        size_t batch = 0;
        for (; batch < BATCH && sent + batch < n; line++)
            batch += addCommand(&out, pl.v[line % pl.n], sent + batch);
        if (!sendAll(fd, &out) || !readReplies(fd, &in, batch, &ok)) return 1;
        sent += batch;
    }
    printf("store_fill: %zu PADD, %zu OK in %.2f s = %.0f/s\n", sent, ok, benchNow() - t0,
           (double)sent / (benchNow() - t0));
    return ok == sent ? 0 : 1;
}
