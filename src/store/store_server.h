/* store_server.h - the store process: people in memory, spoken to in RESP.
 *
 * One event loop, one `people` database. Each connection's input is parsed
 * as a stream of pipelined RESP commands; every complete command runs at
 * once (they are all O(1) or bounded by the search limit) and its reply is
 * appended to the connection's output, flushed once per loop turn. Commands
 * are the domain's, looked up in a table:
 *   PADD <id> <apelido> <search-key> <json>  -> +OK | -DUP ... | -ERR ...
 *   PGET <id>                                -> $json | $-1
 *   PSEARCH <folded-term> [limit]            -> $[json,...]
 *   PCOUNT                                   -> :n
 *   PING [msg], INFO, COMMAND (for redis-cli) */
#ifndef BARDO_STORE_SERVER_H
#define BARDO_STORE_SERVER_H

#include "core/server.h"
#include "store/people.h"
#include "store/resp.h"

#define STORE_SEARCH_LIMIT_MAX 1000

typedef struct store {
    ev_loop *loop;
    server srv;
    people *db;
    uint64_t commands;
    uint64_t started_ms;
} store;

int storeStart(store *st, ev_loop *loop, const char *addr, size_t expected_people);
void storeStop(store *st);
/* Runs one parsed command and appends its reply (exposed for tests). */
int storeExecute(store *st, const resp_command *cmd, buf *out);

#endif
