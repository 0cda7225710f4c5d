/* repl.h - replication: the primary streams its journal to replicas in
 * other sites and acknowledges a write only once K of them hold it.
 *
 * How it works (Redis's replication with a Raft-style epoch):
 *   - Every node has a role (primary or replica) and an epoch. Entries are
 *     numbered by seq (journal.h) and carry the epoch they were written in.
 *   - A replica connects to the primary, authenticates (AUTH replica <pw>,
 *     acl.h) and
 *     asks `SYNC <name> <site> <last_seq> <last_epoch>`. The primary answers
 *       +CONTINUE <next_seq>        its backlog still holds what follows and
 *                                   the entry at last_seq has last_epoch, or
 *       +FULL <seq> <epoch> <count> a memory-to-memory full resync (epoch:
 *                                   of the entry at seq): a
 *                                   whole snapshot (snapshot.h) of the
 *                                   state at `seq` follows,
 *     and from then on the connection carries raw journal frames (the
 *     framing of journal.h: length, CRC-32C, protobuf), in order, forever.
 *   - Full resync: the stream is snapshot.h's format, written by the
 *     snapshot writer straight into the link's output and read by the
 *     snapshot loader: magic, a SnapshotHeader frame (seq, epoch: the same
 *     as +FULL's), Person frames, then the trailer "BARDOEND" <n> <crc>
 *     with the number of records sent and a CRC-32C chained over the
 *     whole stream. `count` (+FULL's and the header's) is only an upper
 *     bound to size the db with: the walk skips people withdrawn while it
 *     runs, so the replica reads records until the trailer, never counts.
 *     The replica builds into a separate `people` db, beside its live one;
 *     until the trailer has checked (count and CRC) its old db, journal
 *     position and last entry epoch stay as they were, and ROLE/INFO say
 *     `syncing` (with the OLD seq). Then the new db replaces the old one,
 *     which is freed at once, and the journal resumes at seq + 1. A cut
 *     link, a bad frame or a failed check frees the half-built db: the
 *     node is exactly what it was before (and PROMOTE refuses while it
 *     syncs). --resync-mbps caps the pace (MB/s per replica; default no
 *     cap). While it syncs the replica sends `ACK 0` heartbeats: they
 *     count for check-quorum (contact), never for K (it holds nothing). Memory: during a resync a replica holds both dbs (a node
 *     restarted empty holds only the new one).
 *   - The walk runs over the people of the moment it started, lazily, while
 *     writes go on. A person withdrawn (journal REMOVE) after +FULL and
 *     before the walk reaches it is not sent; the REMOVE then arrives in
 *     the journal after `seq` for a person the replica never got, and
 *     applying it is a no-op (journalApplyToPeople ignores -ENOENT), so
 *     both ends reach the same state. People added after +FULL sit past
 *     the walk's end and come as journal entries.
 *   - The replica appends each frame to its own journal, applies it, and
 *     sends `ACK <seq>` once per loop turn (and every 500 ms as a heartbeat).
 *   - The primary's committed seq is the K-th highest ACK among live
 *     replicas in sites other than its own. A write's reply is held (hold.h)
 *     until committed; many writes share one round trip (group commit).
 *     With fewer than K live replicas a write is refused at once
 *     (-NOREPLICAS), and one not acknowledged in time fails (-TIMEOUT): the
 *     API answers 503, never 201 for something a site loss could erase.
 *   - Failover is automatic (src/repl/election.h: Raft's election on
 *     this journal). Every node polls `ROLE` of every store address every
 *     REPL_POLL_MS; a replica that hears no primary for an election
 *     timeout asks the others for votes (`VOTE`, over those same links);
 *     the winner writes a no-op of its new epoch (JOURNAL_NEW_EPOCH) and
 *     counts nothing as committed until a majority holds it. A primary
 *     that sees a higher epoch, or that has had no majority for
 *     ELECT_TIMEOUT_MIN_MS (check-quorum), steps down: its held writes
 *     fail with -FENCED (the APIs resend them to the new primary), its
 *     replicas are dropped, and it resyncs as a replica, dropping what it
 *     had not replicated. `FAILOVER` (admin; PROMOTE is the old name)
 *     makes a named replica stand at once: a planned handover. A node in
 *     the middle of a full resync (ROLE `syncing`) neither stands, nor
 *     votes, nor takes FAILOVER/PROMOTE: its data is not whole.
 *   - K is derived from the node count: a majority of all configured
 *     nodes, the primary included, holds a write before its 201, so K =
 *     nodes / 2 (1 of 3, 2 of 5). A smaller K > 0 is refused at start.
 *
 * How a write flows: API -> PADD to the primary -> journal (seq, epoch)
 * -> applied in memory -> streamed to every replica -> each appends,
 * applies, ACKs -> the K-th highest ACK (and the no-op rule) makes it
 * committed -> the held +OK goes out -> the API answers 201.
 * K = 0 (asynchronous) must be asked for explicitly (--min-replicas 0). */
#ifndef BARDO_REPL_H
#define BARDO_REPL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/ev.h"
#include "repl/directory.h"
#include "repl/election.h"
#include "store/journal.h"
#include "store/snapshot.h"
#include "store/store_client.h"

#define REPL_MAX_PEERS 8
#define REPL_NAME_MAX 32
#define REPL_HEARTBEAT_MS 100  /* a replica ACKs at least this often */
#define REPL_LIVE_MS ELECT_TIMEOUT_MIN_MS /* a replica silent longer no longer counts */
#define REPL_POLL_MS 100        /* ROLE polls of the other store nodes */
/* Tags of our VOTE requests on a peer link: the kind and epoch asked for. */
#define REPL_TAG(kind, epoch) ((uint64_t)(kind) | (uint64_t)(epoch) << 8)
#define REPL_TAG_KIND(t) ((elect_kind)((t) & 0xff))
#define REPL_TAG_EPOCH(t) (((t) & ~DIR_PROBE_TAG) >> 8)
#define REPL_FEED_BYTES (1u << 20) /* most bytes queued to one replica */
#define REPL_GRACE_MS 2000      /* see repl.grace_until_ms */

typedef enum repl_role { REPL_PRIMARY, REPL_REPLICA } repl_role;

typedef struct repl_config {
    const char *name, *site;
    const char *peers;          /* comma-separated addresses of every store node */
    repl_role role;
    uint64_t epoch;             /* initial epoch of a primary (default 1) */
    unsigned min_replicas;      /* K */
    uint64_t write_timeout_ms;  /* a held write fails after this */
    uint64_t resync_bytes_per_s; /* a full resync's pace per replica (0: no cap) */
} repl_config;

/* Primary side: the state of one replica's connection. */
typedef struct repl_link {
    bool active;                /* this connection is a replica's stream */
    bool live;                  /* caught up past any full resync, acking */
    char name[REPL_NAME_MAX], site[REPL_NAME_MAX];
    uint64_t acked;             /* highest seq the replica holds */
    uint64_t next_seq;          /* next journal entry to send */
    bool snapping;              /* a full resync's snapshot is being sent */
    snapshot_writer snap;       /* ... by this writer, before next_seq */
    uint64_t snap_started_ms, snap_bytes; /* its +FULL, bytes queued since */
    uint64_t last_ack_ms;
} repl_link;

typedef enum repl_up_state {
    UP_IDLE, UP_CONNECTING, UP_TLS, UP_HANDSHAKE, UP_SNAPSHOT, UP_STREAM
} repl_up_state;

/* Replica side: the connection to the primary. */
typedef struct repl_upstream {
    ev_watch watch;
    repl_up_state state;
    char addr[128];
    tls_conn *tc;               /* over TCP with a TLS context; else NULL */
    uint64_t tls_started_ms;    /* UP_TLS: when the handshake began */
    buf in, out;
    people *fresh;              /* UP_SNAPSHOT: the db being built, beside st->db */
    snapshot_loader loader;     /* UP_SNAPSHOT: reads the stream into fresh */
    uint64_t snap_seq, snap_epoch; /* where the journal resumes after it */
    uint64_t acked_sent, last_ack_ms;
    uint64_t resyncs;
    journal_scratch scratch;
} repl_upstream;

typedef struct repl {
    repl_config cfg;
    repl_role role;
    uint64_t epoch;
    uint64_t committed;         /* primary: highest seq K replicas hold */
    uint64_t grace_until_ms;    /* a new primary holds writes (rather than
                                 * refusing them) while replicas attach */
    uint64_t refused, aborted, stepdowns;
    election el;                /* who is primary (repl/election.h) */
    bool electing;              /* peers given: elections decide, not --role */
    uint64_t noop_seq;          /* primary: its epoch's no-op; nothing below
                                 * it commits before it does */
    bool acked_in_epoch;        /* "first write acknowledged" logged */
    char role_word[16];         /* as ROLE last said it (changes are logged) */
    uint64_t elections;         /* won by this node */
    repl_upstream up;
    directory peers;            /* every store node, this one included */
    bool has_peers;
} repl;

#endif
