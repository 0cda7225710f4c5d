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
    /* a pre-vote changes nobody's state: only a real candidacy is shown */
    if (st->repl.electing && electRole(&st->repl.el) == ELECT_CANDIDATE &&
        !electPreVoting(&st->repl.el))
        return "candidate";
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

/* Node i of the directory is this very node (it answered with our name). */
bool replPeerIsSelf(const store *st, size_t i) {
    const dir_node *nd = &st->repl.peers.nodes[i];
    return nd->known && strcmp(nd->role.name, st->repl.cfg.name) == 0;
}

/* A replica follows the primary of its epoch (never a stale one). */
static void replFollowBest(store *st) {
    const directory *d = &st->repl.peers;
    int self = -1;
    for (size_t i = 0; i < d->n; i++)
        if (replPeerIsSelf(st, i)) self = (int)i;
    int best = dirPrimary(d, self);
    if (best < 0 || st->repl.role == REPL_PRIMARY) return;
    const dir_node *nd = &d->nodes[best];
    if (nd->role.epoch < st->repl.epoch) return;
    if (!st->repl.electing) st->repl.epoch = nd->role.epoch;
    replUpstreamFollow(st, nd->addr);
}

/* Every other node answered, all in epoch 0: a new cluster (election.h). */
static void replCheckNewCluster(store *st) {
    if (!st->repl.electing || st->repl.epoch != 0) return;
    for (size_t i = 0; i < st->repl.peers.n; i++) {
        const dir_node *nd = &st->repl.peers.nodes[i];
        if (!nd->known || nd->role.epoch != 0) return;
    }
    electClusterIsNew(&st->repl.el);
}

/* A ROLE answer of node i (or its loss): a sign of life, an epoch, maybe
 * a primary to follow. */
static void replOnRole(void *ctx, size_t i) {
    store *st = ctx;
    const dir_node *nd = &st->repl.peers.nodes[i];
    if (nd->known && !replPeerIsSelf(st, i) && st->repl.electing)
        replAct(st, electObserve(&st->repl.el, evNowMs(st->loop), nd->role.epoch, nd->role.primary));
    replCheckNewCluster(st);
    replFollowBest(st);
    replNoteRole(st);
}

static void replOnPeerReply(void *ctx, size_t node, uint64_t tag, const resp_reply *reply) {
    replOnVoteReply(ctx, node, tag, reply); /* all we send besides ROLE */
}

static void replPoll(ev_loop *loop, void *data) {
    (void)loop;
    store *st = data;
    if (st->repl.has_peers) dirPoll(&st->repl.peers);
    replElectTick(st);
    if (st->repl.role == REPL_PRIMARY) replReleaseHolds(st); /* time-outs too */
    else replUpstreamTick(st);
    replNoteRole(st);
}

/* Parses cfg.peers ("a,b,c") and starts polling them. 0 or -errno. */
int replStart(store *st) {
    repl *r = &st->repl;
    r->role = r->cfg.role;
    r->epoch = r->cfg.role == REPL_PRIMARY ? (r->cfg.epoch ? r->cfg.epoch : 1) : 0;
    r->up.watch.fd = -1;
    if (bufInit(&r->up.in, 0) < 0 || bufInit(&r->up.out, 0) < 0) return -ENOMEM;
    if (r->cfg.peers && *r->cfg.peers) {
        int rc = dirInit(&r->peers, st->loop, r->cfg.peers, replOnPeerReply, replOnRole, st);
        if (rc < 0) return rc;
        r->has_peers = true;
        /* ROLE polls and votes go as the replica user (acl.h) */
        dirSetAuth(&r->peers, "replica", aclPassword(&st->acl, ACL_REPLICA));
        dirSetTls(&r->peers, st->tls_client);
    }
    replElectStart(st);
    replNoteRole(st);
    evOnTick(st->loop, REPL_POLL_MS, replPoll, st);
    return 0;
}

void replStop(store *st) {
    replUpstreamStop(st);
    if (st->repl.has_peers) dirFree(&st->repl.peers);
    st->repl.has_peers = false;
    bufFree(&st->repl.up.in);
    bufFree(&st->repl.up.out);
}
