/* routes.c - SPEC §1's endpoints: match, validate, ask the store, answer. */
#include "api/routes.h"

#include <stdio.h>
#include <uuid/uuid.h>

#include "api/dashboard.h"
#include "core/utf8.h"
#include "http/url.h"

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)
#define SEARCH_LIMIT STRINGIFY(PERSON_SEARCH_MAX) /* "50" */
/* The store answers a search with one bulk holding the JSON array; the
 * store client must take the largest one whole, or it would take the reply
 * for a broken peer and reset the link every such search crosses (issue
 * 11). The bound follows from the body limit (person.h), and the store
 * refuses a PADD whose JSON is longer than PERSON_JSON_MAX, so it holds for
 * whatever the store keeps. */
_Static_assert(PERSON_SEARCH_JSON_MAX <= RESP_MAX_REPLY_BULK,
               "a search of PERSON_SEARCH_MAX of the largest people must fit a reply bulk");
#define CT_PROMETHEUS "text/plain; version=0.0.4; charset=utf-8"
#define CT_HTML "text/html; charset=utf-8"
/* The page changes only with the binary: a browser may keep it a minute. */
#define DASHBOARD_HEADERS "Cache-Control: public, max-age=60\r\nX-Content-Type-Options: nosniff\r\n"

const char *const ROUTE_NAMES[ROUTE_KINDS + 1] = {
    [ROUTE_NOT_FOUND] = "not_found", [ROUTE_CREATE] = "create",  [ROUTE_GET] = "get",
    [ROUTE_SEARCH] = "search",       [ROUTE_COUNT] = "count",    [ROUTE_HEALTH] = "health",
    [ROUTE_STATUS] = "status",       [ROUTE_METRICS] = "metrics", [ROUTE_DASHBOARD] = "dashboard",
    [ROUTE_KINDS] = "invalid",
};

typedef struct resource_name {
    const char *path;       /* "/pessoas" */
    const char *count_path; /* "/contagem-pessoas" */
} resource_name;

static const resource_name RESOURCES[] = {
    [API_RES_PESSOAS] = {"/pessoas", "/contagem-pessoas"},
    [API_RES_BARDS] = {"/bards", "/contagem-bards"},
};

static bool pathHasPrefix(slice path, const char *prefix, slice *rest) {
    size_t n = strlen(prefix);
    if (path.len < n || memcmp(path.ptr, prefix, n) != 0) return false;
    *rest = sliceMake(path.ptr + n, path.len - n);
    return true;
}

/* The route a path names, whatever the method. */
static route routeOfPath(slice path) {
    route r = {.kind = ROUTE_NOT_FOUND};
    slice rest;
    if (sliceEqStr(path, "/health")) r.kind = ROUTE_HEALTH;
    else if (sliceEqStr(path, "/status")) r.kind = ROUTE_STATUS;
    else if (sliceEqStr(path, "/metrics")) r.kind = ROUTE_METRICS;
    else if (sliceEqStr(path, "/") || sliceEqStr(path, "/dashboard")) r.kind = ROUTE_DASHBOARD;
    for (size_t i = 0; i < 2 && r.kind == ROUTE_NOT_FOUND; i++) {
        r.resource = (api_resource)i;
        if (sliceEqStr(path, RESOURCES[i].count_path)) r.kind = ROUTE_COUNT;
        else if (sliceEqStr(path, RESOURCES[i].path)) r.kind = ROUTE_SEARCH;
        else if (pathHasPrefix(path, RESOURCES[i].path, &rest) && rest.len > 1 &&
                 rest.ptr[0] == '/' && !memchr(rest.ptr + 1, '/', rest.len - 1)) {
            r.kind = ROUTE_GET;
            r.id = sliceMake(rest.ptr + 1, rest.len - 1);
        }
    }
    return r;
}

route routeMatch(const http_request *req) {
    route r = routeOfPath(req->path);
    bool is_get = req->method == HTTP_GET;
    if (r.kind == ROUTE_SEARCH && req->method == HTTP_POST) r.kind = ROUTE_CREATE;
    else if (r.kind == ROUTE_SEARCH && !is_get) r.allow = "GET, POST";
    else if (r.kind == ROUTE_DASHBOARD && req->method == HTTP_HEAD) r.head = true;
    else if (r.kind == ROUTE_DASHBOARD && !is_get) r.allow = "GET, HEAD";
    else if (r.kind != ROUTE_NOT_FOUND && !is_get) r.allow = "GET";
    return r;
}

static void routeCreate(server_conn *c, const route *r, slice body) {
    api *a = c->srv->ctx;
    api_conn *ac = c->user;
    int status = personParse(&a->person, body.ptr, body.len, a->scratch, sizeof(a->scratch));
    if (status != 0) {
        bufReset(&a->body);
        personWriteErrors(&a->person, &a->body);
        apiRespond(c, status, HTTP_CT_JSON, sliceMake(a->body.data, a->body.len), (slice){0});
        return;
    }
    uuid_t uu;
    char id[37];
    uuid_generate_random(uu);
    uuid_unparse_lower(uu, id);
    memcpy(ac->id, id, sizeof(ac->id));
    ac->resource = (uint8_t)r->resource;
    bufReset(&a->json);
    bufReset(&a->key);
    if (personWriteJson(&a->person, sliceMake(id, 36), &a->json) < 0 ||
        personWriteSearchKey(&a->person, &a->key) < 0) {
        apiRespondError(c, 500, NULL, "out of memory");
        return;
    }
    slice argv[5] = {SLICE_LIT("PADD"), sliceMake(id, 36), a->person.apelido,
                     sliceMake(a->key.data, a->key.len), sliceMake(a->json.data, a->json.len)};
    apiAskStore(c, API_WAIT_CREATE, 5, argv);
}

/* Malformed ids never reach the store: they cannot exist. */
static void routeGet(server_conn *c, const route *r) {
    char text[37];
    uuid_t uu;
    if (r->id.len != 36) goto not_found;
    memcpy(text, r->id.ptr, 36);
    text[36] = '\0';
    if (uuid_parse(text, uu) != 0) goto not_found;
    slice argv[2] = {SLICE_LIT("PGET"), r->id};
    apiAskStore(c, API_WAIT_GET, 2, argv);
    return;
not_found:
    apiRespondError(c, 404, "id", "no person with this id");
}

/* t is decoded and case-folded here, so the store compares bytes. */
static void routeSearch(server_conn *c, const http_request *req) {
    api *a = c->srv->ctx;
    slice raw;
    if (!urlQueryParam(req->query, "t", &raw)) {
        apiRespondError(c, 400, "t", "the query parameter t is required");
        return;
    }
    int n = urlDecode(raw.ptr, raw.len, a->scratch);
    if (n < 0 || !utf8Valid(a->scratch, (size_t)n)) {
        apiRespondError(c, 400, "t", "t must be URL-encoded UTF-8");
        return;
    }
    utf8Fold(a->scratch, (size_t)n, a->scratch);
    slice argv[3] = {SLICE_LIT("PSEARCH"), sliceMake(a->scratch, (size_t)n),
                     SLICE_LIT(SEARCH_LIMIT)};
    apiAskStore(c, API_WAIT_SEARCH, 3, argv);
}

/* ok: a primary takes writes. degraded: no primary (an election, or no
 * majority) but a store node answers, so reads go on (from the most
 * up-to-date node) and this instance must stay in the balancer: every
 * instance sees the same stores. 503 only when no store answers at all. */
static void routeHealth(server_conn *c) {
    api *a = c->srv->ctx;
    if (clusterPrimary(&a->stores))
        apiRespond(c, 200, HTTP_CT_JSON, SLICE_LIT("{\"status\":\"ok\"}"), (slice){0});
    else if (dirReachable(&a->stores.dir) > 0)
        apiRespond(c, 200, HTTP_CT_JSON,
                   SLICE_LIT("{\"status\":\"degraded\",\"writes\":false,\"reads\":true}"),
                   (slice){0});
    else apiRespondError(c, 503, "store", "no store node reachable");
}

/* /status and /metrics: a write of the cached snapshot, nothing probed. */
static void routeSelf(server_conn *c, bool metrics) {
    api *a = c->srv->ctx;
    status_app app = apiStatusApp(a);
    bufReset(&a->body);
    int rc = metrics ? metricsWrite(&a->body, &app, &a->metrics, a->host)
                     : statusWriteJson(&a->body, &app, a->host);
    if (rc < 0) {
        apiRespondError(c, 500, NULL, "out of memory");
        return;
    }
    apiRespond(c, 200, metrics ? CT_PROMETHEUS : HTTP_CT_JSON,
               sliceMake(a->body.data, a->body.len), (slice){0});
}

/* The page: a constant from .rodata. HEAD gets the same head (and length)
 * without the body, which is taken back off the output before it leaves. */
static void routeDashboard(server_conn *c, bool head) {
    slice page = dashboardPage();
    apiRespond(c, 200, CT_HTML, page, SLICE_LIT(DASHBOARD_HEADERS));
    if (head && c->open && c->out.len >= c->out.off + page.len) c->out.len -= page.len;
}

static void routeMethodNotAllowed(server_conn *c, const route *r) {
    char extra[64];
    int n = snprintf(extra, sizeof(extra), "Allow: %s\r\n", r->allow);
    apiRespond(c, 405, HTTP_CT_JSON,
               SLICE_LIT("{\"errors\":[{\"field\":null,\"message\":\"method not allowed\"}]}"),
               sliceMake(extra, (size_t)n));
}

void routeHandle(server_conn *c, const route *r, const http_request *req, slice body) {
    static const slice COUNT_ARGV[1] = {SLICE_LIT("PCOUNT")};
    if (r->allow) {
        routeMethodNotAllowed(c, r);
        return;
    }
    switch (r->kind) {
    case ROUTE_CREATE: routeCreate(c, r, body); break;
    case ROUTE_GET: routeGet(c, r); break;
    case ROUTE_SEARCH: routeSearch(c, req); break;
    case ROUTE_COUNT: apiAskStore(c, API_WAIT_COUNT, 1, COUNT_ARGV); break;
    case ROUTE_HEALTH: routeHealth(c); break;
    case ROUTE_STATUS: routeSelf(c, false); break;
    case ROUTE_METRICS: routeSelf(c, true); break;
    case ROUTE_DASHBOARD: routeDashboard(c, r->head); break;
    default: apiRespondError(c, 404, NULL, "no such resource"); break;
    }
}

/* A create the store may have journaled without telling us (a primary
 * that died or stepped down with it held): 503 would say "not created",
 * which may be false, so the client is told the truth, that we don't
 * know, and how to find out. */
static void replyCreateUnknown(server_conn *c) {
    apiRespondError(c, 504, NULL,
                    "the store did not confirm the write in time: it may exist (search its apelido)");
}

static void replyCreate(server_conn *c, const resp_reply *reply) {
    api_conn *ac = c->user;
    if (reply->type == RESP_SIMPLE) {
        char loc[80];
        int n = snprintf(loc, sizeof(loc), "Location: %s/%.36s\r\n",
                         RESOURCES[ac->resource].path, ac->id);
        apiRespond(c, 201, NULL, (slice){0}, sliceMake(loc, (size_t)n));
    } else if (reply->str.len >= 4 && memcmp(reply->str.ptr, "DUP ", 4) == 0) {
        apiRespondError(c, 422, "apelido", "apelido already taken");
    } else if (retryOutcomeUnknown(ac)) {
        replyCreateUnknown(c);
    } else if (reply->str.len >= 6 && memcmp(reply->str.ptr, "NOMEM ", 6) == 0) {
        apiRespondError(c, 503, NULL, "the store is full: no new people for now (reads go on)");
    } else {
        apiRespondError(c, 503, NULL, "store refused the write, try again");
    }
}

static void replyGet(server_conn *c, const resp_reply *reply) {
    if (reply->type == RESP_BULK) apiRespond(c, 200, HTTP_CT_JSON, reply->str, (slice){0});
    else apiRespondError(c, 404, "id", "no person with this id");
}

static void replySearch(server_conn *c, const resp_reply *reply) {
    if (reply->type == RESP_BULK) apiRespond(c, 200, HTTP_CT_JSON, reply->str, (slice){0});
    else apiRespondError(c, 503, NULL, "search failed, try again");
}

static void replyCount(server_conn *c, const resp_reply *reply) {
    char text[24];
    int n = snprintf(text, sizeof(text), "%lld", reply->integer);
    if (reply->type == RESP_INT) apiRespond(c, 200, HTTP_CT_TEXT, sliceMake(text, (size_t)n), (slice){0});
    else apiRespondError(c, 503, NULL, "count failed, try again");
}

typedef void reply_fn(server_conn *c, const resp_reply *reply);

static reply_fn *const REPLY_HANDLERS[] = {
    [API_WAIT_CREATE] = replyCreate, [API_WAIT_GET] = replyGet,
    [API_WAIT_SEARCH] = replySearch, [API_WAIT_COUNT] = replyCount,
};

void routeOnStoreReply(server_conn *c, const resp_reply *reply) {
    api_conn *ac = c->user;
    if (!reply && ac->wait == API_WAIT_CREATE && retryOutcomeUnknown(ac)) replyCreateUnknown(c);
    else if (!reply) apiRespondError(c, 503, NULL, "store unavailable, try again");
    else REPLY_HANDLERS[ac->wait](c, reply);
}
