#include "api/cluster.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"

static void clusterElect(cluster *cl) {
    int best = -1;
    for (size_t i = 0; i < cl->n; i++) {
        const cluster_node *nd = &cl->nodes[i];
        if (!nd->known || !nd->role.primary || !storeClientReady(&nd->sc)) continue;
        if (best < 0 || nd->role.epoch > cl->nodes[best].role.epoch) best = (int)i;
    }
    if (best != cl->primary && best >= 0) {
        logInfo("store primary is now %s (epoch %llu)", cl->nodes[best].addr,
                (unsigned long long)cl->nodes[best].role.epoch);
        /* the first primary, or the same one back after a blip, is no failover */
        if (cl->followed >= 0 && best != cl->followed) cl->failovers++;
        cl->followed = best;
    }
    cl->primary = best;
}

static void clusterOnReply(void *ctx, uint64_t tag, const resp_reply *reply) {
    cluster_node *nd = ctx;
    cluster *cl = nd->cl;
    if (!(tag & CLUSTER_PROBE_TAG)) {
        cl->on_reply(cl->ctx, tag, reply);
        if (!reply) clusterElect(cl); /* that node just went away */
        return;
    }
    nd->probing = false;
    nd->known = replParseRole(reply, &nd->role);
    clusterElect(cl);
}

static void clusterPoll(ev_loop *loop, void *data) {
    (void)loop;
    cluster *cl = data;
    static const slice ROLE[1] = {SLICE_LIT("ROLE")};
    for (size_t i = 0; i < cl->n; i++) {
        cluster_node *nd = &cl->nodes[i];
        if (!storeClientReady(&nd->sc)) nd->known = false;
        if (nd->probing || !storeClientReady(&nd->sc)) continue;
        nd->probing = storeClientSend(&nd->sc, CLUSTER_PROBE_TAG | i, 1, ROLE) == 0;
    }
    clusterElect(cl);
}

int clusterInit(cluster *cl, ev_loop *loop, const char *addrs, store_reply_fn *on_reply, void *ctx) {
    *cl = (cluster){.loop = loop, .primary = -1, .followed = -1, .on_reply = on_reply, .ctx = ctx};
    const char *s = addrs;
    while (*s && cl->n < CLUSTER_MAX) {
        size_t len = strcspn(s, ",");
        cluster_node *nd = &cl->nodes[cl->n];
        nd->cl = cl;
        snprintf(nd->addr, sizeof(nd->addr), "%.*s", (int)len, s);
        int rc = storeClientInit(&nd->sc, loop, nd->addr, clusterOnReply, nd);
        if (rc < 0) return rc;
        cl->n++;
        s += len + (s[len] == ',');
    }
    if (cl->n == 0) return -EINVAL;
    evOnTick(loop, CLUSTER_POLL_MS, clusterPoll, cl);
    return 0;
}

void clusterSetAuth(cluster *cl, const char *user, const char *password) {
    for (size_t i = 0; i < cl->n; i++) storeClientSetAuth(&cl->nodes[i].sc, user, password);
}

void clusterSetTls(cluster *cl, tls_ctx *ctx) {
    for (size_t i = 0; i < cl->n; i++) storeClientSetTls(&cl->nodes[i].sc, ctx);
}

void clusterFree(cluster *cl) {
    if (cl->loop) evRemoveHooks(cl->loop, cl);
    for (size_t i = 0; i < cl->n; i++) storeClientFree(&cl->nodes[i].sc);
    cl->n = 0;
    cl->primary = -1;
}

bool clusterQuorumReachable(const cluster *cl) {
    size_t up = 0;
    for (size_t i = 0; i < cl->n; i++) up += storeClientReady(&cl->nodes[i].sc);
    return up >= cl->n / 2 + 1;
}

const cluster_node *clusterPrimary(const cluster *cl) {
    return cl->primary >= 0 ? &cl->nodes[cl->primary] : NULL;
}

int clusterSend(cluster *cl, uint64_t tag, size_t argc, const slice *argv) {
    if (cl->primary < 0) return -ENOTCONN;
    return storeClientSend(&cl->nodes[cl->primary].sc, tag, argc, argv);
}

int clusterSendRaw(cluster *cl, uint64_t tag, slice command) {
    if (cl->primary < 0) return -ENOTCONN;
    return storeClientSendRaw(&cl->nodes[cl->primary].sc, tag, command);
}

/* The reachable node that holds the most: highest (epoch, seq). */
static int clusterMostUpToDate(const cluster *cl) {
    int best = -1;
    for (size_t i = 0; i < cl->n; i++) {
        const cluster_node *nd = &cl->nodes[i];
        if (!nd->known || !storeClientReady(&nd->sc)) continue;
        const repl_role_info *b = best >= 0 ? &cl->nodes[best].role : NULL;
        if (!b || nd->role.epoch > b->epoch || (nd->role.epoch == b->epoch && nd->role.seq > b->seq))
            best = (int)i;
    }
    return best;
}

int clusterSendRead(cluster *cl, uint64_t tag, slice command) {
    int node = cl->primary >= 0 ? cl->primary : clusterMostUpToDate(cl);
    if (node < 0) return -ENOTCONN;
    return storeClientSendRaw(&cl->nodes[node].sc, tag, command);
}
