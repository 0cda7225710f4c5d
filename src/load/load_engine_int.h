/* load_engine_int.h - what the engine's files share (not for other modules).
 *
 * load_engine.c: the loop, schedule, timers and set-up.
 * load_conn.c:   users and connections: requests out, responses in, checks.
 * load_progress.c: the refreshing progress line and the final count read. */
#ifndef BARDO_LOAD_ENGINE_INT_H
#define BARDO_LOAD_ENGINE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "load/load_engine.h"
#include "load/load_events.h"
#include "load/load_feed.h"
#include "load/load_gen.h"
#include "load/load_http.h"
#include "load/load_sched.h"

typedef struct lconn lconn;
typedef struct luser luser;

struct lconn {
    int fd;
    bool connecting;  /* connect() not finished yet */
    bool writable;    /* the last write did not hit EAGAIN */
    bool peer_closed; /* EPOLLRDHUP seen: do not reuse */
    luser *user;      /* the user whose request is on it, if any */
    lconn *next;      /* idle pool or free list */
    char *out;
    uint32_t out_len, out_off, out_cap;
    load_resp resp;
};

struct luser {
    uint8_t sc, req;
    bool flying;
    lconn *conn;
    uint64_t start_us;
    luser *prev, *next; /* in-flight list, or free list */
    char loc[LOAD_LINE_MAX];
    char apelido[LOAD_EV_APELIDO_MAX]; /* --events-out: the create's apelido field */
};

typedef struct ltimer {
    uint64_t due;
    luser *u;
} ltimer;

typedef struct engine {
    const load_config *cfg;
    load_result *res;
    int ep;
    uint64_t t0, now; /* monotonic microseconds */
    load_sched sched[LOAD_SC_N];
    uint64_t next_arrival[LOAD_SC_N];
    bool sched_done[LOAD_SC_N];
    load_feed payloads, terms;
    load_gen gen, rng;
    luser *fly_head, *fly_tail;
    uint64_t in_flight, live, conns, max_conns;
    luser *free_users;
    lconn *free_conns, *idle;
    ltimer *heap;
    size_t heap_n, heap_cap;
    uint64_t next_progress;
    char hostport[80];
    uint32_t addr_be; /* target address and port, network order */
    uint16_t port_be;
    char body[LOAD_GEN_MAX];
    char rbuf[65536];
} engine;

uint64_t leNowUs(void);
size_t leSecond(const engine *e);
void leFlyPush(engine *e, luser *u);
void leFlyUnlink(engine *e, luser *u);
int leHeapPush(engine *e, uint64_t due, luser *u);
luser *leHeapPop(engine *e);

void leUserSpawn(engine *e, load_scenario sc);
void leUserResume(engine *e, luser *u); /* after the pause: GET Location */
void leUserFail(engine *e, luser *u, load_ko_reason why);
/* The same, with the errno behind it (load_events.h's KO kinds). */
void leUserFailErr(engine *e, luser *u, load_ko_reason why, int err);
void leConnEvent(engine *e, lconn *c, uint32_t events);
void leConnClose(engine *e, lconn *c);
void leFreeLists(engine *e);

void leProgress(engine *e, bool last);
int64_t leReadCount(engine *e);

#endif
