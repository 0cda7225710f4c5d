/* repl_peers.c - who is primary: every node polls `ROLE` of every store
 * address it was given and follows the primary of the highest epoch.
 * A replica (re)connects to it; a primary that sees a higher epoch steps
 * down: its held writes fail, its replicas are dropped, and it resyncs as
 * a replica (a full resync when its history diverged). PROMOTE and ROLE
 * are answered here too. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/store_server.h"

static const char *roleName(repl_role r) { return r == REPL_PRIMARY ? "primary" : "replica"; }

/* ROLE -> +<role> <epoch> <last_seq> <site> <name> */
int replCmdRole(store *st, const resp_command *cmd, buf *out) {
    (void)cmd;
    char line[192];
    snprintf(line, sizeof(line), "+%s %llu %llu %s %s\r\n",
             replResyncing(st) ? "syncing" : roleName(st->repl.role),
             (unsigned long long)st->repl.epoch, (unsigned long long)journalLastSeq(st->journal),
             st->repl.cfg.site, st->repl.cfg.name);
    return bufAppendStr(out, line);
}

static uint64_t replHighestEpoch(const store *st) {
    uint64_t e = st->repl.epoch;
    for (size_t i = 0; i < st->repl.npeers; i++)
        if (st->repl.peers[i].known && st->repl.peers[i].epoch > e) e = st->repl.peers[i].epoch;
    return e;
}

/* PROMOTE: this replica becomes the primary of a new epoch (admin only:
 * the command table, acl.h). */
int replCmdPromote(store *st, const resp_command *cmd, buf *out) {
    (void)cmd;
    if (st->repl.role == REPL_PRIMARY) return respWriteError(out, "ERR already primary");
    if (replResyncing(st)) return respWriteError(out, "ERR syncing: a full resync is under way");
    replUpstreamStop(st);
    st->repl.role = REPL_PRIMARY;
    st->repl.epoch = replHighestEpoch(st) + 1;
    st->repl.committed = journalLastSeq(st->journal);
    st->repl.grace_until_ms = evNowMs(st->loop) + REPL_GRACE_MS;
    logInfo("promoted to primary, epoch %llu, at seq %llu", (unsigned long long)st->repl.epoch,
            (unsigned long long)journalLastSeq(st->journal));
    char line[64];
    snprintf(line, sizeof(line), "+OK epoch %llu\r\n", (unsigned long long)st->repl.epoch);
    return bufAppendStr(out, line);
}

static void replStepDown(store *st, const repl_peer *p) {
    logInfo("fenced: %s is primary of epoch %llu > %llu; stepping down", p->addr,
            (unsigned long long)p->epoch, (unsigned long long)st->repl.epoch);
    st->repl.role = REPL_REPLICA;
    st->repl.epoch = p->epoch;
    st->repl.stepdowns++;
    replFailHolds(st, "-FENCED a newer primary exists\r\n");
    replDropLinks(st);
}

/* The primary of the highest epoch among the peers, or NULL. */
static const repl_peer *replBestPrimary(const store *st) {
    const repl_peer *best = NULL;
    for (size_t i = 0; i < st->repl.npeers; i++) {
        const repl_peer *p = &st->repl.peers[i];
        if (p->known && !p->self && p->primary && (!best || p->epoch > best->epoch)) best = p;
    }
    return best;
}

static void replDecide(store *st) {
    const repl_peer *best = replBestPrimary(st);
    if (!best) return;
    if (st->repl.role == REPL_PRIMARY) {
        if (best->epoch > st->repl.epoch) replStepDown(st, best);
        else return;
    }
    if (best->epoch < st->repl.epoch) return; /* a stale primary: never follow it */
    st->repl.epoch = best->epoch;
    replUpstreamFollow(st, best->addr);
}

bool replParseRole(const resp_reply *r, repl_role_info *out) {
    char role[16], text[256];
    unsigned long long epoch, seq;
    if (!r || r->type != RESP_SIMPLE) return false;
    snprintf(text, sizeof(text), "%.*s", (int)r->str.len, r->str.ptr);
    if (sscanf(text, "%15s %llu %llu %31s %31s", role, &epoch, &seq, out->site, out->name) != 5)
        return false;
    out->primary = strcmp(role, "primary") == 0;
    out->epoch = epoch;
    out->seq = seq;
    return true;
}

static void replOnRole(repl_peer *p, const store *st, const resp_reply *r) {
    repl_role_info info;
    p->known = replParseRole(r, &info);
    if (!p->known) return;
    p->primary = info.primary;
    p->epoch = info.epoch;
    p->seq = info.seq;
    p->self = strcmp(info.name, st->repl.cfg.name) == 0;
}

static void replOnPeerReply(void *ctx, uint64_t tag, const resp_reply *reply) {
    store *st = ctx;
    repl_peer *p = &st->repl.peers[tag];
    p->probing = false;
    replOnRole(p, st, reply);
    replDecide(st);
}

static void replPoll(ev_loop *loop, void *data) {
    (void)loop;
    store *st = data;
    static const slice ROLE[1] = {SLICE_LIT("ROLE")};
    for (size_t i = 0; i < st->repl.npeers; i++) {
        repl_peer *p = &st->repl.peers[i];
        if (!storeClientReady(&p->sc)) p->known = false;
        if (p->probing || !storeClientReady(&p->sc)) continue;
        if (storeClientSend(&p->sc, i, 1, ROLE) == 0) p->probing = true;
    }
    if (st->repl.role == REPL_PRIMARY) replReleaseHolds(st); /* time-outs too */
    else replUpstreamTick(st);
}

/* Parses cfg.peers ("a,b,c") and starts polling them. 0 or -errno. */
int replStart(store *st) {
    repl *r = &st->repl;
    r->role = r->cfg.role;
    r->epoch = r->cfg.role == REPL_PRIMARY ? (r->cfg.epoch ? r->cfg.epoch : 1) : 0;
    r->up.watch.fd = -1;
    if (bufInit(&r->up.in, 0) < 0 || bufInit(&r->up.out, 0) < 0) return -ENOMEM;
    const char *s = r->cfg.peers ? r->cfg.peers : "";
    while (*s && r->npeers < REPL_MAX_PEERS) {
        size_t n = strcspn(s, ",");
        repl_peer *p = &r->peers[r->npeers];
        snprintf(p->addr, sizeof(p->addr), "%.*s", (int)n, s);
        int rc = storeClientInit(&p->sc, st->loop, p->addr, replOnPeerReply, st);
        if (rc < 0) return rc;
        /* ROLE polls go as the replica user (acl.h) */
        storeClientSetAuth(&p->sc, "replica", aclPassword(&st->acl, ACL_REPLICA));
        storeClientSetTls(&p->sc, st->tls_client);
        r->npeers++;
        s += n + (s[n] == ',');
    }
    evOnTick(st->loop, REPL_POLL_MS, replPoll, st);
    return 0;
}

void replStop(store *st) {
    replUpstreamStop(st);
    for (size_t i = 0; i < st->repl.npeers; i++) storeClientFree(&st->repl.peers[i].sc);
    st->repl.npeers = 0;
    bufFree(&st->repl.up.in);
    bufFree(&st->repl.up.out);
}
