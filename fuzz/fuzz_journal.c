/* fuzz_journal.c - libFuzzer target for the journal loader and backlog
 * (src/store/journal.c).
 *
 * The input is a journal byte stream, loaded into a people db after a seq
 * taken from its first byte. Invariants: the loader returns 0 or a
 * negative errno, never crashes or leaks; on success the good prefix plus
 * the torn tail is the whole input, and loading just the good prefix gives
 * the same last seq with nothing torn. Then every frame of the good prefix
 * is appended to a small ring backlog (which wraps), and every held seq is
 * found again with the same bytes. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/journal.h"

#define CHECK(c) \
    do {         \
        if (!(c)) abort(); \
    } while (0)

/* Frames of a good journal prefix: consecutive seqs, so after a reset to
 * the first one every append succeeds unless a frame exceeds the ring. */
static void backlog(const uint8_t *p, size_t n) {
    journal *j = journalCreate(512, 1);
    journal_scratch s;
    journal_entry e;
    slice body;
    CHECK(j);
    journalScratchInit(&s);
    ssize_t f = journalFrameParse(p, n, &body);
    if (f > 0 && journalDecode(body, &s, &e) == 0) journalReset(j, e.seq);
    for (size_t off = 0; off < n; off += (size_t)f) {
        f = journalFrameParse(p + off, n - off, &body);
        CHECK(f > 0);
        int64_t rc = journalAppendFrame(j, sliceMake((const char *)p + off, (size_t)f));
        if (rc == -EMSGSIZE) break;
        CHECK(rc > 0 && (uint64_t)rc == journalLastSeq(j));
    }
    for (uint64_t q = journalFirstSeq(j); q < journalNextSeq(j); q++) {
        slice fr;
        CHECK(journalFind(j, q, &fr));
        CHECK(journalFrameParse((const uint8_t *)fr.ptr, fr.len, &body) == (ssize_t)fr.len);
        CHECK(journalDecode(body, &s, &e) == 0 && e.seq == q);
    }
    journalScratchFree(&s);
    journalDestroy(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    uint64_t after = data[0] % 8;
    char *p = malloc(size - 1 ? size - 1 : 1); /* exact size: ASan sees overreads */
    if (!p) return 0;
    memcpy(p, data + 1, size - 1);
    people *db = peopleCreate(0);
    journal_load res, again;
    char err[256];
    int rc = journalLoad(sliceMake(p, size - 1), after, journalApplyToPeople, db, &res, err,
                         sizeof(err));
    CHECK(rc == 0 || rc == -EBADMSG || rc == -ENOMEM);
    if (rc == 0) {
        CHECK(res.valid_bytes + res.torn_bytes == size - 1);
        CHECK(peopleCount(db) <= res.applied);
        CHECK(journalLoad(sliceMake(p, res.valid_bytes), after, NULL, NULL, &again, err,
                          sizeof(err)) == 0);
        CHECK(again.last_seq == res.last_seq && again.torn_bytes == 0);
        backlog((const uint8_t *)p, res.valid_bytes);
    }
    peopleDestroy(db);
    free(p);
    return 0;
}
