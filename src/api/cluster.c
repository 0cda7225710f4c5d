/* cluster.c - which store node the API talks to (cluster.h). */
#include "api/cluster.h"

#include <errno.h>

#include "core/log.h"

static void clusterElect(cluster *cl) {
    int best = dirPrimary(&cl->dir, -1);
    if (best != cl->primary && best >= 0) {
        logInfo("store primary is now %s (epoch %llu)", cl->dir.nodes[best].addr,
                (unsigned long long)cl->dir.nodes[best].role.epoch);
        /* the first primary, or the same one back after a blip, is no failover */
        if (cl->followed >= 0 && best != cl->followed) cl->failovers++;
        cl->followed = best;
    }
    cl->primary = best;
}

static void clusterOnReply(void *ctx, size_t node, uint64_t tag, const resp_reply *reply) {
    (void)node;
    cluster *cl = ctx;
    cl->on_reply(cl->ctx, tag, reply);
}

static void clusterOnRole(void *ctx, size_t node) {
    (void)node;
    clusterElect(ctx);
}

static void clusterPoll(ev_loop *loop, void *data) {
    (void)loop;
    cluster *cl = data;
    dirPoll(&cl->dir);
    clusterElect(cl);
}

int clusterInit(cluster *cl, ev_loop *loop, const char *addrs, store_reply_fn *on_reply, void *ctx) {
    *cl = (cluster){.loop = loop, .primary = -1, .followed = -1, .on_reply = on_reply, .ctx = ctx};
    int rc = dirInit(&cl->dir, loop, addrs, clusterOnReply, clusterOnRole, cl);
    if (rc < 0) return rc;
    evOnTick(loop, CLUSTER_POLL_MS, clusterPoll, cl);
    return 0;
}

void clusterSetAuth(cluster *cl, const char *user, const char *password) {
    dirSetAuth(&cl->dir, user, password);
}

void clusterSetTls(cluster *cl, tls_ctx *ctx) { dirSetTls(&cl->dir, ctx); }

void clusterFree(cluster *cl) {
    if (cl->loop) evRemoveHooks(cl->loop, cl);
    dirFree(&cl->dir);
    cl->primary = -1;
}

bool clusterQuorumReachable(const cluster *cl) {
    return dirReachable(&cl->dir) >= cl->dir.n / 2 + 1;
}

const cluster_node *clusterPrimary(const cluster *cl) {
    return cl->primary >= 0 ? &cl->dir.nodes[cl->primary] : NULL;
}

int clusterSend(cluster *cl, uint64_t tag, size_t argc, const slice *argv) {
    if (cl->primary < 0) return -ENOTCONN;
    return dirSend(&cl->dir, (size_t)cl->primary, tag, argc, argv);
}

int clusterSendRaw(cluster *cl, uint64_t tag, slice command) {
    if (cl->primary < 0) return -ENOTCONN;
    int rc = dirSendRaw(&cl->dir, (size_t)cl->primary, tag, command);
    return rc < 0 ? rc : cl->primary;
}

int clusterSendRead(cluster *cl, uint64_t tag, slice command) {
    int node = cl->primary >= 0 ? cl->primary : dirMostUpToDate(&cl->dir);
    if (node < 0) return -ENOTCONN;
    int rc = dirSendRaw(&cl->dir, (size_t)node, tag, command);
    return rc < 0 ? rc : node;
}
