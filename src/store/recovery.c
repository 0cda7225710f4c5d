/* recovery.c - newest snapshot, then the journal after it.
 *
 * SNAPSHOT empties journal.log once the snapshot is durable (a journal
 * that starts right after the snapshot's seq is whole). A crash between
 * the two leaves the old entries in the file: replay skips what the
 * snapshot already has.
 *
 * Two repairs are made on the file, both only ever dropping what cannot
 * be acknowledged state: a torn last entry is truncated away (its write never
 * completed, so it was never acknowledged), and a journal that ends before
 * the snapshot's seq (all of it is in the snapshot) is emptied, so new
 * entries do not follow it with a gap. */
#include "store/recovery.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/journal.h"
#include "store/snapshot.h"

static int loadSnapshot(people *db, const char *dir, store_recovery *r, char *err,
                        size_t errlen) {
    char path[4096];
    uint64_t name_seq;
    int rc = snapshotFindNewest(dir, path, sizeof(path), &name_seq);
    if (rc == -ENOENT) return 0;
    if (rc < 0) {
        snprintf(err, errlen, "data dir %s: %s", dir, strerror(-rc));
        return rc;
    }
    snapshot_info info;
    rc = snapshotLoadFile(db, path, &info, err, errlen);
    if (rc < 0) return rc;
    if (info.seq != name_seq) {
        snprintf(err, errlen, "snapshot %s: holds seq %llu, not the seq in its name", path,
                 (unsigned long long)info.seq);
        return -EBADMSG;
    }
    *r = (store_recovery){.seq = info.seq, .epoch = info.epoch, .had_snapshot = true,
                          .snapshot_seq = info.seq, .snapshot_count = info.count};
    return 0;
}

/* Cuts journal.log to `len` bytes, durably. */
static int truncateJournal(const char *path, size_t len, char *err, size_t errlen) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    int rc = (fd < 0 || ftruncate(fd, (off_t)len) < 0 || fsync(fd) < 0) ? -errno : 0;
    if (fd >= 0) close(fd);
    if (rc < 0) snprintf(err, errlen, "journal %s: truncate: %s", path, strerror(-rc));
    return rc;
}

static int replayJournal(people *db, const char *dir, store_recovery *r, char *err,
                         size_t errlen) {
    char path[4096];
    if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, JOURNAL_FILE_NAME) >= sizeof(path))
        return -ENAMETOOLONG;
    journal_load res;
    int rc = journalLoadFile(path, r->seq, journalApplyToPeople, db, &res, err, errlen);
    if (rc < 0) return rc;
    r->replayed = res.applied;
    r->torn_bytes = res.torn_bytes;
    if (res.last_seq > r->seq) {
        r->seq = res.last_seq;
        r->epoch = res.last_epoch > r->epoch ? res.last_epoch : r->epoch;
    }
    r->journal_reset = res.last_seq < r->seq && res.valid_bytes > 0;
    if (r->journal_reset) return truncateJournal(path, 0, err, errlen);
    if (res.torn_bytes) {
        rc = truncateJournal(path, res.valid_bytes, err, errlen);
        if (rc == 0)
            snprintf(err, errlen, "journal %s: dropped a torn last entry (%zu bytes at byte %zu)",
                     path, res.torn_bytes, res.valid_bytes);
    }
    return rc;
}

int storeRecoverReport(people *db, const char *dir, store_recovery *r, char *err, size_t errlen) {
    *r = (store_recovery){0};
    if (errlen) err[0] = '\0';
    if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
        int rc = -errno;
        snprintf(err, errlen, "data dir %s: %s", dir, strerror(-rc));
        return rc;
    }
    int rc = loadSnapshot(db, dir, r, err, errlen);
    return rc < 0 ? rc : replayJournal(db, dir, r, err, errlen);
}

int storeRecover(people *db, const char *dir, uint64_t *seq, uint64_t *epoch, char *err,
                 size_t errlen) {
    store_recovery r;
    int rc = storeRecoverReport(db, dir, &r, err, errlen);
    if (rc == 0) {
        *seq = r.seq;
        *epoch = r.epoch;
    }
    return rc;
}
