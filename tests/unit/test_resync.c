/* A replica's full resync (repl_replica.c) against a fake primary: the
 * test is the primary, on a Unix socket in the same process, and sends
 * exactly the bytes each case needs (a whole snapshot, half of one, a
 * damaged trailer, a record missing, a REMOVE of someone never sent).
 * The replica must swap its db only after the trailer checks, and
 * otherwise stay exactly what it was. Also: the snapshot writer into a
 * partly consumed buffer (a link's output), whose CRC chain must survive
 * bufReserve's compaction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/net.h"
#include "store/store_server.h"

#define OLD_PEOPLE 2
#define NEW_PEOPLE 5
#define SNAP_SEQ 40
#define SNAP_EPOCH 3

typedef struct rt {
    ev_loop *loop;
    store st;
    acl users;
    char addr[128];
    int lfd, pfd; /* the fake primary: listening, accepted */
    people *src;  /* the primary's people */
    buf snap;     /* their snapshot at SNAP_SEQ */
    buf out;
} rt;

static void person(uint64_t i, uint8_t id[16], char *apelido, size_t alen) {
    memset(id, 0, 16);
    memcpy(id, &i, sizeof(i));
    id[15] = 0x5a;
    snprintf(apelido, alen, "p%llu", (unsigned long long)i);
}

static void addPerson(people *db, uint64_t i) {
    uint8_t id[16];
    char a[32];
    person(i, id, a, sizeof(a));
    slice s = sliceMake(a, strlen(a));
    assert_int_equal(peopleAdd(db, id, s, s, SLICE_LIT("{}")), 0);
}

/* The replica as it was before: OLD_PEOPLE people at seq 2, epoch 1. */
static void oldState(store *st) {
    for (uint64_t i = 1000; i < 1000 + OLD_PEOPLE; i++) {
        uint8_t id[16];
        char a[32];
        person(i, id, a, sizeof(a));
        slice s = sliceMake(a, strlen(a));
        assert_int_equal(peopleAdd(st->db, id, s, s, SLICE_LIT("{}")), 0);
        assert_true(journalAppendAdd(st->journal, 1, id, s, s, SLICE_LIT("{}")) > 0);
    }
    st->last_entry_epoch = 1;
}

static int setup(void **state) {
    static rt t;
    memset(&t, 0, sizeof(t));
    t.loop = evCreate();
    snprintf(t.addr, sizeof(t.addr), "unix:/tmp/bardo-resync-test-%d.sock", (int)getpid());
    t.lfd = netListen(t.addr);
    t.pfd = -1;
    aclSetAll(&t.users, "pw-resync");
    store *st = &t.st;
    *st = (store){.loop = t.loop, .db = peopleCreate(16), .journal = journalCreate(0, 1),
                  .acl = t.users};
    st->repl.role = REPL_REPLICA;
    st->repl.epoch = SNAP_EPOCH;
    st->repl.cfg.name = "r";
    st->repl.cfg.site = "here";
    st->repl.up.watch.fd = -1;
    journalScratchInit(&st->scratch);
    storeBindRepl(st);
    bufInit(&st->repl.up.in, 0);
    bufInit(&st->repl.up.out, 0);
    oldState(st);
    t.src = peopleCreate(16);
    for (uint64_t i = 1; i <= NEW_PEOPLE; i++) addPerson(t.src, i);
    bufInit(&t.snap, 0);
    bufInit(&t.out, 0);
    assert_int_equal(snapshotWrite(t.src, SNAP_SEQ, SNAP_EPOCH, &t.snap), 0);
    *state = &t;
    return t.lfd >= 0 && st->db && st->journal && t.src ? 0 : -1;
}

static int teardown(void **state) {
    rt *t = *state;
    replUpstreamStop(&t->st.repl);
    bufFree(&t->st.repl.up.in);
    bufFree(&t->st.repl.up.out);
    peopleDestroy(t->st.db);
    journalDestroy(t->st.journal);
    journalScratchFree(&t->st.scratch);
    journalScratchFree(&t->st.repl.scratch);
    if (t->pfd >= 0) close(t->pfd);
    close(t->lfd);
    unlink(t->addr + 5);
    peopleDestroy(t->src);
    bufFree(&t->snap);
    bufFree(&t->out);
    evDestroy(t->loop);
    return 0;
}

static void pump(rt *t) {
    for (int i = 0; i < 20; i++) evRunOnce(t->loop, 5);
}

/* The replica dials us, sends AUTH and SYNC; we accept and answer. */
static void connectReplica(rt *t) {
    replUpstreamFollow(&t->st.repl, t->addr);
    pump(t);
    t->pfd = netAccept(t->lfd);
    assert_true(t->pfd >= 0);
    pump(t);
    char junk[4096];
    assert_true(read(t->pfd, junk, sizeof(junk)) > 0); /* AUTH + SYNC */
    assert_int_equal(t->st.repl.up.state, UP_HANDSHAKE);
}

static void primarySend(rt *t, const void *p, size_t n) {
    assert_int_equal(write(t->pfd, p, n), (ssize_t)n);
    pump(t);
}

static void sendFull(rt *t, uint64_t seq) {
    char line[96];
    snprintf(line, sizeof(line), "+OK\r\n+FULL %llu %d %d\r\n", (unsigned long long)seq,
             SNAP_EPOCH, NEW_PEOPLE);
    primarySend(t, line, strlen(line));
}

static const char *run(store *st, const char *command, buf *out) {
    resp_command cmd;
    assert_int_equal(respParseCommand(command, strlen(command), &cmd), (int)strlen(command));
    bufReset(out);
    assert_int_equal(storeExecute(st, &cmd, out), 0);
    bufAppend(out, "", 1);
    return out->data;
}

/* Exactly what it was before the +FULL (the same db, not a copy). */
static void assertOld(rt *t, people *db) {
    assert_ptr_equal(t->st.db, db);
    assert_int_equal(peopleCount(t->st.db), OLD_PEOPLE);
    assert_int_equal(journalLastSeq(t->st.journal), OLD_PEOPLE);
    assert_int_equal(t->st.last_entry_epoch, 1);
    assert_false(replResyncing(&t->st.repl));
    assert_string_equal(run(&t->st, "ROLE\r\n", &t->out), "+replica 3 2 here r 1\r\n");
}

static void test_whole_snapshot_swaps_in(void **state) {
    rt *t = *state;
    connectReplica(t);
    sendFull(t, SNAP_SEQ);
    primarySend(t, t->snap.data, t->snap.len - 1); /* all but the trailer's last byte */
    assert_true(replResyncing(&t->st.repl));
    assert_int_equal(peopleCount(t->st.db), OLD_PEOPLE);
    primarySend(t, t->snap.data + t->snap.len - 1, 1);
    assert_false(replResyncing(&t->st.repl));
    assert_int_equal(t->st.repl.up.state, UP_STREAM);
    assert_int_equal(peopleCount(t->st.db), NEW_PEOPLE);
    assert_int_equal(journalLastSeq(t->st.journal), SNAP_SEQ);
    assert_int_equal(t->st.last_entry_epoch, SNAP_EPOCH);
    assert_null(t->st.repl.up.fresh);
    assert_string_equal(run(&t->st, "ROLE\r\n", &t->out), "+replica 3 40 here r 3\r\n");
}

/* Half-way: ROLE says syncing with the old seq, PROMOTE refuses; then the
 * primary goes away and the half-built db goes with it. */
static void test_cut_off_half_way(void **state) {
    rt *t = *state;
    people *db = t->st.db;
    connectReplica(t);
    sendFull(t, SNAP_SEQ);
    primarySend(t, t->snap.data, t->snap.len / 2);
    assert_true(replResyncing(&t->st.repl));
    assert_true(t->st.repl.up.loader.loaded > 0);
    assert_ptr_equal(t->st.db, db);
    assert_string_equal(run(&t->st, "ROLE\r\n", &t->out), "+syncing 3 2 here r 1\r\n");
    assert_string_equal(run(&t->st, "PROMOTE\r\n", &t->out),
                        "-ERR syncing: a full resync is under way\r\n");
    assert_int_equal(t->st.repl.role, REPL_REPLICA);
    assert_non_null(strstr(run(&t->st, "INFO bardo\r\n", &t->out), "repl_state:syncing\r\n"));
    close(t->pfd);
    t->pfd = -1;
    pump(t);
    assert_int_equal(t->st.repl.up.state, UP_IDLE);
    assert_null(t->st.repl.up.fresh);
    assertOld(t, db);
    assert_non_null(strstr(run(&t->st, "INFO bardo\r\n", &t->out), "repl_state:idle\r\n"));
}

/* A damaged trailer checksum: dropped, nothing changed. */
static void test_bad_trailer_crc(void **state) {
    rt *t = *state;
    people *db = t->st.db;
    connectReplica(t);
    sendFull(t, SNAP_SEQ);
    t->snap.data[t->snap.len - 1] ^= 0x01;
    primarySend(t, t->snap.data, t->snap.len);
    assert_int_equal(t->st.repl.up.state, UP_IDLE);
    assertOld(t, db);
}

/* One Person frame left out: the trailer's count differs from the
 * records read. Dropped, nothing changed. */
static void test_record_missing(void **state) {
    rt *t = *state;
    people *db = t->st.db;
    slice body;
    size_t first = 8 + (size_t)journalFrameParse((const uint8_t *)t->snap.data + 8,
                                                 t->snap.len - 8, &body); /* magic, header */
    size_t size = (size_t)journalFrameParse((const uint8_t *)t->snap.data + first,
                                            t->snap.len - first, &body);
    connectReplica(t);
    sendFull(t, SNAP_SEQ);
    primarySend(t, t->snap.data, first);
    primarySend(t, t->snap.data + first + size, t->snap.len - first - size);
    assert_int_equal(t->st.repl.up.state, UP_IDLE);
    assertOld(t, db);
}

/* A snapshot of another seq than +FULL announced is not taken either. */
static void test_snapshot_of_another_seq(void **state) {
    rt *t = *state;
    people *db = t->st.db;
    connectReplica(t);
    sendFull(t, SNAP_SEQ + 1);
    primarySend(t, t->snap.data, t->snap.len);
    assert_int_equal(t->st.repl.up.state, UP_IDLE);
    assertOld(t, db);
}

/* The walk skipped someone withdrawn meanwhile; the REMOVE after the
 * snapshot's seq names a person the replica never got: a no-op. */
static void test_remove_of_someone_never_sent(void **state) {
    rt *t = *state;
    connectReplica(t);
    sendFull(t, SNAP_SEQ);
    primarySend(t, t->snap.data, t->snap.len);
    uint8_t id[16];
    char a[32];
    person(NEW_PEOPLE + 1, id, a, sizeof(a));
    journal_entry e = {.seq = SNAP_SEQ + 1, .epoch = SNAP_EPOCH, .cmd = JOURNAL_REMOVE_PERSON};
    memcpy(e.add.id, id, 16);
    buf f;
    bufInit(&f, 0);
    assert_int_equal(journalEncode(&e, &f), 0);
    primarySend(t, f.data, f.len);
    bufFree(&f);
    assert_int_equal(t->st.repl.up.state, UP_STREAM);
    assert_int_equal(peopleCount(t->st.db), NEW_PEOPLE);
    assert_int_equal(journalLastSeq(t->st.journal), SNAP_SEQ + 1);
}

/* The writer into a buffer that a link keeps consuming from: bufReserve
 * compacts it under the writer, and the trailer's CRC must still hold. */
static void test_writer_into_consumed_buffer(void **state) {
    rt *t = *state;
    people *db = peopleCreate(0), *back = peopleCreate(0);
    for (uint64_t i = 1; i <= 2000; i++) addPerson(db, i);
    snapshot_writer w;
    buf link, wire;
    bufInit(&link, 0);
    bufInit(&wire, 0);
    snapshotWriterInit(&w, db, 7, 1);
    int rc;
    while ((rc = snapshotWriterNext(&w, &link, 700)) == 1) {
        size_t n = bufUnread(&link) * 2 / 3; /* "sent": leaves a tail, off > 0 */
        bufAppend(&wire, bufReadPtr(&link), n);
        bufConsume(&link, n);
    }
    assert_int_equal(rc, 0);
    bufAppend(&wire, bufReadPtr(&link), bufUnread(&link));
    char err[256] = "";
    rc = snapshotLoad(back, sliceMake(wire.data, wire.len), NULL, err, sizeof(err));
    if (rc != 0) fail_msg("%s", err);
    assert_int_equal(peopleCount(back), 2000);
    peopleDestroy(db);
    peopleDestroy(back);
    bufFree(&link);
    bufFree(&wire);
    (void)t;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_whole_snapshot_swaps_in, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cut_off_half_way, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_trailer_crc, setup, teardown),
        cmocka_unit_test_setup_teardown(test_record_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_snapshot_of_another_seq, setup, teardown),
        cmocka_unit_test_setup_teardown(test_remove_of_someone_never_sent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_writer_into_consumed_buffer, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
