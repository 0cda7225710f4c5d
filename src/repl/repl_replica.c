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
 * (*r->host.db); (*r->host.db), the journal and last_entry_epoch are not touched until
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
#include "repl/repl.h"

#define UP_READ_CHUNK (256 * 1024)

static void upOnEvent(ev_loop *loop, ev_watch *w, uint32_t events);

bool replResyncing(const repl *r) { return r->up.state == UP_SNAPSHOT; }

/* A full resync cut off: the half-built db goes, the old one stays. */
static void upDropResync(repl *r) {
    repl_upstream *u = &r->up;
    if (!u->fresh) return;
    logError("full resync from %s abandoned after %llu people: keeping what we had "
             "(%zu people, seq %llu)", u->addr, (unsigned long long)u->loader.loaded,
             peopleCount((*r->host.db)), (unsigned long long)journalLastSeq(r->host.journal));
    snapshotLoaderFree(&u->loader);
    peopleDestroy(u->fresh);
    u->fresh = NULL;
}

void replUpstreamStop(repl *r) {
    repl_upstream *u = &r->up;
    upDropResync(r);
    tlsConnFree(u->tc);
    u->tc = NULL;
    if (u->watch.fd >= 0) {
        evUnwatch(r->host.loop, &u->watch);
        close(u->watch.fd);
    }
    u->watch.fd = -1;
    u->state = UP_IDLE;
    bufReset(&u->in);
    bufReset(&u->out);
}

static void upFail(repl *r, const char *why) {
    logError("replication from %s stopped: %s", r->up.addr, why);
    replUpstreamStop(r);
}

void replUpstreamFollow(repl *r, const char *addr) {
    repl_upstream *u = &r->up;
    if (u->state != UP_IDLE && strcmp(u->addr, addr) == 0) return;
    replUpstreamStop(r);
    snprintf(u->addr, sizeof(u->addr), "%s", addr);
    int fd = netConnect(addr);
    if (fd < 0) return;
    u->watch = (ev_watch){.fd = fd, .fn = upOnEvent, .data = r};
    if (evWatch(r->host.loop, &u->watch, EPOLLOUT) < 0) {
        close(fd);
        u->watch.fd = -1;
        return;
    }
    u->state = UP_CONNECTING;
}

static int upSendSync(repl *r) {
    char seq[24], epoch[24];
    snprintf(seq, sizeof(seq), "%llu", (unsigned long long)journalLastSeq(r->host.journal));
    snprintf(epoch, sizeof(epoch), "%llu", (unsigned long long)(*r->host.last_entry_epoch));
    const char *pw = r->host.replica_password;
    if (!pw) return -EACCES; /* store_main.c refuses to start a replica without it */
    slice auth[3] = {SLICE_LIT("AUTH"), SLICE_LIT("replica"), sliceMake(pw, strlen(pw))};
    slice sync[5] = {SLICE_LIT("SYNC"), sliceMake(r->cfg.name, strlen(r->cfg.name)),
                     sliceMake(r->cfg.site, strlen(r->cfg.site)), sliceMake(seq, strlen(seq)),
                     sliceMake(epoch, strlen(epoch))};
    if (respWriteCommand(&r->up.out, 3, auth) < 0) return -ENOMEM;
    return respWriteCommand(&r->up.out, 5, sync);
}

/* The link is up (and encrypted, if it is to be): AUTH and SYNC. */
static void upLinkUp(repl *r) {
    repl_upstream *u = &r->up;
    if (upSendSync(r) < 0) {
        replUpstreamStop(r);
        return;
    }
    u->state = UP_HANDSHAKE;
    evModify(r->host.loop, &u->watch, EPOLLIN | EPOLLOUT);
}

/* UP_TLS: one more step of the TLS handshake. */
static void upTls(repl *r) {
    repl_upstream *u = &r->up;
    int rc = tlsHandshake(u->tc);
    if (rc == -EAGAIN) {
        evModify(r->host.loop, &u->watch, tlsWantsWrite(u->tc) ? EPOLLOUT : EPOLLIN);
        return;
    }
    if (rc < 0) {
        char why[TLS_ERR_MAX + 8];
        snprintf(why, sizeof why, "TLS: %s", tlsError(u->tc));
        upFail(r, why);
        return;
    }
    upLinkUp(r);
}

static void upConnected(repl *r) {
    repl_upstream *u = &r->up;
    int err = 0;
    socklen_t len = sizeof(err);
    getsockopt(u->watch.fd, SOL_SOCKET, SO_ERROR, &err, &len);
    char host[128];
    if (err) {
        replUpstreamStop(r);
    } else if (!r->host.tls_client || tlsPeerOfAddr(u->addr, host, sizeof host) < 0) {
        upLinkUp(r);
    } else if (tlsConnCreate(&u->tc, r->host.tls_client, u->watch.fd, host) < 0) {
        replUpstreamStop(r);
    } else {
        u->state = UP_TLS;
        u->tls_started_ms = evNowMs(r->host.loop);
        upTls(r);
    }
}

/* The trailer checked: the new db replaces the old one (freed at once)
 * and the journal goes on after the snapshot's seq. Until now ROLE kept
 * saying what we held before. False if the snapshot is not the one
 * +FULL announced. */
static bool upEndFull(repl *r) {
    repl_upstream *u = &r->up;
    const snapshot_info *in = &u->loader.info;
    if (in->seq != u->snap_seq || in->epoch != u->snap_epoch) {
        logError("full resync from %s: snapshot of seq %llu epoch %llu, +FULL said %llu %llu",
                 u->addr, (unsigned long long)in->seq, (unsigned long long)in->epoch,
                 (unsigned long long)u->snap_seq, (unsigned long long)u->snap_epoch);
        return false;
    }
    people *old = (*r->host.db);
    (*r->host.db) = u->fresh;
    u->fresh = NULL;
    snapshotLoaderFree(&u->loader);
    peopleDestroy(old);
    journalReset(r->host.journal, u->snap_seq + 1);
    (*r->host.last_entry_epoch) = u->snap_epoch;
    u->state = UP_STREAM;
    logInfo("full resync done: %zu people at seq %llu (trailer checked)", peopleCount((*r->host.db)),
            (unsigned long long)u->snap_seq);
    return true;
}

/* +FULL <seq> <epoch> <count>: start building the primary's people into
 * a new db (count only sizes it). */
static bool upBeginFull(repl *r, slice line) {
    unsigned long long seq, epoch, count;
    char text[96];
    snprintf(text, sizeof(text), "%.*s", (int)line.len, line.ptr);
    if (sscanf(text, "FULL %llu %llu %llu", &seq, &epoch, &count) != 3) return false;
    /* Raft's rule: never let a primary that knows less wipe what we hold
     * (an old primary restarted empty, without a promotion). */
    if (seq < journalLastSeq(r->host.journal) && epoch <= (*r->host.last_entry_epoch)) {
        logError("primary %s (seq %llu, epoch %llu) is behind us (seq %llu): refusing to "
                 "resync from it; promote the most up-to-date node instead",
                 r->up.addr, seq, epoch, (unsigned long long)journalLastSeq(r->host.journal));
        return false;
    }
    repl_upstream *u = &r->up;
    upDropResync(r);
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

static bool upHandshakeLine(repl *r, const resp_reply *rp) {
    if (rp->type != RESP_SIMPLE) return false;
    if (sliceEqStr(rp->str, "OK")) return true; /* AUTH accepted */
    if (rp->str.len > 9 && memcmp(rp->str.ptr, "CONTINUE ", 9) == 0) {
        r->up.state = UP_STREAM;
        logInfo("resuming replication from %s at seq %llu", r->up.addr,
                (unsigned long long)journalNextSeq(r->host.journal));
        return true;
    }
    return rp->str.len > 5 && memcmp(rp->str.ptr, "FULL ", 5) == 0 && upBeginFull(r, rp->str);
}

/* Reads the handshake replies; false on refusal. */
static bool upHandshake(repl *r) {
    repl_upstream *u = &r->up;
    while (u->state == UP_HANDSHAKE && bufUnread(&u->in)) {
        resp_reply rp;
        int n = respParseReply(bufReadPtr(&u->in), bufUnread(&u->in), &rp);
        if (n == RESP_PARTIAL) return true;
        if (n < 0 || !upHandshakeLine(r, &rp)) {
            logError("primary %s refused: %.*s", u->addr, (int)rp.str.len, rp.str.ptr);
            return false;
        }
        bufConsume(&u->in, (size_t)n);
    }
    return true;
}

static int upApplyEntry(repl *r, slice frame, slice body) {
    journal_entry e;
    int64_t seq = journalAppendFrame(r->host.journal, frame);
    if (seq < 0) return (int)seq;
    if (journalDecode(body, &r->scratch, &e) < 0) return -EBADMSG;
    (*r->host.last_entry_epoch) = e.epoch;
    return journalApplyToPeople((*r->host.db), &e);
}

/* SNAPSHOT: feeds the loader what arrived. 1 consumed something, 0 needs
 * more bytes, -1 damage (count, CRC, frame) or no memory. */
static int upSnapshotBytes(repl *r) {
    repl_upstream *u = &r->up;
    ssize_t n = snapshotLoaderFeed(&u->loader, (const uint8_t *)bufReadPtr(&u->in),
                                   bufUnread(&u->in));
    if (n < 0) {
        logError("full resync from %s: %s", u->addr, u->loader.err);
        return -1;
    }
    bufConsume(&u->in, (size_t)n);
    if (snapshotLoaderDone(&u->loader) && !upEndFull(r)) return -1;
    return n > 0;
}

/* Applies every whole unit in the input: the snapshot of a full resync,
 * then journal frames. False on damage. */
static bool upFrames(repl *r) {
    repl_upstream *u = &r->up;
    while (u->state >= UP_SNAPSHOT && bufUnread(&u->in)) {
        if (u->state == UP_SNAPSHOT) {
            int rc = upSnapshotBytes(r);
            if (rc <= 0) return rc == 0;
            continue;
        }
        slice body;
        const uint8_t *p = (const uint8_t *)bufReadPtr(&u->in);
        ssize_t n = journalFrameParse(p, bufUnread(&u->in), &body);
        if (n == JOURNAL_PARTIAL) return true;
        if (n < 0 || upApplyEntry(r, sliceMake((const char *)p, (size_t)n), body) < 0) return false;
        bufConsume(&u->in, (size_t)n);
    }
    return true;
}

/* Reads what is there, and with TLS what OpenSSL already decrypted
 * (epoll does not wake for it). 1 new bytes, 0 none, -1 failed. */
static int upReadBytes(repl *r) {
    repl_upstream *u = &r->up;
    ssize_t n = tlsIoReadBuf(u->tc, u->watch.fd, &u->in, UP_READ_CHUNK);
    if (n < 0) upFail(r, n == -ENOMEM ? "out of memory" : "connection closed");
    return n < 0 ? -1 : n > 0;
}

static void upRead(repl *r) {
    repl_upstream *u = &r->up;
    if (upReadBytes(r) <= 0) return;
    if (!upHandshake(r)) {
        upFail(r, "handshake refused");
        return;
    }
    if (!upFrames(r)) {
        upFail(r, "bad frame in the stream");
        return;
    }
    bufCompact(&u->in);
}

/* Queues ACK <last seq> when it moved, or as a heartbeat. */
static void upQueueAck(repl *r) {
    repl_upstream *u = &r->up;
    uint64_t seq = journalLastSeq(r->host.journal), now = evNowMs(r->host.loop);
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

void replUpstreamFlush(repl *r) {
    repl_upstream *u = &r->up;
    if (u->state < UP_HANDSHAKE) return;
    upQueueAck(r);
    if (!bufUnread(&u->out)) return;
    ssize_t n = tlsIoWrite(u->tc, u->watch.fd, bufReadPtr(&u->out), bufUnread(&u->out));
    if (n < 0 && n != -EAGAIN && n != -EINTR) {
        upFail(r, "write failed");
        return;
    }
    if (n > 0) bufConsume(&u->out, (size_t)n);
    bufCompact(&u->out);
    evModify(r->host.loop, &u->watch, EPOLLIN | (bufUnread(&u->out) ? EPOLLOUT : 0));
}

/* A handshake that does not finish in a write timeout is given up: a
 * peer that accepts and then says nothing must not hold the link. */
void replUpstreamTick(repl *r) {
    repl_upstream *u = &r->up;
    if (u->state == UP_TLS && evNowMs(r->host.loop) - u->tls_started_ms > r->cfg.write_timeout_ms) {
        upFail(r, "TLS handshake timed out");
        return;
    }
    replUpstreamFlush(r);
}

static void upOnEvent(ev_loop *loop, ev_watch *w, uint32_t events) {
    (void)loop;
    repl *r = w->data;
    if (r->up.state == UP_CONNECTING) {
        upConnected(r);
        return;
    }
    if (r->up.state == UP_TLS) {
        upTls(r);
        return;
    }
    if (events & EPOLLOUT) replUpstreamFlush(r);
    if (r->up.state != UP_IDLE && (events & (EPOLLIN | EPOLLHUP | EPOLLERR))) upRead(r);
}
