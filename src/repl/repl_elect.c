/* repl_elect.c - the election (src/repl/election.h) wired into the store:
 * the VOTE and FAILOVER commands, asking the peers for votes over the ROLE
 * links (repl_peers.c), becoming primary (the no-op of the new epoch) and
 * stepping down (fencing: held writes fail, replica streams are dropped).
 * A lone store (no --peers) has no election: it is what --role says. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "repl/repl.h"

static const char *const KIND_WORDS[] = {"PRE", "REAL", "HANDOVER"};

static elect_pos replPos(const repl *r) {
    return (elect_pos){(*r->host.last_entry_epoch), journalLastSeq(r->host.journal)};
}

/* What a voter compares a candidate with: its own log, and the newest
 * log a peer reported within ELECT_TIMEOUT_MIN_MS. So two nodes that
 * restarted empty (a majority of amnesiacs) never elect one of
 * themselves while a node that holds the data answers: they vote for it
 * instead. A frozen or dead peer stops counting once its answer is old. */
static elect_pos replVoterPos(const repl *r) {
    elect_pos best = replPos(r);
    uint64_t now = evNowMs(r->host.loop);
    for (size_t i = 0; i < r->peers.n; i++) {
        const dir_node *p = &r->peers.nodes[i];
        if (!p->known || replPeerIsSelf(r, i) || now - p->answered_ms > ELECT_TIMEOUT_MIN_MS) continue;
        elect_pos theirs = {p->role.last_epoch, p->role.seq};
        if (!electPosAtLeast(best, theirs)) best = theirs;
    }
    return best;
}

void replElectStart(repl *r) {
    r->electing = r->has_peers;
    if (!r->electing) return;
    elect_config cfg = {.nodes = (unsigned)r->peers.n, .head_start = r->cfg.role == REPL_PRIMARY,
                        .seed = evNowMs(r->host.loop) ^ (uint64_t)getpid()};
    electInit(&r->el, &cfg, r->cfg.name, evNowMs(r->host.loop));
    r->role = REPL_REPLICA; /* until elected, whatever --role said */
    r->epoch = 0;
}

/* VOTE <kind> <epoch> <candidate> <last_epoch> <last_seq> to every peer. */
static void replAskVotes(repl *r) {
    elect_request rq;
    electRequest(&r->el, replPos(r), &rq);
    char epoch[24], le[24], ls[24];
    snprintf(epoch, sizeof epoch, "%llu", (unsigned long long)rq.epoch);
    snprintf(le, sizeof le, "%llu", (unsigned long long)rq.pos.epoch);
    snprintf(ls, sizeof ls, "%llu", (unsigned long long)rq.pos.seq);
    const char *kind = KIND_WORDS[rq.kind];
    slice argv[6] = {SLICE_LIT("VOTE"), sliceMake(kind, strlen(kind)), sliceMake(epoch, strlen(epoch)),
                     sliceMake(rq.candidate, strlen(rq.candidate)), sliceMake(le, strlen(le)),
                     sliceMake(ls, strlen(ls))};
    for (size_t i = 0; i < r->peers.n; i++)
        if (!replPeerIsSelf(r, i) && dirReady(&r->peers, i))
            dirSend(&r->peers, i, REPL_TAG(rq.kind, rq.epoch), 6, argv);
    if (rq.kind != ELECT_PRE)
        logInfo("standing for epoch %llu at seq %llu (epoch %llu)", (unsigned long long)rq.epoch,
                (unsigned long long)rq.pos.seq, (unsigned long long)rq.pos.epoch);
}

/* Elected: the no-op of our epoch goes first; nothing counts as committed
 * until a majority holds it (Raft's rule for entries of older epochs). */
static void replBecomePrimary(repl *r) {
    replUpstreamStop(r);
    r->role = REPL_PRIMARY;
    r->epoch = electEpoch(&r->el);
    r->committed = 0;
    r->acked_in_epoch = false;
    r->elections++;
    r->grace_until_ms = evNowMs(r->host.loop) + REPL_GRACE_MS;
    slice name = sliceMake(r->cfg.name, strlen(r->cfg.name));
    int64_t seq = journalAppendNewEpoch(r->host.journal, r->epoch, name);
    if (seq < 0) logError("could not journal the no-op of epoch %llu: %s: nothing will commit",
                          (unsigned long long)r->epoch, strerror((int)-seq));
    r->noop_seq = seq < 0 ? UINT64_MAX : (uint64_t)seq;
    if (seq > 0) (*r->host.last_entry_epoch) = r->epoch;
    logInfo("elected primary of epoch %llu at seq %llu", (unsigned long long)r->epoch,
            (unsigned long long)journalLastSeq(r->host.journal));
}

/* A newer epoch exists, or no majority answers: stop acknowledging. */
static void replBecomeReplica(repl *r) {
    logInfo("stepping down from primary of epoch %llu (now epoch %llu): fenced",
            (unsigned long long)r->epoch, (unsigned long long)electEpoch(&r->el));
    r->role = REPL_REPLICA;
    r->stepdowns++;
    replFailHolds(r, "-FENCED no longer the primary\r\n");
    replDropLinks(r);
}

void replAct(repl *r, elect_action a) {
    if (!r->electing) return;
    if (a == ELECT_ASK_PREVOTES || a == ELECT_ASK_VOTES) replAskVotes(r);
    if (a == ELECT_WON) replBecomePrimary(r);
    if (a == ELECT_STEPPED_DOWN) replBecomeReplica(r);
    r->epoch = electEpoch(&r->el);
    replNoteRole(r);
}

void replElectTick(repl *r) {
    if (!r->electing) return;
    uint64_t now = evNowMs(r->host.loop);
    if (r->role == REPL_PRIMARY) replAct(r, electQuorum(&r->el, now, (unsigned)replContactLinks(r)));
    replAct(r, electTick(&r->el, now, replResyncing(r)));
}

static bool replParseKind(slice s, elect_kind *kind) {
    for (unsigned k = 0; k < sizeof KIND_WORDS / sizeof KIND_WORDS[0]; k++)
        if (sliceEqStr(s, KIND_WORDS[k])) {
            *kind = (elect_kind)k;
            return true;
        }
    return false;
}

static bool replParseRequest(const resp_command *cmd, elect_request *rq) {
    const slice *a = cmd->argv;
    if (!replParseKind(a[1], &rq->kind) || !replParseU64(a[2], &rq->epoch)) return false;
    if (a[3].len == 0 || a[3].len >= sizeof rq->candidate) return false;
    memcpy(rq->candidate, a[3].ptr, a[3].len);
    rq->candidate[a[3].len] = '\0';
    return replParseU64(a[4], &rq->pos.epoch) && replParseU64(a[5], &rq->pos.seq);
}

/* VOTE <PRE|REAL|HANDOVER> <epoch> <candidate> <last_epoch> <last_seq>
 *   -> +GRANTED <my epoch> | -DENIED <my epoch> <why> */
int replCmdVote(repl *r, const resp_command *cmd, buf *out) {
    elect_request rq;
    if (!r->electing) return respWriteError(out, "ERR no election: this store has no --peers");
    if (!replParseRequest(cmd, &rq)) return respWriteError(out, "ERR bad VOTE arguments");
    const char *why;
    bool stepped_down;
    bool ok = electOnRequest(&r->el, evNowMs(r->host.loop), &rq, replVoterPos(r), replResyncing(r),
                             &why, &stepped_down);
    replAct(r, stepped_down ? ELECT_STEPPED_DOWN : ELECT_NOTHING);
    if (ok && rq.kind != ELECT_PRE)
        logInfo("voted for %s in epoch %llu", rq.candidate, (unsigned long long)rq.epoch);
    char line[160];
    snprintf(line, sizeof line, ok ? "+GRANTED %llu\r\n" : "-DENIED %llu %s\r\n",
             (unsigned long long)r->epoch, ok ? "" : why);
    return bufAppendStr(out, line);
}

/* A peer's answer to our VOTE (NULL: its link died; a refusal). */
void replOnVoteReply(repl *r, size_t node, uint64_t tag, const resp_reply *reply) {
    if (!r->electing || !reply) return;
    bool granted = reply->type == RESP_SIMPLE;
    const char *word = granted ? "GRANTED " : "DENIED ";
    size_t n = strlen(word);
    slice s = reply->str;
    if (s.len <= n || memcmp(s.ptr, word, n) != 0) return;
    slice rest = sliceMake(s.ptr + n, s.len - n);
    size_t digits = 0;
    while (digits < rest.len && rest.ptr[digits] >= '0' && rest.ptr[digits] <= '9') digits++;
    uint64_t theirs;
    if (!replParseU64(sliceMake(rest.ptr, digits), &theirs)) return;
    replAct(r, electOnReply(&r->el, evNowMs(r->host.loop), (unsigned)node, REPL_TAG_KIND(tag),
                             REPL_TAG_EPOCH(tag), granted, theirs));
}

/* A lone store's PROMOTE (no election to hold): primary of a new epoch. */
static int replPromoteAlone(repl *r, buf *out) {
    if (r->role == REPL_PRIMARY) return respWriteError(out, "ERR already primary");
    if (replResyncing(r)) return respWriteError(out, "ERR syncing: a full resync is under way");
    replUpstreamStop(r);
    r->role = REPL_PRIMARY;
    r->epoch++;
    r->committed = journalLastSeq(r->host.journal);
    logInfo("promoted to primary, epoch %llu, at seq %llu", (unsigned long long)r->epoch,
            (unsigned long long)journalLastSeq(r->host.journal));
    replNoteRole(r);
    char line[64];
    snprintf(line, sizeof(line), "+OK epoch %llu\r\n", (unsigned long long)r->epoch);
    return bufAppendStr(out, line);
}

/* FAILOVER (admin; PROMOTE is its old name): a planned handover to this
 * node. It stands at once for the next epoch, asking even a healthy
 * primary to step aside; it wins only if its log is at least as up to date
 * as a majority's, so nothing acknowledged is lost. */
int replCmdFailover(repl *r, const resp_command *cmd, buf *out) {
    (void)cmd;
    if (!r->electing) return replPromoteAlone(r, out);
    const char *why;
    if (!electHandover(&r->el, evNowMs(r->host.loop), replResyncing(r), &why)) {
        char line[128];
        snprintf(line, sizeof line, "-ERR %s\r\n", why);
        return bufAppendStr(out, line);
    }
    replAct(r, ELECT_ASK_VOTES);
    char line[96];
    snprintf(line, sizeof(line), "+OK standing for epoch %llu\r\n", (unsigned long long)r->epoch);
    return bufAppendStr(out, line);
}
