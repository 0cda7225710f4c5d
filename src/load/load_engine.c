/* load_engine.c - the open-model event loop. See load_engine.h.
 *
 * Bookkeeping: a user is a virtual user (one arrival); a conn a TCP
 * connection. Users with a request on the wire sit in one list ordered by
 * start time: every request has the same timeout, so the timeouts due are
 * always at its head (no timer per request). Pauses (1..30 ms) sit in a
 * binary heap. Users and conns are recycled through free lists, so the
 * steady state allocates nothing. */
#include "load/load_engine.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/resource.h>

#include "load/load_data.h"
#include "load/load_engine_int.h"
#include "load/load_perfect.h"

const char *const loadReqNames[LOAD_REQ_N] = {"criação", "consulta", "busca válida",
                                              "busca inválida"};
const char *const loadReqLabels[LOAD_REQ_N] = {"POST /pessoas", "GET /pessoas/<id>",
                                               "GET /pessoas?t=<termo>", "GET /pessoas (no t)"};

static volatile sig_atomic_t stop_signal;

static void onSignal(int sig) { stop_signal = sig; }

uint64_t leNowUs(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

size_t leSecond(const engine *e) { return (size_t)((e->now - e->t0) / 1000000u); }

/* --- users in flight (ordered by start) ------------------------------- */
void leFlyPush(engine *e, luser *u) {
    u->next = NULL;
    u->prev = e->fly_tail;
    if (e->fly_tail) e->fly_tail->next = u;
    else e->fly_head = u;
    e->fly_tail = u;
    u->flying = true;
    if (++e->in_flight > e->res->peak_in_flight) e->res->peak_in_flight = e->in_flight;
}

void leFlyUnlink(engine *e, luser *u) {
    if (!u->flying) return;
    if (u->prev) u->prev->next = u->next;
    else e->fly_head = u->next;
    if (u->next) u->next->prev = u->prev;
    else e->fly_tail = u->prev;
    u->prev = u->next = NULL;
    u->flying = false;
    e->in_flight--;
}

/* --- pause timers: a binary min-heap on due time ---------------------- */
int leHeapPush(engine *e, uint64_t due, luser *u) {
    if (e->heap_n == e->heap_cap) {
        size_t cap = e->heap_cap ? e->heap_cap * 2 : 1024;
        ltimer *h = realloc(e->heap, cap * sizeof *h);
        if (!h) return -ENOMEM;
        e->heap = h;
        e->heap_cap = cap;
    }
    size_t i = e->heap_n++;
    while (i > 0 && e->heap[(i - 1) / 2].due > due) {
        e->heap[i] = e->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    e->heap[i] = (ltimer){due, u};
    return 0;
}

luser *leHeapPop(engine *e) {
    luser *top = e->heap[0].u;
    ltimer last = e->heap[--e->heap_n];
    size_t i = 0, n = e->heap_n;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && e->heap[c + 1].due < e->heap[c].due) c++;
        if (e->heap[c].due >= last.due) break;
        e->heap[i] = e->heap[c];
        i = c;
    }
    if (n) e->heap[i] = last;
    return top;
}

/* --- the loop --------------------------------------------------------- */
static void spawnDue(engine *e) {
    for (int sc = 0; sc < LOAD_SC_N; sc++) {
        while (!e->sched_done[sc] && e->next_arrival[sc] <= e->now) {
            double late = (double)(e->now - e->next_arrival[sc]) / 1000.0;
            if (late > e->res->max_lateness_ms) e->res->max_lateness_ms = late;
            leUserSpawn(e, (load_scenario)sc);
            double t;
            if (loadSchedNext(&e->sched[sc], &t)) e->next_arrival[sc] = e->t0 + (uint64_t)(t * 1e6);
            else e->sched_done[sc] = true;
        }
    }
}

static void timersDue(engine *e) {
    while (e->heap_n && e->heap[0].due <= e->now) leUserResume(e, leHeapPop(e));
    uint64_t limit = (uint64_t)e->cfg->timeout_ms * 1000u;
    while (e->fly_head && e->now - e->fly_head->start_us >= limit)
        leUserFailErr(e, e->fly_head, LOAD_KO_TIMEOUT, ETIMEDOUT);
}

static uint64_t nextDue(const engine *e) {
    uint64_t due = e->next_progress;
    for (int sc = 0; sc < LOAD_SC_N; sc++)
        if (!e->sched_done[sc] && e->next_arrival[sc] < due) due = e->next_arrival[sc];
    if (e->heap_n && e->heap[0].due < due) due = e->heap[0].due;
    if (e->fly_head) {
        uint64_t t = e->fly_head->start_us + (uint64_t)e->cfg->timeout_ms * 1000u;
        if (t < due) due = t;
    }
    return due;
}

static bool finished(const engine *e) {
    for (int sc = 0; sc < LOAD_SC_N; sc++)
        if (!e->sched_done[sc]) return false;
    return e->live == 0;
}

static int loopTurn(engine *e) {
    struct epoll_event evs[256];
    uint64_t due = nextDue(e);
    int wait = due <= e->now ? 0 : (int)((due - e->now + 999) / 1000);
    int n = epoll_wait(e->ep, evs, 256, wait);
    if (n < 0 && errno != EINTR) return -errno;
    e->now = leNowUs();
    /* No connection is opened while a batch is handled (arrivals and
     * resumed users come after it), so a conn closed earlier in the batch
     * is not reused yet: its stale events find c->user == NULL. */
    for (int i = 0; i < n; i++) leConnEvent(e, evs[i].data.ptr, evs[i].events);
    spawnDue(e);
    timersDue(e);
    if (e->now >= e->next_progress) leProgress(e, false);
    return 0;
}

static int runLoop(engine *e) {
    e->t0 = e->now = leNowUs();
    e->next_progress = e->t0 + 1000000u;
    if (e->cfg->events_out) loadEventsHeader(e->cfg->events_out, e->t0);
    for (int sc = 0; sc < LOAD_SC_N; sc++) {
        double t;
        e->sched_done[sc] = !loadSchedNext(&e->sched[sc], &t);
        e->next_arrival[sc] = e->t0 + (uint64_t)(t * 1e6);
    }
    while (!finished(e)) {
        if (stop_signal) {
            e->res->interrupted = true;
            break;
        }
        int rc = loopTurn(e);
        if (rc < 0) return rc;
    }
    e->res->duration_s = (double)(leNowUs() - e->t0) / 1e6;
    leProgress(e, true);
    return 0;
}

/* --- set-up and tear-down -------------------------------------------- */
static void raiseFdLimit(engine *e) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    uint64_t fit = rl.rlim_cur > 64 ? rl.rlim_cur - 32 : 32;
    e->max_conns = e->cfg->max_conns && e->cfg->max_conns < fit ? e->cfg->max_conns : fit;
}

static void signals(void) {
    struct sigaction sa = {.sa_handler = onSignal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* A feeder on path, or on the generated set of the seed when path is NULL
 * (terms when encode is set: they are percent-encoded). */
static int openFeed(load_feed *f, const char *path, uint64_t seed, bool encode) {
    if (path) {
        int rc = loadFeedOpen(f, path, encode);
        if (rc < 0) fprintf(stderr, "bardo-load: %s: %s\n", path, strerror(-rc));
        return rc;
    }
    char *text;
    size_t len;
    int rc = loadDataText(encode ? LOAD_DATA_TERM_SET : LOAD_DATA_PAYLOAD_SET, seed, &text, &len);
    if (rc == 0) rc = loadFeedFromBuffer(f, text, len, encode);
    free(text);
    return rc;
}

static int engineInit(engine *e, const load_config *cfg, load_result *res) {
    e->cfg = cfg;
    e->res = res;
    e->ep = -1;
    snprintf(e->hostport, sizeof e->hostport, "%s:%u", cfg->host, cfg->port);
    if (inet_pton(AF_INET, cfg->host, &e->addr_be) != 1) return -EINVAL;
    e->port_be = htons(cfg->port);
    int rc = cfg->procedural ? 0 : openFeed(&e->payloads, cfg->payloads, cfg->seed, false);
    if (rc < 0) return rc;
    rc = openFeed(&e->terms, cfg->terms, cfg->seed, true);
    if (rc < 0) return rc;
    loadGenInit(&e->gen, cfg->seed);
    loadGenInit(&e->rng, cfg->seed ^ 0x5eed);
    for (int sc = 0; sc < LOAD_SC_N; sc++)
        loadSchedInit(&e->sched[sc], &loadOfficialScenarios[sc], cfg->scale, cfg->time_scale,
                      cfg->seed + (uint64_t)sc);
    e->ep = epoll_create1(EPOLL_CLOEXEC);
    if (e->ep < 0) return -errno;
    raiseFdLimit(e);
    signals();
    return 0;
}

static void engineFree(engine *e) {
    while (e->idle) {
        lconn *c = e->idle;
        e->idle = c->next;
        leConnClose(e, c);
    }
    leFreeLists(e);
    free(e->heap);
    loadFeedFree(&e->payloads);
    loadFeedFree(&e->terms);
    if (e->ep >= 0) close(e->ep);
}

static void finalFigures(engine *e, load_result *res) {
    for (int k = 0; k < LOAD_REQ_N; k++) {
        loadHistMerge(&res->all.h, &res->kind[k].h);
        load_kstats *a = &res->all, *b = &res->kind[k];
        a->sent += b->sent, a->ok += b->ok, a->ko += b->ko;
        a->lt800 += b->lt800, a->lt1200 += b->lt1200, a->ge1200 += b->ge1200;
        a->ko_status += b->ko_status, a->ko_timeout += b->ko_timeout, a->ko_conn += b->ko_conn;
    }
    for (int sc = 0; sc < LOAD_SC_N; sc++) {
        res->planned_s = fmax(res->planned_s,
                              loadSchedSeconds(&loadOfficialScenarios[sc], e->cfg->time_scale));
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    res->cpu_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                 (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* The perfect count of the creations the profile sends, in its order. */
static void perfectCount(engine *e, load_result *res) {
    const load_config *c = e->cfg;
    res->perfect_creations = loadSchedTotal(&loadOfficialScenarios[LOAD_SC_CREATE], c->scale,
                                            c->time_scale);
    res->perfect_count = c->procedural ? loadPerfectProcedural(c->seed, res->perfect_creations)
                                       : loadPerfectFeed(&e->payloads, res->perfect_creations);
    if (res->perfect_count < 0) res->perfect_count = -1;
}

int loadRun(const load_config *cfg, load_result *res) {
    *res = (load_result){.count_after = -1, .perfect_count = -1};
    for (int k = 0; k < LOAD_REQ_N; k++) loadHistReset(&res->kind[k].h);
    loadHistReset(&res->all.h);
    engine *e = calloc(1, sizeof *e);
    if (!e) return -ENOMEM;
    int rc = engineInit(e, cfg, res);
    if (rc == 0) rc = runLoop(e);
    if (rc == 0) {
        finalFigures(e, res);
        res->count_after = leReadCount(e);
        perfectCount(e, res);
    }
    engineFree(e);
    free(e);
    return rc;
}

void loadResultFree(load_result *res) { loadSeriesFree(&res->series); }
