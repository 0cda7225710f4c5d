/* directory.h - the store nodes and what each says it is: one pipelined
 * connection to every store address, a `ROLE` poll of each whenever the
 * owner calls dirPoll (every 100 ms), and the answers kept per node. Both
 * sides use it: an API (api/cluster.c) to find the primary of the highest
 * epoch, a store node (src/repl/repl_peers.c) to follow that primary and to
 * carry the election's votes.
 *
 * ROLE answers "+<role> <epoch> <last_seq> <site> <name> <last_entry_epoch>"
 * with role primary, replica, candidate or syncing (src/repl/repl_peers.c).
 * A node whose link is down, or who has not answered yet, is not `known`.
 * The directory's own ROLE requests carry DIR_PROBE_TAG; replies to
 * everything else the owner sends go to its on_reply. */
#ifndef BARDO_DIRECTORY_H
#define BARDO_DIRECTORY_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store_client.h"

#define DIR_MAX 8
#define DIR_NAME_MAX 32
#define DIR_PROBE_TAG (1ull << 63) /* tags of the ROLE polls; owners use the rest */

/* What a ROLE answer says. */
typedef struct repl_role_info {
    bool primary;
    char word[16];              /* primary, replica, candidate, syncing */
    uint64_t epoch, seq;
    uint64_t last_epoch;        /* 0 when an older node leaves it out */
    char site[DIR_NAME_MAX], name[DIR_NAME_MAX];
} repl_role_info;

/* Parses a ROLE reply (NULL or not a status line: false). */
bool replParseRole(const resp_reply *r, repl_role_info *out);

typedef struct directory directory;

typedef struct dir_node {
    store_client sc;
    directory *dir;
    char addr[128];
    bool probing, known;
    repl_role_info role;
    uint64_t answered_ms;       /* when its last ROLE answer came */
} dir_node;

/* A reply to a command the owner sent to node i (NULL: the link died). */
typedef void dir_reply_fn(void *ctx, size_t node, uint64_t tag, const resp_reply *reply);
/* Node i answered a ROLE poll (or failed to: role not known). */
typedef void dir_role_fn(void *ctx, size_t node);

struct directory {
    ev_loop *loop;
    dir_node nodes[DIR_MAX];
    size_t n;
    dir_reply_fn *on_reply;
    dir_role_fn *on_role;
    void *ctx;
};

/* addrs: "a,b,c" (at most DIR_MAX). 0, or -EINVAL (none) / -errno. */
int dirInit(directory *d, ev_loop *loop, const char *addrs, dir_reply_fn *on_reply,
            dir_role_fn *on_role, void *ctx);
void dirFree(directory *d);
/* Every link authenticates as user / speaks TLS with ctx: right after init. */
void dirSetAuth(directory *d, const char *user, const char *password);
void dirSetTls(directory *d, tls_ctx *ctx);
/* Asks every reachable node that is not already asked for its ROLE. */
void dirPoll(directory *d);
int dirSend(directory *d, size_t node, uint64_t tag, size_t argc, const slice *argv);
int dirSendRaw(directory *d, size_t node, uint64_t tag, slice command);
bool dirReady(const directory *d, size_t node);

/* The reachable primary of the highest epoch, skipping node `skip` (-1:
 * none skipped); -1 when there is none. */
int dirPrimary(const directory *d, int skip);
/* The reachable node that holds the most (highest last epoch, then seq). */
int dirMostUpToDate(const directory *d);
/* How many nodes the links reach now. */
size_t dirReachable(const directory *d);

#endif
