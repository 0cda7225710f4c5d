/* Three (and five) real store nodes in one process and one event loop,
 * over Unix sockets: elections, majority acknowledgement, failover with nothing
 * acknowledged lost, the old primary rejoining fenced, check-quorum, and
 * vote refusal, through the same code paths the processes run (store
 * server, replication links, ROLE polls, VOTE). The tests run in order on
 * one cluster: each starts from what the one before left. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "store/store_client.h"
#include "store/store_server.h"

#define MAX_NODES 5
#define NODES T.n /* 3, then 5 in the last group */

typedef struct cluster_test {
    int n;
    ev_loop *loop;
    store st[MAX_NODES];
    bool up[MAX_NODES];
    char addr[MAX_NODES][64];
    char peers[MAX_NODES * 64];
    acl users;
    store_client sc; /* the "API": to whichever node is primary */
    int sc_node;
    int replies;
    char last[128];
} cluster_test;

static cluster_test T;

static void onReply(void *ctx, uint64_t tag, const resp_reply *r) {
    (void)ctx;
    (void)tag;
    T.replies++;
    snprintf(T.last, sizeof T.last, "%.*s", r ? (int)r->str.len : 4, r ? r->str.ptr : "NULL");
}

static int nodeStart(int i) {
    char name[16], site[16];
    snprintf(name, sizeof name, "n%d", i);
    snprintf(site, sizeof site, "s%d", i);
    static char names[MAX_NODES][16], sites[MAX_NODES][16];
    memcpy(names[i], name, sizeof name);
    memcpy(sites[i], site, sizeof site);
    store_config cfg = {.listen = T.addr[i], .expected_people = 64, .acl = &T.users,
                        .repl = {.name = names[i], .site = sites[i], .peers = T.peers,
                                 .role = i == 0 ? REPL_PRIMARY : REPL_REPLICA,
                                 .min_replicas = (unsigned)T.n / 2, .write_timeout_ms = 2000}};
    int rc = storeStart(&T.st[i], T.loop, &cfg);
    T.up[i] = rc == 0;
    return rc;
}

static void nodeStop(int i) {
    storeStop(&T.st[i]);
    T.up[i] = false;
}

static int setupN(int count) {
    memset(&T, 0, sizeof T);
    T.n = count;
    T.loop = evCreate();
    aclSetAll(&T.users, "pw-nodes");
    for (int i = 0; i < NODES; i++) {
        snprintf(T.addr[i], sizeof T.addr[i], "unix:/tmp/bardo-nodes-%d-%d.sock", (int)getpid(), i);
        size_t n = strlen(T.peers);
        snprintf(T.peers + n, sizeof T.peers - n, "%s%s", i ? "," : "", T.addr[i]);
    }
    for (int i = 0; i < NODES; i++)
        if (nodeStart(i) < 0) return -1;
    T.sc_node = -1;
    return 0;
}

static int setup(void **state) {
    (void)state;
    return setupN(3);
}

static int setup5(void **state) {
    (void)state;
    return setupN(5);
}

static int teardown(void **state) {
    (void)state;
    if (T.sc_node >= 0) storeClientFree(&T.sc);
    for (int i = 0; i < NODES; i++) {
        if (T.up[i]) nodeStop(i);
        unlink(T.addr[i] + 5);
    }
    evDestroy(T.loop);
    return 0;
}

/* The live primary of the highest epoch, or -1. */
static int primary(void) {
    int p = -1;
    for (int i = 0; i < NODES; i++)
        if (T.up[i] && T.st[i].repl.role == REPL_PRIMARY && (p < 0 || T.st[i].repl.epoch > T.st[p].repl.epoch))
            p = i;
    return p;
}

typedef bool cond_fn(void);

/* Runs the loop until cond holds or ms pass; whether it held. */
static bool runUntil(cond_fn *cond, uint64_t ms) {
    uint64_t end = evNowMs(T.loop) + ms;
    while (!cond() && evNowMs(T.loop) < end) evRunOnce(T.loop, 10);
    return cond();
}

static void runFor(uint64_t ms) {
    uint64_t end = evNowMs(T.loop) + ms;
    while (evNowMs(T.loop) < end) evRunOnce(T.loop, 10);
}

static bool havePrimary(void) { return primary() >= 0; }
static bool gotReply(void) { return T.replies > 0; }

/* Every live node holds what the primary holds. */
static bool allCaughtUp(void) {
    int p = primary();
    if (p < 0) return false;
    for (int i = 0; i < NODES; i++)
        if (T.up[i] && (T.st[i].repl.epoch != T.st[p].repl.epoch ||
                        journalLastSeq(T.st[i].journal) != journalLastSeq(T.st[p].journal)))
            return false;
    return true;
}

static bool clientReady(void) { return storeClientReady(&T.sc); }

/* Points the client at node i (the API following the primary). */
static void clientTo(int i) {
    if (T.sc_node >= 0) storeClientFree(&T.sc);
    assert_int_equal(storeClientInit(&T.sc, T.loop, T.addr[i], onReply, NULL), 0);
    storeClientSetAuth(&T.sc, "api", "pw-nodes");
    T.sc_node = i;
    assert_true(runUntil(clientReady, 2000));
}

/* PADD of person k, as the API renders it; the reply text in T.last. */
static void padd(int k) {
    char id[40], ap[16], key[24], json[192];
    snprintf(id, sizeof id, "6b5f3c1e-2d4a-4b8e-9f10-1a2b3c4d%04x", k);
    snprintf(ap, sizeof ap, "p%d", k);
    int kn = snprintf(key, sizeof key, "p%d%cx", k, '\0');
    snprintf(json, sizeof json,
             "{\"id\":\"%s\",\"apelido\":\"%s\",\"nome\":\"x\",\"nascimento\":\"2000-01-01\","
             "\"stack\":null}", id, ap);
    slice add[5] = {SLICE_LIT("PADD"), sliceMake(id, 36), sliceMake(ap, strlen(ap)),
                    sliceMake(key, (size_t)kn), sliceMake(json, strlen(json))};
    T.replies = 0;
    assert_int_equal(storeClientSend(&T.sc, (uint64_t)k, 5, add), 0);
    assert_true(runUntil(gotReply, 4000));
}

static void test_three_nodes_elect_the_head_start_node(void **state) {
    (void)state;
    assert_true(runUntil(havePrimary, 3000));
    assert_int_equal(primary(), 0);
    assert_int_equal(T.st[0].repl.epoch, 1);
    assert_true(runUntil(allCaughtUp, 3000)); /* the no-op reached both */
}

static void test_writes_acknowledged_once_a_majority_holds_them(void **state) {
    (void)state;
    clientTo(primary());
    for (int k = 1; k <= 20; k++) {
        padd(k);
        assert_string_equal(T.last, "OK");
    }
    assert_true(runUntil(allCaughtUp, 2000));
    for (int i = 0; i < NODES; i++) assert_int_equal(peopleCount(T.st[i].db), 20);
}

static bool newPrimary(void) { return primary() > 0 && T.st[primary()].repl.epoch >= 2; }

static void test_primary_gone_a_replica_is_elected_with_everything(void **state) {
    (void)state;
    nodeStop(0);
    assert_true(runUntil(newPrimary, 4000));
    int p = primary();
    assert_int_equal(peopleCount(T.st[p].db), 20);
    clientTo(p);
    padd(21);
    assert_string_equal(T.last, "OK");
}

static bool zeroRejoined(void) {
    return allCaughtUp() && T.st[0].repl.role == REPL_REPLICA && peopleCount(T.st[0].db) == 21;
}

static void test_old_primary_restarted_rejoins_as_a_replica(void **state) {
    (void)state;
    int p = primary();
    assert_int_equal(nodeStart(0), 0); /* back, empty: it must not lead */
    assert_true(runUntil(zeroRejoined, 5000));
    assert_int_equal(primary(), p);
    assert_int_equal(T.st[0].repl.epoch, T.st[p].repl.epoch);
}

static void test_vote_refused_to_a_candidate_behind(void **state) {
    (void)state;
    int p = primary(), r = p == 1 ? 2 : 1;
    static const char CMD[] = "*6\r\n$4\r\nVOTE\r\n$4\r\nREAL\r\n$2\r\n99\r\n$4\r\nevil\r\n"
                              "$1\r\n1\r\n$1\r\n1\r\n";
    resp_command cmd;
    assert_true(respParseCommand(CMD, sizeof CMD - 1, &cmd) > 0);
    buf out = {0};
    storeExecute(&T.st[r], &cmd, &out);
    /* it hears a live primary (and the candidate's log is behind) */
    assert_true(bufUnread(&out) > 8 && memcmp(bufReadPtr(&out), "-DENIED", 7) == 0);
    assert_int_not_equal(T.st[r].repl.epoch, 99); /* not even the epoch moved */
    bufFree(&out);
}

static bool noPrimary(void) { return primary() < 0; }

static void test_primary_alone_steps_down_and_acknowledges_nothing(void **state) {
    (void)state;
    int p = primary();
    for (int i = 0; i < NODES; i++)
        if (i != p) nodeStop(i);
    padd(22); /* its replicas are gone: never +OK */
    assert_string_not_equal(T.last, "OK");
    assert_true(runUntil(noPrimary, 3000)); /* check-quorum */
    assert_true(T.st[p].repl.stepdowns >= 1);
    runFor(500);
    assert_true(noPrimary());
}

static int survivor = -1;

static bool survivorLeadsAgain(void) { return primary() == survivor && allCaughtUp(); }

/* Both others come back empty: together they are a majority, yet they
 * must elect the survivor, which holds the data (repl_elect.c). */
static void test_two_empty_nodes_return_and_elect_the_one_with_data(void **state) {
    (void)state;
    for (int i = 0; i < NODES; i++)
        if (T.up[i]) survivor = i;
    size_t count = peopleCount(T.st[survivor].db);
    assert_true(count >= 21);
    for (int i = 0; i < NODES; i++)
        if (!T.up[i]) assert_int_equal(nodeStart(i), 0);
    assert_true(runUntil(survivorLeadsAgain, 6000));
    for (int i = 0; i < NODES; i++) assert_int_equal(peopleCount(T.st[i].db), count);
}

static bool fiveElectAgain(void) { return primary() >= 2 && T.st[primary()].repl.epoch >= 2; }

/* Five sites: 3 of 5 elect, 2 of 5 cannot; writes need 2 replicas (K). */
static void test_five_nodes_three_of_five(void **state) {
    (void)state;
    assert_true(runUntil(havePrimary, 3000));
    assert_int_equal(primary(), 0);
    assert_true(runUntil(allCaughtUp, 3000));
    clientTo(0);
    padd(1);
    assert_string_equal(T.last, "OK");
    nodeStop(0);
    nodeStop(1);
    assert_true(runUntil(fiveElectAgain, 5000)); /* 2, 3 and 4 */
    int p = primary();
    assert_int_equal(peopleCount(T.st[p].db), 1);
    clientTo(p);
    padd(2);
    assert_string_equal(T.last, "OK"); /* two replicas still hold it */
    nodeStop(p);
    assert_true(runUntil(noPrimary, 3000)); /* two of five: nobody leads */
    runFor(2500);
    assert_true(noPrimary());
}

int main(void) {
    const struct CMUnitTest five[] = {
        cmocka_unit_test(test_five_nodes_three_of_five),
    };
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_three_nodes_elect_the_head_start_node),
        cmocka_unit_test(test_writes_acknowledged_once_a_majority_holds_them),
        cmocka_unit_test(test_primary_gone_a_replica_is_elected_with_everything),
        cmocka_unit_test(test_old_primary_restarted_rejoins_as_a_replica),
        cmocka_unit_test(test_vote_refused_to_a_candidate_behind),
        cmocka_unit_test(test_primary_alone_steps_down_and_acknowledges_nothing),
        cmocka_unit_test(test_two_empty_nodes_return_and_elect_the_one_with_data),
    };
    int failed = cmocka_run_group_tests_name("three nodes", tests, setup, teardown);
    return failed + cmocka_run_group_tests_name("five nodes", five, setup5, teardown);
}
