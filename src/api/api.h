/* api.h - an API instance: HTTP/1.1 in front, the store behind.
 *
 * An instance holds no state another instance needs: it parses and
 * validates, mints the UUID, asks the store and answers. Per connection it
 * is a small state machine (api.c):
 *
 *   READ ──complete request──> HANDLE ──answered locally──> READ
 *     │                          │
 *     │                          └─needs the store──> WAIT (reads paused)
 *     │                                                  │ store reply
 *     └─body over the limit──> DISCARD (413 sent)        └──> READ
 *
 * Pipelined requests wait in the input buffer while the connection is in
 * WAIT, so responses always leave in request order. */
#ifndef BARDO_API_H
#define BARDO_API_H

#include <stdbool.h>
#include <stdint.h>

#include "api/person.h"
#include "api/cluster.h"
#include "core/server.h"
#include "http/http_parser.h"
#include "http/response.h"
#include "probe/host.h"
#include "probe/metrics.h"
#include "probe/status.h"

#define API_HEADER_MAX (8 * 1024)      /* a larger header block gets 431 */
#define API_BODY_MAX PERSON_BODY_MAX   /* a larger body gets 413 */
#define API_DISCARD_MAX (1024 * 1024)  /* past this a 413 closes instead */
#define API_MAX_CONNS 16384

typedef enum api_wait {
    API_WAIT_NONE, API_WAIT_CREATE, API_WAIT_GET, API_WAIT_SEARCH, API_WAIT_COUNT
} api_wait;

typedef enum api_resource { API_RES_PESSOAS, API_RES_BARDS } api_resource;

typedef struct api_conn {
    uint8_t wait;          /* api_wait: what the awaited store reply answers */
    uint8_t resource;      /* api_resource the request named (for Location) */
    uint8_t route;         /* route_kind of the request, for the metrics */
    bool keep_alive, http10, continue_sent;
    char id[36];           /* the id minted for a create in flight */
    uint64_t discard;      /* body bytes still to drop after a 413 */
    buf cmd;               /* the store command in flight, kept to resend (retry.c) */
    uint16_t req;          /* numbers each sending of it: a late answer to an
                            * earlier one (a deposed primary) is not taken */
    int8_t sent_node;      /* the store node it went to, -1: none */
    bool in_flight;        /* the last sending has had no answer yet */
    uint16_t retry_delay_ms; /* the last wait before a resend (backoff) */
    uint64_t retry_at_ms;  /* not resent before (0: at the next tick) */
    bool maybe_applied;    /* an earlier sending's fate is unknown (it may
                            * be journaled): a create then ends in 504, not
                            * 503 (retry.c) */
    uint64_t cmd_deadline_ms;
    uint64_t started_ms;   /* loop time the request arrived whole in */
} api_conn;

typedef struct api {
    ev_loop *loop;
    server http;
    cluster stores;        /* every store node; commands go to the primary */
    api_conn *conns;       /* parallel to http.conns */
    const char *name;
    person person;         /* scratch for the one POST being parsed */
    char scratch[API_BODY_MAX];
    buf json, key, body;   /* scratch outputs, reused by every request */
    uint64_t requests;
    uint64_t request_timeout_ms;
    uint64_t *retry_q;     /* requests to send again: their tags (apiTag) */
    size_t retry_len, retry_cap;
    uint64_t retries;
    int seen_primary;      /* the primary at the last retry tick (retry.c) */
    uint64_t next_sweep_ms; /* retry.c's next look for requests stuck too long */
    /* self-knowledge (/status, /metrics): off the people hot path */
    uint64_t started_ms;
    probe_host *host;      /* refreshed by apiSelfTick */
    metrics_http metrics;  /* by route and status; recorded in apiRespond */
    status_store store_view; /* the primary as seen through its INFO (people) */
    int info_node, info_asked; /* cluster node that answered / was sent INFO; -1 */
    status_store store_views[CLUSTER_MAX]; /* per node, rebuilt by apiStatusApp */
    bool info_pending;
} api;

typedef struct api_config {
    const char *listen, *store, *name;
    const char *store_password; /* the api user's (store/acl.h); NULL: no AUTH */
    tls_ctx *store_tls;         /* TLS to the stores over TCP; NULL: plaintext */
    uint64_t idle_ms;              /* close keep-alive connections quiet this long */
    uint64_t request_timeout_ms;   /* a started request must arrive whole in this */
} api_config;

int apiStart(api *a, ev_loop *loop, const api_config *cfg);
void apiStop(api *a);

/* For routes.c: answer the current request of c. */
void apiRespond(server_conn *c, int status, const char *content_type, slice body, slice extra);
void apiRespondError(server_conn *c, int status, const char *field, const char *message);
/* The program and cluster facts /status and /metrics show. */
status_app apiStatusApp(api *a);
/* Sends a store command on behalf of c, which then waits for the reply. */
void apiAskStore(server_conn *c, api_wait wait, size_t argc, const slice *argv);
/* Sends c's encoded command (again) to the store node it belongs to.
 * 0 or -errno. */
int apiSendToStore(server_conn *c, slice cmd);
/* Answers c's awaited store reply and goes on with its next request. */
void apiFinishWait(server_conn *c, const resp_reply *reply);
uint64_t apiTag(const server_conn *c);

/* retry.c: a request whose store failed under it goes again to the new
 * primary (every command is idempotent: PADD by id) until API_RETRY_MS
 * have passed: long enough for an election (about 1 s, repl/election.h)
 * under load, well under a client's patience (the stress test's 60 s). */
#define API_RETRY_MS 6000
#define API_RETRY_TICK_MS 25
#define API_RETRY_BACKOFF_MAX_MS 200 /* a refused resend waits 25, 50, 100, 200 ms... */
/* True when the reply means "ask the primary again" and c was queued. */
bool retryMaybe(server_conn *c, const resp_reply *reply);
/* Records what a store's answer (NULL: the link died) says of the write's
 * fate, before retryMaybe. */
void retryNoteReply(api_conn *ac, const resp_reply *reply);
/* True when a sending of this request may have been journaled with no
 * answer saying so: a create that fails now gets 504 (it may exist), not
 * 503 (it does not). */
bool retryOutcomeUnknown(const api_conn *ac);
int retryStart(api *a);
void retryStop(api *a);

#endif
