/* repl_peers.c - the other store nodes: every node polls `ROLE` of every
 * store address it was given, every REPL_POLL_MS. What the answers say
 * feeds the election (repl_elect.c: each answer is a sign of life, an
 * epoch, maybe a primary), and a replica follows the primary of the
 * highest epoch. ROLE is answered here too, and every change of what it
 * says is logged as "role: <old> -> <new> epoch <E> seq <S>". */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/store_server.h"

/* What ROLE calls this node now: primary, candidate, syncing or replica. */
static const char *replRoleWord(const store *st) {
    if (st->repl.role == REPL_PRIMARY) return "primary";
    if (replResyncing(st)) return "syncing";
    if (st->repl.electing && electRole(&st->repl.el) == ELECT_CANDIDATE) return "candidate";
    return "replica";
}

void replNoteRole(store *st) {
    repl *r = &st->repl;
    const char *now = replRoleWord(st);
    if (strcmp(now, r->role_word) == 0) return;
    logInfo("role: %s -> %s epoch %llu seq %llu", r->role_word[0] ? r->role_word : "start", now,
            (unsigned long long)r->epoch, (unsigned long long)journalLastSeq(st->journal));
    snprintf(r->role_word, sizeof r->role_word, "%s", now);
}

/* ROLE -> +<role> <epoch> <last_seq> <site> <name> <last_entry_epoch> */
int replCmdRole(store *st, const resp_command *cmd, buf *out) {
    (void)cmd;
    char line[224];
    snprintf(line, sizeof(line), "+%s %llu %llu %s %s %llu\r\n", replRoleWord(st),
             (unsigned long long)st->repl.epoch, (unsigned long long)journalLastSeq(st->journal),
             st->repl.cfg.site, st->repl.cfg.name, (unsigned long long)st->last_entry_epoch);
    return bufAppendStr(out, line);
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

/* A replica follows the primary of its epoch (never a stale one). */
static void replFollowBest(store *st) {
    const repl_peer *best = replBestPrimary(st);
    if (!best || st->repl.role == REPL_PRIMARY || best->epoch < st->repl.epoch) return;
    if (!st->repl.electing) st->repl.epoch = best->epoch;
    replUpstreamFollow(st, best->addr);
}

bool replParseRole(const resp_reply *r, repl_role_info *out) {
    char role[16], text[256];
    unsigned long long epoch, seq, last_epoch = 0;
    if (!r || r->type != RESP_SIMPLE) return false;
    snprintf(text, sizeof(text), "%.*s", (int)r->str.len, r->str.ptr);
    int n = sscanf(text, "%15s %llu %llu %31s %31s %llu", role, &epoch, &seq, out->site, out->name,
                   &last_epoch);
    if (n < 5) return false;
    out->primary = strcmp(role, "primary") == 0;
    out->epoch = epoch;
    out->seq = seq;
    out->last_epoch = last_epoch;
    return true;
}

static void replOnRole(store *st, repl_peer *p, const resp_reply *r) {
    repl_role_info info;
    p->known = replParseRole(r, &info);
    if (!p->known) return;
    p->primary = info.primary;
    p->epoch = info.epoch;
    p->seq = info.seq;
    p->last_epoch = info.last_epoch;
    p->answered_ms = evNowMs(st->loop);
    p->self = strcmp(info.name, st->repl.cfg.name) == 0;
    if (p->self || !st->repl.electing) return;
    replAct(st, electObserve(&st->repl.el, evNowMs(st->loop), info.epoch, info.primary));
}

/* Every other node answered, all in epoch 0: a new cluster (election.h). */
static void replCheckNewCluster(store *st) {
    if (!st->repl.electing || st->repl.epoch != 0) return;
    for (size_t i = 0; i < st->repl.npeers; i++) {
        const repl_peer *p = &st->repl.peers[i];
        if (!p->known || p->epoch != 0) return;
    }
    electClusterIsNew(&st->repl.el);
}

static void replOnPeerReply(void *ctx, uint64_t tag, const resp_reply *reply) {
    store *st = ctx;
    repl_peer *p = &st->repl.peers[REPL_TAG_PEER(tag)];
    if (REPL_TAG_KIND(tag) != 0) {
        replOnVoteReply(st, tag, reply);
        return;
    }
    p->probing = false;
    replOnRole(st, p, reply);
    replCheckNewCluster(st);
    replFollowBest(st);
    replNoteRole(st);
}

static void replPoll(ev_loop *loop, void *data) {
    (void)loop;
    store *st = data;
    static const slice ROLE[1] = {SLICE_LIT("ROLE")};
    for (size_t i = 0; i < st->repl.npeers; i++) {
        repl_peer *p = &st->repl.peers[i];
        if (!storeClientReady(&p->sc)) p->known = false;
        if (p->probing || !storeClientReady(&p->sc)) continue;
        if (storeClientSend(&p->sc, REPL_TAG(i, 0, 0), 1, ROLE) == 0) p->probing = true;
    }
    replElectTick(st);
    if (st->repl.role == REPL_PRIMARY) replReleaseHolds(st); /* time-outs too */
    else replUpstreamTick(st);
    replNoteRole(st);
}

static int replAddPeer(store *st, const char *addr, size_t len) {
    repl *r = &st->repl;
    repl_peer *p = &r->peers[r->npeers];
    snprintf(p->addr, sizeof(p->addr), "%.*s", (int)len, addr);
    int rc = storeClientInit(&p->sc, st->loop, p->addr, replOnPeerReply, st);
    if (rc < 0) return rc;
    /* ROLE polls and votes go as the replica user (acl.h) */
    storeClientSetAuth(&p->sc, "replica", aclPassword(&st->acl, ACL_REPLICA));
    storeClientSetTls(&p->sc, st->tls_client);
    r->npeers++;
    return 0;
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
        int rc = replAddPeer(st, s, n);
        if (rc < 0) return rc;
        s += n + (s[n] == ',');
    }
    replElectStart(st);
    replNoteRole(st);
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
