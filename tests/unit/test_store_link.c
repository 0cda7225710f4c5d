/* The API's store client against a real store server in the same event
 * loop, over a Unix socket: pipelining, reply order, and what callers get
 * when the store goes away. Exercises net, server, store_client, store_server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "api/person.h"
#include "store/store_client.h"
#include "store/store_server.h"

#define MAX_REPLIES 64

typedef struct link_test {
    ev_loop *loop;
    store st;
    store_client sc;
    char addr[128];
    int replies;
    uint64_t tags[MAX_REPLIES];
    resp_type types[MAX_REPLIES];
    char text[MAX_REPLIES][64];
    size_t lens[MAX_REPLIES];
    int stop_after;
} link_test;

static void onReply(void *ctx, uint64_t tag, const resp_reply *r) {
    link_test *t = ctx;
    int i = t->replies++;
    t->tags[i] = tag;
    t->types[i] = r ? r->type : (resp_type)-1;
    t->lens[i] = r ? r->str.len : 0;
    if (r) snprintf(t->text[i], sizeof(t->text[i]), "%.*s", (int)r->str.len, r->str.ptr);
    if (t->replies == t->stop_after) evStop(t->loop);
}

static void onTimeout(ev_loop *loop, void *data) {
    (void)data;
    evStop(loop); /* the test failed to finish: assertions will say so */
}

static int setup(void **state) {
    static link_test t;
    memset(&t, 0, sizeof(t));
    snprintf(t.addr, sizeof(t.addr), "unix:/tmp/bardo-test-%d.sock", (int)getpid());
    t.loop = evCreate();
    static acl users;
    aclSetAll(&users, "pw-link");
    store_config cfg = {.listen = t.addr, .expected_people = 16, .acl = &users,
                        .repl = {.name = "s", .site = "here", .role = REPL_PRIMARY}};
    if (storeStart(&t.st, t.loop, &cfg) < 0) return -1;
    if (storeClientInit(&t.sc, t.loop, t.addr, onReply, &t) < 0) return -1;
    storeClientSetAuth(&t.sc, "api", "pw-link");
    evOnTick(t.loop, 3000, onTimeout, &t);
    *state = &t;
    return 0;
}

static int teardown(void **state) {
    link_test *t = *state;
    storeClientFree(&t->sc);
    if (t->st.db) storeStop(&t->st);
    evDestroy(t->loop);
    unlink(t->addr + 5);
    return 0;
}

static void waitConnected(link_test *t) {
    for (int i = 0; i < 100 && !storeClientReady(&t->sc); i++) evRunOnce(t->loop, 10);
    assert_true(storeClientReady(&t->sc));
}

#define ID "6b5f3c1e-2d4a-4b8e-9f10-1a2b3c4d5e6f"
/* what the API renders (the store keeps nothing else) */
#define JSON_ANA "{\"id\":\"" ID "\",\"apelido\":\"ana\",\"nome\":\"x\",\"nascimento\":\"2000-01-01\",\"stack\":null}"

static void test_pipelined_replies_in_order(void **state) {
    link_test *t = *state;
    waitConnected(t);
    slice ping[1] = {SLICE_LIT("PING")};
    slice add[5] = {SLICE_LIT("PADD"), SLICE_LIT(ID), SLICE_LIT("ana"), SLICE_LIT("ana\0x"),
                    SLICE_LIT(JSON_ANA)};
    slice get[2] = {SLICE_LIT("PGET"), SLICE_LIT("6b5f3c1e-2d4a-4b8e-9f10-1a2b3c4d5e6f")};
    slice count[1] = {SLICE_LIT("PCOUNT")};
    assert_int_equal(storeClientSend(&t->sc, 1, 1, ping), 0);
    assert_int_equal(storeClientSend(&t->sc, 2, 5, add), 0);
    assert_int_equal(storeClientSend(&t->sc, 3, 2, get), 0);
    assert_int_equal(storeClientSend(&t->sc, 4, 1, count), 0);
    t->replies = 0;
    t->stop_after = 4;
    evRun(t->loop);
    assert_int_equal(t->replies, 4);
    for (int i = 0; i < 4; i++) assert_int_equal(t->tags[i], (uint64_t)i + 1);
    assert_string_equal(t->text[0], "PONG");
    assert_int_equal(t->types[1], RESP_SIMPLE);
    assert_int_equal(t->lens[2], strlen(JSON_ANA));
    assert_memory_equal(t->text[2], JSON_ANA, sizeof(t->text[2]) - 1);
    assert_int_equal(t->types[3], RESP_INT);
}

/* Queues the PADD the API would send for the largest body it accepts,
 * person i, every stack element containing "heavy". */
static void sendHeavyPerson(link_test *t, int i) {
    static person p;
    static char body[PERSON_BODY_MAX + 64], scratch[PERSON_BODY_MAX];
    char id[37];
    size_t n = (size_t)snprintf(body, sizeof(body), "{\"apelido\":\"h%02d\",\"nome\":\"H\","
                                "\"nascimento\":\"1999-12-31\",\"stack\":[", i);
    while (n + 35 + 2 <= PERSON_BODY_MAX) n += (size_t)snprintf(body + n, 40, "\"heavy%027d\",", i);
    body[n - 1] = ']';
    body[n++] = '}';
    assert_int_equal(personParse(&p, body, n, scratch, sizeof(scratch)), 0);
    snprintf(id, sizeof(id), "6b5f3c1e-2d4a-4b8e-9f10-1a2b3c4d5e%02x", i);
    buf json = {0}, key = {0};
    assert_int_equal(personWriteJson(&p, sliceMake(id, 36), &json), 0);
    assert_int_equal(personWriteSearchKey(&p, &key), 0);
    slice add[5] = {SLICE_LIT("PADD"), sliceMake(id, 36), p.apelido, sliceMake(key.data, key.len),
                    sliceMake(json.data, json.len)};
    assert_int_equal(storeClientSend(&t->sc, (uint64_t)i, 5, add), 0);
    bufFree(&json);
    bufFree(&key);
}

/* Issue 11: a search answer beyond 1 MiB (50 of the largest people) comes
 * back whole, and what was pipelined behind it too, on the same link. */
static void test_search_beyond_1_mib_keeps_the_link(void **state) {
    link_test *t = *state;
    waitConnected(t);
    uint64_t reconnects = t->sc.reconnects;
    for (int i = 0; i < PERSON_SEARCH_MAX; i++) sendHeavyPerson(t, i);
    slice search[3] = {SLICE_LIT("PSEARCH"), SLICE_LIT("heavy"), SLICE_LIT("50")};
    slice count[1] = {SLICE_LIT("PCOUNT")};
    assert_int_equal(storeClientSend(&t->sc, 100, 3, search), 0);
    assert_int_equal(storeClientSend(&t->sc, 101, 1, count), 0);
    t->replies = 0;
    t->stop_after = PERSON_SEARCH_MAX + 2;
    evRun(t->loop);
    assert_int_equal(t->replies, PERSON_SEARCH_MAX + 2);
    for (int i = 0; i < PERSON_SEARCH_MAX; i++) assert_int_equal(t->types[i], RESP_SIMPLE);
    int s = PERSON_SEARCH_MAX;
    assert_int_equal(t->tags[s], 100);
    assert_int_equal(t->types[s], RESP_BULK);
    printf("search reply: %zu bytes (RESP_MAX_BULK %zu, PERSON_SEARCH_JSON_MAX %zu)\n",
           t->lens[s], RESP_MAX_BULK, (size_t)PERSON_SEARCH_JSON_MAX);
    assert_true(t->lens[s] > RESP_MAX_BULK && t->lens[s] <= PERSON_SEARCH_JSON_MAX);
    assert_int_equal(t->tags[s + 1], 101);
    assert_int_equal(t->types[s + 1], RESP_INT);
    assert_true(storeClientReady(&t->sc));
    assert_int_equal(t->sc.reconnects, reconnects);
}

static void test_store_gone_fails_waiters(void **state) {
    link_test *t = *state;
    waitConnected(t);
    slice count[1] = {SLICE_LIT("PCOUNT")};
    storeStop(&t->st); /* closes every store connection */
    t->st.db = NULL;
    assert_int_equal(storeClientSend(&t->sc, 7, 1, count), 0);
    t->replies = 0;
    t->stop_after = 1;
    evRun(t->loop);
    assert_int_equal(t->replies, 1);
    assert_int_equal(t->tags[0], 7);
    assert_int_equal((int)t->types[0], -1); /* NULL reply: the caller sends 503 */
    assert_false(storeClientReady(&t->sc));
    assert_int_equal(storeClientSend(&t->sc, 8, 1, count), -ENOTCONN);
}

/* A wrong password: the client never becomes ready, so nothing it would
 * send reaches the store; the store counted the failure. */
static void test_wrong_password_never_ready(void **state) {
    link_test *t = *state;
    storeClientSetAuth(&t->sc, "api", "not-it");
    for (int i = 0; i < 50; i++) evRunOnce(t->loop, 10);
    assert_false(storeClientReady(&t->sc));
    assert_true(t->st.auth_failures >= 1);
    slice count[1] = {SLICE_LIT("PCOUNT")};
    assert_int_equal(storeClientSend(&t->sc, 1, 1, count), -ENOTCONN);
    storeClientSetAuth(&t->sc, "api", "pw-link"); /* the next try (a second on) gets in */
    for (int i = 0; i < 300 && !storeClientReady(&t->sc); i++) evRunOnce(t->loop, 10);
    assert_true(storeClientReady(&t->sc));
}

static int rawConnect(const link_test *t) {
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", t->addr + 5);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    return fd;
}

/* More idle unauthenticated connections than slots: the store keeps at
 * most STORE_MAX_UNAUTHED of them, closing the oldest, and an
 * authenticated client still gets in and is answered. */
static void test_idle_flood_leaves_room(void **state) {
    link_test *t = *state;
    enum { FLOOD = STORE_MAX_CONNS + 44 };
    static int fds[FLOOD];
    for (int i = 0; i < FLOOD; i++) {
        fds[i] = rawConnect(t);
        evRunOnce(t->loop, 0);
    }
    for (int i = 0; i < 20; i++) evRunOnce(t->loop, 5);
    assert_true(t->st.unauthed <= STORE_MAX_UNAUTHED);
    assert_true(t->st.auth_evictions >= FLOOD - STORE_MAX_UNAUTHED);
    char reply[64] = "";
    assert_true(read(fds[0], reply, sizeof reply - 1) > 0); /* the oldest was told why */
    assert_non_null(strstr(reply, "-ERR too many unauthenticated connections"));
    storeClientFree(&t->sc); /* a new client (an API restarting) */
    assert_int_equal(storeClientInit(&t->sc, t->loop, t->addr, onReply, t), 0);
    storeClientSetAuth(&t->sc, "api", "pw-link");
    test_pipelined_replies_in_order(state);
    for (int i = 0; i < FLOOD; i++) close(fds[i]);
}

/* After a wrong password the connection's next command waits
 * ACL_FAIL_DELAY_MS (the loop does not: it runs the others). */
static void test_wrong_password_delays_next_command(void **state) {
    link_test *t = *state;
    int fd = rawConnect(t);
    const char *cmds = "AUTH api nope\r\nAUTH api pw-link\r\nPCOUNT\r\n";
    assert_int_equal(write(fd, cmds, strlen(cmds)), (ssize_t)strlen(cmds));
    uint64_t t0 = evClockMs();
    char got[256] = "";
    size_t len = 0;
    while (!strstr(got, ":0\r\n") && evClockMs() - t0 < 2000) {
        evRunOnce(t->loop, 5);
        ssize_t n = recv(fd, got + len, sizeof got - 1 - len, MSG_DONTWAIT);
        if (n > 0) len += (size_t)n;
    }
    assert_string_equal(got, "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
                             "+OK\r\n:0\r\n");
    assert_true(evClockMs() - t0 >= ACL_FAIL_DELAY_MS - 5);
    close(fd);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pipelined_replies_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_search_beyond_1_mib_keeps_the_link, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_gone_fails_waiters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_password_never_ready, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idle_flood_leaves_room, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_password_delays_next_command, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
