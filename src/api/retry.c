/* retry.c - a request in flight at a failover completes on the new primary.
 *
 * When the store connection dies under a request (NULL reply) or the node
 * answers that it is no longer primary (READONLY, FENCED), the command is
 * queued here and sent again, byte for byte (a create keeps its id), to
 * whichever node
 * the cluster then calls primary, every API_RETRY_TICK_MS until it gets a
 * real answer or API_RETRY_MS have passed since it first went out (then
 * 503). The store treats a PADD whose id and apelido it already holds as a
 * replay and acknowledges it once committed, so a write that reached the
 * old primary's replicas is not created twice; reads are idempotent
 * anyway. NOREPLICAS (refused before anything was journaled: a primary
 * about to lose its majority, or one whose replicas are still attaching)
 * is retried too, so a create sent during an election waits for the new
 * primary instead of failing. So is TIMEOUT: a primary that lost its
 * replicas withdrew the write, but the new primary may hold it (then the
 * resend is a replay, acknowledged once committed) or not (then it is
 * created there): either way the client gets the truth, a 201, and never
 * a 503 for a person that exists. Having no primary while fewer than
 * a majority of the store nodes answer: no election can end that, and the
 * client is told at once rather than in API_RETRY_MS. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"

#define RETRY_SWEEP_MS 500

/* The store's errors that a resend may cure; `journaled`: the write may
 * have been journaled (and so replicated) before the error, so it may
 * exist even if no later sending succeeds. The others refuse before
 * anything is written. */
static const struct {
    const char *kind;
    bool journaled;
} RETRYABLE[] = {
    {"READONLY", false}, {"NOTPRIMARY", false}, {"NOREPLICAS", false},
    {"FENCED", true},    {"TIMEOUT", true},
};

static int retryableIndex(slice s) {
    for (size_t i = 0; i < sizeof(RETRYABLE) / sizeof(RETRYABLE[0]); i++) {
        size_t n = strlen(RETRYABLE[i].kind);
        if (s.len >= n && memcmp(s.ptr, RETRYABLE[i].kind, n) == 0) return (int)i;
    }
    return -1;
}

static bool retryableError(slice s) { return retryableIndex(s) >= 0; }

void retryNoteReply(api_conn *ac, const resp_reply *reply) {
    int i = reply && reply->type == RESP_ERR ? retryableIndex(reply->str) : -1;
    if (!reply || (i >= 0 && RETRYABLE[i].journaled)) ac->maybe_applied = true;
    ac->in_flight = false;
}

bool retryOutcomeUnknown(const api_conn *ac) { return ac->maybe_applied || ac->in_flight; }

static int retryPush(api *a, uint64_t entry) {
    if (a->retry_len == a->retry_cap) {
        size_t cap = a->retry_cap ? a->retry_cap * 2 : 256;
        uint64_t *q = realloc(a->retry_q, cap * sizeof(*q));
        if (!q) return -ENOMEM;
        a->retry_q = q;
        a->retry_cap = cap;
    }
    a->retry_q[a->retry_len++] = entry;
    return 0;
}

/* A store that refused (NOREPLICAS while its replicas attach, READONLY
 * from a node not yet known as deposed) would refuse again at once: each
 * resend of one request waits twice as long as the one before, up to
 * API_RETRY_BACKOFF_MAX_MS, so an election is not met with a flood of
 * resends every tick. A new primary cancels the waits (retrySweep). */
static void retryBackoff(api_conn *ac, uint64_t now) {
    unsigned d = ac->retry_delay_ms ? ac->retry_delay_ms * 2u : API_RETRY_TICK_MS;
    ac->retry_delay_ms = (uint16_t)(d < API_RETRY_BACKOFF_MAX_MS ? d : API_RETRY_BACKOFF_MAX_MS);
    ac->retry_at_ms = now + ac->retry_delay_ms;
}

bool retryMaybe(server_conn *c, const resp_reply *reply) {
    api *a = c->srv->ctx;
    api_conn *ac = c->user;
    if (reply && !(reply->type == RESP_ERR && retryableError(reply->str))) return false;
    uint64_t now = evNowMs(a->loop);
    if (now >= ac->cmd_deadline_ms) return false;
    if (reply) retryBackoff(ac, now);
    return retryPush(a, apiTag(c)) == 0;
}

/* One queued request: false when it is done with (sent, answered, gone). */
static bool retryOne(api *a, uint64_t tag, uint64_t now) {
    server_conn *c = &a->http.conns[tag & 0xffffffffu];
    api_conn *ac = c->user;
    if (!c->open || apiTag(c) != tag || ac->wait == API_WAIT_NONE) return false;
    if (now < ac->retry_at_ms && now < ac->cmd_deadline_ms) return true; /* backing off */
    slice cmd = sliceMake(bufReadPtr(&ac->cmd), bufUnread(&ac->cmd));
    if (apiSendToStore(c, cmd) == 0) {
        a->retries++;
        return false;
    }
    /* no primary yet: wait for the election, if one can succeed */
    if (now < ac->cmd_deadline_ms && clusterQuorumReachable(&a->stores)) return true;
    apiFinishWait(c, NULL);                          /* 503 */
    return false;
}

/* The primary changed: what is in flight on another node goes again to
 * the new one. A deposed primary may never answer (frozen, or cut off
 * without a reset: TCP would wait for minutes); if it does, the answer
 * carries an old tag and is dropped. Also, every RETRY_SWEEP_MS, a request
 * unanswered past its deadline gets its 503: no store silence hangs a
 * client. */
static void retrySweep(api *a, uint64_t now) {
    int primary = a->stores.primary;
    bool moved = primary >= 0 && primary != a->seen_primary;
    a->seen_primary = primary;
    if (!moved && now < a->next_sweep_ms) return;
    a->next_sweep_ms = now + RETRY_SWEEP_MS;
    for (size_t i = 0; i < a->http.max_conns; i++) {
        server_conn *c = &a->http.conns[i];
        api_conn *ac = c->user;
        if (!c->open || !ac || ac->wait == API_WAIT_NONE) continue;
        if (now >= ac->cmd_deadline_ms) apiFinishWait(c, NULL); /* 503 */
        else if (moved && ac->sent_node >= 0 && ac->sent_node != primary) retryPush(a, apiTag(c));
        if (moved) ac->retry_at_ms = 0; /* a new primary: no more waiting */
    }
}

static void retryTick(ev_loop *loop, void *data) {
    api *a = data;
    uint64_t now = evNowMs(loop);
    retrySweep(a, now);
    if (a->retry_len == 0) return;
    /* Detach the queue: answering one request may queue another. */
    uint64_t *q = a->retry_q;
    size_t n = a->retry_len;
    a->retry_q = NULL;
    a->retry_len = a->retry_cap = 0;
    for (size_t i = 0; i < n; i++)
        if (retryOne(a, q[i], now) && retryPush(a, q[i]) < 0)
            apiFinishWait(&a->http.conns[q[i] & 0xffffffffu], NULL);
    free(q);
}

int retryStart(api *a) {
    a->seen_primary = -1;
    a->next_sweep_ms = 0;
    a->retry_q = NULL;
    a->retry_len = a->retry_cap = 0;
    a->retries = 0;
    evOnTick(a->loop, API_RETRY_TICK_MS, retryTick, a);
    return 0;
}

void retryStop(api *a) {
    free(a->retry_q);
    a->retry_q = NULL;
    a->retry_len = a->retry_cap = 0;
}
