/* snapshot.h - the whole people db at a journal position, as bytes (see
 * snapshot.c).
 *
 * Format (little-endian, frames as in journal.h):
 *   "BARDOSNP"                       8 bytes of magic
 *   frame(bardo.SnapshotHeader)      format_version 1, seq, epoch, count
 *   frame(bardo.Person) x n          in insertion order
 *   "BARDOEND" u64 n  u32 crc        trailer (20 bytes)
 * The header's count is the number of people when the writer started, an
 * upper bound to size the db with; the trailer's n is what was written.
 * (No frame can start with "BARD": as a length it is over the maximum.)
 * The trailer's CRC-32C chains the magic, every frame's 8-byte header,
 * "BARDOEND" and n; each frame's own CRC covers its body, so together they
 * cover every byte while the trailer costs 8 bytes of hashing per record.
 *
 * Streaming both ways: a writer produces the snapshot in chunks (a full
 * resync sends it as it goes) and a loader accepts it in pieces of any
 * size. The writer walks the positions that existed when it started; since
 * people never move and are only appended, the db may keep taking writes
 * while a chunked snapshot is produced (no fork, no copy) and the result is
 * the state at `seq` (the journal's last seq at snapshotWriterInit). A
 * person removed (peopleRemove) before the walk reaches it is left out:
 * that is the state at a later seq, which replaying the journal after `seq`
 * brings to the same end, as long as replay is idempotent (a remove of
 * someone absent and an add of someone present are no-ops). */
#ifndef BARDO_SNAPSHOT_H
#define BARDO_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/buf.h"
#include "core/slice.h"
#include "store/journal.h"
#include "store/people.h"

#define SNAPSHOT_FORMAT_VERSION 1
#define SNAPSHOT_MAGIC "BARDOSNP"
#define SNAPSHOT_END "BARDOEND"
#define SNAPSHOT_TRAILER 20
/* Files in the data dir: snapshot-<seq, 20 digits>.snap (.tmp while written). */
#define SNAPSHOT_PREFIX "snapshot-"
#define SNAPSHOT_SUFFIX ".snap"

typedef struct snapshot_info {
    uint64_t seq, epoch;
    uint64_t count; /* people: the header's bound, or once loaded the trailer's */
} snapshot_info;

/* ---- writing ---------------------------------------------------------- */

typedef struct snapshot_writer {
    const people *db;
    snapshot_info info;
    size_t next, end; /* next position; positions at start */
    uint64_t written;
    int phase;        /* 0 start, 1 records, 2 done */
    uint32_t crc;
} snapshot_writer;

/* Starts a snapshot of db's current people, labelled (seq, epoch). The
 * db must outlive the writer. */
void snapshotWriterInit(snapshot_writer *w, const people *db, uint64_t seq, uint64_t epoch);
/* Appends the next piece to out: at least one unit, stopping once about
 * `max_bytes` were added. Returns 1 (more to come), 0 (the trailer was
 * written: done) or -ENOMEM / -EMSGSIZE. */
int snapshotWriterNext(snapshot_writer *w, buf *out, size_t max_bytes);
/* The whole snapshot appended to out. 0 or -ENOMEM. */
int snapshotWrite(const people *db, uint64_t seq, uint64_t epoch, buf *out);
/* Writes dir/snapshot-<seq>.snap: temp file, fsync, rename, fsync of the
 * directory; then removes older snapshots and stale temp files. 0 or
 * -errno (err says which step). */
int snapshotWriteFile(const people *db, const char *dir, uint64_t seq, uint64_t epoch, char *err,
                      size_t errlen);

/* ---- loading ---------------------------------------------------------- */

typedef struct snapshot_loader {
    people *db;       /* must be empty */
    snapshot_info info;
    uint64_t loaded;  /* people so far */
    size_t offset;    /* bytes consumed so far */
    int phase;        /* magic, header, records, trailer, done, failed */
    uint32_t crc;
    journal_scratch scratch;
    char err[200];
} snapshot_loader;

void snapshotLoaderInit(snapshot_loader *l, people *db);
void snapshotLoaderFree(snapshot_loader *l);
/* Consumes as many whole units (magic, frames, trailer) from p as it can:
 * returns the bytes consumed (0 if the next unit is not all there: call
 * again with those bytes and more), -EBADMSG on damage (l->err says what
 * and where; the loader is then dead) or -ENOMEM. Once done it consumes
 * nothing more. Units are at most JOURNAL_FRAME_HDR + JOURNAL_BODY_MAX. */
ssize_t snapshotLoaderFeed(snapshot_loader *l, const uint8_t *p, size_t n);
/* True once the trailer has been checked: l->info is the snapshot's. */
bool snapshotLoaderDone(const snapshot_loader *l);

/* Loads a whole snapshot held in memory into the empty db; bytes missing
 * or left over are errors. 0, -EBADMSG or -ENOMEM (err says why). */
int snapshotLoad(people *db, slice data, snapshot_info *info, char *err, size_t errlen);
/* The same from a file, read in 1 MiB pieces through the loader. */
int snapshotLoadFile(people *db, const char *path, snapshot_info *info, char *err,
                     size_t errlen);
/* Reads only the magic and header (to size a db before loading): 0,
 * JOURNAL_PARTIAL-like -EAGAIN if more bytes are needed, or -EBADMSG. */
int snapshotReadHeader(slice data, snapshot_info *info);
/* The newest dir/snapshot-<seq>.snap (temp files ignored): 0 with path and
 * seq, -ENOENT if none, or -errno. */
int snapshotFindNewest(const char *dir, char *path, size_t pathlen, uint64_t *seq);

#endif
