/* recovery.h - rebuilding the store from a data directory (see recovery.c).
 *
 * Recovery = the newest dir/snapshot-<seq>.snap + replay of dir/journal.log
 * after that seq, checking that seqs follow. A torn last journal entry is
 * dropped (and cut off the file, so appends continue from the good
 * prefix); any other damage refuses with a message naming the file and the
 * byte. Only used with a data directory: by default the store keeps
 * nothing on disk and a new node gets its state from a replica. */
#ifndef BARDO_RECOVERY_H
#define BARDO_RECOVERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/people.h"

typedef struct store_recovery {
    uint64_t seq, epoch;         /* the recovered position: continue at seq + 1 */
    bool had_snapshot;
    uint64_t snapshot_seq, snapshot_count;
    uint64_t replayed;           /* journal entries applied after the snapshot */
    size_t torn_bytes;           /* torn tail dropped from journal.log (0: none) */
    bool journal_reset;          /* journal.log was all older than the snapshot: emptied */
} store_recovery;

/* Loads dir into the empty db (dir is created when missing). Returns 0 and
 * fills r, with err "" or a one-line notice worth logging (a torn tail
 * dropped); or a negative errno with err saying what refused to load. */
int storeRecoverReport(people *db, const char *dir, store_recovery *r, char *err, size_t errlen);
/* The same, reporting only the position reached. */
int storeRecover(people *db, const char *dir, uint64_t *seq, uint64_t *epoch, char *err,
                 size_t errlen);

#endif
