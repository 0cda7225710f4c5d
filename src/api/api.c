/* api.c - the HTTP side of an API instance: framing, limits, ordering.
 * See api.h for the per-connection state machine. */
#include "api/api.h"

#include <errno.h>
#include <stdlib.h>

#include "api/routes.h"
#include "json/json.h"

static api_conn *apiConnOf(server_conn *c) { return c->user; }
static api *apiOf(server_conn *c) { return c->srv->ctx; }

/* A store command the API sends for itself: INFO for /status. */
#define API_TAG_SELF (1ull << 62) /* below the cluster's own probe tags */

void apiRespond(server_conn *c, int status, const char *content_type, slice body, slice extra) {
    api_conn *ac = apiConnOf(c);
    api *a = apiOf(c);
    metricsHttpRecord(&a->metrics, ac->route, status, evNowMs(a->loop) - ac->started_ms);
    http_head h = {.status = status, .content_type = content_type, .close = !ac->keep_alive,
                   .keep_alive_10 = ac->http10 && ac->keep_alive, .extra = extra};
    if (httpWriteResponse(&c->out, &h, body) < 0) {
        serverClose(c);
        return;
    }
    serverMarkDirty(c);
    if (!ac->keep_alive) serverCloseAfterFlush(c);
}

void apiRespondError(server_conn *c, int status, const char *field, const char *message) {
    buf *b = &apiOf(c)->body;
    bufReset(b);
    int rc = bufAppendStr(b, "{\"errors\":[{\"field\":");
    rc |= field ? jsonWriteString(b, sliceMake(field, strlen(field))) : bufAppendStr(b, "null");
    rc |= bufAppendStr(b, ",\"message\":");
    rc |= jsonWriteString(b, sliceMake(message, strlen(message)));
    rc |= bufAppendStr(b, "}]}");
    if (rc < 0) {
        serverClose(c);
        return;
    }
    apiRespond(c, status, HTTP_CT_JSON, sliceMake(b->data, b->len), (slice){0});
}

/* A framing error: answer, then hang up (the stream cannot be trusted). */
static void apiFail(server_conn *c, int status, const char *message) {
    apiConnOf(c)->keep_alive = false;
    apiRespondError(c, status, NULL, message);
}

/* A store reply's tag: the connection's slot, the number of this sending
 * of its command, and 14 bits of the slot's generation; the top two bits
 * are for the API's and the directory's own. */
#define API_GEN_MASK 0x3fffu

uint64_t apiTag(const server_conn *c) {
    const api_conn *ac = c->user;
    return ((uint64_t)(c->gen & API_GEN_MASK) << 48) | ((uint64_t)ac->req << 32) |
           (uint64_t)(c - c->srv->conns);
}

/* Creates go to the primary; reads go on without one (cluster.h). A new
 * sending gets a new tag. 0 or -errno. */
int apiSendToStore(server_conn *c, slice cmd) {
    api_conn *ac = c->user;
    api *a = c->srv->ctx;
    ac->req++;
    int node = ac->wait == API_WAIT_CREATE ? clusterSendRaw(&a->stores, apiTag(c), cmd)
                                           : clusterSendRead(&a->stores, apiTag(c), cmd);
    if (node < 0) ac->req--; /* not sent: the tag queued for a retry stays valid */
    if (node >= 0 && ac->in_flight) ac->maybe_applied = true; /* resent unanswered */
    if (node >= 0) ac->in_flight = true;
    ac->sent_node = (int8_t)(node < 0 ? -1 : node);
    return node < 0 ? node : 0;
}

/* The command is kept encoded, so it can be sent again after a failover. */
void apiAskStore(server_conn *c, api_wait wait, size_t argc, const slice *argv) {
    api_conn *ac = apiConnOf(c);
    bufReset(&ac->cmd);
    int rc = respWriteCommand(&ac->cmd, argc, argv);
    ac->cmd_deadline_ms = evNowMs(c->srv->loop) + API_RETRY_MS;
    ac->wait = (uint8_t)wait;
    ac->in_flight = ac->maybe_applied = false;
    ac->retry_delay_ms = 0;
    ac->retry_at_ms = 0;
    slice cmd = sliceMake(bufReadPtr(&ac->cmd), bufUnread(&ac->cmd));
    if (rc == 0) rc = apiSendToStore(c, cmd);
    if (rc < 0 && !retryMaybe(c, NULL)) {
        ac->wait = API_WAIT_NONE;
        apiRespondError(c, 503, NULL, "store unavailable, try again");
    }
}

static void apiBeginRequest(api_conn *ac, const http_request *req) {
    ac->keep_alive = req->keep_alive;
    ac->http10 = req->minor_version == 0;
}

/* After a 413, the body still arrives: drop it so the connection stays
 * usable for the next request. */
static bool apiDiscard(server_conn *c, api_conn *ac) {
    size_t n = bufUnread(&c->in);
    if (n > ac->discard) n = (size_t)ac->discard;
    bufConsume(&c->in, n);
    ac->discard -= n;
    return bufUnread(&c->in) > 0;
}

_Static_assert(API_BODY_MAX == 32768, "the 413 message below names the limit");

static bool apiTooLarge(server_conn *c, api_conn *ac, const http_request *req, int head_len) {
    if (req->content_length > API_DISCARD_MAX) ac->keep_alive = false;
    apiRespondError(c, 413, "body", "request body larger than 32768 bytes");
    bufConsume(&c->in, (size_t)head_len);
    ac->discard = req->content_length;
    return ac->keep_alive;
}

/* The body is not all here yet. A client that waits for "100 Continue"
 * gets it once. */
static bool apiAwaitBody(server_conn *c, api_conn *ac, const http_request *req) {
    if (req->expect_continue && !ac->continue_sent) {
        ac->continue_sent = true;
        bufAppendStr(&c->out, "HTTP/1.1 100 Continue\r\n\r\n");
        serverMarkDirty(c);
    }
    return false;
}

/* How a head the parser refused is answered (then the connection closes);
 * any other code is a malformed request, 400. */
static const struct {
    int rc, status;
    const char *message;
} HEAD_REFUSALS[] = {
    {HTTP_PARSE_PARTIAL, 431, "request header block too large"},
    {HTTP_PARSE_TOO_MANY_HEADERS, 431, "request header block too large"},
    {HTTP_PARSE_BAD_LENGTH, 400,
     "invalid or conflicting Content-Length, or Content-Length with Transfer-Encoding"},
    {HTTP_PARSE_BAD_HOST, 400, "Host header missing or repeated: HTTP/1.1 needs exactly one"},
};

/* No usable header block: wait for more bytes, or refuse it. */
static bool apiHeadNotReady(server_conn *c, int rc) {
    if (rc == HTTP_PARSE_PARTIAL && bufUnread(&c->in) <= API_HEADER_MAX) return false;
    for (size_t i = 0; i < sizeof HEAD_REFUSALS / sizeof HEAD_REFUSALS[0]; i++)
        if (HEAD_REFUSALS[i].rc == rc) {
            apiFail(c, HEAD_REFUSALS[i].status, HEAD_REFUSALS[i].message);
            return false;
        }
    apiFail(c, 400, "malformed HTTP request");
    return false;
}

/* One request off the input. True when the caller may look for another. */
static bool apiStep(server_conn *c, api_conn *ac) {
    if (ac->discard) return apiDiscard(c, ac);
    ac->route = ROUTE_KINDS; /* "invalid" until routed */
    ac->started_ms = evNowMs(c->srv->loop);
    http_request req;
    int head = httpParseRequest(bufReadPtr(&c->in), bufUnread(&c->in), &req);
    if (head < 0) return apiHeadNotReady(c, head);
    if (head > API_HEADER_MAX) { /* arrived whole in one read, still too large */
        apiFail(c, 431, "request header block too large");
        return false;
    }
    apiBeginRequest(ac, &req);
    /* RFC 9112 6.1: a coding the server does not implement is a 501 - and
     * it implements none, not even chunked, so the body cannot be framed:
     * apiFail closes, and nothing after this head is read as a request. */
    if (req.transfer_encoding) {
        apiFail(c, 501, "Transfer-Encoding is not supported: send the body with Content-Length");
        return false;
    }
    if (req.content_length > API_BODY_MAX) return apiTooLarge(c, ac, &req, head);
    size_t total = (size_t)head + req.content_length;
    if (bufUnread(&c->in) < total) return apiAwaitBody(c, ac, &req);
    route r = routeMatch(&req);
    ac->route = (uint8_t)r.kind;
    routeHandle(c, &r, &req, sliceMake(bufReadPtr(&c->in) + head, req.content_length));
    bufConsume(&c->in, total);
    ac->continue_sent = false;
    apiOf(c)->requests++;
    return true;
}

/* Runs requests until one waits for the store or the input runs dry. */
static void apiProcess(server_conn *c) {
    api_conn *ac = apiConnOf(c);
    while (c->open && !c->close_after_flush && ac->wait == API_WAIT_NONE && bufUnread(&c->in))
        if (!apiStep(c, ac)) break;
    if (!c->open) return;
    bufCompact(&c->in);
    bool partial = bufUnread(&c->in) > 0 && ac->wait == API_WAIT_NONE;
    if (!partial) c->deadline_ms = 0;
    else if (!c->deadline_ms) c->deadline_ms = evNowMs(c->srv->loop) + apiOf(c)->request_timeout_ms;
    if (ac->wait != API_WAIT_NONE) serverPause(c);
    else serverResume(c);
}

static bool apiOnData(server_conn *c) {
    apiProcess(c);
    return true;
}

static void apiOnClose(server_conn *c) {
    api_conn *ac = apiConnOf(c);
    buf keep = ac->cmd; /* reused by the slot's next connection */
    bufReset(&keep);
    *ac = (api_conn){.cmd = keep, .sent_node = -1};
}

/* The INFO answer: only its people count is used (the rest comes from
 * the cluster's ROLE polls), and only while its node is still primary. */
static void apiOnSelfReply(api *a, const resp_reply *reply) {
    a->info_pending = false;
    a->info_node = reply && reply->type == RESP_BULK ? a->info_asked : -1;
    if (a->info_node >= 0) statusParseStoreInfo(&a->store_view, reply->str);
}

/* Every PROBE_REFRESH_MS: re-read the host, ask the store how it is. */
static void apiSelfTick(ev_loop *loop, void *data) {
    static const slice INFO_ARGV[2] = {SLICE_LIT("INFO"), SLICE_LIT("bardo")};
    api *a = data;
    probeHostRefresh(a->host, evNowMs(loop));
    if (a->info_pending || !clusterPrimary(&a->stores)) return;
    a->info_asked = a->stores.primary;
    a->info_pending = clusterSend(&a->stores, API_TAG_SELF, 2, INFO_ARGV) == 0;
}

/* Node i as the API sees it from its last ROLE poll (200 ms): a node not
 * reachable or not yet answering keeps only its address and the site and
 * name it last gave; lag is against the primary's last seq (polls are not
 * simultaneous, so a node seen ahead counts as 0 behind). */
static status_store apiStoreView(const api *a, size_t i) {
    const cluster_node *nd = &a->stores.dir.nodes[i], *p = clusterPrimary(&a->stores);
    status_store s = statusStoreUnknown(nd->addr);
    s.reachable = storeClientReady(&nd->sc);
    probeCopy(s.site, sizeof(s.site), nd->role.site);
    probeCopy(s.name, sizeof(s.name), nd->role.name);
    if (!s.reachable || !nd->known) return s;
    probeCopy(s.role, sizeof(s.role), nd->role.word); /* primary, replica, candidate, syncing */
    s.epoch = (double)nd->role.epoch;
    s.journal_offset = (double)nd->role.seq;
    if (p) s.lag = p->role.seq > nd->role.seq ? (double)(p->role.seq - nd->role.seq) : 0;
    if (nd == p && a->info_node == (int)i) s.people = a->store_view.people;
    return s;
}

status_app apiStatusApp(api *a) {
    const cluster_node *p = clusterPrimary(&a->stores);
    for (size_t i = 0; i < a->stores.dir.n; i++) a->store_views[i] = apiStoreView(a, i);
    return (status_app){.program = "bardo-api", .role = "api", .instance = a->name,
                        .started_ms = a->started_ms, .now_ms = evNowMs(a->loop),
                        .requests = a->requests, .stores = a->store_views, .nstores = a->stores.dir.n,
                        .primary = p ? p->addr : NULL, .failovers = a->stores.failovers};
}

static void apiOnStoreReply(void *ctx, uint64_t tag, const resp_reply *reply) {
    api *a = ctx;
    if (tag == API_TAG_SELF) {
        apiOnSelfReply(a, reply);
        return;
    }
    size_t index = (size_t)(tag & 0xffffffffu);
    server_conn *c = &a->http.conns[index];
    api_conn *ac = apiConnOf(c);
    if (!c->open || apiTag(c) != tag || ac->wait == API_WAIT_NONE) return; /* a late one */
    retryNoteReply(ac, reply);
    if (retryMaybe(c, reply)) return;
    apiFinishWait(c, reply);
}

void apiFinishWait(server_conn *c, const resp_reply *reply) {
    routeOnStoreReply(c, reply);
    apiConnOf(c)->wait = API_WAIT_NONE;
    apiProcess(c);
}

static const server_ops API_OPS = {.on_data = apiOnData, .on_close = apiOnClose};

int apiStart(api *a, ev_loop *loop, const api_config *cfg) {
    a->loop = loop;
    a->name = cfg->name;
    a->request_timeout_ms = cfg->request_timeout_ms;
    a->requests = 0;
    a->started_ms = evNowMs(loop);
    a->conns = calloc(API_MAX_CONNS, sizeof(*a->conns));
    a->host = probeHostCreate(evNowMs(loop));
    if (!a->conns || !a->host) return -ENOMEM;
    metricsHttpInit(&a->metrics, ROUTE_NAMES, ROUTE_KINDS + 1);
    a->store_view = statusStoreUnknown(NULL);
    a->info_node = a->info_asked = -1;
    a->info_pending = false;
    if (bufInit(&a->json, API_BODY_MAX) < 0 || bufInit(&a->key, API_BODY_MAX) < 0 ||
        bufInit(&a->body, 4096) < 0)
        return -ENOMEM;
    int rc = clusterInit(&a->stores, loop, cfg->store, apiOnStoreReply, a);
    if (rc < 0) return rc;
    clusterSetAuth(&a->stores, "api", cfg->store_password);
    clusterSetTls(&a->stores, cfg->store_tls);
    rc = retryStart(a);
    if (rc < 0) return rc;
    rc = serverStart(&a->http, loop, cfg->listen, &API_OPS, API_MAX_CONNS, a);
    if (rc < 0) return rc;
    a->http.idle_ms = cfg->idle_ms;
    for (size_t i = 0; i < API_MAX_CONNS; i++) a->http.conns[i].user = &a->conns[i];
    evOnTick(loop, PROBE_REFRESH_MS, apiSelfTick, a);
    return 0;
}

void apiStop(api *a) {
    evRemoveHooks(a->loop, a);
    serverStop(&a->http);
    clusterFree(&a->stores);
    retryStop(a);
    for (size_t i = 0; i < API_MAX_CONNS; i++) bufFree(&a->conns[i].cmd);
    bufFree(&a->json);
    bufFree(&a->key);
    bufFree(&a->body);
    free(a->conns);
    a->conns = NULL;
    probeHostDestroy(a->host);
    a->host = NULL;
}
