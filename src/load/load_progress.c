/* load_progress.c - the progress line while the load runs, and the read
 * of /contagem-pessoas once it is over. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "load/load_engine_int.h"

static void totals(const load_result *r, load_hist *all, uint64_t *ok, uint64_t *ko) {
    loadHistReset(all);
    *ok = *ko = 0;
    for (int k = 0; k < LOAD_REQ_N; k++) {
        loadHistMerge(all, &r->kind[k].h);
        *ok += r->kind[k].ok;
        *ko += r->kind[k].ko;
    }
}

/* One line: elapsed, arrivals in the last second, in flight, OK, KO, p99.
 * On a terminal it refreshes in place every second; in a log, one line
 * every 10 s. */
void leProgress(engine *e, bool last) {
    e->next_progress += 1000000u;
    if (e->next_progress < e->now) e->next_progress = e->now + 1000000u;
    int mode = e->cfg->progress;
    size_t sec = leSecond(e);
    if (mode == 0 || (mode == 2 && !last && sec % 10 != 0)) return;
    static load_hist all; /* 8 KB: not on the stack */
    uint64_t ok, ko;
    totals(e->res, &all, &ok, &ko);
    const load_series *s = &e->res->series;
    uint32_t rate = sec >= 1 && sec - 1 < s->n ? s->s[sec - 1].arrivals : 0;
    double el = (double)(e->now - e->t0) / 1e6;
    fprintf(stderr, "%s[%6.1fs/%.0fs] arrivals %5u/s  in flight %5llu  conns %5llu  OK %8llu"
            "  KO %6llu  p99 %8.2f ms%s", mode == 1 ? "\r" : "", el,
            loadSchedSeconds(&loadOfficialScenarios[0], e->cfg->time_scale), rate,
            (unsigned long long)e->in_flight, (unsigned long long)e->conns,
            (unsigned long long)ok, (unsigned long long)ko,
            (double)loadHistPct(&all, 99) / 1000.0, mode == 2 || last ? "\n" : "");
    fflush(stderr);
}

static int blockingConnect(const engine *e) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    struct timeval tv = {.tv_sec = 10};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = e->port_be};
    sa.sin_addr.s_addr = e->addr_be;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        int err = -errno;
        close(fd);
        return err;
    }
    return fd;
}

/* GET /contagem-pessoas on a fresh connection: the count, or -1. */
int64_t leReadCount(engine *e) {
    int fd = blockingConnect(e);
    if (fd < 0) return -1;
    char req[256];
    size_t n = loadReqBuild(req, sizeof req, "GET", "/contagem-pessoas", 17, e->hostport, NULL, 0);
    load_resp r;
    loadRespReset(&r);
    int done = 0;
    if (send(fd, req, n, MSG_NOSIGNAL) == (ssize_t)n) {
        ssize_t got;
        while (done == 0 && (got = recv(fd, e->rbuf, sizeof e->rbuf, 0)) > 0) {
            size_t used;
            done = loadRespFeed(&r, e->rbuf, (size_t)got, &used);
        }
    }
    close(fd);
    if (done != 1 || r.status < 200 || r.status > 299) return -1;
    char *end;
    long long v = strtoll(r.body, &end, 10);
    return end == r.body ? -1 : v;
}
