/* journal.h - the store's journal: numbered commands, framed, in a ring
 * backlog, optionally appended to a file (see journal.c).
 *
 * A frame is [u32 body length][u32 crc32c][protobuf body], little-endian;
 * the checksum covers the 4 length bytes and the body, so a damaged length
 * is caught too. The body is a bardo.JournalEntry (src/store/bardo.proto).
 * The same framing carries snapshot records (snapshot.h).
 *
 * Sequence numbers start at 1 and are consecutive; epochs never decrease.
 * The backlog keeps the newest entries within a byte budget and knows the
 * oldest one it holds, so a replica that resumes from seq S is served from
 * it when journalHas(S) (partial resync), otherwise it needs a snapshot.
 * Not thread-safe, like the rest of the store. */
#ifndef BARDO_JOURNAL_H
#define BARDO_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <protobuf-c/protobuf-c.h>

#include "core/buf.h"
#include "core/slice.h"
#include "store/people.h"

#define JOURNAL_FRAME_HDR 8
/* Largest frame body accepted (peopleAdd takes fields up to 64 MiB). */
#define JOURNAL_BODY_MAX ((size_t)256 << 20)
#define JOURNAL_BACKLOG_DEFAULT ((size_t)64 << 20)
#define JOURNAL_FILE_NAME "journal.log"

/* journalFrameParse's results besides a frame size. */
#define JOURNAL_PARTIAL (-2) /* the frame is not all there yet */
#define JOURNAL_BAD (-1)     /* checksum mismatch or length over the maximum */

/* CRC-32C (Castagnoli), table-driven. Start with crc = 0; chain calls to
 * checksum data in pieces. */
uint32_t journalCrc32c(uint32_t crc, const void *p, size_t n);

/* Parses one frame at p: returns its total size (header + body, > 0) and
 * sets *body to the body inside p, or JOURNAL_PARTIAL / JOURNAL_BAD. */
ssize_t journalFrameParse(const uint8_t *p, size_t n, slice *body);
/* Appends msg to out as one frame. 0 or -ENOMEM / -EMSGSIZE. */
int journalFramePack(buf *out, const ProtobufCMessage *msg);

/* ---- decoding -------------------------------------------------------- */

/* protobuf-c unpacks into memory from an allocator; this one is a bump
 * arena reused across messages, so decoding allocates nothing once warm.
 * What a decode returns lives until the next journalScratchReset(). */
typedef struct journal_scratch {
    ProtobufCAllocator alloc; /* pass &s->alloc to protobuf-c */
    uint8_t *mem;             /* first chunk, kept across resets */
    size_t cap, used;
    void *extra;              /* overflow chunks, freed on reset */
} journal_scratch;

void journalScratchInit(journal_scratch *s);
void journalScratchReset(journal_scratch *s);
void journalScratchFree(journal_scratch *s);

typedef enum journal_cmd {
    JOURNAL_ADD_PERSON = 1,
    JOURNAL_REMOVE_PERSON = 2,
    JOURNAL_NEW_EPOCH = 3 /* a new primary's no-op (repl/election.h) */
} journal_cmd;

typedef struct journal_person {
    uint8_t id[16];
    slice apelido, search_key, json;
} journal_person;

typedef struct journal_entry {
    uint64_t seq, epoch;
    journal_cmd cmd;
    journal_person add; /* JOURNAL_ADD_PERSON; for REMOVE only add.id is set */
    slice primary;      /* JOURNAL_NEW_EPOCH: the new primary's name */
} journal_entry;

/* The one Person codec, shared by journal entries, snapshots and full
 * resyncs (snapshot.h): a journal_person as a protobuf Person (pm's
 * fields point into p, nothing is copied; pm is a struct Bardo__Person,
 * declared in bardo.pb-c.h), and back (slices into m; -EBADMSG unless the
 * id is 16 bytes). */
struct Bardo__Person;
void journalPersonToPb(struct Bardo__Person *pm, const journal_person *p);
int journalPersonFromPb(const struct Bardo__Person *m, journal_person *p);

/* Decodes a frame body (resets s first; slices point into s). 0, or
 * -EBADMSG for bad protobuf, no/unknown command, an id not 16 bytes or seq 0. */
int journalDecode(slice body, journal_scratch *s, journal_entry *e);
/* Appends e as one frame. 0 or -ENOMEM / -EMSGSIZE. */
int journalEncode(const journal_entry *e, buf *out);
/* Applies e to a people db (ctx) as a journal_apply_fn. A command that fails
 * the same way every time (duplicate id or apelido, field too big) is a
 * deterministic no-op, as when it first ran: returns 0. -ENOMEM otherwise. */
int journalApplyToPeople(void *ctx, const journal_entry *e);

/* ---- the backlog ----------------------------------------------------- */

typedef struct journal journal;

/* A backlog of `backlog_bytes` (0: JOURNAL_BACKLOG_DEFAULT) whose next
 * entry will be `next_seq` (>= 1). NULL on ENOMEM. */
journal *journalCreate(size_t backlog_bytes, uint64_t next_seq);
/* Closes the file (after a last journalSync) and frees everything. */
void journalDestroy(journal *j);

/* Appends an add-person command: returns its seq (> 0), or -ENOMEM,
 * -EMSGSIZE (bigger than the backlog) or -EIO (an earlier file write failed;
 * the journal refuses from then on). Oldest entries are dropped to make
 * room. In file mode the frame is queued for the next journalSync(). */
int64_t journalAppendAdd(journal *j, uint64_t epoch, const uint8_t id[16], slice apelido,
                         slice search_key, slice json);
/* Appends a remove-person command (an aborted write): seq or -errno, as
 * journalAppendAdd. */
int64_t journalAppendRemove(journal *j, uint64_t epoch, const uint8_t id[16]);
/* Appends a new primary's no-op for its epoch (changes no person). */
int64_t journalAppendNewEpoch(journal *j, uint64_t epoch, slice primary);
/* Appends an already framed entry (a replica storing the primary's stream):
 * checks the frame, its checksum and that its seq is the next one. Returns
 * the seq, -EBADMSG (damaged / not decodable), -ERANGE (not the next seq),
 * -EMSGSIZE, -ENOMEM or -EIO. */
int64_t journalAppendFrame(journal *j, slice frame);

uint64_t journalNextSeq(const journal *j);
/* Newest seq appended (0 if none ever: next_seq - 1). */
uint64_t journalLastSeq(const journal *j);
/* Oldest seq still in the backlog; == journalNextSeq() when it is empty. */
uint64_t journalFirstSeq(const journal *j);
/* True when seq's frame is in the backlog. */
bool journalHas(const journal *j, uint64_t seq);
/* The frame of seq, pointing into the backlog (valid until the next
 * append). False if not held. */
bool journalFind(const journal *j, uint64_t seq, slice *frame);
/* Bytes of frames held / the budget. */
size_t journalBacklogBytes(const journal *j);
size_t journalBacklogCapacity(const journal *j);
/* Empties the backlog and sets the next seq (after loading a snapshot). */
void journalReset(journal *j, uint64_t next_seq);

/* Walks frames from a seq on, e.g. to feed a replica. */
typedef struct journal_iter {
    const journal *j;
    uint64_t seq; /* next to return */
} journal_iter;

/* False if from_seq is neither held nor journalNextSeq() (full resync). */
bool journalIterInit(journal_iter *it, const journal *j, uint64_t from_seq);
/* 1 and *frame (into the backlog, valid until the next append), 0 when
 * caught up, -ESTALE if the entry was dropped meanwhile (full resync). */
int journalIterNext(journal_iter *it, slice *frame);

/* ---- file mode ------------------------------------------------------- */

/* Appends from now on to dir/journal.log (created if missing, the
 * directory fsynced then). The file must end where this journal's entries
 * continue: run storeRecover() first, which truncates a torn tail. 0 or
 * -errno. */
int journalOpenFile(journal *j, const char *dir);
/* Group commit: writes every frame queued since the last call and
 * fdatasyncs once. The server calls it once per loop turn, before replies
 * that depend on durability. No-op without a file. 0 or -errno (then the
 * journal refuses further appends with -EIO). */
int journalSync(journal *j);
/* Highest seq known durable (file mode) or appended (memory mode). */
uint64_t journalSyncedSeq(const journal *j);
/* Empties the file once a durable snapshot holds every entry so far: syncs
 * what is queued, then truncates to 0 and fsyncs, so the file restarts at
 * the next seq (recovery accepts a journal that starts right after the
 * snapshot). The in-memory backlog is kept for replicas. No-op without a
 * file. 0 or -errno (then the journal refuses further appends). */
int journalTruncateFile(journal *j);

/* ---- loading --------------------------------------------------------- */

typedef int journal_apply_fn(void *ctx, const journal_entry *e);

typedef struct journal_load {
    uint64_t first_seq, last_seq; /* of the frames read (0, 0 if none) */
    uint64_t last_epoch;
    uint64_t applied;     /* entries after after_seq given to apply */
    uint64_t skipped;     /* entries <= after_seq (already in the snapshot) */
    size_t valid_bytes;   /* length of the good prefix */
    size_t torn_bytes;    /* bytes of a torn last entry dropped (0: none) */
} journal_load;

/* Reads a whole journal byte stream: every frame must be intact and
 * decodable, seqs consecutive, epochs non-decreasing. Entries with
 * seq <= after_seq are skipped; the first applied must be after_seq + 1.
 * A torn LAST entry (its header or body cut short by the end of data, or a
 * zero-filled tail) is dropped and reported in res->torn_bytes. Returns 0,
 * -EBADMSG (damage, gap: err says where), or apply's negative result. */
int journalLoad(slice data, uint64_t after_seq, journal_apply_fn *apply, void *ctx,
                journal_load *res, char *err, size_t errlen);
/* journalLoad over a file (mmap'd); a missing file is an empty journal. */
int journalLoadFile(const char *path, uint64_t after_seq, journal_apply_fn *apply, void *ctx,
                    journal_load *res, char *err, size_t errlen);

#endif
