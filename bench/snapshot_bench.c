/* snapshot_bench.c - in-process measurement of snapshots and journal replay.
 *
 * Loads N people (default 1,000,000) made from a payload file (default: the
 * generated data set, docs/DATA.md) by
 * the API's own pipeline (as store_bench does), then times: a snapshot
 * written to memory and loaded back; the same streamed in 64 KiB chunks
 * from a writer straight into a loader (a full resync without the
 * network); a snapshot file written (temp, fsync, rename, fsync dir) and
 * loaded; N journal appends to the in-memory backlog; and the replay of a
 * journal of N entries into an empty db (recovery without a snapshot).
 *
 * usage: snapshot_bench [payloads.tsv|- [N [data-dir]]]   (-: generated) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <uuid/uuid.h>

#include "api/person.h"
#include "store/bardo.pb-c.h"
#include "store/journal.h"
#include "store/snapshot.h"

#include "bench_lines.h"


typedef struct maker {
    buf json, key, apelido;
    person p;
    char scratch[1 << 16];
    uint8_t id[16];
} maker;

/* One person through the API's pipeline; apelido made unique by a suffix. */
static bool makePerson(maker *m, const char *payload, size_t i) {
    size_t len = strlen(payload);
    if (len > sizeof(m->scratch) ||
        personParse(&m->p, payload, len, m->scratch, sizeof(m->scratch)) != 0)
        return false;
    char text[37];
    uuid_generate_random(m->id);
    uuid_unparse_lower(m->id, text);
    bufReset(&m->json);
    bufReset(&m->key);
    bufReset(&m->apelido);
    personWriteJson(&m->p, sliceMake(text, 36), &m->json);
    personWriteSearchKey(&m->p, &m->key);
    bufAppendSlice(&m->apelido, m->p.apelido);
    bufAppendU64(&m->apelido, i);
    return true;
}

/* Fills db with n people and, as the server would, journals each add. */
static void load(people *db, journal *j, buf *jbytes, const lines *pl, size_t n) {
    static maker m;
    double spent = 0;
    for (size_t i = 0, line = 0; i < n; line++) {
        if (!makePerson(&m, pl->v[line % pl->n], i)) continue;
        slice a = sliceMake(m.apelido.data, m.apelido.len), k = sliceMake(m.key.data, m.key.len),
              js = sliceMake(m.json.data, m.json.len);
        if (peopleAdd(db, m.id, a, k, js) != 0) continue;
        double t0 = benchNow();
        int64_t seq = journalAppendAdd(j, 1, m.id, a, k, js);
        spent += benchNow() - t0;
        journal_entry e = {.seq = (uint64_t)seq, .epoch = 1, .cmd = JOURNAL_ADD_PERSON,
                           .add = {.apelido = a, .search_key = k, .json = js}};
        memcpy(e.add.id, m.id, 16);
        journalEncode(&e, jbytes);
        i++;
    }
    printf("journal appends (memory backlog of %zu MiB): %zu in %.3fs = %.0f/s; %.1f B/entry\n",
           journalBacklogCapacity(j) >> 20, n, spent, (double)n / spent,
           (double)jbytes->len / (double)n);
}

static people *freshFor(slice snap) {
    snapshot_info info = {0};
    snapshotReadHeader(snap, &info);
    return peopleCreate(info.count);
}

/* The loader's own share: frames checked and Persons unpacked, no db. */
static double decodeOnly(slice snap) {
    journal_scratch s;
    journalScratchInit(&s);
    const uint8_t *p = (const uint8_t *)snap.ptr + 8;
    size_t left = snap.len - 8 - SNAPSHOT_TRAILER;
    slice body;
    double t0 = benchNow();
    for (ssize_t f; left && (f = journalFrameParse(p, left, &body)) > 0; p += f, left -= (size_t)f) {
        journalScratchReset(&s);
        protobuf_c_message_unpack(&bardo__person__descriptor, &s.alloc, body.len,
                                  (const uint8_t *)body.ptr);
    }
    journalScratchFree(&s);
    return benchNow() - t0;
}

static void benchMemory(const people *db, size_t n) {
    buf b;
    bufInit(&b, 0);
    double t0 = benchNow();
    snapshotWrite(db, n, 1, &b);
    double tw = benchNow() - t0;
    people *back = freshFor(sliceMake(b.data, b.len));
    char err[256];
    t0 = benchNow();
    int rc = snapshotLoad(back, sliceMake(b.data, b.len), NULL, err, sizeof(err));
    double tl = benchNow() - t0;
    printf("snapshot in memory: %zu bytes (%.1f B/person); write %.3fs, load %.3fs%s%s\n", b.len,
           (double)b.len / (double)n, tw, tl, rc ? " FAILED: " : "", rc ? err : "");
    printf("  of which checking and decoding (no peopleAdd): %.3fs\n",
           decodeOnly(sliceMake(b.data, b.len)));
    peopleDestroy(back);
    bufFree(&b);
}

/* Writer -> loader in 64 KiB chunks, as a full resync streams it. */
static void benchStream(const people *db, size_t n) {
    snapshot_writer w;
    snapshot_loader l;
    buf b;
    bufInit(&b, 1 << 17);
    people *back = peopleCreate(n);
    snapshotWriterInit(&w, db, n, 1);
    snapshotLoaderInit(&l, back);
    double t0 = benchNow();
    int more = 1;
    size_t chunks = 0;
    while (more > 0) {
        more = snapshotWriterNext(&w, &b, 64 << 10);
        ssize_t k = snapshotLoaderFeed(&l, (const uint8_t *)bufReadPtr(&b), bufUnread(&b));
        if (k < 0) break;
        bufConsume(&b, (size_t)k);
        bufCompact(&b);
        chunks++;
    }
    printf("full resync in process (64 KiB chunks): %zu chunks in %.3fs, %s\n", chunks,
           benchNow() - t0, snapshotLoaderDone(&l) ? "ok" : "FAILED");
    snapshotLoaderFree(&l);
    peopleDestroy(back);
    bufFree(&b);
}

static void benchFile(const people *db, size_t n, const char *dir) {
    char err[256], path[4096];
    uint64_t seq;
    mkdir(dir, 0755);
    double t0 = benchNow();
    int rc = snapshotWriteFile(db, dir, n, 1, err, sizeof(err));
    double tw = benchNow() - t0;
    if (rc < 0 || snapshotFindNewest(dir, path, sizeof(path), &seq) < 0) {
        printf("snapshot file: FAILED %s\n", err);
        return;
    }
    struct stat st;
    stat(path, &st);
    people *back = peopleCreate(n);
    t0 = benchNow();
    rc = snapshotLoadFile(back, path, NULL, err, sizeof(err));
    printf("snapshot file %s: %lld bytes; write+fsync %.3fs, load %.3fs%s\n", path,
           (long long)st.st_size, tw, benchNow() - t0, rc ? " FAILED" : "");
    peopleDestroy(back);
    unlink(path);
}

static void benchReplay(const buf *jbytes, size_t n) {
    people *back = peopleCreate(n);
    journal_load res;
    char err[256];
    double t0 = benchNow();
    int rc = journalLoad(sliceMake(jbytes->data, jbytes->len), 0, journalApplyToPeople, back, &res,
                         err, sizeof(err));
    printf("journal replay: %llu entries, %zu bytes in %.3fs%s\n",
           (unsigned long long)res.applied, jbytes->len, benchNow() - t0, rc ? " FAILED" : "");
    peopleDestroy(back);
}

int main(int argc, char **argv) {
    lines pl = benchData(argc > 1 ? argv[1] : NULL, LOAD_DATA_PAYLOAD_SET);
    size_t n = argc > 2 ? strtoul(argv[2], NULL, 10) : 1000000;
    const char *dir = argc > 3 ? argv[3] : "/tmp/bardo-snapshot-bench";
    people *db = peopleCreate(n);
    journal *j = journalCreate(0, 1);
    buf jbytes;
    bufInit(&jbytes, 1 << 20);
    load(db, j, &jbytes, &pl, n);
    printf("people: %zu\n", peopleCount(db));
    benchMemory(db, n);
    benchStream(db, n);
    benchFile(db, n, dir);
    benchReplay(&jbytes, n);
    bufFree(&jbytes);
    journalDestroy(j);
    peopleDestroy(db);
    return 0;
}
