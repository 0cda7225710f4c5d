/* store_server.h - the store process: people in memory, spoken to in RESP.
 *
 * One event loop, one `people` database. Each connection's input is parsed
 * as a stream of pipelined RESP commands; every complete command runs at
 * once (they are all O(1) or bounded by the search limit) and its reply is
 * appended to the connection's output, flushed once per loop turn. Commands
 * are the domain's, looked up in a table:
 *   PADD <id> <apelido> <search-key> <json>  -> +OK | -DUP ... | -ERR ...
 *       (-ERR invalid person: <why> unless it is what an API would send,
 *       person_check.h)
 *   PGET <id>                                -> $json | $-1
 *   PSEARCH <folded-term> [limit]            -> $[json,...]
 *   PCOUNT                                   -> :n
 *   PING [msg], COMMAND (for redis-cli)
 *   INFO [bardo|status]: "# bardo store" (people, role, site, uptime...)
 *   and "# status" (one line: the host's /status JSON, see src/probe). */
#ifndef BARDO_STORE_SERVER_H
#define BARDO_STORE_SERVER_H

#include "core/server.h"
#include "probe/host.h"
#include "store/hold.h"
#include "store/journal.h"
#include "store/people.h"
#include "store/repl.h"
#include "store/resp.h"

#define STORE_SEARCH_LIMIT_MAX 1000

#define STORE_MAX_CONNS 256 /* APIs, replicas and the odd redis-cli */
#define REPL_MAX_LINKS STORE_MAX_CONNS

/* Per connection: held write replies, AUTH, and (if it is a replica's
 * stream) its replication state. */
typedef struct store_conn {
    reply_hold hold;
    bool authed;
    repl_link link;
} store_conn;

typedef struct store {
    ev_loop *loop;
    server srv;
    store_conn *conns;  /* parallel to srv.conns */
    store_conn *current; /* the connection whose command runs (NULL in tests) */
    people *db;
    journal *journal;
    journal_scratch scratch;
    uint64_t last_entry_epoch; /* epoch of the newest journal entry */
    const char *data_dir;      /* NULL: nothing touches the disk */
    repl repl;
    uint64_t commands;
    uint64_t started_ms;
    probe_host *host;   /* refreshed every PROBE_REFRESH_MS, shown by INFO */
} store;

typedef struct store_config {
    const char *listen;
    size_t expected_people;
    size_t backlog_bytes;   /* journal backlog in memory (0: default) */
    const char *data_dir;   /* NULL: nothing touches the disk */
    repl_config repl;
} store_config;

int storeStart(store *st, ev_loop *loop, const store_config *cfg);
void storeStop(store *st);
/* Runs one parsed command and appends its reply (exposed for tests). */
int storeExecute(store *st, const resp_command *cmd, buf *out);

/* Replication (repl_primary.c, repl_replica.c, repl_peers.c). */
bool replParseU64(slice s, uint64_t *v);
int replCmdSync(store *st, const resp_command *cmd, buf *out);
int replCmdAck(store *st, const resp_command *cmd, buf *out);
int replCmdRole(store *st, const resp_command *cmd, buf *out);
int replCmdPromote(store *st, const resp_command *cmd, buf *out);
void replFeedAll(store *st);
bool replCanWrite(store *st);
uint64_t replCommitted(store *st);
void replReleaseHolds(store *st);
void replFailHolds(store *st, const char *error);
void replDropLinks(store *st);
int replStart(store *st);
void replStop(store *st);
void replUpstreamFollow(store *st, const char *addr);
void replUpstreamStop(store *st);
void replUpstreamTick(store *st);
void replUpstreamFlush(store *st);

#endif
