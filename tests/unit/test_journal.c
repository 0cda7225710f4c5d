/* test_journal.c - frames, CRC-32C, the ring backlog, the loader (torn
 * tails at every byte, damage, gaps) and file mode. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/journal.h"

static void makeId(uint8_t id[16], uint64_t i) {
    uint64_t a = (i + 1) * 0x9E3779B97F4A7C15ull, b = a ^ (a >> 29) ^ 0x5bd1e995u;
    memcpy(id, &a, 8);
    memcpy(id + 8, &b, 8);
}

typedef struct pdata {
    char apelido[32], key[64], json[96];
    size_t key_len;
} pdata;

static void makePerson(pdata *p, uint64_t i) {
    snprintf(p->apelido, sizeof(p->apelido), "ap%llu", (unsigned long long)i);
    int n = snprintf(p->key, sizeof(p->key), "ap%llu%cnome%c", (unsigned long long)i, 0, 0);
    p->key_len = (size_t)n;
    snprintf(p->json, sizeof(p->json), "{\"apelido\":\"ap%llu\"}", (unsigned long long)i);
}

static journal_entry makeEntry(pdata *p, uint64_t seq, uint64_t epoch) {
    journal_entry e = {.seq = seq, .epoch = epoch, .cmd = JOURNAL_ADD_PERSON};
    makePerson(p, seq);
    makeId(e.add.id, seq);
    e.add.apelido = sliceMake(p->apelido, strlen(p->apelido));
    e.add.search_key = sliceMake(p->key, p->key_len);
    e.add.json = sliceMake(p->json, strlen(p->json));
    return e;
}

/* Frames for seqs first..last into out; returns where the last one starts. */
static size_t encodeRange(buf *out, uint64_t first, uint64_t last) {
    size_t last_at = 0;
    for (uint64_t s = first; s <= last; s++) {
        pdata p;
        journal_entry e = makeEntry(&p, s, 1);
        last_at = out->len;
        assert_int_equal(journalEncode(&e, out), 0);
    }
    return last_at;
}

static int64_t appendPerson(journal *j, uint64_t i) {
    pdata p;
    uint8_t id[16];
    makePerson(&p, i);
    makeId(id, i);
    return journalAppendAdd(j, 1, id, sliceMake(p.apelido, strlen(p.apelido)),
                            sliceMake(p.key, p.key_len), sliceMake(p.json, strlen(p.json)));
}

static uint64_t frameSeq(slice frame) {
    slice body;
    journal_entry e;
    journal_scratch s;
    journalScratchInit(&s);
    assert_int_equal(journalFrameParse((const uint8_t *)frame.ptr, frame.len, &body),
                     (ssize_t)frame.len);
    assert_int_equal(journalDecode(body, &s, &e), 0);
    journalScratchFree(&s);
    return e.seq;
}

static void test_crc32c(void **state) {
    (void)state;
    assert_int_equal(journalCrc32c(0, "123456789", 9), 0xE3069283u);
    uint32_t part = journalCrc32c(0, "12345", 5);
    assert_int_equal(journalCrc32c(part, "6789", 4), 0xE3069283u);
    assert_int_equal(journalCrc32c(0, "", 0), 0);
}

static void test_encode_decode(void **state) {
    (void)state;
    buf b;
    bufInit(&b, 0);
    pdata p;
    journal_entry e = makeEntry(&p, 7, 3), d;
    assert_int_equal(journalEncode(&e, &b), 0);
    slice body;
    assert_int_equal(journalFrameParse((uint8_t *)b.data, b.len - 1, &body), JOURNAL_PARTIAL);
    assert_int_equal(journalFrameParse((uint8_t *)b.data, b.len, &body), (ssize_t)b.len);
    journal_scratch s;
    journalScratchInit(&s);
    assert_int_equal(journalDecode(body, &s, &d), 0);
    assert_int_equal(d.seq, 7);
    assert_int_equal(d.epoch, 3);
    assert_memory_equal(d.add.id, e.add.id, 16);
    assert_true(sliceEq(d.add.apelido, e.add.apelido));
    assert_true(sliceEq(d.add.search_key, e.add.search_key));
    assert_true(sliceEq(d.add.json, e.add.json));
    b.data[b.len - 1] ^= 1;
    assert_int_equal(journalFrameParse((uint8_t *)b.data, b.len, &body), JOURNAL_BAD);
    assert_int_equal(journalDecode(sliceMake("\xff\xff", 2), &s, &d), -EBADMSG);
    journalScratchFree(&s);
    bufFree(&b);
}

static void test_backlog_basic(void **state) {
    (void)state;
    journal *j = journalCreate(0, 1);
    assert_non_null(j);
    assert_int_equal(journalLastSeq(j), 0);
    assert_int_equal(journalFirstSeq(j), 1);
    for (uint64_t i = 1; i <= 100; i++) assert_int_equal(appendPerson(j, i), (int64_t)i);
    assert_int_equal(journalFirstSeq(j), 1);
    assert_int_equal(journalLastSeq(j), 100);
    assert_int_equal(journalSyncedSeq(j), 100);
    assert_int_equal(journalSync(j), 0); /* memory mode: nothing to do */
    slice f;
    assert_true(journalFind(j, 42, &f));
    assert_int_equal(frameSeq(f), 42);
    assert_false(journalFind(j, 101, &f));
    journal_iter it;
    assert_true(journalIterInit(&it, j, 90));
    uint64_t want = 90;
    int rc;
    while ((rc = journalIterNext(&it, &f)) == 1) assert_int_equal(frameSeq(f), want++);
    assert_int_equal(rc, 0);
    assert_int_equal(want, 101);
    assert_true(journalIterInit(&it, j, 101)); /* caught up: fine */
    assert_false(journalIterInit(&it, j, 102));
    journalDestroy(j);
}

/* A small ring wraps many times: the oldest held seq moves on, every held
 * frame is intact, dropped ones are reported. */
static void test_backlog_wrap(void **state) {
    (void)state;
    journal *j = journalCreate(1000, 1);
    assert_non_null(j);
    for (uint64_t i = 1; i <= 500; i++) {
        assert_int_equal(appendPerson(j, i), (int64_t)i);
        assert_true(journalBacklogBytes(j) <= 1000);
        uint64_t first = journalFirstSeq(j);
        slice f;
        assert_true(journalFind(j, first, &f));
        assert_int_equal(frameSeq(f), first);
        assert_true(journalFind(j, i, &f));
        assert_int_equal(frameSeq(f), i);
    }
    uint64_t first = journalFirstSeq(j);
    assert_true(first > 400 && first < 500);
    assert_false(journalHas(j, first - 1));
    journal_iter it;
    assert_false(journalIterInit(&it, j, first - 1)); /* needs a full resync */
    assert_true(journalIterInit(&it, j, first));
    slice f;
    assert_int_equal(journalIterNext(&it, &f), 1);
    for (uint64_t i = 501; i <= 530; i++) appendPerson(j, i);
    assert_int_equal(journalIterNext(&it, &f), -ESTALE); /* overtaken */
    journalDestroy(j);
}

static void test_backlog_limits(void **state) {
    (void)state;
    journal *j = journalCreate(40, 1);
    assert_int_equal(appendPerson(j, 1), -EMSGSIZE);
    journalDestroy(j);
    j = journalCreate(0, 10);
    assert_int_equal(appendPerson(j, 1), 10);
    uint8_t id[16] = {0};
    assert_int_equal(journalAppendAdd(j, 0, id, SLICE_LIT("x"), SLICE_LIT("x"), SLICE_LIT("{}")),
                     -ERANGE); /* epoch went backwards */
    journalReset(j, 100);
    assert_int_equal(journalNextSeq(j), 100);
    assert_int_equal(journalFirstSeq(j), 100);
    assert_false(journalHas(j, 10));
    assert_int_equal(appendPerson(j, 2), 100);
    journalDestroy(j);
}

/* A replica copies the primary's frames: order is checked. */
static void test_append_frame(void **state) {
    (void)state;
    journal *p = journalCreate(0, 1), *r = journalCreate(0, 1);
    for (uint64_t i = 1; i <= 5; i++) appendPerson(p, i);
    slice f;
    assert_true(journalFind(p, 2, &f));
    assert_int_equal(journalAppendFrame(r, f), -ERANGE);
    for (uint64_t i = 1; i <= 5; i++) {
        assert_true(journalFind(p, i, &f));
        assert_int_equal(journalAppendFrame(r, f), (int64_t)i);
    }
    assert_true(journalFind(r, 3, &f));
    assert_int_equal(frameSeq(f), 3);
    char bad[256];
    assert_true(journalFind(p, 5, &f));
    memcpy(bad, f.ptr, f.len);
    bad[f.len - 1] ^= 0x40;
    assert_int_equal(journalAppendFrame(r, sliceMake(bad, f.len)), -EBADMSG);
    assert_int_equal(journalAppendFrame(r, sliceMake(f.ptr, f.len - 1)), -EBADMSG);
    journalDestroy(p);
    journalDestroy(r);
}

static void test_load_roundtrip(void **state) {
    (void)state;
    buf b;
    bufInit(&b, 0);
    encodeRange(&b, 1, 200);
    people *db = peopleCreate(0);
    journal_load res;
    char err[256];
    assert_int_equal(journalLoad(sliceMake(b.data, b.len), 0, journalApplyToPeople, db, &res,
                                 err, sizeof(err)),
                     0);
    assert_int_equal(peopleCount(db), 200);
    assert_int_equal(res.applied, 200);
    assert_int_equal(res.first_seq, 1);
    assert_int_equal(res.last_seq, 200);
    assert_int_equal(res.valid_bytes, b.len);
    assert_int_equal(res.torn_bytes, 0);
    peopleDestroy(db);
    /* after a snapshot at 150: 150 skipped, 50 applied */
    assert_int_equal(journalLoad(sliceMake(b.data, b.len), 150, NULL, NULL, &res, err,
                                 sizeof(err)),
                     0);
    assert_int_equal(res.skipped, 150);
    assert_int_equal(res.applied, 50);
    /* the empty journal */
    assert_int_equal(journalLoad(sliceMake("", 0), 7, NULL, NULL, &res, err, sizeof(err)), 0);
    assert_int_equal(res.last_seq, 0);
    bufFree(&b);
}

/* The journal cut at every byte of its last entry: all earlier entries
 * load, the partial one is dropped and reported. */
static void test_load_torn_every_offset(void **state) {
    (void)state;
    buf b;
    bufInit(&b, 0);
    size_t last_at = encodeRange(&b, 1, 20);
    char err[256];
    for (size_t cut = last_at; cut < b.len; cut++) {
        people *db = peopleCreate(0);
        journal_load res;
        assert_int_equal(journalLoad(sliceMake(b.data, cut), 0, journalApplyToPeople, db, &res,
                                     err, sizeof(err)),
                         0);
        assert_int_equal(peopleCount(db), 19);
        assert_int_equal(res.last_seq, 19);
        assert_int_equal(res.valid_bytes, last_at);
        assert_int_equal(res.torn_bytes, cut - last_at);
        peopleDestroy(db);
    }
    bufFree(&b);
}

/* A zero-filled tail (file size grew, data never landed) is torn too. */
static void test_load_zero_tail(void **state) {
    (void)state;
    buf b;
    bufInit(&b, 0);
    encodeRange(&b, 1, 5);
    size_t good = b.len;
    char zeros[100] = {0}, err[256];
    bufAppend(&b, zeros, sizeof(zeros));
    journal_load res;
    assert_int_equal(journalLoad(sliceMake(b.data, b.len), 0, NULL, NULL, &res, err, sizeof(err)),
                     0);
    assert_int_equal(res.last_seq, 5);
    assert_int_equal(res.valid_bytes, good);
    assert_int_equal(res.torn_bytes, 100);
    b.data[b.len - 1] = 1; /* not all zero: damage, not a tear */
    assert_int_equal(journalLoad(sliceMake(b.data, b.len), 0, NULL, NULL, &res, err, sizeof(err)),
                     -EBADMSG);
    bufFree(&b);
}

static void test_load_corrupt_middle(void **state) {
    (void)state;
    buf b;
    bufInit(&b, 0);
    encodeRange(&b, 1, 2);
    size_t third = b.len;
    encodeRange(&b, 3, 6);
    char err[256];
    journal_load res;
    const size_t spots[] = {third, third + 3, third + 5, third + 9, third + 20};
    for (size_t i = 0; i < sizeof(spots) / sizeof(spots[0]); i++) {
        b.data[spots[i]] ^= 0x10;
        people *db = peopleCreate(0);
        assert_int_equal(journalLoad(sliceMake(b.data, b.len), 0, journalApplyToPeople, db, &res,
                                     err, sizeof(err)),
                         -EBADMSG);
        assert_non_null(strstr(err, "journal damaged at byte"));
        peopleDestroy(db);
        b.data[spots[i]] ^= 0x10;
    }
    b.data[third + 1] ^= 0x10; /* its length now runs past the end */
    assert_int_equal(journalLoad(sliceMake(b.data, b.len), 0, NULL, NULL, &res, err, sizeof(err)),
                     -EBADMSG);
    assert_non_null(strstr(err, "whole entries follow"));
    b.data[third + 1] ^= 0x10;
    b.data[third + 10] ^= 1;
    journalLoad(sliceMake(b.data, b.len), 0, NULL, NULL, &res, err, sizeof(err));
    assert_non_null(strstr(err, "checksum mismatch"));
    bufFree(&b);
}

static void test_load_gaps(void **state) {
    (void)state;
    buf b;
    bufInit(&b, 0);
    encodeRange(&b, 1, 3);
    encodeRange(&b, 5, 6);
    char err[256];
    journal_load res;
    assert_int_equal(journalLoad(sliceMake(b.data, b.len), 0, NULL, NULL, &res, err, sizeof(err)),
                     -EBADMSG);
    assert_non_null(strstr(err, "sequence gap: expected seq 4, found 5"));
    bufReset(&b);
    encodeRange(&b, 12, 14); /* snapshot at 10: 11 is missing */
    assert_int_equal(journalLoad(sliceMake(b.data, b.len), 10, NULL, NULL, &res, err,
                                 sizeof(err)),
                     -EBADMSG);
    assert_non_null(strstr(err, "expected seq 11, found 12"));
    bufReset(&b);
    pdata p;
    journal_entry e1 = makeEntry(&p, 1, 5);
    journalEncode(&e1, &b);
    journal_entry e2 = makeEntry(&p, 2, 4);
    journalEncode(&e2, &b);
    assert_int_equal(journalLoad(sliceMake(b.data, b.len), 0, NULL, NULL, &res, err, sizeof(err)),
                     -EBADMSG);
    assert_non_null(strstr(err, "epoch went backwards"));
    bufFree(&b);
}

static void test_apply_dup_is_noop(void **state) {
    (void)state;
    buf b;
    bufInit(&b, 0);
    encodeRange(&b, 1, 3);
    pdata p;
    journal_entry e = makeEntry(&p, 4, 1);
    makeId(e.add.id, 2); /* a duplicate id: rejected when first run, too */
    journalEncode(&e, &b);
    people *db = peopleCreate(0);
    journal_load res;
    char err[256];
    assert_int_equal(journalLoad(sliceMake(b.data, b.len), 0, journalApplyToPeople, db, &res,
                                 err, sizeof(err)),
                     0);
    assert_int_equal(peopleCount(db), 3);
    assert_int_equal(res.last_seq, 4);
    peopleDestroy(db);
    bufFree(&b);
}

/* An aborted write: appended, encoded, decoded and replayed as a removal. */
static void test_remove_entry(void **state) {
    (void)state;
    journal *j = journalCreate(0, 1);
    assert_int_equal(appendPerson(j, 1), 1);
    assert_int_equal(appendPerson(j, 2), 2);
    uint8_t id[16];
    makeId(id, 1);
    assert_int_equal(journalAppendRemove(j, 1, id), 3);
    buf b;
    bufInit(&b, 0);
    journal_iter it;
    slice frame;
    assert_true(journalIterInit(&it, j, 1));
    while (journalIterNext(&it, &frame) == 1) bufAppendSlice(&b, frame);
    people *db = peopleCreate(0);
    journal_load res;
    char err[256];
    assert_int_equal(journalLoad(sliceMake(b.data, b.len), 0, journalApplyToPeople, db, &res,
                                 err, sizeof(err)),
                     0);
    slice json;
    assert_int_equal(peopleCount(db), 1);
    assert_false(peopleGet(db, id, &json));
    assert_false(peopleApelidoTaken(db, SLICE_LIT("ap1")));
    journal_scratch sc;
    journal_entry e;
    journalScratchInit(&sc);
    assert_true(journalFind(j, 3, &frame));
    slice body;
    assert_true(journalFrameParse((const uint8_t *)frame.ptr, frame.len, &body) > 0);
    assert_int_equal(journalDecode(body, &sc, &e), 0);
    assert_int_equal(e.cmd, JOURNAL_REMOVE_PERSON);
    assert_memory_equal(e.add.id, id, 16);
    bufReset(&b);
    assert_int_equal(journalEncode(&e, &b), 0); /* and back */
    assert_memory_equal(b.data, frame.ptr, frame.len);
    journalScratchFree(&sc);
    peopleDestroy(db);
    bufFree(&b);
    journalDestroy(j);
}

static void test_file_mode(void **state) {
    (void)state;
    char dir[] = "/tmp/bardo-journal-XXXXXX", path[256], err[256];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/%s", dir, JOURNAL_FILE_NAME);
    journal *j = journalCreate(1024, 1);
    assert_int_equal(journalOpenFile(j, dir), 0);
    for (uint64_t i = 1; i <= 50; i++) appendPerson(j, i);
    assert_int_equal(journalSyncedSeq(j), 0);
    assert_int_equal(journalSync(j), 0);
    assert_int_equal(journalSyncedSeq(j), 50);
    assert_true(journalFirstSeq(j) > 1); /* the small ring dropped some, the file has all */
    for (uint64_t i = 51; i <= 60; i++) appendPerson(j, i);
    journalDestroy(j); /* syncs what is queued */
    people *db = peopleCreate(0);
    journal_load res;
    assert_int_equal(journalLoadFile(path, 0, journalApplyToPeople, db, &res, err, sizeof(err)),
                     0);
    assert_int_equal(peopleCount(db), 60);
    peopleDestroy(db);
    unlink(path);
    assert_int_equal(journalLoadFile(path, 0, NULL, NULL, &res, err, sizeof(err)), 0);
    assert_int_equal(res.last_seq, 0);
    rmdir(dir);
}

/* After a snapshot at 30, the file restarts at 31: loading it after the
 * snapshot's seq is whole; loading it from 0 is a gap. */
static void test_file_truncate(void **state) {
    (void)state;
    char dir[] = "/tmp/bardo-journal-XXXXXX", path[256], err[256];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/%s", dir, JOURNAL_FILE_NAME);
    journal *j = journalCreate(1 << 20, 1);
    assert_int_equal(journalTruncateFile(j), 0); /* no file: nothing to do */
    assert_int_equal(journalOpenFile(j, dir), 0);
    for (uint64_t i = 1; i <= 30; i++) appendPerson(j, i);
    assert_int_equal(journalTruncateFile(j), 0); /* syncs the queued 30, then empties */
    assert_int_equal(journalSyncedSeq(j), 30);
    assert_int_equal(journalLastSeq(j), 30);     /* the backlog stays, for replicas */
    journal_load res;
    assert_int_equal(journalLoadFile(path, 30, NULL, NULL, &res, err, sizeof(err)), 0);
    assert_int_equal(res.last_seq, 0);
    for (uint64_t i = 31; i <= 40; i++) appendPerson(j, i);
    journalDestroy(j);
    assert_int_equal(journalLoadFile(path, 30, NULL, NULL, &res, err, sizeof(err)), 0);
    assert_int_equal(res.first_seq, 31);
    assert_int_equal(res.last_seq, 40);
    assert_int_equal(res.applied, 10);
    assert_true(journalLoadFile(path, 0, NULL, NULL, &res, err, sizeof(err)) < 0);
    assert_non_null(strstr(err, "sequence gap"));
    unlink(path);
    rmdir(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32c),
        cmocka_unit_test(test_encode_decode),
        cmocka_unit_test(test_backlog_basic),
        cmocka_unit_test(test_backlog_wrap),
        cmocka_unit_test(test_backlog_limits),
        cmocka_unit_test(test_append_frame),
        cmocka_unit_test(test_load_roundtrip),
        cmocka_unit_test(test_load_torn_every_offset),
        cmocka_unit_test(test_load_zero_tail),
        cmocka_unit_test(test_load_corrupt_middle),
        cmocka_unit_test(test_load_gaps),
        cmocka_unit_test(test_apply_dup_is_noop),
        cmocka_unit_test(test_remove_entry),
        cmocka_unit_test(test_file_mode),
        cmocka_unit_test(test_file_truncate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
