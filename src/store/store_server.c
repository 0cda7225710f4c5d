#include "store/store_server.h"

#include <errno.h>
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

static bool storeOnData(server_conn *c) {
    store *st = c->srv->ctx;
    store_conn *sc = storeConnOf(c);
    st->current = sc;
    while (bufUnread(&c->in) && c->open) {
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
    bufCompact(&c->in);
    serverMarkDirty(c);
    return true;
}

static void storeOnClose(server_conn *c) {
    store_conn *sc = storeConnOf(c);
    if (sc->link.active) logInfo("replica %s disconnected", sc->link.name);
    holdReset(&sc->hold);
    sc->authed = false;
    sc->link = (repl_link){0};
}

static const server_ops STORE_OPS = {.on_data = storeOnData, .on_close = storeOnClose};

/* Runs before the server's own flush hook (registered first). */
static void storeBeforeSleep(ev_loop *loop, void *data) {
    (void)loop;
    store *st = data;
    if (journalSync(st->journal) < 0) logError("journal sync failed: writes are refused");
    if (st->repl.role == REPL_PRIMARY) {
        replFeedAll(st);
        replReleaseHolds(st);
    } else {
        replUpstreamFlush(st);
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
    int rc = storeAlloc(st, cfg);
    if (rc == 0 && cfg->data_dir) rc = storeLoadDataDir(st, cfg->data_dir);
    if (rc < 0) goto err;
    st->data_dir = cfg->data_dir;
    evOnBeforeSleep(loop, storeBeforeSleep, st); /* before the server's flush */
    rc = serverStart(&st->srv, loop, cfg->listen, &STORE_OPS, STORE_MAX_CONNS, st);
    if (rc < 0) goto err;
    for (size_t i = 0; i < STORE_MAX_CONNS; i++) st->srv.conns[i].user = &st->conns[i];
    st->srv.idle_ms = 0; /* API connections are long-lived and may be quiet */
    rc = replStart(st);
    if (rc < 0) goto err;
    evOnTick(loop, PROBE_REFRESH_MS, storeSelfTick, st);
    return 0;
err:
    evRemoveHooks(loop, st);
    replStop(st);
    serverStop(&st->srv); /* no-op if it never started */
    storeFree(st);
    return rc;
}

void storeStop(store *st) {
    evRemoveHooks(st->loop, st);
    replStop(st);
    serverStop(&st->srv);
    storeFree(st);
}
