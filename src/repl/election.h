/* election.h - who is primary: Raft's leader election over bardo's
 * journal, as a pure state machine (no sockets, no clock of its own: the
 * caller passes `now` in ms and carries the messages), so that two, three
 * or five nodes can be run against each other in one unit test.
 *
 * How it works
 *   - Epoch = Raft's term. A node is a follower, a candidate or the
 *     primary. Its log position is the (epoch, seq) of its newest journal
 *     entry; positions compare epoch first, then seq.
 *   - A follower that hears nothing from a primary of its epoch (or a
 *     newer one) for an election timeout, randomised in
 *     [timeout_min, timeout_max), stands. It first asks for a PRE-vote for
 *     epoch+1, which changes nobody's state: only when a majority would
 *     grant it does it bump its epoch, vote for itself and ask for real
 *     votes. So a node cut off from the others never inflates its epoch
 *     and never disturbs a healthy primary when it comes back (Raft
 *     thesis 9.6).
 *   - A vote for epoch E is granted at most once per epoch, only if E is
 *     above the voter's epoch (or equal, for the same candidate again), only
 *     to a candidate whose position is at least the voter's (so the winner
 *     holds every write a majority acknowledged), and not while the voter
 *     has heard a live primary within timeout_min (a primary that is fine
 *     is not deposed by a node that merely lost its link), unless the
 *     request is a planned handover (FAILOVER). A node in the middle of a
 *     full resync neither votes nor stands: its state is not whole.
 *   - A majority of all configured nodes (self included) wins: 2 of 3,
 *     3 of 5. The new primary commits an entry of its own epoch (the Raft
 *     no-op) before anything it acknowledges counts (repl.h).
 *   - Check-quorum: a primary that has not had a majority (itself plus
 *     live replicas) for timeout_min steps down to follower, so a primary
 *     cut off from its replicas, or frozen and thawed, stops handing out
 *     acknowledgements and the APIs go to the new one.
 *   - Any epoch above ours that we see (a ROLE answer, a vote request or
 *     reply) is adopted at once, and a primary that sees one steps down.
 *
 * Memory only: a restarted node has forgotten the votes it cast. It stays
 * safe because after a start a node neither votes nor stands until it has
 * heard from a peer and then waited timeout_max, and even then votes only
 * in epochs above every epoch it has heard of by that time (vote_floor).
 * So it cannot vote twice in an epoch whose election was running when it
 * died: that epoch is at most the one it hears back, and it never votes in
 * it again. (The one exception: when every peer answers epoch 0 the whole
 * cluster is new, no vote was ever cast, and it may vote at once.) A node
 * that restarted empty also loses every election against one that holds
 * data: its position is (0, 0). What memory-only cannot survive is a
 * majority losing its memory at once; bardo promises one site. */
#ifndef BARDO_ELECTION_H
#define BARDO_ELECTION_H

#include <stdbool.h>
#include <stdint.h>

#define ELECT_MAX_NODES 8
#define ELECT_NAME_MAX 32
#define ELECT_TIMEOUT_MIN_MS 600
#define ELECT_TIMEOUT_MAX_MS 1200

typedef enum elect_role { ELECT_FOLLOWER, ELECT_CANDIDATE, ELECT_PRIMARY } elect_role;

typedef enum elect_kind { ELECT_PRE, ELECT_REAL, ELECT_HANDOVER } elect_kind;

/* What the caller must do after a call. */
typedef enum elect_action {
    ELECT_NOTHING,
    ELECT_ASK_PREVOTES, /* send VOTE PRE electEpoch(e)+1 to every peer */
    ELECT_ASK_VOTES,    /* send VOTE REAL (or HANDOVER) electEpoch(e) */
    ELECT_WON,          /* we are primary of electEpoch(e): commit a no-op */
    ELECT_STEPPED_DOWN  /* we were primary and are not: fail held writes */
} elect_action;

typedef struct elect_pos {
    uint64_t epoch, seq; /* of the newest journal entry */
} elect_pos;

typedef struct elect_request {
    elect_kind kind;
    uint64_t epoch; /* the epoch the candidate stands for */
    char candidate[ELECT_NAME_MAX];
    elect_pos pos;  /* the candidate's log position */
} elect_request;

typedef struct elect_config {
    unsigned nodes;    /* configured store nodes, self included */
    bool head_start;   /* stands first at a fresh start (--role primary) */
    uint64_t timeout_min_ms, timeout_max_ms; /* 0: the defaults above */
    uint64_t seed;     /* of the timeout randomisation */
} elect_config;

typedef struct election {
    elect_config cfg;
    char self[ELECT_NAME_MAX];
    elect_role role;
    uint64_t epoch;
    char voted_for[ELECT_NAME_MAX]; /* in epoch; "" for nobody */
    bool pre;                 /* candidate: still in the pre-vote round */
    bool handover;            /* this candidacy is a planned handover */
    uint32_t grants;          /* bit per node index, self included */
    uint64_t deadline_ms;     /* follower/candidate: stand (again) then */
    uint64_t heard_primary_ms; /* last sign of life of a primary, or 0 */
    uint64_t started_ms;
    uint64_t heard_peer_ms;   /* first answer of any peer since start, 0: none */
    bool may_vote;            /* the restart rule is satisfied */
    uint64_t vote_floor;      /* votes only in epochs above this */
    uint64_t quorum_ms;       /* primary: last time it had a majority */
    uint64_t rng;
} election;

void electInit(election *e, const elect_config *cfg, const char *self, uint64_t now);

/* Timers: standing, re-standing, the restart rule. Call every poll. */
elect_action electTick(election *e, uint64_t now, bool resyncing);

/* A peer's ROLE answer (or our stream from the primary): its epoch and
 * whether it is primary. May adopt the epoch or step us down. */
elect_action electObserve(election *e, uint64_t now, uint64_t epoch, bool primary);

/* Every peer answered and all said epoch 0: nobody ever voted. */
void electClusterIsNew(election *e);

/* A vote request from a peer: true to grant. *why says why not. Adopts a
 * higher epoch (*stepped_down when we were primary). */
bool electOnRequest(election *e, uint64_t now, const elect_request *rq, elect_pos mine,
                    bool resyncing, const char **why, bool *stepped_down);

/* The answer of peer `node` (an index below cfg.nodes, not ours) to our
 * request for `epoch` of `kind`; their_epoch is the voter's epoch. */
elect_action electOnReply(election *e, uint64_t now, unsigned node, elect_kind kind,
                          uint64_t epoch, bool granted, uint64_t their_epoch);

/* The primary's check-quorum: live = replicas that acknowledged recently. */
elect_action electQuorum(election *e, uint64_t now, unsigned live);

/* A planned handover (FAILOVER): stand now, past the pre-vote, asking the
 * primary itself to step aside. false (and *why) when we may not stand. */
bool electHandover(election *e, uint64_t now, bool resyncing, const char **why);

/* The majority: nodes / 2 + 1. */
unsigned electMajority(const election *e);
uint64_t electEpoch(const election *e);
elect_role electRole(const election *e);
/* A candidate still asking for pre-votes (its epoch not yet bumped). */
bool electPreVoting(const election *e);
const char *electRoleName(elect_role r);
/* Our own request, as the caller sends it after ELECT_ASK_*. */
void electRequest(const election *e, elect_pos mine, elect_request *rq);

/* Positions: true when a is at least as up to date as b. */
bool electPosAtLeast(elect_pos a, elect_pos b);

#endif
