/* status.h - the /status document (JSON) and the store's INFO section.
 *
 * One writer for every server: the program (from status_app), the host
 * snapshot (probe_host) and, for an API, the cluster as it sees it. Names
 * follow existing conventions: OpenTelemetry's cloud.* keys, fastfetch's
 * hardware names ("cpu", "cores", "packages"), node_exporter's units in
 * key suffixes (_celsius, _hertz, _watts, _joules, _bytes, _seconds). Every
 * key is always present; unknown values are null. Power and GFLOPS figures
 * say whether they are "measured" or "nominal". */
#ifndef BARDO_PROBE_STATUS_H
#define BARDO_PROBE_STATUS_H

#include "core/buf.h"
#include "probe/host.h"

/* A store node as an API sees it (role, epoch, journal_offset = its last
 * seq, site and name from its ROLE answers; people from the primary's
 * INFO; lag = the primary's last seq minus this node's). */
typedef struct status_store {
    const char *address;
    bool reachable;
    char role[16], site[64], name[32];  /* "" unknown */
    double people;            /* PROBE_NULL unknown */
    double epoch, journal_offset, lag;
} status_store;

typedef struct status_app {
    const char *program;      /* "bardo-api" */
    const char *role;         /* "api", "store" */
    const char *instance;     /* --name */
    uint64_t started_ms, now_ms;  /* monotonic */
    uint64_t requests;
    const status_store *stores;   /* NULL: no cluster section (null) */
    size_t nstores;
    const char *primary;          /* address of the store followed; NULL: none */
    uint64_t failovers;           /* times the followed primary changed */
} status_app;

/* Appends the whole /status document. 0 or -errno. */
int statusWriteJson(buf *b, const status_app *app, const probe_host *h);
/* The store's INFO: "# bardo store" key:value lines (people, role, site,
 * uptime...) are the caller's; this appends the "# status" section, one
 * line holding the /status document of the store process. */
int statusWriteInfo(buf *b, const status_app *app, const probe_host *h);
/* Reads the fields an API shows from a store's INFO text (people, role,
 * site, epoch, journal_offset, lag: key:value lines). Fields absent from
 * the text become unknown. */
void statusParseStoreInfo(status_store *s, slice info);
/* A store node of unknown state at address. */
status_store statusStoreUnknown(const char *address);

#endif
