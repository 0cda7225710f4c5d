/* store_server.h - the store process: people in memory, spoken to in RESP.
 *
 * One event loop, one `people` database. Each connection's input is parsed
 * as a stream of pipelined RESP commands; every complete command runs at
 * once (they are all O(1) or bounded by the search limit) and its reply is
 * appended to the connection's output, flushed once per loop turn. Commands
 * are the domain's, looked up in a table:
 *   PADD <id> <apelido> <search-key> <json>  -> +OK | -DUP ... | -NOMEM ... | -ERR ...
 *       (-ERR invalid person: <why> unless it is what an API would send,
 *       person_check.h)
 *   PGET <id>                                -> $json | $-1
 *   PSEARCH <folded-term> [limit]            -> $[json,...]
 *   PCOUNT                                   -> :n
 *   PING [msg], COMMAND (for redis-cli)
 *   INFO [bardo|status]: "# bardo store" (people, role, site, uptime,
 *   a replica's repl_state...)
 *   and "# status" (one line: the host's /status JSON, see src/probe).
 *   AUTH <user> <password>, QUIT: see acl.h for who may run what.
 *
 * Connection slots: a connection that has not authenticated gets
 * STORE_AUTH_DEADLINE_MS to do it, then is closed; at most
 * STORE_MAX_UNAUTHED are held at once, and one more closes the oldest of
 * them (with -ERR). So idle or hostile connections cannot take the slots
 * the links that matter (APIs, replicas, an operator) need: those
 * authenticate in one round trip and keep their slot. */
#ifndef BARDO_STORE_SERVER_H
#define BARDO_STORE_SERVER_H

#include "core/server.h"
#include "probe/host.h"
#include "store/acl.h"
#include "store/hold.h"
#include "store/journal.h"
#include "store/memlimit.h"
#include "store/people.h"
#include "repl/repl.h"
#include "store/resp.h"

#define STORE_SEARCH_LIMIT_MAX 1000

#define STORE_MAX_CONNS 256 /* APIs, replicas and the odd redis-cli */
#define STORE_AUTH_DEADLINE_MS 2000 /* to authenticate, from accept */
#define STORE_MAX_UNAUTHED 32       /* connections not authenticated, at once */
#define STORE_REFUSAL_LOGS 20       /* refusals logged per second, at most */

/* Per connection: held write replies, who it authenticated as, and (if
 * it is a replica's stream) its replication state. */
typedef struct store_conn {
    reply_hold hold;
    int role;              /* acl_role, or ACL_NONE before AUTH */
    bool unauthed;         /* counted in store.unauthed */
    bool quit;             /* QUIT: close once the +OK is out */
    uint64_t opened_ms;
    uint64_t wait_until_ms; /* after a wrong password: nothing runs before */
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
    acl acl;            /* the users' passwords (acl.h) */
    size_t unauthed;    /* connections open, not authenticated */
    size_t waiting;     /* connections held after a wrong password */
    uint64_t auth_failures, auth_evictions, auth_timeouts, refusals;
    uint64_t log_second; /* refusals logged in this second (rate limit) */
    unsigned logged_in_second;
    probe_host *host;   /* refreshed every PROBE_REFRESH_MS, shown by INFO */
    mem_limit mem;      /* no new people past it (memlimit.h) */
    uint64_t refused_nomem;
    tls_ctx *tls_client; /* borrowed from the config: links to other nodes */
} store;

typedef struct store_config {
    const char *listen;
    size_t expected_people;
    size_t backlog_bytes;   /* journal backlog in memory (0: default) */
    uint64_t max_memory_mb; /* memlimit.h: MEMLIMIT_AUTO, 0 (none) or MB */
    const char *data_dir;   /* NULL: nothing touches the disk */
    const acl *acl;         /* NULL: no user, nothing but AUTH succeeds */
    tls_ctx *tls_server;    /* set: a TCP listener speaks TLS (core/tls.h) */
    tls_ctx *tls_client;    /* set: links to other store nodes over TCP do */
    repl_config repl;
} store_config;

int storeStart(store *st, ev_loop *loop, const store_config *cfg);
/* Gives replication its view of this store (st->repl.host: the db, the
 * journal, the connection slots and held replies, src/repl/repl.h).
 * storeStart does it; a test that assembles a store by hand calls it. */
void storeBindRepl(store *st);
void storeStop(store *st);
/* Runs one parsed command and appends its reply (exposed for tests).
 * st->current is the connection it came from; NULL means an in-process
 * caller (tests, benches), which may run everything. */
int storeExecute(store *st, const resp_command *cmd, buf *out);

/* The command table's roles column (acl.h): false for an unknown
 * command. storeCommandName(i) walks the table (NULL past its end). */
bool storeCommandRoles(slice name, acl_mask *roles);
const char *storeCommandName(size_t i);

/* AUTH's outcome on the current connection (store_server.c keeps the
 * slot bookkeeping): authenticated as role, or a wrong password (the
 * connection then waits ACL_FAIL_DELAY_MS). */
void storeConnAuthed(store *st, store_conn *sc, int role);
void storeConnAuthFailed(store *st, store_conn *sc);
/* One line in the log about a refused command or AUTH, at most
 * STORE_REFUSAL_LOGS a second (a flood must not fill the disk). */
void storeLogRefusal(store *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
