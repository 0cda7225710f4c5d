/* repl_primary.c - the primary's side of replication (see repl.h):
 * answering SYNC, feeding each replica its frames, counting ACKs into the
 * committed seq, and letting held write replies go. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/store_server.h"

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
static bool replCanContinue(store *st, uint64_t last_seq, uint64_t last_epoch) {
    journal *j = st->journal;
    if (last_seq > journalLastSeq(j)) return false;
    if (last_seq + 1 != journalNextSeq(j) && !journalHas(j, last_seq + 1)) return false;
    if (last_seq == 0) return true;
    slice frame, body;
    journal_entry e;
    if (!journalFind(j, last_seq, &frame)) return false;
    if (journalFrameParse((const uint8_t *)frame.ptr, frame.len, &body) <= 0) return false;
    if (journalDecode(body, &st->scratch, &e) < 0) return false;
    return e.epoch == last_epoch;
}

static void linkCopyName(char *dst, slice s) {
    size_t n = s.len < REPL_NAME_MAX - 1 ? s.len : REPL_NAME_MAX - 1;
    memcpy(dst, s.ptr, n);
    dst[n] = '\0';
}

/* SYNC <name> <site> <last_seq> <last_epoch> */
int replCmdSync(store *st, const resp_command *cmd, buf *out) {
    store_conn *sc = st->current;
    uint64_t last_seq, last_epoch;
    /* who may SYNC (replica, admin) is the command table's business */
    if (!sc) return respWriteError(out, "ERR SYNC needs a connection");
    if (st->repl.role != REPL_PRIMARY) return respWriteError(out, "NOTPRIMARY ask the primary");
    if (!replParseU64(cmd->argv[3], &last_seq) || !replParseU64(cmd->argv[4], &last_epoch))
        return respWriteError(out, "ERR bad seq or epoch");
    repl_link *l = &sc->link;
    *l = (repl_link){.active = true, .last_ack_ms = evNowMs(st->loop)};
    linkCopyName(l->name, cmd->argv[1]);
    linkCopyName(l->site, cmd->argv[2]);
    char line[128];
    if (replCanContinue(st, last_seq, last_epoch)) {
        l->acked = last_seq;
        l->next_seq = last_seq + 1;
        l->live = true;
        snprintf(line, sizeof(line), "+CONTINUE %llu\r\n", (unsigned long long)l->next_seq);
    } else {
        uint64_t seq = journalLastSeq(st->journal);
        /* the epoch of the entry at seq (what the replica's SYNC and votes
         * compare), not our current one; count is a bound only: the
         * trailer says how many were sent */
        snapshotWriterInit(&l->snap, st->db, seq, st->last_entry_epoch);
        l->snapping = true;
        l->snap_started_ms = evNowMs(st->loop);
        l->next_seq = seq + 1;
        snprintf(line, sizeof(line), "+FULL %llu %llu %llu\r\n", (unsigned long long)seq,
                 (unsigned long long)st->last_entry_epoch, (unsigned long long)l->snap.info.count);
    }
    logInfo("replica %s (site %s) syncing: %.*s", l->name, l->site, (int)strlen(line) - 3, line + 1);
    return bufAppendStr(out, line);
}

/* ACK <seq>: the replica holds everything up to seq. No reply. */
int replCmdAck(store *st, const resp_command *cmd, buf *out) {
    (void)out;
    store_conn *sc = st->current;
    uint64_t seq;
    if (!sc || !sc->link.active || !replParseU64(cmd->argv[1], &seq)) return 0;
    repl_link *l = &sc->link;
    l->last_ack_ms = evNowMs(st->loop);
    if (l->snapping) return 0; /* a heartbeat (ACK 0): in contact, holds nothing yet */
    if (seq > l->acked && seq < l->next_seq) l->acked = seq;
    l->live = true;
    return 0;
}

/* Bytes of snapshot the link may take now: up to REPL_FEED_BYTES queued,
 * and under --resync-mbps no more than rate x time since +FULL (so a
 * resync cannot take the whole link between sites; tests use it to hold
 * a resync open for as long as they need). */
static size_t replSnapshotBudget(const store *st, const server_conn *c, const repl_link *l) {
    size_t queued = bufUnread(&c->out);
    size_t room = queued >= REPL_FEED_BYTES ? 0 : REPL_FEED_BYTES - queued;
    uint64_t rate = st->repl.cfg.resync_bytes_per_s;
    if (!rate) return room;
    uint64_t allowed = rate * (evNowMs(st->loop) - l->snap_started_ms) / 1000;
    uint64_t left = allowed > l->snap_bytes ? allowed - l->snap_bytes : 0;
    return left < room ? (size_t)left : room;
}

/* The next piece of a full resync's snapshot, within its budget; the
 * trailer ends it. False on -ENOMEM / -EMSGSIZE. */
static bool replFeedSnapshot(store *st, server_conn *c, repl_link *l) {
    size_t budget = replSnapshotBudget(st, c, l);
    if (budget == 0) return true;
    size_t before = bufUnread(&c->out); /* bufReserve may compact: count growth */
    int rc = snapshotWriterNext(&l->snap, &c->out, budget);
    l->snap_bytes += bufUnread(&c->out) - before;
    if (rc == 0) l->snapping = false;
    return rc >= 0;
}

/* Fills one replica's output up to REPL_FEED_BYTES: first the snapshot of
 * a full resync, then journal frames. False if its history is gone from
 * the backlog (it must resync) or the snapshot could not be packed. */
static bool replFeedLink(store *st, server_conn *c, repl_link *l) {
    if (l->snapping && !replFeedSnapshot(st, c, l)) return false;
    if (l->snapping) return true; /* journal frames only after the trailer */
    journal_iter it;
    if (!journalIterInit(&it, st->journal, l->next_seq)) return false;
    slice frame;
    int rc = 0;
    while (bufUnread(&c->out) < REPL_FEED_BYTES && (rc = journalIterNext(&it, &frame)) == 1) {
        if (bufAppendSlice(&c->out, frame) < 0) return false;
        l->next_seq++;
    }
    return rc != -ESTALE;
}

void replFeedAll(store *st) {
    for (size_t i = 0; i < st->srv.max_conns; i++) {
        server_conn *c = &st->srv.conns[i];
        store_conn *sc = &st->conns[i];
        if (!c->open || !sc->link.active) continue;
        size_t before = bufUnread(&c->out);
        if (!replFeedLink(st, c, &sc->link)) {
            logError("replica %s fell out of the backlog: dropping it", sc->link.name);
            serverClose(c);
            continue;
        }
        if (bufUnread(&c->out) != before) serverMarkDirty(c);
    }
}

static int cmpDesc(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* Replicas that acknowledged within REPL_LIVE_MS: in other sites only
 * (what counts for K), or in any (a majority of nodes, check-quorum).
 * With acks, their ACKs sorted high to low. */
size_t replLiveLinks(store *st, bool other_sites, uint64_t *acks) {
    size_t n = 0;
    uint64_t now = evNowMs(st->loop);
    for (size_t i = 0; i < st->srv.max_conns && n < REPL_MAX_LINKS; i++) {
        repl_link *l = &st->conns[i].link;
        if (!st->srv.conns[i].open || !l->active || !l->live) continue;
        if (now - l->last_ack_ms > REPL_LIVE_MS) continue;
        if (other_sites && st->repl.cfg.site && strcmp(l->site, st->repl.cfg.site) == 0) continue;
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
size_t replContactLinks(store *st) {
    size_t n = 0;
    uint64_t now = evNowMs(st->loop);
    for (size_t i = 0; i < st->srv.max_conns; i++) {
        repl_link *l = &st->conns[i].link;
        if (st->srv.conns[i].open && l->active && now - l->last_ack_ms <= REPL_LIVE_MS) n++;
    }
    return n;
}

/* Enough live replicas in other sites to acknowledge a write; or a new
 * primary's grace period, while its replicas find it and attach. */
bool replCanWrite(store *st) {
    uint64_t acks[REPL_MAX_LINKS];
    if (st->repl.cfg.min_replicas == 0 || evNowMs(st->loop) < st->repl.grace_until_ms) return true;
    return replLiveLinks(st, true, acks) >= st->repl.cfg.min_replicas;
}

/* The highest seq that K replicas in other sites hold (and, with a data
 * directory, that is on disk). */
uint64_t replCommitted(store *st) {
    uint64_t committed = journalLastSeq(st->journal);
    unsigned k = st->repl.cfg.min_replicas;
    if (k > 0) {
        uint64_t acks[REPL_MAX_LINKS];
        size_t n = replLiveLinks(st, true, acks);
        committed = n >= k ? acks[k - 1] : 0;
        /* Raft: what an older epoch wrote commits only with our no-op */
        if (committed < st->repl.noop_seq) committed = 0;
    }
    uint64_t synced = journalSyncedSeq(st->journal);
    return committed < synced ? committed : synced;
}

/* A held write that will never be acknowledged is withdrawn: taken out of
 * the db, and a remove entry follows it in the journal, so replicas that
 * got it drop it too. The client gets an error (the API answers 503), so
 * nothing it was told exists can vanish, and nothing it was told failed
 * stays. */
static void replAbort(void *ctx, uint64_t seq) {
    store *st = ctx;
    slice frame, body;
    journal_entry e;
    if (!journalFind(st->journal, seq, &frame)) return;
    if (journalFrameParse((const uint8_t *)frame.ptr, frame.len, &body) <= 0) return;
    if (journalDecode(body, &st->scratch, &e) < 0 || e.cmd != JOURNAL_ADD_PERSON) return;
    uint8_t id[16];
    memcpy(id, e.add.id, 16);
    if (peopleRemove(st->db, id) < 0) return;
    if (journalAppendRemove(st->journal, st->repl.epoch, id) < 0)
        logError("could not journal the removal of aborted write %llu", (unsigned long long)seq);
    st->repl.aborted++;
}

/* Held writes older than this must fail; all of them when too few
 * replicas are live to ever acknowledge them (fail fast). */
static uint64_t replHoldDeadline(store *st, uint64_t now) {
    if (!replCanWrite(st)) return UINT64_MAX;
    uint64_t timeout = st->repl.cfg.write_timeout_ms;
    return now > timeout ? now - timeout : 0;
}

/* Lets go every held reply the committed seq allows; withdraws writes
 * that cannot be acknowledged any more. */
void replReleaseHolds(store *st) {
    uint64_t committed = replCommitted(st);
    uint64_t deadline = replHoldDeadline(st, evNowMs(st->loop));
    if (committed > st->repl.committed) st->repl.committed = committed;
    for (size_t i = 0; i < st->srv.max_conns; i++) {
        store_conn *sc = &st->conns[i];
        server_conn *c = &st->srv.conns[i];
        if (!c->open || !holdActive(&sc->hold)) continue;
        int n = holdRelease(&sc->hold, &c->out, st->repl.committed);
        if (n > 0) replNoteAck(st);
        n += holdExpire(&sc->hold, &c->out, deadline,
                        "-TIMEOUT replicas did not acknowledge: withdrawn\r\n", replAbort, st);
        if (n != 0) serverMarkDirty(c);
    }
}

/* The first write a primary acknowledges in its epoch is logged: the
 * nemesis (tests/faults) checks that no two nodes did so in one epoch. */
void replNoteAck(store *st) {
    if (st->repl.acked_in_epoch) return;
    st->repl.acked_in_epoch = true;
    logInfo("epoch %llu: first write acknowledged", (unsigned long long)st->repl.epoch);
}

/* After a step-down nothing held can be acknowledged any more. */
void replFailHolds(store *st, const char *error) {
    for (size_t i = 0; i < st->srv.max_conns; i++) {
        store_conn *sc = &st->conns[i];
        server_conn *c = &st->srv.conns[i];
        if (!c->open || !holdActive(&sc->hold)) continue;
        holdExpire(&sc->hold, &c->out, UINT64_MAX, error, NULL, NULL);
        serverMarkDirty(c);
    }
}

/* Drops every replica stream (their owners will SYNC again elsewhere). */
void replDropLinks(store *st) {
    for (size_t i = 0; i < st->srv.max_conns; i++)
        if (st->srv.conns[i].open && st->conns[i].link.active) serverClose(&st->srv.conns[i]);
}
