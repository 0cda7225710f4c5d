/* bardo-store: the process that holds every person in memory.
 * Usage: bardo-store [--listen ADDR] [--expected N]
 * ADDR is "host:port", ":port" or "unix:/path" (default 127.0.0.1:6380). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/store_server.h"

typedef struct store_opts {
    const char *listen;
    size_t expected;
} store_opts;

static int parseOpts(int argc, char **argv, store_opts *o) {
    static const struct option longs[] = {
        {"listen", required_argument, NULL, 'l'},
        {"expected", required_argument, NULL, 'e'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (store_opts){.listen = "127.0.0.1:6380", .expected = 1 << 20};
    int ch;
    while ((ch = getopt_long(argc, argv, "l:e:h", longs, NULL)) != -1) {
        if (ch == 'l') o->listen = optarg;
        else if (ch == 'e') o->expected = strtoul(optarg, NULL, 10);
        else return -1;
    }
    return optind == argc ? 0 : -1;
}

int main(int argc, char **argv) {
    store_opts o;
    logSetName("bardo-store");
    if (parseOpts(argc, argv, &o) < 0) {
        fprintf(stderr, "usage: bardo-store [--listen ADDR] [--expected N]\n");
        return 2;
    }
    ev_loop *loop = evCreate();
    store st;
    int rc = loop ? evHandleSignals(loop) : -1;
    if (rc == 0) rc = storeStart(&st, loop, o.listen, o.expected);
    if (rc < 0) {
        logError("cannot listen on %s: %s", o.listen, strerror(-rc));
        return 1;
    }
    logInfo("listening on %s", o.listen);
    rc = evRun(loop);
    logInfo("stopping with %zu people", peopleCount(st.db));
    storeStop(&st);
    evDestroy(loop);
    return rc < 0 ? 1 : 0;
}
