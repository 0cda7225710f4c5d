/* repl_replica.c - the replica's side of replication (see repl.h): one
 * connection to the primary, a small state machine over it:
 *
 *   IDLE -> CONNECTING [-> TLS] -> HANDSHAKE --+CONTINUE--> STREAM
 * (TLS: over TCP with a TLS context, the primary's certificate is checked
 *  against the CA and the address dialled before a byte of AUTH leaves;
 *  HANDSHAKE: AUTH replica <pw> and SYNC are pipelined; +OK, then one of:)
 *                             |                      ^
 *                             +--+FULL--> SNAPSHOT --+  (trailer checked:
 *                                                        the new db swapped in)
 *
 * SNAPSHOT (a full resync, ROLE says `syncing`): the snapshot loader
 * builds the primary's people into u->fresh, a db of its own beside
 * st->db; st->db, the journal and last_entry_epoch are not touched until
 * the trailer's count and CRC have checked (upEndFull swaps, then frees
 * the old db). Any error drops the connection back to IDLE, and leaving
 * SNAPSHOT that way frees the half-built db (upDropResync): the node is
 * what it was before the +FULL. repl_peers.c calls replUpstreamFollow()
 * again on its next poll, and SYNC says where we are. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "core/net.h"
#include "store/store_server.h"

#define UP_READ_CHUNK (256 * 1024)

static void upOnEvent(ev_loop *loop, ev_watch *w, uint32_t events);

bool replResyncing(const store *st) { return st->repl.up.state == UP_SNAPSHOT; }

/* A full resync cut off: the half-built db goes, the old one stays. */
static void upDropResync(store *st) {
    repl_upstream *u = &st->repl.up;
    if (!u->fresh) return;
    logError("full resync from %s abandoned after %llu people: keeping what we had "
             "(%zu people, seq %llu)", u->addr, (unsigned long long)u->loader.loaded,
             peopleCount(st->db), (unsigned long long)journalLastSeq(st->journal));
    snapshotLoaderFree(&u->loader);
    peopleDestroy(u->fresh);
    u->fresh = NULL;
}

void replUpstreamStop(store *st) {
    repl_upstream *u = &st->repl.up;
    upDropResync(st);
    tlsConnFree(u->tc);
    u->tc = NULL;
    if (u->watch.fd >= 0) {
        evUnwatch(st->loop, &u->watch);
        close(u->watch.fd);
    }
    u->watch.fd = -1;
    u->state = UP_IDLE;
    bufReset(&u->in);
    bufReset(&u->out);
}

static void upFail(store *st, const char *why) {
    logError("replication from %s stopped: %s", st->repl.up.addr, why);
    replUpstreamStop(st);
}

void replUpstreamFollow(store *st, const char *addr) {
    repl_upstream *u = &st->repl.up;
    if (u->state != UP_IDLE && strcmp(u->addr, addr) == 0) return;
    replUpstreamStop(st);
    snprintf(u->addr, sizeof(u->addr), "%s", addr);
    int fd = netConnect(addr);
    if (fd < 0) return;
    u->watch = (ev_watch){.fd = fd, .fn = upOnEvent, .data = st};
    if (evWatch(st->loop, &u->watch, EPOLLOUT) < 0) {
        close(fd);
        u->watch.fd = -1;
        return;
    }
    u->state = UP_CONNECTING;
}

static int upSendSync(store *st) {
    repl *r = &st->repl;
    char seq[24], epoch[24];
    snprintf(seq, sizeof(seq), "%llu", (unsigned long long)journalLastSeq(st->journal));
    snprintf(epoch, sizeof(epoch), "%llu", (unsigned long long)st->last_entry_epoch);
    const char *pw = aclPassword(&st->acl, ACL_REPLICA);
    if (!pw) return -EACCES; /* store_main.c refuses to start a replica without it */
    slice auth[3] = {SLICE_LIT("AUTH"), SLICE_LIT("replica"), sliceMake(pw, strlen(pw))};
    slice sync[5] = {SLICE_LIT("SYNC"), sliceMake(r->cfg.name, strlen(r->cfg.name)),
                     sliceMake(r->cfg.site, strlen(r->cfg.site)), sliceMake(seq, strlen(seq)),
                     sliceMake(epoch, strlen(epoch))};
    if (respWriteCommand(&r->up.out, 3, auth) < 0) return -ENOMEM;
    return respWriteCommand(&r->up.out, 5, sync);
}

/* The link is up (and encrypted, if it is to be): AUTH and SYNC. */
static void upLinkUp(store *st) {
    repl_upstream *u = &st->repl.up;
    if (upSendSync(st) < 0) {
        replUpstreamStop(st);
        return;
    }
    u->state = UP_HANDSHAKE;
    evModify(st->loop, &u->watch, EPOLLIN | EPOLLOUT);
}

/* UP_TLS: one more step of the TLS handshake. */
static void upTls(store *st) {
    repl_upstream *u = &st->repl.up;
    int rc = tlsHandshake(u->tc);
    if (rc == -EAGAIN) {
        evModify(st->loop, &u->watch, tlsWantsWrite(u->tc) ? EPOLLOUT : EPOLLIN);
        return;
    }
    if (rc < 0) {
        char why[TLS_ERR_MAX + 8];
        snprintf(why, sizeof why, "TLS: %s", tlsError(u->tc));
        upFail(st, why);
        return;
    }
    upLinkUp(st);
}

static void upConnected(store *st) {
    repl_upstream *u = &st->repl.up;
    int err = 0;
    socklen_t len = sizeof(err);
    getsockopt(u->watch.fd, SOL_SOCKET, SO_ERROR, &err, &len);
    char host[128];
    if (err) {
        replUpstreamStop(st);
    } else if (!st->tls_client || tlsPeerOfAddr(u->addr, host, sizeof host) < 0) {
        upLinkUp(st);
    } else if (tlsConnCreate(&u->tc, st->tls_client, u->watch.fd, host) < 0) {
        replUpstreamStop(st);
    } else {
        u->state = UP_TLS;
        u->tls_started_ms = evNowMs(st->loop);
        upTls(st);
    }
}

/* The trailer checked: the new db replaces the old one (freed at once)
 * and the journal goes on after the snapshot's seq. Until now ROLE kept
 * saying what we held before. False if the snapshot is not the one
 * +FULL announced. */
static bool upEndFull(store *st) {
    repl_upstream *u = &st->repl.up;
    const snapshot_info *in = &u->loader.info;
    if (in->seq != u->snap_seq || in->epoch != u->snap_epoch) {
        logError("full resync from %s: snapshot of seq %llu epoch %llu, +FULL said %llu %llu",
                 u->addr, (unsigned long long)in->seq, (unsigned long long)in->epoch,
                 (unsigned long long)u->snap_seq, (unsigned long long)u->snap_epoch);
        return false;
    }
    people *old = st->db;
    st->db = u->fresh;
    u->fresh = NULL;
    snapshotLoaderFree(&u->loader);
    peopleDestroy(old);
    journalReset(st->journal, u->snap_seq + 1);
    st->last_entry_epoch = u->snap_epoch;
    u->state = UP_STREAM;
    logInfo("full resync done: %zu people at seq %llu (trailer checked)", peopleCount(st->db),
            (unsigned long long)u->snap_seq);
    return true;
}

/* +FULL <seq> <epoch> <count>: start building the primary's people into
 * a new db (count only sizes it). */
static bool upBeginFull(store *st, slice line) {
    unsigned long long seq, epoch, count;
    char text[96];
    snprintf(text, sizeof(text), "%.*s", (int)line.len, line.ptr);
    if (sscanf(text, "FULL %llu %llu %llu", &seq, &epoch, &count) != 3) return false;
    /* Raft's rule: never let a primary that knows less wipe what we hold
     * (an old primary restarted empty, without a promotion). */
    if (seq < journalLastSeq(st->journal) && epoch <= st->last_entry_epoch) {
        logError("primary %s (seq %llu, epoch %llu) is behind us (seq %llu): refusing to "
                 "resync from it; promote the most up-to-date node instead",
                 st->repl.up.addr, seq, epoch, (unsigned long long)journalLastSeq(st->journal));
        return false;
    }
    repl_upstream *u = &st->repl.up;
    upDropResync(st);
    u->fresh = peopleCreate((size_t)count + 1024);
    if (!u->fresh) return false;
    snapshotLoaderInit(&u->loader, u->fresh);
    u->snap_seq = seq;
    u->snap_epoch = epoch;
    u->state = UP_SNAPSHOT;
    u->resyncs++;
    logInfo("full resync from %s: up to %llu people at seq %llu, into a new db (ours stays "
            "until the trailer checks)", u->addr, count, seq);
    return true;
}

static bool upHandshakeLine(store *st, const resp_reply *r) {
    if (r->type != RESP_SIMPLE) return false;
    if (sliceEqStr(r->str, "OK")) return true; /* AUTH accepted */
    if (r->str.len > 9 && memcmp(r->str.ptr, "CONTINUE ", 9) == 0) {
        st->repl.up.state = UP_STREAM;
        logInfo("resuming replication from %s at seq %llu", st->repl.up.addr,
                (unsigned long long)journalNextSeq(st->journal));
        return true;
    }
    return r->str.len > 5 && memcmp(r->str.ptr, "FULL ", 5) == 0 && upBeginFull(st, r->str);
}

/* Reads the handshake replies; false on refusal. */
static bool upHandshake(store *st) {
    repl_upstream *u = &st->repl.up;
    while (u->state == UP_HANDSHAKE && bufUnread(&u->in)) {
        resp_reply r;
        int n = respParseReply(bufReadPtr(&u->in), bufUnread(&u->in), &r);
        if (n == RESP_PARTIAL) return true;
        if (n < 0 || !upHandshakeLine(st, &r)) {
            logError("primary %s refused: %.*s", u->addr, (int)r.str.len, r.str.ptr);
            return false;
        }
        bufConsume(&u->in, (size_t)n);
    }
    return true;
}

static int upApplyEntry(store *st, slice frame, slice body) {
    journal_entry e;
    int64_t seq = journalAppendFrame(st->journal, frame);
    if (seq < 0) return (int)seq;
    if (journalDecode(body, &st->scratch, &e) < 0) return -EBADMSG;
    st->last_entry_epoch = e.epoch;
    return journalApplyToPeople(st->db, &e);
}

/* SNAPSHOT: feeds the loader what arrived. 1 consumed something, 0 needs
 * more bytes, -1 damage (count, CRC, frame) or no memory. */
static int upSnapshotBytes(store *st) {
    repl_upstream *u = &st->repl.up;
    ssize_t n = snapshotLoaderFeed(&u->loader, (const uint8_t *)bufReadPtr(&u->in),
                                   bufUnread(&u->in));
    if (n < 0) {
        logError("full resync from %s: %s", u->addr, u->loader.err);
        return -1;
    }
    bufConsume(&u->in, (size_t)n);
    if (snapshotLoaderDone(&u->loader) && !upEndFull(st)) return -1;
    return n > 0;
}

/* Applies every whole unit in the input: the snapshot of a full resync,
 * then journal frames. False on damage. */
static bool upFrames(store *st) {
    repl_upstream *u = &st->repl.up;
    while (u->state >= UP_SNAPSHOT && bufUnread(&u->in)) {
        if (u->state == UP_SNAPSHOT) {
            int rc = upSnapshotBytes(st);
            if (rc <= 0) return rc == 0;
            continue;
        }
        slice body;
        const uint8_t *p = (const uint8_t *)bufReadPtr(&u->in);
        ssize_t n = journalFrameParse(p, bufUnread(&u->in), &body);
        if (n == JOURNAL_PARTIAL) return true;
        if (n < 0 || upApplyEntry(st, sliceMake((const char *)p, (size_t)n), body) < 0) return false;
        bufConsume(&u->in, (size_t)n);
    }
    return true;
}

/* Reads what is there, and with TLS what OpenSSL already decrypted
 * (epoll does not wake for it). 1 new bytes, 0 none, -1 failed. */
static int upReadBytes(store *st) {
    repl_upstream *u = &st->repl.up;
    ssize_t n = tlsIoReadBuf(u->tc, u->watch.fd, &u->in, UP_READ_CHUNK);
    if (n < 0) upFail(st, n == -ENOMEM ? "out of memory" : "connection closed");
    return n < 0 ? -1 : n > 0;
}

static void upRead(store *st) {
    repl_upstream *u = &st->repl.up;
    if (upReadBytes(st) <= 0) return;
    if (!upHandshake(st)) {
        upFail(st, "handshake refused");
        return;
    }
    if (!upFrames(st)) {
        upFail(st, "bad frame in the stream");
        return;
    }
    bufCompact(&u->in);
}

/* Queues ACK <last seq> when it moved, or as a heartbeat. */
static void upQueueAck(store *st) {
    repl_upstream *u = &st->repl.up;
    uint64_t seq = journalLastSeq(st->journal), now = evNowMs(st->loop);
    /* An ACK means "I hold everything up to seq": during a full resync the
     * people are not all here yet, so the heartbeat says ACK 0 (held:
     * nothing of yours yet). It keeps us counted among the primary's
     * contacts (check-quorum), or a two-node group whose replica needs a
     * resync longer than the election timeout would never finish one. */
    if (u->state == UP_SNAPSHOT) seq = 0;
    else if (u->state != UP_STREAM) return;
    if (seq == u->acked_sent && now - u->last_ack_ms < REPL_HEARTBEAT_MS) return;
    char text[24];
    snprintf(text, sizeof(text), "%llu", (unsigned long long)seq);
    slice ack[2] = {SLICE_LIT("ACK"), sliceMake(text, strlen(text))};
    if (respWriteCommand(&u->out, 2, ack) < 0) return;
    u->acked_sent = seq;
    u->last_ack_ms = now;
}

void replUpstreamFlush(store *st) {
    repl_upstream *u = &st->repl.up;
    if (u->state < UP_HANDSHAKE) return;
    upQueueAck(st);
    if (!bufUnread(&u->out)) return;
    ssize_t n = tlsIoWrite(u->tc, u->watch.fd, bufReadPtr(&u->out), bufUnread(&u->out));
    if (n < 0 && n != -EAGAIN && n != -EINTR) {
        upFail(st, "write failed");
        return;
    }
    if (n > 0) bufConsume(&u->out, (size_t)n);
    bufCompact(&u->out);
    evModify(st->loop, &u->watch, EPOLLIN | (bufUnread(&u->out) ? EPOLLOUT : 0));
}

/* A handshake that does not finish in a write timeout is given up: a
 * peer that accepts and then says nothing must not hold the link. */
void replUpstreamTick(store *st) {
    repl_upstream *u = &st->repl.up;
    if (u->state == UP_TLS && evNowMs(st->loop) - u->tls_started_ms > st->repl.cfg.write_timeout_ms) {
        upFail(st, "TLS handshake timed out");
        return;
    }
    replUpstreamFlush(st);
}

static void upOnEvent(ev_loop *loop, ev_watch *w, uint32_t events) {
    (void)loop;
    store *st = w->data;
    if (st->repl.up.state == UP_CONNECTING) {
        upConnected(st);
        return;
    }
    if (st->repl.up.state == UP_TLS) {
        upTls(st);
        return;
    }
    if (events & EPOLLOUT) replUpstreamFlush(st);
    if (st->repl.up.state != UP_IDLE && (events & (EPOLLIN | EPOLLHUP | EPOLLERR))) upRead(st);
}
