/* cluster.h - the store nodes as an API instance sees them.
 *
 * An API is given every store address. Its directory (repl/directory.h)
 * keeps a pipelined connection to each and asks each for its ROLE every
 * CLUSTER_POLL_MS; people commands go to the primary of the highest epoch
 * (src/repl/repl.h): after a failover, which the stores decide among
 * themselves, the API follows the new primary without a restart. A
 * request in flight on a primary that dies gets a NULL reply and is sent
 * again (retry.c). */
#ifndef BARDO_CLUSTER_H
#define BARDO_CLUSTER_H

#include "repl/directory.h"

#define CLUSTER_MAX DIR_MAX
#define CLUSTER_POLL_MS 100

typedef dir_node cluster_node;

typedef struct cluster {
    ev_loop *loop;
    directory dir;          /* the nodes and their ROLE answers */
    int primary;            /* index into dir.nodes, -1: none known */
    store_reply_fn *on_reply;
    void *ctx;
    int followed;           /* the last primary followed, -1: none yet */
    uint64_t failovers;     /* times the primary changed to another node */
} cluster;

/* addrs: "a,b,c". Replies to clusterSend() go to on_reply(ctx, tag, r). */
int clusterInit(cluster *cl, ev_loop *loop, const char *addrs, store_reply_fn *on_reply, void *ctx);
void clusterFree(cluster *cl);
/* Every node's link authenticates as user (storeClientSetAuth): right
 * after clusterInit. */
void clusterSetAuth(cluster *cl, const char *user, const char *password);
/* Every node's TCP link speaks TLS with ctx (storeClientSetTls; NULL:
 * plaintext): right after clusterInit. */
void clusterSetTls(cluster *cl, tls_ctx *ctx);
/* Sends to the primary; -ENOTCONN when there is none reachable.
 * clusterSendRaw returns the node it went to (>= 0). */
int clusterSend(cluster *cl, uint64_t tag, size_t argc, const slice *argv);
int clusterSendRaw(cluster *cl, uint64_t tag, slice command);
/* The primary node, or NULL. */
const cluster_node *clusterPrimary(const cluster *cl);
/* A majority of the store nodes answers: an election can give a primary. */
bool clusterQuorumReachable(const cluster *cl);
/* A read: to the primary, or while there is none (an election, or no
 * majority left) to the reachable node that holds the most, so reads go
 * on; they may then miss the newest writes. The node (>= 0) or -ENOTCONN. */
int clusterSendRead(cluster *cl, uint64_t tag, slice command);

#endif
