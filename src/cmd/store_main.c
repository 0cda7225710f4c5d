/* bardo-store: one store node (primary or replica) holding every person
 * in memory. Its options are the table below (core/opt.h; `bardo-store
 * --help`); src/repl/repl.h explains replication and README.md what
 * survives what. */
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "probe/probe_env.h"
#include "core/opt.h"
#include "core/tls_opt.h"
#include "store/journal.h"
#include "store/store_server.h"

#define K_UNSET UINT32_MAX /* --min-replicas not given: a majority */

/* What the table fills; main() turns role, backlog_mb and resync_mbps into cfg. */
typedef struct store_args {
    store_config cfg;
    unsigned role;       /* index into ROLES */
    unsigned backlog_mb;
    unsigned resync_mbps;
    const char *credentials, *secret;
    acl acl;
    tls_files tls;       /* all three: TLS on TCP (core/tls_opt.h) */
} store_args;

static store_args A = {.cfg.repl.min_replicas = K_UNSET, .cfg.max_memory_mb = MEMLIMIT_AUTO};
static const char *const ROLES[] = {"primary", "replica", NULL};

/* BARDO_SITE is --site's; the probes' variables: src/probe/probe_env.h. */

static const opt OPTS[] = {
    {.name = "listen", OPT_STR(&A.cfg.listen), .def = "127.0.0.1:6380", .arg = "ADDR",
     .help = "where to accept RESP: host:port, :port or unix:/path"},
    {.name = "name", OPT_STR(&A.cfg.repl.name), .def = "store", .arg = "NAME",
     .help = "this node's name in logs, ROLE and INFO"},
    {.name = "site", OPT_STR(&A.cfg.repl.site), .def = "local", .env = "BARDO_SITE",
     .arg = "SITE", .help = "the site this node runs in; only replicas in other sites count for K"},
    {.name = "role", OPT_ONE_OF(&A.role, ROLES), .def = "primary",
     .help = "start as the primary or as a replica"},
    {.name = "peers", OPT_STR(&A.cfg.repl.peers), .arg = "ADDR,...",
     .help = "every store node's address, this one's included (default: none)"},
    {.name = "min-replicas", OPT_UINT(&A.cfg.repl.min_replicas), .min = 0,
     .max = REPL_MAX_PEERS - 1, .env = "BARDO_MIN_REPLICAS", .arg = "K",
     .help = "replicas in other sites that hold a write before it is acknowledged; default: a "
             "majority of the --peers with this one (nodes/2); less is refused; 0: asynchronous, "
             "unsafe"},
    {.name = "write-timeout-ms", OPT_UINT(&A.cfg.repl.write_timeout_ms), .min = 1,
     .max = 86400000, .def = "2000", .arg = "MS",
     .help = "a write not held by K replicas within this fails"},
    {.name = "resync-mbps", OPT_UINT(&A.resync_mbps), .min = 0, .max = 100000, .def = "0",
     .arg = "MB/S", .help = "most MB per second a full resync sends one replica (0: no cap)"},
    {.name = "epoch", OPT_UINT(&A.cfg.repl.epoch), .min = 1, .max = INT64_MAX, .def = "1",
     .arg = "E", .help = "the epoch a primary starts in (a higher one is learnt from peers)"},
    {.name = "expected", OPT_UINT(&A.cfg.expected_people), .min = 0, .max = UINT32_MAX / 2,
     .def = "1048576", .arg = "N", .help = "people to size the indexes for at start"},
    {.name = "backlog-mb", OPT_UINT(&A.backlog_mb), .min = 1, .max = 65536,
     .def = "64", .arg = "MB", .help = "journal kept in memory for replicas that fall behind"},
    {.name = "max-memory-mb", OPT_UINT(&A.cfg.max_memory_mb), .min = 0, .max = 1 << 24,
     .arg = "MB", .help = "refuse new people (-NOMEM; reads go on) once the resident set reaches "
                          "this; 0: never; default: 90% of the cgroup's memory limit, if any"},
    {.name = "data-dir", OPT_STR(&A.cfg.data_dir), .arg = "DIR",
     .help = "keep snapshots and a synced journal here (default: memory only)"},
    {.env = "BARDO_CREDENTIALS_FILE", OPT_STR(&A.credentials), .arg = "FILE",
     .help = "the users' passwords, lines `api|replica|admin PASSWORD`, mode 0600 (docs/SECURITY.md)"},
    {.env = "BARDO_SECRET", OPT_STR(&A.secret), .secret = true,
     .help = "without a credentials file: the one password of all three users"},
    TLS_OPTS(&A.tls),
    PROBE_ENV_DOCS,
};

static const opt_spec SPEC = {
    .prog = "bardo-store",
    .about = "One store node, primary or replica, holding every person in memory.",
    .notes = "Every command needs AUTH <user> <password>: the store refuses to start without\n"
             "credentials. Replication (--min-replicas above 0, or --role replica) needs the\n"
             "replica user and --peers; a lone store runs with --min-replicas 0.",
    .opts = OPTS,
    .n = sizeof OPTS / sizeof OPTS[0],
};

/* The TLS contexts when all three files are named: one to accept (the
 * listener, if TCP), one to connect (upstream and ROLE polls). NULL when it
 * makes sense, else why not. */
static const char *loadTls(store_args *a) {
    static char why[TLS_ERR_MAX + 32];
    int given = tlsFilesGiven(&a->tls, why, sizeof why);
    if (given <= 0) return given < 0 ? why : NULL;
    if (tlsCtxCreate(&a->cfg.tls_server, &a->tls, true, why, sizeof why) < 0) return why;
    return tlsCtxCreate(&a->cfg.tls_client, &a->tls, false, why, sizeof why) < 0 ? why : NULL;
}

/* The store nodes --peers names (this one included). */
static unsigned countNodes(const char *peers) {
    unsigned n = peers && *peers ? 1 : 0;
    for (const char *p = peers; p && *p; p++) n += *p == ',';
    return n;
}

/* K: a majority of the nodes holds every acknowledged write (repl.h). */
static const char *checkK(repl_config *r) {
    static char why[200];
    unsigned nodes = countNodes(r->peers), majority = nodes / 2;
    if (r->min_replicas == K_UNSET) r->min_replicas = majority;
    if (r->min_replicas == 0 || nodes == 0) return NULL;
    if (r->min_replicas >= nodes) {
        snprintf(why, sizeof why, "--min-replicas %u: only %u other node(s) in --peers",
                 r->min_replicas, nodes - 1);
        return why;
    }
    if (r->min_replicas >= majority) return NULL;
    snprintf(why, sizeof why,
             "--min-replicas %u is below a majority of the %u nodes (%u): a failover could lose "
             "acknowledged writes; give %u or more, or 0 for the unsafe asynchronous mode",
             r->min_replicas, nodes, majority, majority);
    return why;
}

/* Checks the combination and completes the config; NULL when it makes
 * sense, else why not. */
static const char *checkArgs(store_args *a) {
    static char why[256];
    repl_config *r = &a->cfg.repl;
    r->role = a->role == 0 ? REPL_PRIMARY : REPL_REPLICA;
    a->cfg.backlog_bytes = (size_t)a->backlog_mb << 20;
    r->resync_bytes_per_s = (uint64_t)a->resync_mbps << 20;
    if (aclLoad(&a->acl, a->credentials, a->secret, why, sizeof why) < 0) return why;
    a->cfg.acl = &a->acl;
    const char *bad_k = checkK(r);
    if (bad_k) return bad_k;
    if ((r->min_replicas > 0 || r->role == REPL_REPLICA) &&
        (!aclPassword(&a->acl, ACL_REPLICA) || !r->peers))
        return "replication needs the replica user's password and --peers (or --min-replicas 0 "
               "for a lone store)";
    return loadTls(a);
}

static int run(store_args *a) {
    logSetName(a->cfg.repl.name);
    ev_loop *loop = evCreate();
    static store st; /* large: not on the stack */
    int rc = loop ? evHandleSignals(loop) : -1;
    if (rc == 0) rc = storeStart(&st, loop, &a->cfg);
    if (rc < 0) {
        logError("cannot start on %s: %s", a->cfg.listen, strerror(-rc));
        return 1;
    }
    logInfo("listening on %s as %s of site %s (K=%u, memory limit %llu MB)", a->cfg.listen,
            ROLES[a->role], a->cfg.repl.site, a->cfg.repl.min_replicas,
            (unsigned long long)(st.mem.limit_bytes >> 20));
    if (a->cfg.repl.min_replicas == 0 && countNodes(a->cfg.repl.peers) > 1)
        logError("UNSAFE: --min-replicas 0: writes are acknowledged before any replica holds "
                 "them; a failover can lose them");
    rc = evRun(loop);
    logInfo("stopping with %zu people at seq %llu", peopleCount(st.db),
            (unsigned long long)journalLastSeq(st.journal));
    storeStop(&st);
    aclClear(&a->acl);
    tlsCtxFree(a->cfg.tls_server);
    tlsCtxFree(a->cfg.tls_client);
    evDestroy(loop);
    return rc < 0 ? 1 : 0;
}

int main(int argc, char **argv) {
    char why[OPT_ERR_MAX];
    logSetName("bardo-store");
    int rc = optParse(&SPEC, argc, argv, why, sizeof why);
    if (rc == OPT_HELP) return optHelp(&SPEC, stdout) < 0 ? 1 : 0;
    const char *bad = rc < 0 ? why : checkArgs(&A);
    if (bad) {
        fprintf(stderr, "%s: %s\n", SPEC.prog, bad);
        return 2;
    }
    return run(&A);
}
