/* election.c - Raft's leader election as a pure state machine (see
 * election.h for the rules and why they keep a memory-only cluster safe). */
#include "repl/election.h"

#include <stdio.h>
#include <string.h>

static uint64_t electRandom(election *e) {
    uint64_t x = e->rng; /* xorshift64: plenty to spread timeouts */
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return e->rng = x;
}

static uint64_t electTimeout(election *e) {
    uint64_t span = e->cfg.timeout_max_ms - e->cfg.timeout_min_ms;
    return e->cfg.timeout_min_ms + (span ? electRandom(e) % span : 0);
}

void electInit(election *e, const elect_config *cfg, const char *self, uint64_t now) {
    *e = (election){.cfg = *cfg, .role = ELECT_FOLLOWER, .started_ms = now};
    snprintf(e->self, sizeof e->self, "%s", self);
    if (!e->cfg.timeout_min_ms) e->cfg.timeout_min_ms = ELECT_TIMEOUT_MIN_MS;
    if (e->cfg.timeout_max_ms <= e->cfg.timeout_min_ms) e->cfg.timeout_max_ms = ELECT_TIMEOUT_MAX_MS;
    if (e->cfg.timeout_max_ms <= e->cfg.timeout_min_ms)
        e->cfg.timeout_max_ms = e->cfg.timeout_min_ms + 1;
    e->rng = cfg->seed ? cfg->seed : 0x9e3779b97f4a7c15ull;
    for (const char *p = self; *p; p++) e->rng = (e->rng ^ (uint8_t)*p) * 0x100000001b3ull;
    e->rng |= 1; /* xorshift must not start at 0 */
    /* --role primary stands as soon as it may; the others a timeout later */
    e->deadline_ms = now + (cfg->head_start ? 0 : e->cfg.timeout_max_ms + electTimeout(e));
    if (cfg->nodes <= 1) e->may_vote = true; /* nobody to have voted with */
}

unsigned electMajority(const election *e) { return e->cfg.nodes / 2 + 1; }
uint64_t electEpoch(const election *e) { return e->epoch; }
elect_role electRole(const election *e) { return e->role; }
bool electPreVoting(const election *e) { return e->role == ELECT_CANDIDATE && e->pre; }

const char *electRoleName(elect_role r) {
    static const char *const NAMES[] = {"replica", "candidate", "primary"};
    return NAMES[r];
}

bool electPosAtLeast(elect_pos a, elect_pos b) {
    return a.epoch > b.epoch || (a.epoch == b.epoch && a.seq >= b.seq);
}

/* Back to follower, in `epoch` (a new epoch: no vote cast in it yet). */
static elect_action electFollow(election *e, uint64_t now, uint64_t epoch) {
    bool was_primary = e->role == ELECT_PRIMARY;
    if (epoch > e->epoch) e->voted_for[0] = '\0';
    e->epoch = epoch;
    e->role = ELECT_FOLLOWER;
    e->pre = e->handover = false;
    e->grants = 0;
    e->deadline_ms = now + electTimeout(e);
    return was_primary ? ELECT_STEPPED_DOWN : ELECT_NOTHING;
}

static unsigned electGranted(const election *e) {
    return 1u + (unsigned)__builtin_popcount(e->grants); /* our own vote */
}

/* Enough grants: the pre-vote turns into the real one, the real one wins. */
static elect_action electCount(election *e, uint64_t now) {
    if (e->role != ELECT_CANDIDATE || electGranted(e) < electMajority(e)) return ELECT_NOTHING;
    if (!e->pre) {
        e->role = ELECT_PRIMARY;
        e->quorum_ms = now; /* its replicas get a timeout to attach */
        return ELECT_WON;
    }
    e->pre = false;
    e->epoch++;
    snprintf(e->voted_for, sizeof e->voted_for, "%s", e->self);
    e->grants = 0;
    return electGranted(e) >= electMajority(e) ? electCount(e, now) : ELECT_ASK_VOTES;
}

/* The restart rule (election.h): heard a peer, then waited timeout_max. */
static void electCheckMayVote(election *e, uint64_t now) {
    if (e->may_vote || !e->heard_peer_ms || now - e->heard_peer_ms < e->cfg.timeout_max_ms) return;
    e->may_vote = true;
    e->vote_floor = e->epoch;
}

void electClusterIsNew(election *e) {
    if (e->may_vote || e->epoch != 0) return;
    e->may_vote = true;
    e->vote_floor = 0;
}

elect_action electTick(election *e, uint64_t now, bool resyncing) {
    electCheckMayVote(e, now);
    if (e->role == ELECT_PRIMARY || resyncing || !e->may_vote || now < e->deadline_ms)
        return ELECT_NOTHING;
    if (e->cfg.nodes > 1 && !e->heard_peer_ms) return ELECT_NOTHING; /* nobody to ask yet */
    e->role = ELECT_CANDIDATE;
    e->pre = true;
    e->handover = false;
    e->grants = 0;
    e->deadline_ms = now + electTimeout(e);
    elect_action a = electCount(e, now); /* a lone node wins at once */
    return a == ELECT_NOTHING ? ELECT_ASK_PREVOTES : a;
}

elect_action electObserve(election *e, uint64_t now, uint64_t epoch, bool primary) {
    elect_action a = ELECT_NOTHING;
    if (!e->heard_peer_ms) e->heard_peer_ms = now ? now : 1;
    if (epoch > e->epoch) a = electFollow(e, now, epoch);
    if (!primary || epoch < e->epoch || e->role == ELECT_PRIMARY) return a;
    if (e->role == ELECT_CANDIDATE) electFollow(e, now, epoch); /* someone won */
    e->heard_primary_ms = now;
    e->deadline_ms = now + electTimeout(e);
    return a;
}

/* Heard a primary (or are one with a majority) within timeout_min. */
static bool electPrimaryAlive(const election *e, uint64_t now) {
    if (e->role == ELECT_PRIMARY) return now - e->quorum_ms < e->cfg.timeout_min_ms;
    return e->heard_primary_ms && now - e->heard_primary_ms < e->cfg.timeout_min_ms;
}

/* Why a vote for rq cannot be granted now, or NULL. */
static const char *electRefusal(const election *e, const elect_request *rq, elect_pos mine,
                                bool resyncing) {
    if (resyncing) return "resyncing: my state is not whole";
    if (rq->epoch <= e->vote_floor) return "restarted: not voting in an epoch I may have voted in";
    if (rq->kind == ELECT_PRE ? rq->epoch <= e->epoch : rq->epoch < e->epoch) return "stale epoch";
    if (rq->kind != ELECT_PRE && e->voted_for[0] && strcmp(e->voted_for, rq->candidate) != 0)
        return "already voted in this epoch";
    if (!electPosAtLeast(rq->pos, mine)) return "candidate's log is behind mine";
    return NULL;
}

bool electOnRequest(election *e, uint64_t now, const elect_request *rq, elect_pos mine,
                    bool resyncing, const char **why, bool *stepped_down) {
    *stepped_down = false;
    electCheckMayVote(e, now);
    if (!e->may_vote) {
        *why = "just started: not voting yet";
        return false;
    }
    if (rq->kind != ELECT_HANDOVER && electPrimaryAlive(e, now)) {
        *why = "a primary is alive"; /* and its epoch is not disturbed */
        return false;
    }
    if (rq->kind != ELECT_PRE && rq->epoch > e->epoch)
        *stepped_down = electFollow(e, now, rq->epoch) == ELECT_STEPPED_DOWN;
    *why = electRefusal(e, rq, mine, resyncing);
    if (*why || rq->kind == ELECT_PRE) return *why == NULL;
    snprintf(e->voted_for, sizeof e->voted_for, "%s", rq->candidate);
    e->deadline_ms = now + electTimeout(e); /* give the candidate time to win */
    return true;
}

elect_action electOnReply(election *e, uint64_t now, unsigned node, elect_kind kind,
                          uint64_t epoch, bool granted, uint64_t their_epoch) {
    if (their_epoch > e->epoch) return electFollow(e, now, their_epoch);
    if (e->role != ELECT_CANDIDATE || node >= 32 || !granted) return ELECT_NOTHING;
    bool pre = kind == ELECT_PRE;
    if (pre != e->pre || epoch != (pre ? e->epoch + 1 : e->epoch)) return ELECT_NOTHING; /* old */
    e->grants |= 1u << node;
    return electCount(e, now);
}

elect_action electQuorum(election *e, uint64_t now, unsigned live) {
    if (e->role != ELECT_PRIMARY) return ELECT_NOTHING;
    if (live + 1 >= electMajority(e)) {
        e->quorum_ms = now;
        return ELECT_NOTHING;
    }
    if (now - e->quorum_ms < e->cfg.timeout_min_ms) return ELECT_NOTHING;
    e->heard_primary_ms = 0;
    return electFollow(e, now, e->epoch);
}

bool electHandover(election *e, uint64_t now, bool resyncing, const char **why) {
    electCheckMayVote(e, now);
    *why = e->role == ELECT_PRIMARY ? "already primary"
           : resyncing              ? "syncing: a full resync is under way"
           : !e->may_vote           ? "just started: not standing yet"
                                    : NULL;
    if (*why) return false;
    e->role = ELECT_CANDIDATE;
    e->pre = false;
    e->handover = true;
    e->epoch++;
    snprintf(e->voted_for, sizeof e->voted_for, "%s", e->self);
    e->grants = 0;
    e->deadline_ms = now + electTimeout(e);
    return true;
}

void electRequest(const election *e, elect_pos mine, elect_request *rq) {
    rq->kind = e->pre ? ELECT_PRE : e->handover ? ELECT_HANDOVER : ELECT_REAL;
    rq->epoch = e->pre ? e->epoch + 1 : e->epoch;
    snprintf(rq->candidate, sizeof rq->candidate, "%s", e->self);
    rq->pos = mine;
}
