/* acl.h - who may run which store command: users, roles, AUTH.
 *
 * Redis 6's ACLs cut down to what bardo needs. There are three users and
 * each user is its role (so a user is named by its role):
 *   api      what an API sends: PADD, PGET, PSEARCH, PCOUNT, plus ROLE,
 *            INFO, PING, COMMAND;
 *   replica  what one store node sends another: the replication
 *            handshake and stream (SYNC, ACK), the ROLE polls and VOTE, plus
 *            INFO, PING, COMMAND;
 *   admin    everything, SNAPSHOT and FAILOVER (PROMOTE) included.
 * Before AUTH a connection may only send AUTH and QUIT (Redis allows
 * AUTH and HELLO); anything else gets Redis's -NOAUTH. Which roles may
 * run a command is a bitmask in the store's command table
 * (store_cmds.c); aclPermits() reads it.
 *
 * Credentials: one file named by BARDO_CREDENTIALS_FILE, lines
 * `user password` (blank lines and `#` comments allowed), e.g.
 *     api      4f0c...
 *     replica  9a1e...
 *     admin    77d2...
 * that nobody but its owner may read (mode 0600: a file group or others
 * can read, write or run is refused). A user missing from the file is
 * disabled. BARDO_SECRET, the old single shared secret, still works
 * when no file is given: it becomes the password of all three users
 * (any holder is then admin: keep it for quick local runs).
 *
 * Passwords are compared in constant time: over the full ACL_PASS_MAX
 * bytes whatever the lengths, so the time says nothing about how much
 * of a guess was right. An unknown user takes the same path. */
#ifndef BARDO_ACL_H
#define BARDO_ACL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/slice.h"

#define ACL_PASS_MAX 128  /* bytes of one password, at most */
#define ACL_FAIL_DELAY_MS 150 /* a wrong password holds its connection this long */

/* ACL_NONE is 0 so that a zeroed connection is an unauthenticated one. */
typedef enum acl_role { ACL_NONE, ACL_API, ACL_REPLICA, ACL_ADMIN, ACL_ROLES } acl_role;

/* A command's allowed roles: one bit per acl_role, and ACL_PRE for the
 * few commands a connection may send before it authenticates. */
typedef uint8_t acl_mask;
#define ACL_BIT(r) ((acl_mask)(1u << (r)))
#define ACL_PRE ((acl_mask)(1u << ACL_ROLES))
#define ACL_ANY_ROLE ((acl_mask)(ACL_BIT(ACL_API) | ACL_BIT(ACL_REPLICA) | ACL_BIT(ACL_ADMIN)))

typedef struct acl_user {
    bool enabled;
    size_t len;
    char password[ACL_PASS_MAX + 1]; /* NUL-padded: compared over all of it */
} acl_user;

typedef struct acl {
    acl_user users[ACL_ROLES]; /* by role; users[ACL_NONE] is never enabled */
} acl;

/* "api", "replica", "admin"; NULL for anything else. */
const char *aclRoleName(int role);
/* The role a user name means, or ACL_NONE. */
int aclRoleOf(slice user);

/* May a connection authenticated as `role` (ACL_NONE: not yet) run a
 * command whose table entry says `allowed`? */
bool aclPermits(acl_mask allowed, int role);

/* Checks user/password: the user's role, or ACL_NONE when the user is
 * unknown or disabled or the password wrong (all three look the same,
 * as in Redis's WRONGPASS). Constant time in the password. */
int aclCheck(const acl *a, slice user, slice password);

/* Gives `role` the password pw (1..ACL_PASS_MAX bytes, no white space
 * or control characters). 0 or -EINVAL. */
int aclSetUser(acl *a, acl_role role, slice pw);
/* BARDO_SECRET's meaning: every user gets this one password. */
int aclSetAll(acl *a, const char *secret);
/* Reads a credentials file (see the top). 0, or -errno with one line for
 * the user in why (never a password): -EPERM when group or others may
 * use the file, -EINVAL for a bad line, -ENOENT etc. from open. */
int aclLoadFile(acl *a, const char *path, char *why, size_t cap);
/* The one place a program picks its credentials: the file if `file` is
 * set, else `secret` for every user; neither: -ENOENT. Both: -EINVAL. */
int aclLoad(acl *a, const char *file, const char *secret, char *why, size_t cap);
/* The password of `role`, or NULL when that user is disabled. */
const char *aclPassword(const acl *a, acl_role role);
/* Forgets every password (overwrites the memory). */
void aclClear(acl *a);

#endif
