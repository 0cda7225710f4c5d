/* test_snapshot.c - snapshot round trips (whole and streamed), damage at
 * every byte, files in a data dir, and recovery = snapshot + journal. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/journal.h"
#include "store/recovery.h"
#include "store/snapshot.h"

static void makeId(uint8_t id[16], uint64_t i) {
    uint64_t a = (i + 1) * 0x9E3779B97F4A7C15ull, b = a ^ (a >> 29) ^ 0x5bd1e995u;
    memcpy(id, &a, 8);
    memcpy(id + 8, &b, 8);
}

typedef struct pdata {
    uint8_t id[16];
    char apelido[32], key[96], json[128];
    size_t key_len;
} pdata;

static void makePerson(pdata *p, uint64_t i) {
    makeId(p->id, i);
    snprintf(p->apelido, sizeof(p->apelido), "Apelido%llu", (unsigned long long)i);
    int n = snprintf(p->key, sizeof(p->key), "apelido%llu%cnome %llu%cc%cgo",
                     (unsigned long long)i, 0, (unsigned long long)(i % 97), 0, 0);
    p->key_len = (size_t)n;
    snprintf(p->json, sizeof(p->json), "{\"id\":%llu,\"apelido\":\"Apelido%llu\"}",
             (unsigned long long)i, (unsigned long long)i);
}

static people *makeDb(uint64_t from, uint64_t to) {
    people *db = peopleCreate(0);
    for (uint64_t i = from; i <= to; i++) {
        pdata p;
        makePerson(&p, i);
        assert_int_equal(peopleAdd(db, p.id, sliceMake(p.apelido, strlen(p.apelido)),
                                   sliceMake(p.key, p.key_len), sliceMake(p.json, strlen(p.json))),
                         0);
    }
    return db;
}

static void assertSameSearch(const people *a, const people *b, const char *term) {
    buf x, y;
    bufInit(&x, 0);
    bufInit(&y, 0);
    slice t = sliceMake(term, strlen(term));
    assert_int_equal(peopleSearch(a, t, 1000, &x), peopleSearch(b, t, 1000, &y));
    assert_int_equal(x.len, y.len);
    assert_memory_equal(x.data, y.data, x.len);
    bufFree(&x);
    bufFree(&y);
}

static void assertSearchesEqual(const people *a, const people *b) {
    const char *terms[] = {"apelido1", "nome 5", "go", "c", "", "77", "nothing"};
    for (size_t i = 0; i < sizeof(terms) / sizeof(terms[0]); i++)
        assertSameSearch(a, b, terms[i]);
}

static void assertSameDb(const people *a, const people *b) {
    assert_int_equal(peopleCount(a), peopleCount(b));
    for (size_t i = 0; i < peopleCount(a); i++) {
        uint8_t ia[16], ib[16];
        slice aa, ka, ja, ab, kb, jb;
        assert_true(peopleAt(a, i, ia, &aa, &ka, &ja));
        assert_true(peopleAt(b, i, ib, &ab, &kb, &jb));
        assert_memory_equal(ia, ib, 16);
        assert_true(sliceEq(aa, ab) && sliceEq(ka, kb) && sliceEq(ja, jb));
        slice g;
        assert_true(peopleGet(b, ib, &g) && sliceEq(g, ja));
    }
    assertSearchesEqual(a, b);
}

static void test_roundtrip_thousands(void **state) {
    (void)state;
    people *db = makeDb(1, 3000), *back = peopleCreate(0);
    buf b;
    bufInit(&b, 0);
    assert_int_equal(snapshotWrite(db, 4242, 7, &b), 0);
    snapshot_info info, peek;
    char err[256];
    assert_int_equal(snapshotReadHeader(sliceMake(b.data, 8), &peek), -EAGAIN);
    assert_int_equal(snapshotReadHeader(sliceMake(b.data, 64), &peek), 0);
    assert_int_equal(peek.count, 3000);
    assert_int_equal(snapshotLoad(back, sliceMake(b.data, b.len), &info, err, sizeof(err)), 0);
    assert_int_equal(info.seq, 4242);
    assert_int_equal(info.epoch, 7);
    assert_int_equal(info.count, 3000);
    assertSameDb(db, back);
    peopleDestroy(back);
    peopleDestroy(db);
    bufFree(&b);
}

static void test_empty_db(void **state) {
    (void)state;
    people *db = peopleCreate(0), *back = peopleCreate(0);
    buf b;
    bufInit(&b, 0);
    assert_int_equal(snapshotWrite(db, 0, 0, &b), 0);
    snapshot_info info;
    char err[256];
    assert_int_equal(snapshotLoad(back, sliceMake(b.data, b.len), &info, err, sizeof(err)), 0);
    assert_int_equal(peopleCount(back), 0);
    peopleDestroy(back);
    peopleDestroy(db);
    bufFree(&b);
}

/* Written in small chunks, loaded from pieces of 1..13 bytes, keeping the
 * unconsumed rest like a network reader does. */
static void test_streamed(void **state) {
    (void)state;
    people *db = makeDb(1, 500), *back = peopleCreate(0);
    snapshot_writer w;
    buf all, in;
    bufInit(&all, 0);
    bufInit(&in, 0);
    snapshotWriterInit(&w, db, 500, 1);
    int rc, chunks = 0;
    while ((rc = snapshotWriterNext(&w, &all, chunks % 2 ? 300 : 0)) == 1) chunks++;
    assert_int_equal(rc, 0);
    assert_true(chunks > 150); /* max_bytes 0 still makes progress: one person */
    snapshot_loader l;
    snapshotLoaderInit(&l, back);
    for (size_t off = 0, step = 1; off < all.len; off += step, step = step % 13 + 1) {
        size_t n = off + step <= all.len ? step : all.len - off;
        bufAppend(&in, all.data + off, n);
        ssize_t k = snapshotLoaderFeed(&l, (const uint8_t *)bufReadPtr(&in), bufUnread(&in));
        assert_true(k >= 0);
        bufConsume(&in, (size_t)k);
        bufCompact(&in);
    }
    assert_true(snapshotLoaderDone(&l));
    assert_int_equal(bufUnread(&in), 0);
    snapshotLoaderFree(&l);
    assertSameDb(db, back);
    peopleDestroy(back);
    peopleDestroy(db);
    bufFree(&all);
    bufFree(&in);
}

/* A writer started before more adds still produces the state at its start. */
static void test_writes_during_snapshot(void **state) {
    (void)state;
    people *db = makeDb(1, 100), *want = makeDb(1, 100), *back = peopleCreate(0);
    snapshot_writer w;
    buf b;
    bufInit(&b, 0);
    snapshotWriterInit(&w, db, 100, 1);
    assert_int_equal(snapshotWriterNext(&w, &b, 500), 1);
    for (uint64_t i = 101; i <= 5000; i++) {
        pdata p;
        makePerson(&p, i);
        peopleAdd(db, p.id, sliceMake(p.apelido, strlen(p.apelido)), sliceMake(p.key, p.key_len),
                  sliceMake(p.json, strlen(p.json)));
    }
    while (snapshotWriterNext(&w, &b, 500) == 1) {}
    char err[256];
    assert_int_equal(snapshotLoad(back, sliceMake(b.data, b.len), NULL, err, sizeof(err)), 0);
    assertSameDb(want, back);
    peopleDestroy(back);
    peopleDestroy(want);
    peopleDestroy(db);
    bufFree(&b);
}

/* Removed people are left out; the header's count is only a bound. */
static void test_removed_people(void **state) {
    (void)state;
    people *db = makeDb(1, 300), *want = peopleCreate(0), *back = peopleCreate(0);
    for (uint64_t i = 1; i <= 300; i++) {
        pdata p;
        makePerson(&p, i);
        if (i % 3 == 0 || i == 1) {
            assert_int_equal(peopleRemove(db, p.id), 0);
            continue;
        }
        peopleAdd(want, p.id, sliceMake(p.apelido, strlen(p.apelido)),
                  sliceMake(p.key, p.key_len), sliceMake(p.json, strlen(p.json)));
    }
    snapshot_writer w;
    buf b;
    bufInit(&b, 0);
    snapshotWriterInit(&w, db, 300, 1);
    assert_int_equal(snapshotWriterNext(&w, &b, 1000), 1);
    pdata p;
    makePerson(&p, 250); /* removed while the walk has not reached it yet */
    assert_int_equal(peopleRemove(db, p.id), 0);
    assert_int_equal(peopleRemove(want, p.id), 0);
    while (snapshotWriterNext(&w, &b, 1000) == 1) {}
    snapshot_info info;
    char err[256];
    assert_int_equal(snapshotLoad(back, sliceMake(b.data, b.len), &info, err, sizeof(err)), 0);
    assert_int_equal(info.count, peopleCount(want));
    assert_int_equal(peopleCount(back), peopleCount(want));
    assertSearchesEqual(want, back);
    peopleDestroy(back);
    peopleDestroy(want);
    peopleDestroy(db);
    bufFree(&b);
}

/* Every single-byte change and every truncation of a small snapshot is
 * refused, with a message; 2000 people: every 1999th byte. */
static void assertRefused(const char *p, size_t n) {
    people *db = peopleCreate(0);
    char err[256] = "";
    assert_true(snapshotLoad(db, sliceMake(p, n), NULL, err, sizeof(err)) < 0);
    assert_non_null(strstr(err, "snapshot"));
    peopleDestroy(db);
}

static void test_damage_refused(void **state) {
    (void)state;
    people *db = makeDb(1, 6);
    buf b;
    bufInit(&b, 0);
    snapshotWrite(db, 6, 1, &b);
    for (size_t i = 0; i < b.len; i++) {
        b.data[i] ^= 0x04;
        assertRefused(b.data, b.len);
        b.data[i] ^= 0x04;
        assertRefused(b.data, i);
    }
    bufAppend(&b, "x", 1);
    assertRefused(b.data, b.len); /* bytes after the trailer */
    peopleDestroy(db);
    bufReset(&b);
    db = makeDb(1, 2000);
    snapshotWrite(db, 2000, 1, &b);
    for (size_t i = 0; i < b.len; i += 1999) {
        b.data[i] ^= 0x80;
        assertRefused(b.data, b.len);
        b.data[i] ^= 0x80;
    }
    peopleDestroy(db);
    bufFree(&b);
}

static void tmpDir(char *dir) {
    strcpy(dir, "/tmp/bardo-snap-XXXXXX");
    assert_non_null(mkdtemp(dir));
}

static void rmTree(const char *dir) {
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void writeFile(const char *path, const char *data, size_t n) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
}

static void test_files(void **state) {
    (void)state;
    char dir[64], path[256], err[256];
    tmpDir(dir);
    people *db = makeDb(1, 1000), *back = peopleCreate(0);
    uint64_t seq;
    assert_int_equal(snapshotFindNewest(dir, path, sizeof(path), &seq), -ENOENT);
    assert_int_equal(snapshotWriteFile(db, dir, 10, 1, err, sizeof(err)), 0);
    /* a crash mid-write leaves a temp file, newer-looking and garbage */
    snprintf(path, sizeof(path), "%s/snapshot-%020d.snap.tmp", dir, 99);
    writeFile(path, "garbage", 7);
    assert_int_equal(snapshotFindNewest(dir, path, sizeof(path), &seq), 0);
    assert_int_equal(seq, 10);
    snapshot_info info;
    assert_int_equal(snapshotLoadFile(back, path, &info, err, sizeof(err)), 0);
    assertSameDb(db, back);
    /* a newer snapshot replaces the older one and sweeps the temp file */
    assert_int_equal(snapshotWriteFile(db, dir, 20, 1, err, sizeof(err)), 0);
    snprintf(path, sizeof(path), "%s/snapshot-%020d.snap", dir, 10);
    assert_int_equal(access(path, F_OK), -1);
    snprintf(path, sizeof(path), "%s/snapshot-%020d.snap.tmp", dir, 99);
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(snapshotFindNewest(dir, path, sizeof(path), &seq), 0);
    assert_int_equal(seq, 20);
    peopleDestroy(back);
    peopleDestroy(db);
    rmTree(dir);
}

/* A data dir as the server leaves it: snapshot at 100, journal 1..150. */
static void makeDataDir(const char *dir) {
    char err[256];
    journal *j = journalCreate(0, 1);
    assert_int_equal(journalOpenFile(j, dir), 0);
    people *db = peopleCreate(0);
    for (uint64_t i = 1; i <= 150; i++) {
        pdata p;
        makePerson(&p, i);
        slice a = sliceMake(p.apelido, strlen(p.apelido)), k = sliceMake(p.key, p.key_len),
              js = sliceMake(p.json, strlen(p.json));
        assert_int_equal(journalAppendAdd(j, 2, p.id, a, k, js), (int64_t)i);
        assert_int_equal(peopleAdd(db, p.id, a, k, js), 0);
        if (i % 10 == 0) assert_int_equal(journalSync(j), 0);
        if (i == 100) assert_int_equal(snapshotWriteFile(db, dir, 100, 2, err, sizeof(err)), 0);
    }
    journalDestroy(j);
    peopleDestroy(db);
}

static void test_recovery(void **state) {
    (void)state;
    char dir[64], err[256], path[256];
    tmpDir(dir);
    makeDataDir(dir);
    people *db = peopleCreate(0), *want = makeDb(1, 150);
    store_recovery r;
    assert_int_equal(storeRecoverReport(db, dir, &r, err, sizeof(err)), 0);
    assert_string_equal(err, "");
    assert_true(r.had_snapshot);
    assert_int_equal(r.snapshot_seq, 100);
    assert_int_equal(r.replayed, 50);
    assert_int_equal(r.seq, 150);
    assert_int_equal(r.epoch, 2);
    assertSameDb(want, db);
    peopleDestroy(db);
    /* a torn tail: dropped, cut off the file, reported */
    snprintf(path, sizeof(path), "%s/%s", dir, JOURNAL_FILE_NAME);
    struct stat st;
    stat(path, &st);
    FILE *f = fopen(path, "ab");
    fwrite("\x30\x00\x00\x00\x01\x02", 1, 6, f);
    fclose(f);
    db = peopleCreate(0);
    uint64_t seq, epoch;
    assert_int_equal(storeRecover(db, dir, &seq, &epoch, err, sizeof(err)), 0);
    assert_int_equal(seq, 150);
    assert_non_null(strstr(err, "dropped a torn last entry (6 bytes"));
    struct stat st2;
    stat(path, &st2);
    assert_int_equal(st2.st_size, st.st_size);
    assertSameDb(want, db);
    peopleDestroy(db);
    peopleDestroy(want);
    rmTree(dir);
}

static void test_recovery_refuses(void **state) {
    (void)state;
    char dir[64], err[256], path[256];
    tmpDir(dir);
    makeDataDir(dir);
    uint64_t seq, epoch;
    /* damage in the middle of the journal */
    snprintf(path, sizeof(path), "%s/%s", dir, JOURNAL_FILE_NAME);
    FILE *f = fopen(path, "r+b");
    fseek(f, 500, SEEK_SET);
    int c = fgetc(f);
    fseek(f, 500, SEEK_SET);
    fputc(c ^ 0x01, f);
    fclose(f);
    people *db = peopleCreate(0);
    assert_int_equal(storeRecover(db, dir, &seq, &epoch, err, sizeof(err)), -EBADMSG);
    assert_non_null(strstr(err, "journal damaged at byte"));
    peopleDestroy(db);
    /* damage in the snapshot */
    snapshotFindNewest(dir, path, sizeof(path), &seq);
    f = fopen(path, "r+b");
    fseek(f, 300, SEEK_SET);
    fputc('!', f);
    fclose(f);
    db = peopleCreate(0);
    assert_true(storeRecover(db, dir, &seq, &epoch, err, sizeof(err)) < 0);
    assert_non_null(strstr(err, "snapshot damaged"));
    peopleDestroy(db);
    rmTree(dir);
}

/* No data dir yet: created, empty state. */
static void test_recovery_fresh(void **state) {
    (void)state;
    char dir[64], sub[96], err[256];
    tmpDir(dir);
    snprintf(sub, sizeof(sub), "%s/data", dir);
    people *db = peopleCreate(0);
    uint64_t seq = 9, epoch = 9;
    assert_int_equal(storeRecover(db, sub, &seq, &epoch, err, sizeof(err)), 0);
    assert_int_equal(seq, 0);
    assert_int_equal(epoch, 0);
    assert_int_equal(peopleCount(db), 0);
    peopleDestroy(db);
    rmTree(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_thousands),
        cmocka_unit_test(test_empty_db),
        cmocka_unit_test(test_streamed),
        cmocka_unit_test(test_writes_during_snapshot),
        cmocka_unit_test(test_removed_people),
        cmocka_unit_test(test_damage_refused),
        cmocka_unit_test(test_files),
        cmocka_unit_test(test_recovery),
        cmocka_unit_test(test_recovery_refuses),
        cmocka_unit_test(test_recovery_fresh),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
