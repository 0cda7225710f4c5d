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
 * How a write flows, API -> primary -> journal -> replicas -> majority
 * ack -> 201, function by function:
 *   1. the API validates the person and sends `PADD id apelido key json`
 *      to the node it knows as primary (apiAskStore, src/api/api.c);
 *   2. the primary checks it and asks replCanWrite (enough live
 *      replicas, else -NOREPLICAS), adds it to the db (peopleAdd) and
 *      journals it (journalAppendAdd: seq, epoch) in cmdAdd
 *      (src/store/store_cmds.c); its reply is held (holdWait) until
 *      replCommitted reaches that seq;
 *   3. at the end of the loop turn replFeedAll queues the new frames to
 *      every replica link (replFeedLink);
 *   4. each replica appends the frame to its journal and applies it
 *      (upApplyEntry, repl_replica.c) and sends `ACK <seq>`
 *      (upQueueAck, replUpstreamFlush);
 *   5. the primary records it (replCmdAck); replReleaseHolds takes the
 *      K-th highest ACK among live replicas in other sites, and not below
 *      its epoch's no-op (replCommitted), and lets the held +OK go
 *      (the store's settle op: holdRelease) - K = nodes/2, so a majority
 *      with the primary holds the write;
 *   6. the API reads +OK and answers 201 (replyCreate, src/api/routes.c).
 * A write that cannot get there is withdrawn (replAbort: -TIMEOUT, a
 * REMOVE entry) or fails -FENCED when the primary steps down; the API
 * resends both (src/api/retry.c). K = 0 (asynchronous) must be asked for
 * explicitly (--min-replicas 0). */
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
#include "store/people.h"
#include "store/resp.h"
#include "store/store_client.h"

#define REPL_MAX_PEERS 8
#define REPL_MAX_LINKS 256      /* replica links a primary counts at most */
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

/* A held write withdrawn (hold.h's hold_fail_fn): replication takes it
 * out of the db and journals its removal. */
typedef void repl_withdraw_fn(void *ctx, uint64_t seq);

/* What replication needs of the store it runs in, and nothing more:
 *   - the store's people db (a slot: a full resync swaps it), its journal
 *     and the epoch of the newest entry, which replication appends to and
 *     applies to;
 *   - the loop, the replica user's password and the TLS context to dial
 *     the other nodes with;
 *   - the store's connection slots, through ops: a replica's stream is a
 *     connection that said SYNC, and its repl_link lives with the slot;
 *   - the write replies the store holds per connection (hold.h), through
 *     ops->settle: release those up to `committed`, fail those older than
 *     `deadline` (every one: UINT64_MAX) with `error`, calling withdraw on
 *     each failed write if given; it returns how many were acknowledged. */
struct repl_link;
typedef struct repl_host_ops {
    size_t (*slots)(void *ctx);                    /* connection slots */
    struct repl_link *(*link)(void *ctx, size_t i); /* NULL: slot not open */
    buf *(*out)(void *ctx, size_t i);              /* its output */
    void (*dirty)(void *ctx, size_t i);            /* output queued: flush it */
    void (*close)(void *ctx, size_t i);
    int (*settle)(void *ctx, uint64_t committed, uint64_t deadline_ms, const char *error,
                  repl_withdraw_fn *withdraw, void *withdraw_ctx);
} repl_host_ops;

typedef struct repl_host {
    const repl_host_ops *ops;
    void *ctx;
    ev_loop *loop;
    people **db;
    journal *journal;
    uint64_t *last_entry_epoch;
    const char *replica_password; /* NULL: no replica user */
    tls_ctx *tls_client;          /* NULL: plaintext links */
} repl_host;

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
    journal_scratch scratch;    /* primary: decoding its own entries */
    repl_host host;             /* the store it runs in */
} repl;

/* ---- the interface ------------------------------------------------------
 * Set r->cfg, bind the host (replBind), then replStart; replStop frees
 * what they made.
 * The store calls, once per loop turn: replFeedAll and replReleaseHolds on
 * a primary, replUpstreamFlush on a replica; it answers SYNC, ACK, ROLE,
 * VOTE and FAILOVER (PROMOTE) with the replCmd* functions, giving SYNC and
 * ACK the link of the connection they came on (NULL: an in-process
 * caller). Commands return 0 or -ENOMEM, as the store's. */
void replBind(repl *r, const repl_host *host);
int replStart(repl *r);
void replStop(repl *r);
int replCmdSync(repl *r, repl_link *l, const resp_command *cmd, buf *out);
int replCmdAck(repl *r, repl_link *l, const resp_command *cmd, buf *out);
int replCmdRole(repl *r, const resp_command *cmd, buf *out);
int replCmdFailover(repl *r, const resp_command *cmd, buf *out);
int replCmdVote(repl *r, const resp_command *cmd, buf *out);
void replFeedAll(repl *r);
void replReleaseHolds(repl *r);
void replUpstreamFlush(repl *r);
/* A write may be journaled now (K replicas live, or K = 0, or a new
 * primary's grace): else the store refuses it (-NOREPLICAS). */
bool replCanWrite(repl *r);
/* The highest seq that is committed (K replicas and, with a data dir,
 * the disk hold it): a write's +OK waits for it. */
uint64_t replCommitted(repl *r);
/* A write acknowledged at once (committed already): logged once per epoch. */
void replNoteAck(repl *r);
/* In the middle of a full resync (ROLE says `syncing`): its data is
 * not whole, it must be neither promoted nor elected. */
bool replResyncing(const repl *r);

/* ---- inside src/repl (repl_primary.c, repl_replica.c, repl_peers.c,
 * repl_elect.c) ---------------------------------------------------------- */
bool replParseU64(slice s, uint64_t *v);
void replOnVoteReply(repl *r, size_t node, uint64_t tag, const resp_reply *reply);
bool replPeerIsSelf(const repl *r, size_t i);
void replElectStart(repl *r);
void replElectTick(repl *r);
void replAct(repl *r, elect_action a);
void replNoteRole(repl *r);
size_t replContactLinks(repl *r);
void replFailHolds(repl *r, const char *error);
void replDropLinks(repl *r);
void replUpstreamFollow(repl *r, const char *addr);
void replUpstreamStop(repl *r);
void replUpstreamTick(repl *r);

#endif
