/* load_conn.c - virtual users and their connections: each arrival builds
 * its request from the feeders, gets a connection (its own, or an idle one
 * from the pool), writes, reads the response, checks the status as the
 * official simulation does, and either pauses (a 201 to a creation: then
 * GET the Location) or ends. See load_engine.h for the connection model. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "load/load_engine_int.h"

/* --- recycling --------------------------------------------------------- */
static luser *userAlloc(engine *e) {
    luser *u = e->free_users;
    if (u) e->free_users = u->next;
    else u = malloc(sizeof *u);
    if (u) memset(u, 0, offsetof(luser, loc));
    return u;
}

static lconn *connAlloc(engine *e) {
    lconn *c = e->free_conns;
    if (c) {
        e->free_conns = c->next;
        char *out = c->out;
        uint32_t cap = c->out_cap;
        memset(c, 0, sizeof *c);
        c->out = out;
        c->out_cap = cap;
    } else {
        c = calloc(1, sizeof *c);
    }
    return c;
}

void leFreeLists(engine *e) {
    while (e->free_users) {
        luser *u = e->free_users;
        e->free_users = u->next;
        free(u);
    }
    while (e->free_conns) {
        lconn *c = e->free_conns;
        e->free_conns = c->next;
        free(c->out);
        free(c);
    }
}

/* --- connections ------------------------------------------------------- */
static lconn *connOpen(engine *e) {
    if (e->conns >= e->max_conns) {
        errno = EMFILE;
        return NULL;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return NULL;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = e->port_be};
    sa.sin_addr.s_addr = e->addr_be;
    int rc = connect(fd, (struct sockaddr *)&sa, sizeof sa);
    int err = rc == 0 ? 0 : errno;
    lconn *c = (rc == 0 || err == EINPROGRESS) ? connAlloc(e) : NULL;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = c};
    if (!c || epoll_ctl(e->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
        if (c) {
            c->next = e->free_conns;
            e->free_conns = c;
        }
        if (c) err = errno;
        close(fd);
        errno = err;
        return NULL;
    }
    c->fd = fd;
    c->connecting = rc != 0;
    c->writable = rc == 0;
    if (++e->conns > e->res->peak_conns) e->res->peak_conns = e->conns;
    e->res->conns_opened++;
    return c;
}

void leConnClose(engine *e, lconn *c) {
    close(c->fd); /* also leaves the epoll set: the fd was never dup'ed */
    e->conns--;
    c->fd = -1;
    c->user = NULL;
    c->next = e->free_conns;
    e->free_conns = c;
}

/* The connection for u's next request, or NULL (limit reached, refused). */
static lconn *connFor(engine *e, luser *u) {
    lconn *c = u->conn;
    if (c && c->peer_closed) {
        leConnClose(e, c);
        c = NULL;
    }
    while (!c && e->cfg->pool && e->idle) {
        c = e->idle;
        e->idle = c->next;
        if (c->peer_closed) {
            leConnClose(e, c);
            c = NULL;
        }
    }
    if (!c) c = connOpen(e);
    u->conn = c;
    if (c) c->user = u;
    return c;
}

static int connSetRequest(lconn *c, const char *method, const char *path, size_t plen,
                          const char *host, const char *body, size_t blen) {
    size_t need = plen + blen + 256 + strlen(host);
    if (need > c->out_cap) {
        char *out = realloc(c->out, need);
        if (!out) return -ENOMEM;
        c->out = out;
        c->out_cap = (uint32_t)need;
    }
    size_t n = loadReqBuild(c->out, c->out_cap, method, path, plen, host, body, blen);
    c->out_len = (uint32_t)n;
    c->out_off = 0;
    loadRespReset(&c->resp);
    return n ? 0 : -ENOSPC;
}

/* Writes what is pending. 0 (done or EAGAIN) or -1 on error. */
static int connWrite(lconn *c) {
    while (c->out_off < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
        if (n > 0) {
            c->out_off += (uint32_t)n;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            c->writable = false;
            return 0;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else {
            return -1;
        }
    }
    return 0;
}

/* Reads until EAGAIN or the end of the response: 1 complete, 0 needs
 * more, -1 reset, closed before the end, or malformed (*err: errno, 0
 * closed, EPROTO malformed). */
static int connRead(engine *e, lconn *c, int *err) {
    for (;;) {
        ssize_t n = recv(c->fd, e->rbuf, sizeof e->rbuf, 0);
        if (n > 0) {
            size_t used;
            int r = loadRespFeed(&c->resp, e->rbuf, (size_t)n, &used);
            if (r < 0) *err = EPROTO;
            if (r != 0) return r;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return 0;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else {
            *err = n < 0 ? errno : 0;
            return -1;
        }
    }
}

/* --- requests ------------------------------------------------------------ */
static bool statusOk(int kind, int st) {
    switch (kind) {
    case LOAD_REQ_CREATE: return st == 201 || st == 422 || st == 400;
    case LOAD_REQ_GET: return st == 200;
    case LOAD_REQ_SEARCH: return st >= 200 && st < 300;
    default: return st == 400;
    }
}

static void record(engine *e, luser *u, bool ok, load_ko_reason why) {
    uint64_t us = e->now > u->start_us ? e->now - u->start_us : 0;
    load_kstats *k = &e->res->kind[u->req];
    if (ok) loadKstatsOk(k, us);
    else loadKstatsKo(k, us, why);
    size_t sec = leSecond(e);
    load_second *s = loadSeriesAt(&e->res->series, sec);
    if (s && ok) s->ok++;
    else if (s) s->ko++;
    loadSeriesTime(&e->res->series, sec, us);
}

static void userEnd(engine *e, luser *u) {
    if (u->conn) leConnClose(e, u->conn);
    e->live--;
    u->next = e->free_users;
    e->free_users = u;
}

/* --events-out: the create u just ended (status > 0, or ko). */
static void createEvent(engine *e, const luser *u, int status, const char *ko, const char *loc) {
    if (!e->cfg->events_out || u->req != LOAD_REQ_CREATE) return;
    loadEventsLine(e->cfg->events_out, e->t0, u->start_us, e->now, status, ko, loc, u->apelido);
}

void leUserFail(engine *e, luser *u, load_ko_reason why) {
    leUserFailErr(e, u, why, why == LOAD_KO_TIMEOUT ? ETIMEDOUT : 0);
}

void leUserFailErr(engine *e, luser *u, load_ko_reason why, int err) {
    createEvent(e, u, 0, loadEventsKoKind(err), NULL);
    record(e, u, false, why);
    leFlyUnlink(e, u);
    userEnd(e, u);
}

static void reqStart(engine *e, luser *u, int kind, const char *path, size_t plen,
                     const char *body, size_t blen) {
    u->req = (uint8_t)kind;
    u->start_us = e->now = leNowUs();
    leFlyPush(e, u);
    e->res->kind[kind].sent++;
    load_second *s = loadSeriesAt(&e->res->series, leSecond(e));
    if (s) s->sent++;
    lconn *c = connFor(e, u);
    const char *method = body ? "POST" : "GET";
    int err = c ? ENOSPC : errno;
    if (!c || connSetRequest(c, method, path, plen, e->hostport, body, blen) < 0) {
        leUserFailErr(e, u, LOAD_KO_CONN, err);
        return;
    }
    if (!c->connecting && c->writable && connWrite(c) < 0) leUserFailErr(e, u, LOAD_KO_CONN, errno);
}

/* Keeps the path of a Location (which may be an absolute URL). */
static void saveLocation(luser *u, const char *loc) {
    if (strncmp(loc, "http://", 7) == 0) {
        const char *slash = strchr(loc + 7, '/');
        loc = slash ? slash : "/";
    }
    size_t n = strlen(loc);
    memcpy(u->loc, loc, n + 1);
}

static void reqDone(engine *e, luser *u) {
    lconn *c = u->conn;
    int st = c->resp.status;
    record(e, u, statusOk(u->req, st), LOAD_KO_STATUS);
    leFlyUnlink(e, u);
    bool follow = u->req == LOAD_REQ_CREATE && st == 201 && c->resp.location[0];
    if (u->req == LOAD_REQ_CREATE && st == 201) e->res->created_201++;
    if (follow && e->cfg->ids_out) fprintf(e->cfg->ids_out, "%s\n", c->resp.location);
    createEvent(e, u, st, NULL, c->resp.location);
    if (follow) saveLocation(u, c->resp.location);
    if (c->resp.close || c->peer_closed) {
        leConnClose(e, c);
        u->conn = NULL;
    } else if (e->cfg->pool) {
        c->user = NULL;
        c->next = e->idle;
        e->idle = c;
        u->conn = NULL;
    }
    if (!follow) {
        userEnd(e, u);
        return;
    }
    uint64_t pause_ms = 1 + loadGenBelow(&e->rng, 30); /* pause(1 ms, 30 ms) */
    if (leHeapPush(e, e->now + pause_ms * 1000u, u) < 0) userEnd(e, u);
}

void leUserResume(engine *e, luser *u) {
    reqStart(e, u, LOAD_REQ_GET, u->loc, strlen(u->loc), NULL, 0);
}

static void firstRequest(engine *e, luser *u) {
    if (u->sc == LOAD_SC_CREATE) {
        size_t n;
        const char *body;
        if (e->cfg->procedural) {
            n = loadGenPayload(&e->gen, e->body);
            body = e->body;
        } else {
            body = loadFeedNext(&e->payloads, &n);
        }
        if (e->cfg->events_out) loadEventsApelido(body, n, u->apelido, sizeof u->apelido);
        reqStart(e, u, LOAD_REQ_CREATE, "/pessoas", 8, body, n);
    } else if (u->sc == LOAD_SC_SEARCH) {
        char path[1024];
        size_t n;
        const char *t = loadFeedNext(&e->terms, &n);
        if (n > sizeof path - 12) n = sizeof path - 12;
        memcpy(path, "/pessoas?t=", 11);
        memcpy(path + 11, t, n);
        reqStart(e, u, LOAD_REQ_SEARCH, path, n + 11, NULL, 0);
    } else {
        reqStart(e, u, LOAD_REQ_BAD_SEARCH, "/pessoas", 8, NULL, 0);
    }
}

void leUserSpawn(engine *e, load_scenario sc) {
    luser *u = userAlloc(e);
    if (!u) return;
    u->sc = (uint8_t)sc;
    e->live++;
    e->res->users[sc]++;
    load_second *s = loadSeriesAt(&e->res->series, leSecond(e));
    if (s) {
        s->arrivals++;
        if (e->live > s->active) s->active = (uint32_t)e->live;
    }
    firstRequest(e, u);
}

/* Why a connect failed (SO_ERROR): ECONNREFUSED, usually. */
static int connError(const lconn *c) {
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
    return err ? err : ECONNREFUSED;
}

void leConnEvent(engine *e, lconn *c, uint32_t ev) {
    e->now = leNowUs();
    if (ev & EPOLLRDHUP) c->peer_closed = true;
    luser *u = c->user;
    if (!u || !u->flying) { /* idle: anything but silence means it is unusable */
        if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP)) c->peer_closed = true;
        return;
    }
    if (c->connecting && (ev & (EPOLLERR | EPOLLHUP))) {
        leUserFailErr(e, u, LOAD_KO_CONN, connError(c)); /* refused */
        return;
    }
    if (ev & EPOLLOUT) c->connecting = false, c->writable = true;
    if (c->connecting) return;
    if (c->out_off < c->out_len && c->writable && connWrite(c) < 0) {
        leUserFailErr(e, u, LOAD_KO_CONN, errno);
        return;
    }
    if (!(ev & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP))) return;
    int err = 0, r = connRead(e, c, &err);
    if (r > 0) reqDone(e, u);
    else if (r < 0) leUserFailErr(e, u, LOAD_KO_CONN, err);
}
