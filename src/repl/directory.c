/* directory.c - the store nodes and their ROLE answers (directory.h). */
#include "repl/directory.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

bool replParseRole(const resp_reply *r, repl_role_info *out) {
    char text[256];
    unsigned long long epoch, seq, last_epoch = 0;
    if (!r || r->type != RESP_SIMPLE) return false;
    snprintf(text, sizeof(text), "%.*s", (int)r->str.len, r->str.ptr);
    int n = sscanf(text, "%15s %llu %llu %31s %31s %llu", out->word, &epoch, &seq, out->site,
                   out->name, &last_epoch);
    if (n < 5) return false;
    out->primary = strcmp(out->word, "primary") == 0;
    out->epoch = epoch;
    out->seq = seq;
    out->last_epoch = last_epoch;
    return true;
}

static void dirOnReply(void *ctx, uint64_t tag, const resp_reply *reply) {
    dir_node *nd = ctx;
    directory *d = nd->dir;
    size_t i = (size_t)(nd - d->nodes);
    if (!(tag & DIR_PROBE_TAG)) {
        if (!reply) nd->known = false; /* that node just went away */
        d->on_reply(d->ctx, i, tag, reply);
        if (!reply && d->on_role) d->on_role(d->ctx, i);
        return;
    }
    nd->probing = false;
    nd->known = replParseRole(reply, &nd->role);
    if (nd->known) nd->answered_ms = evNowMs(d->loop);
    if (d->on_role) d->on_role(d->ctx, i);
}

int dirInit(directory *d, ev_loop *loop, const char *addrs, dir_reply_fn *on_reply,
            dir_role_fn *on_role, void *ctx) {
    *d = (directory){.loop = loop, .on_reply = on_reply, .on_role = on_role, .ctx = ctx};
    const char *s = addrs ? addrs : "";
    while (*s && d->n < DIR_MAX) {
        size_t len = strcspn(s, ",");
        dir_node *nd = &d->nodes[d->n];
        nd->dir = d;
        snprintf(nd->addr, sizeof(nd->addr), "%.*s", (int)len, s);
        int rc = storeClientInit(&nd->sc, loop, nd->addr, dirOnReply, nd);
        if (rc < 0) return rc;
        d->n++;
        s += len + (s[len] == ',');
    }
    return d->n ? 0 : -EINVAL;
}

void dirFree(directory *d) {
    for (size_t i = 0; i < d->n; i++) storeClientFree(&d->nodes[i].sc);
    d->n = 0;
}

void dirSetAuth(directory *d, const char *user, const char *password) {
    for (size_t i = 0; i < d->n; i++) storeClientSetAuth(&d->nodes[i].sc, user, password);
}

void dirSetTls(directory *d, tls_ctx *ctx) {
    for (size_t i = 0; i < d->n; i++) storeClientSetTls(&d->nodes[i].sc, ctx);
}

void dirPoll(directory *d) {
    static const slice ROLE[1] = {SLICE_LIT("ROLE")};
    for (size_t i = 0; i < d->n; i++) {
        dir_node *nd = &d->nodes[i];
        if (!storeClientReady(&nd->sc)) nd->known = false;
        if (nd->probing || !storeClientReady(&nd->sc)) continue;
        nd->probing = storeClientSend(&nd->sc, DIR_PROBE_TAG | i, 1, ROLE) == 0;
    }
}

int dirSend(directory *d, size_t node, uint64_t tag, size_t argc, const slice *argv) {
    if (node >= d->n) return -ENOTCONN;
    return storeClientSend(&d->nodes[node].sc, tag & ~DIR_PROBE_TAG, argc, argv);
}

int dirSendRaw(directory *d, size_t node, uint64_t tag, slice command) {
    if (node >= d->n) return -ENOTCONN;
    return storeClientSendRaw(&d->nodes[node].sc, tag & ~DIR_PROBE_TAG, command);
}

bool dirReady(const directory *d, size_t node) {
    return node < d->n && storeClientReady(&d->nodes[node].sc);
}

int dirPrimary(const directory *d, int skip) {
    int best = -1;
    for (size_t i = 0; i < d->n; i++) {
        const dir_node *nd = &d->nodes[i];
        if ((int)i == skip || !nd->known || !nd->role.primary || !storeClientReady(&nd->sc)) continue;
        if (best < 0 || nd->role.epoch > d->nodes[best].role.epoch) best = (int)i;
    }
    return best;
}

int dirMostUpToDate(const directory *d) {
    int best = -1;
    for (size_t i = 0; i < d->n; i++) {
        const repl_role_info *r = &d->nodes[i].role;
        if (!d->nodes[i].known || !storeClientReady(&d->nodes[i].sc)) continue;
        const repl_role_info *b = best >= 0 ? &d->nodes[best].role : NULL;
        if (!b || r->last_epoch > b->last_epoch || (r->last_epoch == b->last_epoch && r->seq > b->seq))
            best = (int)i;
    }
    return best;
}

size_t dirReachable(const directory *d) {
    size_t up = 0;
    for (size_t i = 0; i < d->n; i++) up += storeClientReady(&d->nodes[i].sc);
    return up;
}
