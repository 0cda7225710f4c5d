/* Elections (repl/election.h) with three and five nodes in one process:
 * a tiny simulated network delivers vote requests and ROLE observations
 * between nodes every 10 ms of simulated time, with nodes that die,
 * restart empty and links that are cut. Checked: who wins, when, vote
 * refusals, fencing by check-quorum and epochs, the restart rule, and over
 * many random runs Raft's election safety (never two primaries in one
 * epoch) and leader completeness (a winner holds every position a majority
 * held). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "repl/election.h"

#define SIM_MAX 5
#define STEP_MS 10

typedef struct sim {
    unsigned n;
    election e[SIM_MAX];
    elect_pos pos[SIM_MAX];
    bool alive[SIM_MAX];
    bool cut[SIM_MAX][SIM_MAX];
    uint64_t now;
    uint64_t won_epoch[SIM_MAX * 64]; /* epochs won, in order */
    unsigned won_node[SIM_MAX * 64];
    unsigned wins;
    unsigned stepdowns;
    elect_pos committed;  /* newest position a majority acknowledged */
    bool check_complete;  /* no node lost its memory: completeness holds */
    bool amnesiac[SIM_MAX]; /* restarted empty, not yet fed by a primary */
} sim;

static bool simLinked(const sim *s, unsigned a, unsigned b) {
    return a != b && s->alive[a] && s->alive[b] && !s->cut[a][b] && !s->cut[b][a];
}

static void simStart(sim *s, unsigned i, bool head_start) {
    char name[16];
    snprintf(name, sizeof name, "node-%u", i);
    elect_config cfg = {.nodes = s->n, .head_start = head_start, .seed = 77 + i * 1000 + s->now};
    electInit(&s->e[i], &cfg, name, s->now);
    s->alive[i] = true;
}

static void simInit(sim *s, unsigned n) {
    memset(s, 0, sizeof *s);
    s->n = n;
    s->now = 1000;
    for (unsigned i = 0; i < n; i++) simStart(s, i, i == 0);
}

static void simRecordWin(sim *s, unsigned i) {
    if (s->check_complete) assert_true(electPosAtLeast(s->pos[i], s->committed));
    s->won_epoch[s->wins] = electEpoch(&s->e[i]);
    s->won_node[s->wins++] = i;
    /* the no-op of its own epoch (repl.h) */
    s->pos[i] = (elect_pos){electEpoch(&s->e[i]), s->pos[i].seq + 1};
}

static void simAct(sim *s, unsigned i, elect_action a);

/* Node i sends its request to everyone it reaches; replies come back. */
static void simCampaign(sim *s, unsigned i) {
    elect_request rq;
    electRequest(&s->e[i], s->pos[i], &rq);
    for (unsigned j = 0; j < s->n; j++) {
        if (!simLinked(s, i, j)) continue;
        const char *why;
        bool down;
        bool ok = electOnRequest(&s->e[j], s->now, &rq, s->pos[j], false, &why, &down);
        if (down) s->stepdowns++;
        elect_action a = electOnReply(&s->e[i], s->now, j, rq.kind, rq.epoch, ok,
                                      electEpoch(&s->e[j]));
        simAct(s, i, a);
        if (electRole(&s->e[i]) != ELECT_CANDIDATE) return;
    }
}

static void simAct(sim *s, unsigned i, elect_action a) {
    if (a == ELECT_ASK_PREVOTES || a == ELECT_ASK_VOTES) simCampaign(s, i);
    if (a == ELECT_WON) simRecordWin(s, i);
    if (a == ELECT_STEPPED_DOWN) s->stepdowns++;
}

/* What ROLE polls carry: each node sees every node it reaches. */
static void simObserve(sim *s, unsigned i) {
    unsigned live = 0;
    for (unsigned j = 0; j < s->n; j++) {
        if (!simLinked(s, i, j)) continue;
        simAct(s, i, electObserve(&s->e[i], s->now, electEpoch(&s->e[j]),
                                  electRole(&s->e[j]) == ELECT_PRIMARY));
        if (electRole(&s->e[j]) != ELECT_FOLLOWER || electEpoch(&s->e[j]) != electEpoch(&s->e[i]))
            continue;
        /* replication, to each follower on one step in three: they lag */
        if (electRole(&s->e[i]) == ELECT_PRIMARY && (s->now / STEP_MS + j) % 3 == 0) {
            s->pos[j] = s->pos[i];
            s->amnesiac[j] = false;
        }
        live++;
    }
    simAct(s, i, electQuorum(&s->e[i], s->now, live));
}

static void simStep(sim *s) {
    s->now += STEP_MS;
    for (unsigned i = 0; i < s->n; i++) {
        if (!s->alive[i]) continue;
        simObserve(s, i);
        simAct(s, i, electTick(&s->e[i], s->now, false));
    }
}

static void simRun(sim *s, uint64_t ms) {
    for (uint64_t t = 0; t < ms; t += STEP_MS) simStep(s);
}

/* The live primary, or -1 (more than one live primary fails the test). */
static int simPrimary(const sim *s) {
    int p = -1;
    for (unsigned i = 0; i < s->n; i++) {
        if (!s->alive[i] || electRole(&s->e[i]) != ELECT_PRIMARY) continue;
        if (p >= 0) assert_int_not_equal(electEpoch(&s->e[i]), electEpoch(&s->e[p]));
        if (p < 0 || electEpoch(&s->e[i]) > electEpoch(&s->e[p])) p = (int)i;
    }
    return p;
}

/* Runs until a primary of at least min_epoch is there; its index. */
static int simElect(sim *s, uint64_t min_epoch, uint64_t within_ms) {
    uint64_t end = s->now + within_ms;
    while (s->now < end) {
        simStep(s);
        int p = simPrimary(s);
        if (p >= 0 && electEpoch(&s->e[p]) >= min_epoch) return p;
    }
    return -1;
}

static void simNewCluster(sim *s) {
    for (unsigned i = 0; i < s->n; i++) electClusterIsNew(&s->e[i]);
}

static void test_fresh_cluster_elects_the_head_start_node_fast(void **state) {
    (void)state;
    static sim s;
    simInit(&s, 3);
    simNewCluster(&s);
    uint64_t t0 = s.now;
    assert_int_equal(simElect(&s, 1, 3000), 0);
    assert_int_equal(electEpoch(&s.e[0]), 1);
    assert_true(s.now - t0 < 200);
    simRun(&s, 5000); /* and it stays: no needless elections */
    assert_int_equal(simPrimary(&s), 0);
    assert_int_equal(s.wins, 1);
}

static void test_killed_primary_replaced_by_the_most_up_to_date(void **state) {
    (void)state;
    static sim s;
    simInit(&s, 3);
    simNewCluster(&s);
    assert_int_equal(simElect(&s, 1, 3000), 0);
    s.pos[0] = s.pos[2] = (elect_pos){1, 100};
    s.pos[1] = (elect_pos){1, 90}; /* node 1 lags: it must not win */
    s.alive[0] = false;
    uint64_t t0 = s.now;
    assert_int_equal(simElect(&s, 2, 5000), 2);
    assert_true(s.now - t0 < 2000);
    assert_true(electPosAtLeast(s.pos[2], (elect_pos){1, 100}));
}

static void test_candidate_behind_is_refused_and_one_vote_per_epoch(void **state) {
    (void)state;
    static sim s;
    simInit(&s, 3);
    simNewCluster(&s);
    simRun(&s, 2000);
    s.alive[0] = false;
    simRun(&s, ELECT_TIMEOUT_MIN_MS); /* nobody hears a primary now */
    s.pos[1] = (elect_pos){1, 5};
    s.pos[2] = (elect_pos){1, 9};
    elect_request rq = {.kind = ELECT_REAL, .epoch = 7, .candidate = "node-1", .pos = s.pos[1]};
    const char *why;
    bool down;
    assert_false(electOnRequest(&s.e[2], s.now, &rq, s.pos[2], false, &why, &down));
    assert_string_equal(why, "candidate's log is behind mine");
    rq = (elect_request){.kind = ELECT_REAL, .epoch = 8, .candidate = "node-0", .pos = s.pos[2]};
    assert_true(electOnRequest(&s.e[1], s.now, &rq, s.pos[1], false, &why, &down));
    snprintf(rq.candidate, sizeof rq.candidate, "node-2");
    assert_false(electOnRequest(&s.e[1], s.now, &rq, s.pos[1], false, &why, &down));
    assert_string_equal(why, "already voted in this epoch");
    assert_false(electOnRequest(&s.e[1], s.now, &rq, s.pos[1], true, &why, &down));
    rq.epoch = 9;
    assert_false(electOnRequest(&s.e[1], s.now, &rq, s.pos[1], true, &why, &down));
    assert_string_equal(why, "resyncing: my state is not whole");
}

static void test_isolated_node_never_inflates_its_epoch(void **state) {
    (void)state;
    static sim s;
    simInit(&s, 3);
    simNewCluster(&s);
    assert_int_equal(simElect(&s, 1, 3000), 0);
    for (unsigned j = 0; j < 3; j++) s.cut[2][j] = true;
    simRun(&s, 10000);
    assert_int_equal(electEpoch(&s.e[2]), 1); /* pre-votes failed: no bump */
    memset(s.cut, 0, sizeof s.cut);
    simRun(&s, 5000);
    assert_int_equal(simPrimary(&s), 0); /* its return disturbs nobody */
    assert_int_equal(electEpoch(&s.e[0]), 1);
    assert_int_equal(s.wins, 1);
}

static void test_primary_cut_from_replicas_steps_down(void **state) {
    (void)state;
    static sim s;
    simInit(&s, 3);
    simNewCluster(&s);
    assert_int_equal(simElect(&s, 1, 3000), 0);
    s.cut[0][1] = s.cut[0][2] = true;
    int p = simElect(&s, 2, 5000);
    assert_true(p == 1 || p == 2);
    /* the old one gave up within a timeout of losing its majority */
    simRun(&s, ELECT_TIMEOUT_MIN_MS);
    assert_int_not_equal(electRole(&s.e[0]), ELECT_PRIMARY);
    memset(s.cut, 0, sizeof s.cut);
    simRun(&s, 1000); /* back: it learns the epoch and follows */
    assert_int_equal(electEpoch(&s.e[0]), electEpoch(&s.e[p]));
    assert_int_equal(electRole(&s.e[0]), ELECT_FOLLOWER);
}

static void test_one_cut_replica_link_changes_nothing(void **state) {
    (void)state;
    static sim s;
    simInit(&s, 3);
    simNewCluster(&s);
    assert_int_equal(simElect(&s, 1, 3000), 0);
    s.cut[1][2] = true;
    simRun(&s, 10000);
    assert_int_equal(simPrimary(&s), 0);
    assert_int_equal(s.wins, 1);
}

static void test_restarted_node_waits_and_votes_above_the_floor(void **state) {
    (void)state;
    static sim s;
    simInit(&s, 3);
    simNewCluster(&s);
    assert_int_equal(simElect(&s, 1, 3000), 0);
    simRun(&s, 500);        /* node 2 gets the no-op */
    simStart(&s, 1, false); /* node 1 restarts empty, forgets its vote */
    s.pos[1] = (elect_pos){0, 0};
    s.alive[0] = false;     /* and the primary dies */
    simStep(&s);
    elect_request rq = {.kind = ELECT_REAL, .epoch = 2, .candidate = "node-2", .pos = s.pos[2]};
    const char *why;
    bool down;
    assert_false(electOnRequest(&s.e[1], s.now, &rq, s.pos[1], false, &why, &down));
    assert_string_equal(why, "just started: not voting yet");
    simRun(&s, ELECT_TIMEOUT_MAX_MS);
    rq.epoch = 1; /* an epoch it may have voted in before it died */
    assert_false(electOnRequest(&s.e[1], s.now, &rq, s.pos[1], false, &why, &down));
    assert_int_equal(simElect(&s, 2, 5000), 2); /* then node 2 wins: 2 of 3 */
}

static void test_two_of_three_dead_then_one_returns(void **state) {
    (void)state;
    static sim s;
    simInit(&s, 3);
    simNewCluster(&s);
    assert_int_equal(simElect(&s, 1, 3000), 0);
    s.pos[0] = s.pos[1] = (elect_pos){1, 50};
    s.alive[1] = s.alive[2] = false;
    simRun(&s, 3000);
    assert_int_equal(simPrimary(&s), -1); /* alone it steps down */
    simStart(&s, 2, false);                /* one returns, empty */
    int p = simElect(&s, 2, 6000);
    assert_int_equal(p, 0); /* the survivor, which holds the data */
}

static void test_five_nodes_three_of_five(void **state) {
    (void)state;
    static sim s;
    simInit(&s, 5);
    simNewCluster(&s);
    assert_int_equal(simElect(&s, 1, 3000), 0);
    s.alive[0] = s.alive[1] = false;
    int p = simElect(&s, 2, 5000);
    assert_true(p >= 2);
    s.alive[p] = false; /* two of five left: no majority */
    simRun(&s, 5000);
    assert_int_equal(simPrimary(&s), -1);
}

static void test_handover_to_a_named_node(void **state) {
    (void)state;
    static sim s;
    simInit(&s, 3);
    simNewCluster(&s);
    assert_int_equal(simElect(&s, 1, 3000), 0);
    const char *why;
    assert_true(electHandover(&s.e[2], s.now, false, &why));
    simCampaign(&s, 2);
    assert_int_equal(simPrimary(&s), 2);
    assert_int_equal(electEpoch(&s.e[2]), 2);
    assert_int_not_equal(electRole(&s.e[0]), ELECT_PRIMARY);
    assert_false(electHandover(&s.e[2], s.now, false, &why));
    assert_string_equal(why, "already primary");
}

static bool simAnyAmnesiac(const sim *s) {
    for (unsigned i = 0; i < s->n; i++)
        if (s->amnesiac[i]) return true;
    return false;
}

/* Restarts node i empty. Memory-only Raft is safe while at most a
 * minority has lost its memory (election.h): one restart at a time, the
 * next only once the last restarted node was fed by a primary. */
static void simRestart(sim *s, unsigned i) {
    if (s->alive[i] || simAnyAmnesiac(s)) return;
    simStart(s, i, false);
    s->pos[i] = (elect_pos){0, 0};
    s->amnesiac[i] = true;
}

/* One random fault for run r at this step: kill, restart, cut, heal. */
static void simChaos(sim *s, uint64_t *rng, bool restarts) {
    *rng = *rng * 6364136223846793005ull + 1442695040888963407ull;
    unsigned r = (unsigned)(*rng >> 33), i = r % s->n, j = (r / 8) % s->n;
    switch ((r / 64) % 16) {
    case 0: if (restarts) s->alive[i] = false; break;
    case 1: if (restarts) simRestart(s, i); break;
    case 2: s->cut[i][j] = !s->cut[i][j]; break;
    case 3: memset(s->cut, 0, sizeof s->cut); break;
    default: break;
    }
}

/* A primary takes writes: it and one live follower of its epoch hold them. */
static void simWrite(sim *s) {
    int p = simPrimary(s);
    if (p < 0) return;
    for (unsigned j = 0; j < s->n; j++) {
        if (!simLinked(s, (unsigned)p, j) || electEpoch(&s->e[j]) != electEpoch(&s->e[p])) continue;
        if (!electPosAtLeast(s->pos[j], (elect_pos){s->pos[p].epoch, s->pos[p].seq - 1})) continue;
        s->pos[p].seq++;
        s->pos[j] = s->pos[p]; /* acknowledged: a majority of 3 holds it */
        s->committed = s->pos[p];
        return;
    }
}

static void test_random_faults_safety(void **state) {
    (void)state;
    static sim s;
    for (uint64_t run = 1; run <= 1000; run++) {
        uint64_t rng = run;
        simInit(&s, 3);
        simNewCluster(&s);
        s.check_complete = run % 2 == 0; /* even runs: cuts only, nobody forgets */
        for (int k = 0; k < 3000; k++) {
            if (k % 50 == 0) simChaos(&s, &rng, !s.check_complete);
            simStep(&s);
            simWrite(&s);
        }
        for (unsigned a = 0; a < s.wins; a++)
            for (unsigned b = a + 1; b < s.wins; b++)
                assert_false(s.won_epoch[a] == s.won_epoch[b] && s.won_node[a] != s.won_node[b]);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fresh_cluster_elects_the_head_start_node_fast),
        cmocka_unit_test(test_killed_primary_replaced_by_the_most_up_to_date),
        cmocka_unit_test(test_candidate_behind_is_refused_and_one_vote_per_epoch),
        cmocka_unit_test(test_isolated_node_never_inflates_its_epoch),
        cmocka_unit_test(test_primary_cut_from_replicas_steps_down),
        cmocka_unit_test(test_one_cut_replica_link_changes_nothing),
        cmocka_unit_test(test_restarted_node_waits_and_votes_above_the_floor),
        cmocka_unit_test(test_two_of_three_dead_then_one_returns),
        cmocka_unit_test(test_five_nodes_three_of_five),
        cmocka_unit_test(test_handover_to_a_named_node),
        cmocka_unit_test(test_random_faults_safety),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
