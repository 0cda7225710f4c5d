/* bardo-api: one API instance. Its options are the table below (core/opt.h):
 * `bardo-api --help` lists them with their defaults. */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "core/log.h"
#include "probe/probe_env.h"
#include "core/opt.h"
#include "core/tls_opt.h"
#include "store/acl.h"

static api_config cfg;
static const char *credentials, *secret;
static acl creds;
static tls_files tls;

/* BARDO_SITE names the site /status shows (cloud.site). */
#define API_ENV_DOCS \
    {.env = "BARDO_SITE", .help = "the site /status names (cloud.site)"}, PROBE_ENV_DOCS

static const opt OPTS[] = {
    {.name = "listen", .letter = 'l', OPT_STR(&cfg.listen), .def = "127.0.0.1:8081",
     .arg = "ADDR", .help = "where to accept HTTP: host:port, :port or unix:/path"},
    {.name = "store", .letter = 's', OPT_STR(&cfg.store), .def = "127.0.0.1:6380",
     .arg = "ADDR,...", .help = "every store node; requests go to the primary of the highest epoch"},
    {.name = "name", .letter = 'n', OPT_STR(&cfg.name), .def = "api", .arg = "NAME",
     .help = "this instance's name in logs and /status"},
    {.name = "idle-ms", .letter = 'i', OPT_UINT(&cfg.idle_ms), .min = 0, .max = 86400000,
     .def = "60000", .arg = "MS", .help = "close keep-alive connections quiet this long; 0: never"},
    {.name = "request-timeout-ms", .letter = 't', OPT_UINT(&cfg.request_timeout_ms), .min = 1,
     .max = 86400000, .def = "10000", .arg = "MS",
     .help = "a started request must arrive whole within this"},
    TLS_OPTS(&tls),
    {.env = "BARDO_CREDENTIALS_FILE", OPT_STR(&credentials), .arg = "FILE",
     .help = "the stores' credentials file (mode 0600); the api user's line is used"},
    {.env = "BARDO_SECRET", OPT_STR(&secret), .secret = true,
     .help = "without a credentials file: the api user's password"},
    API_ENV_DOCS,
};

static const opt_spec SPEC = {
    .prog = "bardo-api",
    .about = "One API instance of the people registry: HTTP/1.1 in front of the store nodes.",
    .notes = "The API authenticates to every store as the user api (docs/SECURITY.md).",
    .opts = OPTS,
    .n = sizeof OPTS / sizeof OPTS[0],
};

/* The api user's password, from the file or BARDO_SECRET; NULL when it
 * makes sense, else why not. */
static const char *loadCredentials(void) {
    static char why[256];
    if (aclLoad(&creds, credentials, secret, why, sizeof why) < 0) return why;
    cfg.store_password = aclPassword(&creds, ACL_API);
    if (!cfg.store_password) return "the credentials have no password for the user api";
    return NULL;
}

/* The client context for the links to the stores, when all three TLS
 * files are named; NULL when it makes sense, else why not. */
static const char *loadTls(void) {
    static char why[TLS_ERR_MAX + 32];
    int given = tlsFilesGiven(&tls, why, sizeof why);
    if (given <= 0) return given < 0 ? why : NULL;
    return tlsCtxCreate(&cfg.store_tls, &tls, false, why, sizeof why) < 0 ? why : NULL;
}

static api the_api; /* large (request scratch): static, not on the stack */

int main(int argc, char **argv) {
    char why[OPT_ERR_MAX];
    logSetName("bardo-api");
    int rc = optParse(&SPEC, argc, argv, why, sizeof why);
    if (rc == OPT_HELP) return optHelp(&SPEC, stdout) < 0 ? 1 : 0;
    const char *bad = rc < 0 ? why : loadCredentials();
    if (!bad) bad = loadTls();
    if (bad) {
        fprintf(stderr, "%s: %s\n", SPEC.prog, bad);
        return 2;
    }
    logSetName(cfg.name);
    ev_loop *loop = evCreate();
    rc = loop ? evHandleSignals(loop) : -1;
    if (rc == 0) rc = apiStart(&the_api, loop, &cfg);
    if (rc < 0) {
        logError("cannot start on %s: %s", cfg.listen, strerror(-rc));
        return 1;
    }
    logInfo("listening on %s, store at %s", cfg.listen, cfg.store);
    rc = evRun(loop);
    logInfo("stopping after %llu requests", (unsigned long long)the_api.requests);
    apiStop(&the_api);
    aclClear(&creds);
    tlsCtxFree(cfg.store_tls);
    evDestroy(loop);
    return rc < 0 ? 1 : 0;
}
