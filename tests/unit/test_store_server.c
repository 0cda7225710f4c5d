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

/* Replication needs the shared secret: without AUTH a peer gets nothing. */
static void test_replication_needs_auth(void **state) {
    store *st = *state;
    store_conn conn = {0};
    st->repl.cfg.secret = "s3cret";
    st->current = &conn;
    const char *sync = "SYNC r site-b 0 0\r\n";
    assert_string_equal(run(st, sync), "-NOAUTH replication needs AUTH\r\n");
    assert_string_equal(run(st, "PROMOTE\r\n"), "-NOAUTH PROMOTE needs AUTH\r\n");
    assert_string_equal(run(st, "AUTH s3creT\r\n"), "-ERR invalid secret\r\n");
    assert_string_equal(run(st, "AUTH s3cre\r\n"), "-ERR invalid secret\r\n");
    assert_string_equal(run(st, sync), "-NOAUTH replication needs AUTH\r\n");
    assert_false(conn.link.active);
    assert_string_equal(run(st, "AUTH s3cret\r\n"), "+OK\r\n");
    assert_string_equal(run(st, sync), "+CONTINUE 1\r\n");
    assert_true(conn.link.active);
    assert_string_equal(run(st, "PROMOTE\r\n"), "-ERR already primary\r\n");
    st->current = NULL;
    st->repl.cfg.secret = NULL;
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
        cmocka_unit_test_setup_teardown(test_replication_needs_auth, setup, teardown),
        cmocka_unit_test_setup_teardown(test_misc_commands, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
