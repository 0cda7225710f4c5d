#include "store/store_server.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/recovery.h"

/* store_server.c - the store process's lifecycle and connections: each
 * connection's input is a stream of pipelined RESP commands, run at once;
 * replies go to the connection's output, or behind a held write
 * (hold.h). Once per loop turn, before anything is flushed: the journal
 * is synced (with a data directory), replicas are fed, and replies the
 * committed seq allows are released. */

static store_conn *storeConnOf(server_conn *c) { return c->user; }

/* True while a wrong password holds the connection: it is paused, and
 * storeAuthTick lets it go on once the delay is over. */
static bool storeConnWaiting(store *st, server_conn *c, store_conn *sc) {
    if (!sc->wait_until_ms) return false;
    if (evNowMs(st->loop) >= sc->wait_until_ms) {
        sc->wait_until_ms = 0;
        st->waiting--;
        return false;
    }
    serverPause(c);
    return true;
}

static bool storeOnData(server_conn *c) {
    store *st = c->srv->ctx;
    store_conn *sc = storeConnOf(c);
    st->current = sc;
    while (bufUnread(&c->in) && c->open && !sc->quit && !storeConnWaiting(st, c, sc)) {
        resp_command cmd;
        buf *out = holdTarget(&sc->hold, &c->out);
        int n = respParseCommand(bufReadPtr(&c->in), bufUnread(&c->in), &cmd);
        if (n == RESP_PARTIAL) break;
        if (n < 0) { /* the stream cannot be resynchronised: say why, hang up */
            respWriteError(out, n == RESP_TOO_BIG ? "ERR command too big" : "ERR protocol error");
            serverCloseAfterFlush(c);
            break;
        }
        if (storeExecute(st, &cmd, out) < 0) {
            st->current = NULL;
            return false;
        }
        bufConsume(&c->in, (size_t)n);
    }
    st->current = NULL;
    if (sc->quit) serverCloseAfterFlush(c);
    bufCompact(&c->in);
    serverMarkDirty(c);
    return true;
}

static void storeOnClose(server_conn *c) {
    store *st = c->srv->ctx;
    store_conn *sc = storeConnOf(c);
    if (sc->link.active) logInfo("replica %s disconnected", sc->link.name);
    if (sc->unauthed) st->unauthed--;
    if (sc->wait_until_ms) st->waiting--;
    if (sc->role == ACL_NONE && c->deadline_ms && evNowMs(st->loop) >= c->deadline_ms) {
        st->auth_timeouts++;
        storeLogRefusal(st, "closed a connection that did not authenticate within %d ms",
                        STORE_AUTH_DEADLINE_MS);
    }
    holdReset(&sc->hold);
    sc->role = ACL_NONE;
    sc->unauthed = sc->quit = false;
    sc->wait_until_ms = 0;
    sc->link = (repl_link){0};
}

/* The oldest connection still unauthenticated, other than `except`. */
static server_conn *storeOldestUnauthed(store *st, const server_conn *except) {
    server_conn *oldest = NULL;
    for (size_t i = 0; i < STORE_MAX_CONNS; i++) {
        server_conn *c = &st->srv.conns[i];
        store_conn *sc = &st->conns[i];
        if (!c->open || !sc->unauthed || c == except || c->close_after_flush) continue;
        if (!oldest || sc->opened_ms < storeConnOf(oldest)->opened_ms) oldest = c;
    }
    return oldest;
}

/* A new connection has STORE_AUTH_DEADLINE_MS to authenticate; beyond
 * STORE_MAX_UNAUTHED such connections, the oldest one goes (told why):
 * a flood of idle connections then only ever holds that many slots, and
 * a real client, which authenticates at once, is not the oldest. */
static void storeOnOpen(server_conn *c) {
    store *st = c->srv->ctx;
    store_conn *sc = storeConnOf(c);
    uint64_t now = evNowMs(st->loop);
    *sc = (store_conn){.hold = sc->hold, .role = ACL_NONE, .unauthed = true, .opened_ms = now};
    c->deadline_ms = now + STORE_AUTH_DEADLINE_MS;
    if (++st->unauthed <= STORE_MAX_UNAUTHED) return;
    server_conn *old = storeOldestUnauthed(st, c);
    if (!old) return;
    storeConnOf(old)->unauthed = false;
    st->unauthed--;
    st->auth_evictions++;
    storeLogRefusal(st, "more than %d unauthenticated connections: closing the oldest",
                    STORE_MAX_UNAUTHED);
    respWriteError(&old->out, "ERR too many unauthenticated connections");
    serverCloseAfterFlush(old);
}

void storeConnAuthed(store *st, store_conn *sc, int role) {
    sc->role = role;
    /* an authenticated link stays as long as it likes (no server in
     * tests that run commands alone) */
    if (st->conns && st->srv.conns) st->srv.conns[sc - st->conns].deadline_ms = 0;
    if (sc->unauthed) st->unauthed--;
    sc->unauthed = false;
}

void storeConnAuthFailed(store *st, store_conn *sc) {
    if (!sc->wait_until_ms) st->waiting++;
    sc->wait_until_ms = evNowMs(st->loop) + ACL_FAIL_DELAY_MS;
}

/* Lets connections held after a wrong password go on: what they had
 * already sent runs now (no new bytes may come to wake them). */
static void storeAuthTick(ev_loop *loop, void *data) {
    store *st = data;
    uint64_t now = evNowMs(loop);
    for (size_t i = 0; st->waiting && i < STORE_MAX_CONNS; i++) {
        server_conn *c = &st->srv.conns[i];
        store_conn *sc = &st->conns[i];
        if (!c->open || !sc->wait_until_ms || now < sc->wait_until_ms) continue;
        sc->wait_until_ms = 0;
        st->waiting--;
        serverResume(c);
        if (bufUnread(&c->in) && !storeOnData(c)) serverClose(c);
    }
}

void storeLogRefusal(store *st, const char *fmt, ...) {
    uint64_t second = evNowMs(st->loop) / 1000;
    if (second != st->log_second) {
        if (st->logged_in_second > STORE_REFUSAL_LOGS)
            logInfo("(%u more refusals not logged)", st->logged_in_second - STORE_REFUSAL_LOGS);
        st->log_second = second;
        st->logged_in_second = 0;
    }
    if (++st->logged_in_second > STORE_REFUSAL_LOGS) return;
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    logInfo("%s", line);
}

/* ---- what replication reaches through repl_host (src/repl/repl.h) ---- */

static size_t hostSlots(void *ctx) { return ((store *)ctx)->srv.max_conns; }

static repl_link *hostLink(void *ctx, size_t i) {
    store *st = ctx;
    return st->srv.conns[i].open ? &st->conns[i].link : NULL;
}

static buf *hostOut(void *ctx, size_t i) { return &((store *)ctx)->srv.conns[i].out; }
static void hostDirty(void *ctx, size_t i) { serverMarkDirty(&((store *)ctx)->srv.conns[i]); }
static void hostClose(void *ctx, size_t i) { serverClose(&((store *)ctx)->srv.conns[i]); }

/* Every connection's held replies: released up to committed, failed
 * past the deadline. Returns how many were acknowledged. */
static int hostSettle(void *ctx, uint64_t committed, uint64_t deadline_ms, const char *error,
                      repl_withdraw_fn *withdraw, void *withdraw_ctx) {
    store *st = ctx;
    int acked = 0;
    for (size_t i = 0; i < st->srv.max_conns; i++) {
        store_conn *sc = &st->conns[i];
        server_conn *c = &st->srv.conns[i];
        if (!c->open || !holdActive(&sc->hold)) continue;
        int n = holdRelease(&sc->hold, &c->out, committed);
        acked += n > 0 ? n : 0;
        n += holdExpire(&sc->hold, &c->out, deadline_ms, error, withdraw, withdraw_ctx);
        if (n != 0) serverMarkDirty(c);
    }
    return acked;
}

static const repl_host_ops REPL_HOST_OPS = {.slots = hostSlots, .link = hostLink, .out = hostOut,
                                            .dirty = hostDirty, .close = hostClose,
                                            .settle = hostSettle};

void storeBindRepl(store *st) {
    repl_host h = {.ops = &REPL_HOST_OPS, .ctx = st, .loop = st->loop, .db = &st->db,
                   .journal = st->journal, .last_entry_epoch = &st->last_entry_epoch,
                   .replica_password = aclPassword(&st->acl, ACL_REPLICA),
                   .tls_client = st->tls_client};
    replBind(&st->repl, &h);
}

static const server_ops STORE_OPS = {.on_data = storeOnData, .on_close = storeOnClose,
                                     .on_open = storeOnOpen};

/* Runs before the server's own flush hook (registered first). */
static void storeBeforeSleep(ev_loop *loop, void *data) {
    (void)loop;
    store *st = data;
    if (journalSync(st->journal) < 0) logError("journal sync failed: writes are refused");
    if (st->repl.role == REPL_PRIMARY) {
        replFeedAll(&st->repl);
        replReleaseHolds(&st->repl);
    } else {
        replUpstreamFlush(&st->repl);
    }
}

static void storeFree(store *st) {
    if (st->conns)
        for (size_t i = 0; i < STORE_MAX_CONNS; i++) holdFree(&st->conns[i].hold);
    free(st->conns);
    st->conns = NULL;
    if (st->db) peopleDestroy(st->db);
    st->db = NULL;
    if (st->journal) journalDestroy(st->journal);
    st->journal = NULL;
    journalScratchFree(&st->scratch);
    probeHostDestroy(st->host);
    st->host = NULL;
    aclClear(&st->acl);
}

static void storeSelfTick(ev_loop *loop, void *data) {
    store *st = data;
    probeHostRefresh(st->host, evNowMs(loop));
}

static int storeAlloc(store *st, const store_config *cfg) {
    st->conns = calloc(STORE_MAX_CONNS, sizeof(*st->conns));
    st->db = peopleCreate(cfg->expected_people);
    st->journal = journalCreate(cfg->backlog_bytes, 1);
    st->host = probeHostCreate(st->started_ms);
    memLimitInit(&st->mem, cfg->max_memory_mb);
    journalScratchInit(&st->scratch);
    return (st->conns && st->db && st->journal && st->host) ? 0 : -ENOMEM;
}

/* With a data directory: the newest snapshot + the journal after it, then
 * every new entry appended to dir/journal.log (synced once per loop turn). */
static int storeLoadDataDir(store *st, const char *dir) {
    char err[256];
    store_recovery r;
    uint64_t t0 = evClockMs();
    int rc = storeRecoverReport(st->db, dir, &r, err, sizeof(err));
    if (rc < 0) {
        logError("refusing to start: cannot recover from %s: %s", dir, err);
        return rc;
    }
    if (err[0]) logInfo("%s", err);
    journalReset(st->journal, r.seq + 1);
    st->last_entry_epoch = r.epoch;
    if (r.epoch > st->repl.cfg.epoch) st->repl.cfg.epoch = r.epoch;
    rc = journalOpenFile(st->journal, dir);
    if (rc < 0) logError("cannot open the journal in %s: %s", dir, strerror(-rc));
    logInfo("recovered %zu people at seq %llu from %s (snapshot at %llu, %llu replayed) in %llu ms",
            peopleCount(st->db), (unsigned long long)r.seq, dir,
            (unsigned long long)r.snapshot_seq, (unsigned long long)r.replayed,
            (unsigned long long)(evClockMs() - t0));
    return rc;
}

int storeStart(store *st, ev_loop *loop, const store_config *cfg) {
    *st = (store){.loop = loop, .started_ms = evNowMs(loop), .repl.cfg = cfg->repl,
                  .repl.up.watch.fd = -1};
    if (cfg->acl) st->acl = *cfg->acl;
    st->tls_client = cfg->tls_client;
    int rc = storeAlloc(st, cfg);
    if (rc == 0 && cfg->data_dir) rc = storeLoadDataDir(st, cfg->data_dir);
    if (rc < 0) goto err;
    st->data_dir = cfg->data_dir;
    evOnBeforeSleep(loop, storeBeforeSleep, st); /* before the server's flush */
    rc = serverStart(&st->srv, loop, cfg->listen, &STORE_OPS, STORE_MAX_CONNS, st);
    if (rc < 0) goto err;
    for (size_t i = 0; i < STORE_MAX_CONNS; i++) st->srv.conns[i].user = &st->conns[i];
    /* a Unix socket never leaves the host: plaintext (docs/SECURITY.md) */
    if (cfg->tls_server && strncmp(cfg->listen, "unix:", 5) != 0)
        serverUseTls(&st->srv, cfg->tls_server);
    /* API connections are long-lived and may be quiet; the ones that never
     * authenticate have a deadline instead (storeOnOpen) */
    st->srv.idle_ms = 0;
    storeBindRepl(st);
    rc = replStart(&st->repl);
    if (rc < 0) goto err;
    evOnTick(loop, PROBE_REFRESH_MS, storeSelfTick, st);
    evOnTick(loop, ACL_FAIL_DELAY_MS / 3, storeAuthTick, st);
    return 0;
err:
    evRemoveHooks(loop, st);
    replStop(&st->repl);
    serverStop(&st->srv); /* no-op if it never started */
    storeFree(st);
    return rc;
}

void storeStop(store *st) {
    evRemoveHooks(st->loop, st);
    replStop(&st->repl);
    serverStop(&st->srv);
    storeFree(st);
}
