/* bardo-api: one API instance.
 * Usage: bardo-api [--listen ADDR] [--store ADDR] [--name NAME]
 *                  [--idle-ms N] [--request-timeout-ms N]
 * ADDR is "host:port", ":port" or "unix:/path". */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/log.h"

#define USAGE "usage: bardo-api [--listen ADDR] [--store ADDR] [--name NAME]" \
              " [--idle-ms N] [--request-timeout-ms N]\n"

static int parseOpts(int argc, char **argv, api_config *o) {
    static const struct option longs[] = {
        {"listen", required_argument, NULL, 'l'},
        {"store", required_argument, NULL, 's'},
        {"name", required_argument, NULL, 'n'},
        {"idle-ms", required_argument, NULL, 'i'},
        {"request-timeout-ms", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (api_config){.listen = "127.0.0.1:8081", .store = "127.0.0.1:6380", .name = "api",
                      .idle_ms = 60000, .request_timeout_ms = 10000};
    int ch;
    while ((ch = getopt_long(argc, argv, "l:s:n:i:t:h", longs, NULL)) != -1) {
        if (ch == 'l') o->listen = optarg;
        else if (ch == 's') o->store = optarg;
        else if (ch == 'n') o->name = optarg;
        else if (ch == 'i') o->idle_ms = strtoull(optarg, NULL, 10);
        else if (ch == 't') o->request_timeout_ms = strtoull(optarg, NULL, 10);
        else return -1;
    }
    return optind == argc ? 0 : -1;
}

static api the_api; /* large (request scratch): static, not on the stack */

int main(int argc, char **argv) {
    api_config cfg;
    logSetName("bardo-api");
    if (parseOpts(argc, argv, &cfg) < 0) {
        fputs(USAGE, stderr);
        return 2;
    }
    logSetName(cfg.name);
    ev_loop *loop = evCreate();
    int rc = loop ? evHandleSignals(loop) : -1;
    if (rc == 0) rc = apiStart(&the_api, loop, &cfg);
    if (rc < 0) {
        logError("cannot start on %s: %s", cfg.listen, strerror(-rc));
        return 1;
    }
    logInfo("listening on %s, store at %s", cfg.listen, cfg.store);
    rc = evRun(loop);
    logInfo("stopping after %llu requests", (unsigned long long)the_api.requests);
    apiStop(&the_api);
    evDestroy(loop);
    return rc < 0 ? 1 : 0;
}
