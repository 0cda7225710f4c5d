/* repl_primary.c - the primary's side of replication (see repl.h):
 * answering SYNC, feeding each replica its frames, counting ACKs into the
 * committed seq, and letting held write replies go. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "repl/repl.h"

static uint64_t parseU64(slice s, bool *ok) {
    uint64_t v = 0;
    *ok = s.len > 0 && s.len <= 19;
    for (size_t i = 0; *ok && i < s.len; i++) {
        if (s.ptr[i] < '0' || s.ptr[i] > '9') *ok = false;
        v = v * 10 + (uint64_t)(s.ptr[i] - '0');
    }
    return v;
}

bool replParseU64(slice s, uint64_t *v) {
    bool ok;
    *v = parseU64(s, &ok);
    return ok;
}

/* True when the replica's history matches ours up to last_seq and the
 * backlog holds what follows, so streaming can resume there. */
static bool replCanContinue(repl *r, uint64_t last_seq, uint64_t last_epoch) {
    journal *j = r->host.journal;
    if (last_seq > journalLastSeq(j)) return false;
    if (last_seq + 1 != journalNextSeq(j) && !journalHas(j, last_seq + 1)) return false;
    if (last_seq == 0) return true;
    slice frame, body;
    journal_entry e;
    if (!journalFind(j, last_seq, &frame)) return false;
    if (journalFrameParse((const uint8_t *)frame.ptr, frame.len, &body) <= 0) return false;
    if (journalDecode(body, &r->scratch, &e) < 0) return false;
    return e.epoch == last_epoch;
}

static void linkCopyName(char *dst, slice s) {
    size_t n = s.len < REPL_NAME_MAX - 1 ? s.len : REPL_NAME_MAX - 1;
    memcpy(dst, s.ptr, n);
    dst[n] = '\0';
}

/* SYNC <name> <site> <last_seq> <last_epoch> */
int replCmdSync(repl *r, repl_link *l, const resp_command *cmd, buf *out) {
    uint64_t last_seq, last_epoch;
    /* who may SYNC (replica, admin) is the command table's business */
    if (!l) return respWriteError(out, "ERR SYNC needs a connection");
    if (r->role != REPL_PRIMARY) return respWriteError(out, "NOTPRIMARY ask the primary");
    if (!replParseU64(cmd->argv[3], &last_seq) || !replParseU64(cmd->argv[4], &last_epoch))
        return respWriteError(out, "ERR bad seq or epoch");
    *l = (repl_link){.active = true, .last_ack_ms = evNowMs(r->host.loop)};
    linkCopyName(l->name, cmd->argv[1]);
    linkCopyName(l->site, cmd->argv[2]);
    char line[128];
    if (replCanContinue(r, last_seq, last_epoch)) {
        l->acked = last_seq;
        l->next_seq = last_seq + 1;
        l->live = true;
        snprintf(line, sizeof(line), "+CONTINUE %llu\r\n", (unsigned long long)l->next_seq);
    } else {
        uint64_t seq = journalLastSeq(r->host.journal);
        /* the epoch of the entry at seq (what the replica's SYNC and votes
         * compare), not our current one; count is a bound only: the
         * trailer says how many were sent */
        snapshotWriterInit(&l->snap, (*r->host.db), seq, (*r->host.last_entry_epoch));
        l->snapping = true;
        l->snap_started_ms = evNowMs(r->host.loop);
        l->next_seq = seq + 1;
        snprintf(line, sizeof(line), "+FULL %llu %llu %llu\r\n", (unsigned long long)seq,
                 (unsigned long long)(*r->host.last_entry_epoch), (unsigned long long)l->snap.info.count);
    }
    logInfo("replica %s (site %s) syncing: %.*s", l->name, l->site, (int)strlen(line) - 3, line + 1);
    return bufAppendStr(out, line);
}

/* ACK <seq>: the replica holds everything up to seq. No reply. */
int replCmdAck(repl *r, repl_link *l, const resp_command *cmd, buf *out) {
    (void)out;
    uint64_t seq;
    if (!l || !l->active || !replParseU64(cmd->argv[1], &seq)) return 0;
    l->last_ack_ms = evNowMs(r->host.loop);
    if (l->snapping) return 0; /* a heartbeat (ACK 0): in contact, holds nothing yet */
    if (seq > l->acked && seq < l->next_seq) l->acked = seq;
    l->live = true;
    return 0;
}

/* Bytes of snapshot the link may take now: up to REPL_FEED_BYTES queued,
 * and under --resync-mbps no more than rate x time since +FULL (so a
 * resync cannot take the whole link between sites; tests use it to hold
 * a resync open for as long as they need). */
static size_t replSnapshotBudget(const repl *r, const buf *out, const repl_link *l) {
    size_t queued = bufUnread(out);
    size_t room = queued >= REPL_FEED_BYTES ? 0 : REPL_FEED_BYTES - queued;
    uint64_t rate = r->cfg.resync_bytes_per_s;
    if (!rate) return room;
    uint64_t allowed = rate * (evNowMs(r->host.loop) - l->snap_started_ms) / 1000;
    uint64_t left = allowed > l->snap_bytes ? allowed - l->snap_bytes : 0;
    return left < room ? (size_t)left : room;
}

/* The next piece of a full resync's snapshot, within its budget; the
 * trailer ends it. False on -ENOMEM / -EMSGSIZE. */
static bool replFeedSnapshot(repl *r, buf *out, repl_link *l) {
    size_t budget = replSnapshotBudget(r, out, l);
    if (budget == 0) return true;
    size_t before = bufUnread(out); /* bufReserve may compact: count growth */
    int rc = snapshotWriterNext(&l->snap, out, budget);
    l->snap_bytes += bufUnread(out) - before;
    if (rc == 0) l->snapping = false;
    return rc >= 0;
}

/* Fills one replica's output up to REPL_FEED_BYTES: first the snapshot of
 * a full resync, then journal frames. False if its history is gone from
 * the backlog (it must resync) or the snapshot could not be packed. */
static bool replFeedLink(repl *r, buf *out, repl_link *l) {
    if (l->snapping && !replFeedSnapshot(r, out, l)) return false;
    if (l->snapping) return true; /* journal frames only after the trailer */
    journal_iter it;
    if (!journalIterInit(&it, r->host.journal, l->next_seq)) return false;
    slice frame;
    int rc = 0;
    while (bufUnread(out) < REPL_FEED_BYTES && (rc = journalIterNext(&it, &frame)) == 1) {
        if (bufAppendSlice(out, frame) < 0) return false;
        l->next_seq++;
    }
    return rc != -ESTALE;
}

void replFeedAll(repl *r) {
    const repl_host *h = &r->host;
    for (size_t i = 0, n = h->ops->slots(h->ctx); i < n; i++) {
        repl_link *l = h->ops->link(h->ctx, i);
        if (!l || !l->active) continue;
        buf *out = h->ops->out(h->ctx, i);
        size_t before = bufUnread(out);
        if (!replFeedLink(r, out, l)) {
            logError("replica %s fell out of the backlog: dropping it", l->name);
            h->ops->close(h->ctx, i);
            continue;
        }
        if (bufUnread(out) != before) h->ops->dirty(h->ctx, i);
    }
}

static int cmpDesc(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* Replicas in other sites that acknowledged within REPL_LIVE_MS: what
 * counts for K. With acks, their ACKs sorted high to low. */
static size_t replLiveLinks(repl *r, uint64_t *acks) {
    size_t n = 0;
    uint64_t now = evNowMs(r->host.loop);
    const repl_host *h = &r->host;
    for (size_t i = 0, slots = h->ops->slots(h->ctx); i < slots && n < REPL_MAX_LINKS; i++) {
        const repl_link *l = h->ops->link(h->ctx, i);
        if (!l || !l->active || !l->live) continue;
        if (now - l->last_ack_ms > REPL_LIVE_MS) continue;
        if (r->cfg.site && strcmp(l->site, r->cfg.site) == 0) continue;
        if (acks) acks[n] = l->acked;
        n++;
    }
    if (acks) qsort(acks, n, sizeof(*acks), cmpDesc);
    return n;
}

/* Replicas heard from within REPL_LIVE_MS, live or in a full resync:
 * what check-quorum counts (contact with a majority, as Raft's leader
 * counts followers that answer its heartbeats whatever their log). A
 * syncing replica does not vote, so no other primary can be elected
 * while we are in contact with it. */
size_t replContactLinks(repl *r) {
    size_t n = 0;
    uint64_t now = evNowMs(r->host.loop);
    const repl_host *h = &r->host;
    for (size_t i = 0, slots = h->ops->slots(h->ctx); i < slots; i++) {
        const repl_link *l = h->ops->link(h->ctx, i);
        if (l && l->active && now - l->last_ack_ms <= REPL_LIVE_MS) n++;
    }
    return n;
}

/* Enough live replicas in other sites to acknowledge a write; or a new
 * primary's grace period, while its replicas find it and attach. */
bool replCanWrite(repl *r) {
    uint64_t acks[REPL_MAX_LINKS];
    if (r->cfg.min_replicas == 0 || evNowMs(r->host.loop) < r->grace_until_ms) return true;
    return replLiveLinks(r, acks) >= r->cfg.min_replicas;
}

/* The highest seq that K replicas in other sites hold (and, with a data
 * directory, that is on disk). */
uint64_t replCommitted(repl *r) {
    uint64_t committed = journalLastSeq(r->host.journal);
    unsigned k = r->cfg.min_replicas;
    if (k > 0) {
        uint64_t acks[REPL_MAX_LINKS];
        size_t n = replLiveLinks(r, acks);
        committed = n >= k ? acks[k - 1] : 0;
        /* Raft: what an older epoch wrote commits only with our no-op */
        if (committed < r->noop_seq) committed = 0;
    }
    uint64_t synced = journalSyncedSeq(r->host.journal);
    return committed < synced ? committed : synced;
}

/* A held write that will never be acknowledged is withdrawn: taken out of
 * the db, and a remove entry follows it in the journal, so replicas that
 * got it drop it too. The client gets an error (the API answers 503), so
 * nothing it was told exists can vanish, and nothing it was told failed
 * stays. */
static void replAbort(void *ctx, uint64_t seq) {
    repl *r = ctx;
    slice frame, body;
    journal_entry e;
    if (!journalFind(r->host.journal, seq, &frame)) return;
    if (journalFrameParse((const uint8_t *)frame.ptr, frame.len, &body) <= 0) return;
    if (journalDecode(body, &r->scratch, &e) < 0 || e.cmd != JOURNAL_ADD_PERSON) return;
    uint8_t id[16];
    memcpy(id, e.add.id, 16);
    if (peopleRemove((*r->host.db), id) < 0) return;
    if (journalAppendRemove(r->host.journal, r->epoch, id) < 0)
        logError("could not journal the removal of aborted write %llu", (unsigned long long)seq);
    r->aborted++;
}

/* Held writes older than this must fail; all of them when too few
 * replicas are live to ever acknowledge them (fail fast). */
static uint64_t replHoldDeadline(repl *r, uint64_t now) {
    if (!replCanWrite(r)) return UINT64_MAX;
    uint64_t timeout = r->cfg.write_timeout_ms;
    return now > timeout ? now - timeout : 0;
}

/* Lets go every held reply the committed seq allows; withdraws writes
 * that cannot be acknowledged any more. */
void replReleaseHolds(repl *r) {
    uint64_t committed = replCommitted(r);
    uint64_t deadline = replHoldDeadline(r, evNowMs(r->host.loop));
    if (committed > r->committed) r->committed = committed;
    if (r->host.ops->settle(r->host.ctx, r->committed, deadline,
                            "-TIMEOUT replicas did not acknowledge: withdrawn\r\n", replAbort, r) > 0)
        replNoteAck(r);
}

/* The first write a primary acknowledges in its epoch is logged: the
 * nemesis (tests/faults) checks that no two nodes did so in one epoch. */
void replNoteAck(repl *r) {
    if (r->acked_in_epoch) return;
    r->acked_in_epoch = true;
    logInfo("epoch %llu: first write acknowledged", (unsigned long long)r->epoch);
}

/* After a step-down nothing held can be acknowledged any more. */
void replFailHolds(repl *r, const char *error) {
    r->host.ops->settle(r->host.ctx, 0, UINT64_MAX, error, NULL, NULL);
}

/* Drops every replica stream (their owners will SYNC again elsewhere). */
void replDropLinks(repl *r) {
    const repl_host *h = &r->host;
    for (size_t i = 0, n = h->ops->slots(h->ctx); i < n; i++) {
        const repl_link *l = h->ops->link(h->ctx, i);
        if (l && l->active) h->ops->close(h->ctx, i);
    }
}
