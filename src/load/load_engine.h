/* load_engine.h - the open-model load generator's event loop.
 *
 * One thread, one epoll set, non-blocking sockets, edge-triggered: a
 * connection is added to epoll once and never modified. Arrivals come from
 * the schedule (load_sched.h) at their time whatever the server does: the
 * loop sleeps until the next arrival, pause or timeout (1 ms resolution) and
 * never waits for a response before starting the next user, so a slow
 * server piles up users in flight, as Gatling's open model does.
 *
 * Connections: by default each virtual user opens its own connection,
 * sends its request(s) on it keep-alive and closes it when it ends: that is
 * Gatling's default (no shareConnections in the official simulation), so
 * nginx pays an accept and a close per user as it did in the Rinha. With
 * pool=true users share idle keep-alive connections instead (Gatling's
 * shareConnections), which is cheaper for both sides: an option for
 * measuring the API rather than connection handling.
 *
 * A KO is a wrong status, a connection refused or reset (or closed before
 * the response is complete), or no complete response within timeout_ms.
 * After the last user ends, one GET /contagem-pessoas on a fresh
 * connection reads the count, and the perfect count of what the profile
 * sends is computed (load_perfect.h; after the run, so that its CPU is
 * not the run's).
 *
 * Data: payloads and terms come from the files given, else from the
 * generated data set of the seed (load_data.h), built in memory: the tool
 * then needs no file and no build folder, runs from any directory, and
 * sends byte for byte what --write-data writes for the same seed. */
#ifndef BARDO_LOAD_ENGINE_H
#define BARDO_LOAD_ENGINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "load/load_stats.h"

typedef enum { LOAD_SC_CREATE, LOAD_SC_SEARCH, LOAD_SC_BAD_SEARCH, LOAD_SC_N } load_scenario;
typedef enum { LOAD_REQ_CREATE, LOAD_REQ_GET, LOAD_REQ_SEARCH, LOAD_REQ_BAD_SEARCH, LOAD_REQ_N }
    load_req_kind;

/* Gatling's request names in the official simulation, for the report. */
extern const char *const loadReqNames[LOAD_REQ_N];
extern const char *const loadReqLabels[LOAD_REQ_N];

typedef struct load_config {
    char host[64];        /* IPv4 literal */
    uint16_t port;
    const char *payloads; /* pessoas-payloads.tsv, unless procedural; NULL: generated */
    const char *terms;    /* termos-busca.tsv; NULL: generated */
    double scale, time_scale;
    bool procedural;
    uint64_t seed;        /* payloads (procedural), pauses, randomized step */
    bool pool;            /* share keep-alive connections between users */
    uint32_t max_conns;   /* 0: as many as the fd limit allows */
    uint32_t timeout_ms;  /* 60000 in the official simulation */
    int progress;         /* 0 none, 1 refreshing line (\r), 2 a line every 10 s */
    FILE *ids_out;        /* when set, the Location of every 201, one a line */
    FILE *events_out;     /* when set, one line per create (load_events.h) */
} load_config;

typedef struct load_result {
    load_kstats kind[LOAD_REQ_N];
    load_kstats all;
    load_series series;
    uint64_t users[LOAD_SC_N];   /* arrivals per scenario */
    uint64_t created_201;
    int64_t count_after;         /* -1 if /contagem-pessoas did not answer */
    uint64_t perfect_creations;  /* creations the profile sends (loadSchedTotal) */
    int64_t perfect_count;       /* of them valid and first of their apelido; -1 unknown */
    double duration_s;           /* first arrival to last response */
    double planned_s;            /* the profile's length */
    double cpu_s;                /* the load tool's own user+system CPU */
    uint64_t peak_in_flight, peak_conns, conns_opened;
    double max_lateness_ms;      /* worst delay of an arrival behind schedule */
    bool interrupted;            /* stopped by SIGINT/SIGTERM */
} load_result;

/* Runs the whole profile. 0, or -errno if it could not start (files,
 * epoll); a run with KOs still returns 0: the result tells. */
int loadRun(const load_config *cfg, load_result *res);
void loadResultFree(load_result *res);

#endif
