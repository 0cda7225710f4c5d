/* The store's commands, run through storeExecute() as the server would. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "store/store_server.h"

#define ID1 "6b5f3c1e-2d4a-4b8e-9f10-1a2b3c4d5e6f"
#define ID2 "0f1e2d3c-4b5a-4968-8776-655443322110"

static buf out;

static int setup(void **state) {
    static store st;
    st = (store){.db = peopleCreate(16), .journal = journalCreate(0, 1)};
    st.loop = evCreate();
    st.repl.role = REPL_PRIMARY; /* K = 0: a write is acknowledged at once */
    st.repl.epoch = 1;
    bufInit(&out, 1024);
    *state = &st;
    return st.db && st.journal ? 0 : -1;
}

static int teardown(void **state) {
    store *st = *state;
    peopleDestroy(st->db);
    journalDestroy(st->journal);
    evDestroy(st->loop);
    bufFree(&out);
    return 0;
}

/* Parses a RESP command from text, runs it, returns the reply text. */
static const char *run(store *st, const char *command) {
    resp_command cmd;
    int n = respParseCommand(command, strlen(command), &cmd);
    assert_int_equal(n, (int)strlen(command));
    bufReset(&out);
    assert_int_equal(storeExecute(st, &cmd, &out), 0);
    bufAppend(&out, "", 1);
    return out.data;
}

static const char *padd(store *st, const char *id, const char *apelido, const char *json) {
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "*5\r\n$4\r\nPADD\r\n$%zu\r\n%s\r\n$%zu\r\n%s\r\n$%zu\r\n%s\r\n$%zu\r\n%s\r\n",
             strlen(id), id, strlen(apelido), apelido, strlen(apelido), apelido, strlen(json), json);
    return run(st, cmd);
}

static void test_add_get_count(void **state) {
    store *st = *state;
    assert_string_equal(padd(st, ID1, "ana", "{\"a\":1}"), "+OK\r\n");
    assert_string_equal(run(st, "PGET " ID1 "\r\n"), "$7\r\n{\"a\":1}\r\n");
    assert_string_equal(run(st, "PGET " ID2 "\r\n"), "$-1\r\n");
    assert_string_equal(run(st, "PGET not-an-id\r\n"), "$-1\r\n");
    assert_string_equal(run(st, "PCOUNT\r\n"), ":1\r\n");
}

static void test_duplicates_change_nothing(void **state) {
    store *st = *state;
    assert_string_equal(padd(st, ID1, "ana", "{}"), "+OK\r\n");
    assert_string_equal(padd(st, ID2, "ana", "{}"), "-DUP apelido already taken\r\n");
    assert_string_equal(padd(st, ID1, "bia", "{}"), "-DUPID id already exists\r\n");
    assert_string_equal(padd(st, "bad", "caio", "{}"), "-ERR malformed id\r\n");
    assert_string_equal(run(st, "PCOUNT\r\n"), ":1\r\n");
    /* the same PADD again (an API retrying across a failover) is a replay */
    assert_string_equal(padd(st, ID1, "ana", "{}"), "+OK\r\n");
    assert_string_equal(run(st, "PCOUNT\r\n"), ":1\r\n");
    st->repl.role = REPL_REPLICA;
    assert_string_equal(padd(st, ID2, "bia", "{}"), "-READONLY this node is a replica\r\n");
    st->repl.role = REPL_PRIMARY;
}

static void test_search_reply_is_one_json_bulk(void **state) {
    store *st = *state;
    padd(st, ID1, "ana", "{\"n\":1}");
    padd(st, ID2, "banana", "{\"n\":2}");
    assert_string_equal(run(st, "PSEARCH ana\r\n"), "$17\r\n[{\"n\":1},{\"n\":2}]\r\n");
    assert_string_equal(run(st, "PSEARCH ana 1\r\n"), "$9\r\n[{\"n\":1}]\r\n");
    assert_string_equal(run(st, "PSEARCH zzz\r\n"), "$2\r\n[]\r\n");
    assert_string_equal(run(st, "PSEARCH ana 1001\r\n"), "-ERR limit must be 0..1000\r\n");
    assert_string_equal(run(st, "PSEARCH ana x\r\n"), "-ERR limit must be 0..1000\r\n");
}

static void test_search_long_reply_header(void **state) {
    store *st = *state;
    char json[300], id[37], apelido[16];
    memset(json, 'x', sizeof(json));
    json[0] = '"';
    json[sizeof(json) - 2] = '"';
    json[sizeof(json) - 1] = '\0';
    for (int i = 0; i < 40; i++) {
        snprintf(id, sizeof(id), "6b5f3c1e-2d4a-4b8e-9f10-1a2b3c4d5e%02x", i);
        snprintf(apelido, sizeof(apelido), "p%02d", i);
        assert_string_equal(padd(st, id, apelido, json), "+OK\r\n");
    }
    const char *r = run(st, "PSEARCH p\r\n");
    size_t body = 40 * 299 + 39 + 2;
    char hdr[32];
    snprintf(hdr, sizeof(hdr), "$%zu\r\n[", body);
    assert_memory_equal(r, hdr, strlen(hdr));
    assert_int_equal(strlen(r), strlen(hdr) - 1 + body + 2);
}

/* A reply appended behind unread output: growing the buffer compacts it,
 * and the bulk header must still land in the right place. */
static void test_search_after_partial_flush(void **state) {
    store *st = *state;
    char json[200], id[37], apelido[16];
    memset(json, 'y', sizeof(json) - 1);
    json[sizeof(json) - 1] = '\0';
    for (int i = 0; i < 50; i++) {
        snprintf(id, sizeof(id), "6b5f3c1e-2d4a-4b8e-9f10-1a2b3c4d5e%02x", i);
        snprintf(apelido, sizeof(apelido), "q%02d", i);
        padd(st, id, apelido, json);
    }
    buf o;
    bufInit(&o, 64);
    bufAppendStr(&o, "+OK\r\n+OK\r\n");
    bufConsume(&o, 5); /* as if a partial write sent the first reply */
    resp_command cmd;
    const char *text = "PSEARCH q\r\n";
    assert_int_equal(respParseCommand(text, strlen(text), &cmd), (int)strlen(text));
    assert_int_equal(storeExecute(st, &cmd, &o), 0);
    char hdr[32];
    int hl = snprintf(hdr, sizeof(hdr), "+OK\r\n$%d\r\n[", 50 * 199 + 49 + 2);
    assert_memory_equal(bufReadPtr(&o), hdr, (size_t)hl);
    assert_memory_equal(bufReadPtr(&o) + bufUnread(&o) - 3, "]\r\n", 3);
    bufFree(&o);
}

#define PADD_HACKER "*5\r\n$4\r\nPADD\r\n$36\r\n11111111-2222-3333-4444-555555555555\r\n" \
    "$6\r\nhacker\r\n$6\r\nhacker\r\n$18\r\n{\"oops\": <script>}\r\n"

static void setUsers(store *st) {
    aclSetUser(&st->acl, ACL_API, SLICE_LIT("pw-api"));
    aclSetUser(&st->acl, ACL_REPLICA, SLICE_LIT("pw-rep"));
    aclSetUser(&st->acl, ACL_ADMIN, SLICE_LIT("pw-adm"));
}

/* Before AUTH every command but AUTH and QUIT says NOAUTH, in Redis's
 * words, and changes nothing: not the count, not the journal. */
static void test_nothing_before_auth(void **state) {
    store *st = *state;
    store_conn conn = {0}; /* a fresh connection: not authenticated */
    setUsers(st);
    st->current = &conn;
    const char *noauth = "-NOAUTH Authentication required.\r\n";
    static const char *const CMDS[] = {
        PADD_HACKER, "PGET " ID1 "\r\n", "PSEARCH ana\r\n", "PCOUNT\r\n", "PING\r\n",
        "INFO\r\n", "ROLE\r\n", "COMMAND\r\n", "SYNC r site-b 0 0\r\n", "ACK 1\r\n",
        "PROMOTE\r\n", "SNAPSHOT\r\n", "NOPE\r\n", "PGET\r\n",
    };
    for (size_t i = 0; i < sizeof CMDS / sizeof CMDS[0]; i++) assert_string_equal(run(st, CMDS[i]), noauth);
    assert_int_equal(peopleCount(st->db), 0);
    assert_int_equal(journalLastSeq(st->journal), 0);
    assert_false(conn.link.active);
    assert_int_equal(st->refusals, sizeof CMDS / sizeof CMDS[0]);
    st->current = NULL;
    assert_non_null(strstr(run(st, "INFO bardo\r\n"), "refused_commands:14\r\n"));
}

/* A wrong password: WRONGPASS, still unauthenticated, and the connection
 * must wait before its next command; the right one: +OK and the role. */
static void test_auth_state_machine(void **state) {
    store *st = *state;
    store_conn conn = {0};
    const char *wrong = "-WRONGPASS invalid username-password pair or user is disabled.\r\n";
    setUsers(st);
    st->current = &conn;
    assert_string_equal(run(st, "AUTH pw-api\r\n"), wrong); /* one word: user "default" */
    assert_int_equal(conn.role, ACL_NONE);
    assert_true(conn.wait_until_ms >= evNowMs(st->loop) + ACL_FAIL_DELAY_MS);
    conn.wait_until_ms = 0;
    assert_string_equal(run(st, "AUTH api pw-apI\r\n"), wrong);
    assert_string_equal(run(st, "AUTH admin pw-api\r\n"), wrong);
    assert_string_equal(run(st, "AUTH nobody pw-api\r\n"), wrong);
    assert_string_equal(run(st, "AUTH a b c\r\n"), "-ERR wrong number of arguments\r\n");
    assert_string_equal(run(st, "PCOUNT\r\n"), "-NOAUTH Authentication required.\r\n");
    assert_int_equal(st->auth_failures, 4);
    assert_string_equal(run(st, "AUTH api pw-api\r\n"), "+OK\r\n");
    assert_int_equal(conn.role, ACL_API);
    assert_string_equal(run(st, "PCOUNT\r\n"), ":0\r\n");
    /* a failed AUTH later keeps what the connection was (as Redis does) */
    assert_string_equal(run(st, "AUTH admin nope\r\n"), wrong);
    assert_int_equal(conn.role, ACL_API);
    assert_string_equal(run(st, "AUTH admin pw-adm\r\n"), "+OK\r\n");
    assert_int_equal(conn.role, ACL_ADMIN);
    assert_string_equal(run(st, "QUIT\r\n"), "+OK\r\n");
    assert_true(conn.quit);
    st->current = NULL;
}

/* Each role runs its own commands and gets NOPERM for the others. */
static void test_roles(void **state) {
    store *st = *state;
    store_conn conn = {0};
    setUsers(st);
    st->current = &conn;
    assert_string_equal(run(st, "AUTH replica pw-rep\r\n"), "+OK\r\n");
    assert_string_equal(run(st, PADD_HACKER),
                        "-NOPERM User replica has no permissions to run the 'padd' command\r\n");
    assert_string_equal(run(st, "PCOUNT\r\n"),
                        "-NOPERM User replica has no permissions to run the 'pcount' command\r\n");
    st->repl.cfg.site = "here";
    st->repl.cfg.name = "me";
    assert_string_equal(run(st, "ROLE\r\n"), "+primary 1 0 here me\r\n");
    assert_string_equal(run(st, "SYNC r site-b 0 0\r\n"), "+CONTINUE 1\r\n");
    assert_true(conn.link.active);
    conn = (store_conn){0};
    assert_string_equal(run(st, "AUTH api pw-api\r\n"), "+OK\r\n");
    assert_string_equal(run(st, "sync r site-b 0 0\r\n"),
                        "-NOPERM User api has no permissions to run the 'sync' command\r\n");
    assert_string_equal(run(st, "PROMOTE\r\n"),
                        "-NOPERM User api has no permissions to run the 'promote' command\r\n");
    assert_string_equal(run(st, "SNAPSHOT\r\n"),
                        "-NOPERM User api has no permissions to run the 'snapshot' command\r\n");
    assert_false(conn.link.active);
    assert_int_equal(journalLastSeq(st->journal), 0);
    assert_string_equal(run(st, PADD_HACKER), "+OK\r\n"); /* the api's own command */
    assert_string_equal(run(st, "AUTH admin pw-adm\r\n"), "+OK\r\n");
    assert_string_equal(run(st, "PROMOTE\r\n"), "-ERR already primary\r\n");
    assert_string_equal(run(st, "SNAPSHOT\r\n"), "-ERR no data directory (--data-dir)\r\n");
    st->current = NULL;
}

static void test_misc_commands(void **state) {
    store *st = *state;
    assert_string_equal(run(st, "PING\r\n"), "+PONG\r\n");
    assert_string_equal(run(st, "ping hello\r\n"), "$5\r\nhello\r\n");
    assert_string_equal(run(st, "NOPE\r\n"), "-ERR unknown command\r\n");
    assert_string_equal(run(st, "PGET\r\n"), "-ERR wrong number of arguments\r\n");
    assert_string_equal(run(st, "COMMAND DOCS\r\n"), "*0\r\n");
    assert_non_null(strstr(run(st, "INFO\r\n"), "people:0"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_add_get_count, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicates_change_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_search_reply_is_one_json_bulk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_search_long_reply_header, setup, teardown),
        cmocka_unit_test_setup_teardown(test_search_after_partial_flush, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nothing_before_auth, setup, teardown),
        cmocka_unit_test_setup_teardown(test_auth_state_machine, setup, teardown),
        cmocka_unit_test_setup_teardown(test_roles, setup, teardown),
        cmocka_unit_test_setup_teardown(test_misc_commands, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
