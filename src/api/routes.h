/* routes.h - which request is which, and what each one does.
 *
 * SPEC §1's endpoints under /pessoas and their alias /bards, and the
 * self-knowledge ones (/health, /status, /metrics: see src/probe; / and
 * /dashboard: the page that polls those two, api/dashboard.h). Handlers
 * either answer at once (validation errors, malformed ids) or ask the
 * store and finish in routeOnStoreReply(). */
#ifndef BARDO_ROUTES_H
#define BARDO_ROUTES_H

#include "api/api.h"

typedef enum route_kind {
    ROUTE_NOT_FOUND, ROUTE_CREATE, ROUTE_GET, ROUTE_SEARCH, ROUTE_COUNT, ROUTE_HEALTH,
    ROUTE_STATUS, ROUTE_METRICS, ROUTE_DASHBOARD,
    ROUTE_KINDS
} route_kind;

/* Each kind's name in /metrics, then "invalid" (at ROUTE_KINDS: requests
 * that failed before routing: malformed, too large, chunked). */
extern const char *const ROUTE_NAMES[ROUTE_KINDS + 1];

typedef struct route {
    route_kind kind;
    api_resource resource;
    slice id;              /* for ROUTE_GET */
    const char *allow;     /* set when the path exists but not for this method */
    bool head;             /* HEAD of a route that has it (the dashboard) */
} route;

/* Resolves method + path. */
route routeMatch(const http_request *req);
/* Runs the route for a complete request (body included). */
void routeHandle(server_conn *c, const route *r, const http_request *req, slice body);
/* Finishes a request that waited for the store; reply NULL: store unreachable. */
void routeOnStoreReply(server_conn *c, const resp_reply *reply);

#endif
