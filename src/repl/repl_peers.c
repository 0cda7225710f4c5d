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
#include "repl/repl.h"

/* What ROLE calls this node now: primary, candidate, syncing or replica. */
static const char *replRoleWord(const repl *r) {
    if (r->role == REPL_PRIMARY) return "primary";
    if (replResyncing(r)) return "syncing";
    /* a pre-vote changes nobody's state: only a real candidacy is shown */
    if (r->electing && electRole(&r->el) == ELECT_CANDIDATE &&
        !electPreVoting(&r->el))
        return "candidate";
    return "replica";
}

void replNoteRole(repl *r) {
    const char *now = replRoleWord(r);
    if (strcmp(now, r->role_word) == 0) return;
    logInfo("role: %s -> %s epoch %llu seq %llu", r->role_word[0] ? r->role_word : "start", now,
            (unsigned long long)r->epoch, (unsigned long long)journalLastSeq(r->host.journal));
    snprintf(r->role_word, sizeof r->role_word, "%s", now);
}

/* ROLE -> +<role> <epoch> <last_seq> <site> <name> <last_entry_epoch> */
int replCmdRole(repl *r, const resp_command *cmd, buf *out) {
    (void)cmd;
    char line[224];
    snprintf(line, sizeof(line), "+%s %llu %llu %s %s %llu\r\n", replRoleWord(r),
             (unsigned long long)r->epoch, (unsigned long long)journalLastSeq(r->host.journal),
             r->cfg.site, r->cfg.name, (unsigned long long)(*r->host.last_entry_epoch));
    return bufAppendStr(out, line);
}

/* Node i of the directory is this very node (it answered with our name). */
bool replPeerIsSelf(const repl *r, size_t i) {
    const dir_node *nd = &r->peers.nodes[i];
    return nd->known && strcmp(nd->role.name, r->cfg.name) == 0;
}

/* A replica follows the primary of its epoch (never a stale one). */
static void replFollowBest(repl *r) {
    const directory *d = &r->peers;
    int self = -1;
    for (size_t i = 0; i < d->n; i++)
        if (replPeerIsSelf(r, i)) self = (int)i;
    int best = dirPrimary(d, self);
    if (best < 0 || r->role == REPL_PRIMARY) return;
    const dir_node *nd = &d->nodes[best];
    if (nd->role.epoch < r->epoch) return;
    if (!r->electing) r->epoch = nd->role.epoch;
    replUpstreamFollow(r, nd->addr);
}

/* Every other node answered, all in epoch 0: a new cluster (election.h). */
static void replCheckNewCluster(repl *r) {
    if (!r->electing || r->epoch != 0) return;
    for (size_t i = 0; i < r->peers.n; i++) {
        const dir_node *nd = &r->peers.nodes[i];
        if (!nd->known || nd->role.epoch != 0) return;
    }
    electClusterIsNew(&r->el);
}

/* A ROLE answer of node i (or its loss): a sign of life, an epoch, maybe
 * a primary to follow. */
static void replOnRole(void *ctx, size_t i) {
    repl *r = ctx;
    const dir_node *nd = &r->peers.nodes[i];
    if (nd->known && !replPeerIsSelf(r, i) && r->electing)
        replAct(r, electObserve(&r->el, evNowMs(r->host.loop), nd->role.epoch, nd->role.primary));
    replCheckNewCluster(r);
    replFollowBest(r);
    replNoteRole(r);
}

static void replOnPeerReply(void *ctx, size_t node, uint64_t tag, const resp_reply *reply) {
    replOnVoteReply(ctx, node, tag, reply); /* all we send besides ROLE */
}

static void replPoll(ev_loop *loop, void *data) {
    (void)loop;
    repl *r = data;
    if (r->has_peers) dirPoll(&r->peers);
    replElectTick(r);
    if (r->role == REPL_PRIMARY) replReleaseHolds(r); /* time-outs too */
    else replUpstreamTick(r);
    replNoteRole(r);
}

/* Parses cfg.peers ("a,b,c") and starts polling them. 0 or -errno. */
void replBind(repl *r, const repl_host *host) {
    r->host = *host;
    journalScratchInit(&r->scratch);
}

int replStart(repl *r) {
    r->role = r->cfg.role;
    r->epoch = r->cfg.role == REPL_PRIMARY ? (r->cfg.epoch ? r->cfg.epoch : 1) : 0;
    r->up.watch.fd = -1;
    if (bufInit(&r->up.in, 0) < 0 || bufInit(&r->up.out, 0) < 0) return -ENOMEM;
    if (r->cfg.peers && *r->cfg.peers) {
        int rc = dirInit(&r->peers, r->host.loop, r->cfg.peers, replOnPeerReply, replOnRole, r);
        if (rc < 0) return rc;
        r->has_peers = true;
        /* ROLE polls and votes go as the replica user (acl.h) */
        dirSetAuth(&r->peers, "replica", r->host.replica_password);
        dirSetTls(&r->peers, r->host.tls_client);
    }
    replElectStart(r);
    replNoteRole(r);
    evOnTick(r->host.loop, REPL_POLL_MS, replPoll, r);
    return 0;
}

void replStop(repl *r) {
    if (r->host.loop) evRemoveHooks(r->host.loop, r); /* the ROLE poll's tick */
    replUpstreamStop(r);
    if (r->has_peers) dirFree(&r->peers);
    r->has_peers = false;
    bufFree(&r->up.in);
    bufFree(&r->up.out);
    journalScratchFree(&r->scratch);
}
