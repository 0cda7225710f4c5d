/* bardo-store: one store node (primary or replica) holding every person
 * in memory. See USAGE below, src/store/repl.h for replication and
 * README.md for what survives what. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/store_server.h"

#define USAGE                                                                          \
    "usage: bardo-store [--listen ADDR] [--name NAME] [--site SITE]\n"                 \
    "                   [--role primary|replica] [--peers ADDR,ADDR,...]\n"            \
    "                   [--min-replicas K] [--write-timeout-ms N] [--epoch E]\n"       \
    "                   [--expected N] [--backlog-mb N] [--data-dir DIR]\n"            \
    "ADDR is host:port, :port or unix:/path. The replication secret comes from\n"    \
    "the environment variable BARDO_SECRET. K (default 1) replicas in other sites\n" \
    "must hold a write before it is acknowledged; --min-replicas 0 is asynchronous.\n"

typedef struct store_args {
    store_config cfg;
    const char *role;
} store_args;

static const struct option LONGS[] = {
    {"listen", required_argument, NULL, 'l'},   {"name", required_argument, NULL, 'n'},
    {"site", required_argument, NULL, 's'},     {"role", required_argument, NULL, 'r'},
    {"peers", required_argument, NULL, 'p'},    {"min-replicas", required_argument, NULL, 'k'},
    {"write-timeout-ms", required_argument, NULL, 't'}, {"epoch", required_argument, NULL, 'E'},
    {"expected", required_argument, NULL, 'e'}, {"backlog-mb", required_argument, NULL, 'b'},
    {"data-dir", required_argument, NULL, 'd'}, {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static bool setOpt(store_args *a, int ch, const char *v) {
    store_config *c = &a->cfg;
    switch (ch) {
    case 'l': c->listen = v; break;
    case 'n': c->repl.name = v; break;
    case 's': c->repl.site = v; break;
    case 'r': a->role = v; break;
    case 'p': c->repl.peers = v; break;
    case 'k': c->repl.min_replicas = (unsigned)strtoul(v, NULL, 10); break;
    case 't': c->repl.write_timeout_ms = strtoull(v, NULL, 10); break;
    case 'E': c->repl.epoch = strtoull(v, NULL, 10); break;
    case 'e': c->expected_people = strtoul(v, NULL, 10); break;
    case 'b': c->backlog_bytes = strtoul(v, NULL, 10) << 20; break;
    case 'd': c->data_dir = v; break;
    default: return false;
    }
    return true;
}

/* Checks the combination; NULL when it makes sense, else why not. */
static const char *checkArgs(store_args *a) {
    repl_config *r = &a->cfg.repl;
    if (strcmp(a->role, "primary") == 0) r->role = REPL_PRIMARY;
    else if (strcmp(a->role, "replica") == 0) r->role = REPL_REPLICA;
    else return "--role must be primary or replica";
    r->secret = getenv("BARDO_SECRET");
    if (r->secret && (!*r->secret || strpbrk(r->secret, " \t\r\n"))) return "BARDO_SECRET must be one word";
    if ((r->min_replicas > 0 || r->role == REPL_REPLICA) && (!r->secret || !r->peers))
        return "replication needs BARDO_SECRET and --peers (or --min-replicas 0 for a lone store)";
    return NULL;
}

static int parseArgs(int argc, char **argv, store_args *a) {
    *a = (store_args){.role = "primary",
                      .cfg = {.listen = "127.0.0.1:6380", .expected_people = 1 << 20,
                              .repl = {.name = "store", .site = "local", .min_replicas = 1,
                                       .write_timeout_ms = 2000}}};
    int ch;
    while ((ch = getopt_long(argc, argv, "h", LONGS, NULL)) != -1)
        if (!setOpt(a, ch, optarg)) return -1;
    if (optind != argc) return -1;
    const char *why = checkArgs(a);
    if (why) fprintf(stderr, "bardo-store: %s\n", why);
    return why ? -1 : 0;
}

int main(int argc, char **argv) {
    store_args a;
    logSetName("bardo-store");
    if (parseArgs(argc, argv, &a) < 0) {
        fputs(USAGE, stderr);
        return 2;
    }
    logSetName(a.cfg.repl.name);
    ev_loop *loop = evCreate();
    static store st; /* large: not on the stack */
    int rc = loop ? evHandleSignals(loop) : -1;
    if (rc == 0) rc = storeStart(&st, loop, &a.cfg);
    if (rc < 0) {
        logError("cannot start on %s: %s", a.cfg.listen, strerror(-rc));
        return 1;
    }
    logInfo("listening on %s as %s of site %s (K=%u)", a.cfg.listen, a.role, a.cfg.repl.site,
            a.cfg.repl.min_replicas);
    rc = evRun(loop);
    logInfo("stopping with %zu people at seq %llu", peopleCount(st.db),
            (unsigned long long)journalLastSeq(st.journal));
    storeStop(&st);
    evDestroy(loop);
    return rc < 0 ? 1 : 0;
}
