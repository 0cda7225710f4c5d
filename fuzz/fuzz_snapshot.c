/* fuzz_snapshot.c - libFuzzer target for the snapshot loader
 * (src/store/snapshot.c).
 *
 * The input is loaded twice: whole (snapshotLoad) and streamed through a
 * snapshot_loader in pieces whose sizes come from the input itself, keeping
 * the unconsumed rest as a network reader does. Invariants: no crash or
 * leak; both ways agree on success and on the people loaded; a loaded
 * snapshot written again loads again to the same count. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/snapshot.h"

#define CHECK(c) \
    do {         \
        if (!(c)) abort(); \
    } while (0)

/* Streams p through a loader; 0 if done with nothing left over. */
static int streamed(const char *p, size_t n, people *db) {
    snapshot_loader l;
    buf in;
    CHECK(bufInit(&in, 0) == 0);
    snapshotLoaderInit(&l, db);
    int rc = 0;
    for (size_t off = 0; off < n && rc == 0;) {
        size_t step = 1 + (unsigned char)p[off] % 61;
        if (step > n - off) step = n - off;
        CHECK(bufAppend(&in, p + off, step) == 0);
        off += step;
        ssize_t k = snapshotLoaderFeed(&l, (const uint8_t *)bufReadPtr(&in), bufUnread(&in));
        if (k < 0) rc = (int)k;
        else bufConsume(&in, (size_t)k);
        bufCompact(&in);
    }
    if (rc == 0 && (!snapshotLoaderDone(&l) || bufUnread(&in))) rc = -EBADMSG;
    snapshotLoaderFree(&l);
    bufFree(&in);
    return rc;
}

static void rewrite(const people *db, const snapshot_info *info) {
    buf b;
    CHECK(bufInit(&b, 0) == 0);
    CHECK(snapshotWrite(db, info->seq, info->epoch, &b) == 0);
    people *again = peopleCreate(0);
    snapshot_info i2;
    CHECK(snapshotLoad(again, sliceMake(b.data, b.len), &i2, NULL, 0) == 0);
    CHECK(peopleCount(again) == peopleCount(db) && i2.seq == info->seq);
    peopleDestroy(again);
    bufFree(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *p = malloc(size ? size : 1);
    if (!p) return 0;
    if (size) memcpy(p, data, size);
    people *a = peopleCreate(0), *b = peopleCreate(0);
    snapshot_info info;
    char err[256];
    int ra = snapshotLoad(a, sliceMake(p, size), &info, err, sizeof(err));
    int rb = streamed(p, size, b);
    CHECK(ra == 0 || ra == -EBADMSG || ra == -ENOMEM);
    CHECK((ra == 0) == (rb == 0));
    if (ra == 0) {
        CHECK(peopleCount(a) == peopleCount(b) && peopleCount(a) == info.count);
        rewrite(a, &info);
    }
    peopleDestroy(a);
    peopleDestroy(b);
    free(p);
    return 0;
}
