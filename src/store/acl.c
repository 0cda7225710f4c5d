/* acl.c - users, roles and the credentials file (see acl.h). */
#include "store/acl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const ACL_NAMES[ACL_ROLES] = {NULL, "api", "replica", "admin"};

const char *aclRoleName(int role) {
    return role > ACL_NONE && role < ACL_ROLES ? ACL_NAMES[role] : NULL;
}

int aclRoleOf(slice user) {
    for (int r = ACL_NONE + 1; r < ACL_ROLES; r++)
        if (sliceEqStr(user, ACL_NAMES[r])) return r;
    return ACL_NONE;
}

bool aclPermits(acl_mask allowed, int role) {
    if (allowed & ACL_PRE) return true;
    return role > ACL_NONE && role < ACL_ROLES && (allowed & ACL_BIT(role));
}

/* Differences between pw and the stored password, over all of
 * ACL_PASS_MAX + 1 bytes whatever their lengths: 0 when equal. The
 * stored side is NUL-padded, the given side read as if it were. */
static unsigned aclDiff(const acl_user *u, slice pw) {
    volatile unsigned diff = (unsigned)(pw.len != u->len) | (unsigned)(pw.len > ACL_PASS_MAX);
    for (size_t i = 0; i <= ACL_PASS_MAX; i++) {
        unsigned char g = i < pw.len ? (unsigned char)pw.ptr[i] : 0;
        diff |= (unsigned)(g ^ (unsigned char)u->password[i]);
    }
    return diff;
}

int aclCheck(const acl *a, slice user, slice password) {
    int role = aclRoleOf(user);
    /* an unknown user is compared too (with users[ACL_NONE], never
     * enabled), so it costs what a known one does */
    const acl_user *u = &a->users[role];
    unsigned diff = aclDiff(u, password);
    if (role == ACL_NONE || !u->enabled || diff != 0) return ACL_NONE;
    return role;
}

static bool aclWordOk(slice w) {
    if (w.len == 0 || w.len > ACL_PASS_MAX) return false;
    for (size_t i = 0; i < w.len; i++)
        if ((unsigned char)w.ptr[i] <= ' ' || w.ptr[i] == 0x7f) return false;
    return true;
}

int aclSetUser(acl *a, acl_role role, slice pw) {
    if (role <= ACL_NONE || role >= ACL_ROLES || !aclWordOk(pw)) return -EINVAL;
    acl_user *u = &a->users[role];
    memset(u->password, 0, sizeof(u->password));
    memcpy(u->password, pw.ptr, pw.len);
    u->len = pw.len;
    u->enabled = true;
    return 0;
}

int aclSetAll(acl *a, const char *secret) {
    for (int r = ACL_NONE + 1; r < ACL_ROLES; r++) {
        int rc = aclSetUser(a, (acl_role)r, sliceMake(secret, strlen(secret)));
        if (rc < 0) return rc;
    }
    return 0;
}

/* The next white-space separated word of *s, or an empty slice. */
static slice aclNextWord(const char **s) {
    const char *p = *s + strspn(*s, " \t\r\n");
    size_t n = strcspn(p, " \t\r\n");
    *s = p + n;
    return sliceMake(p, n);
}

/* One line of the file: `user password`, blank, or a # comment. */
static int aclParseLine(acl *a, const char *line, char *why, size_t cap, int lineno) {
    const char *s = line;
    slice user = aclNextWord(&s), pw = aclNextWord(&s), extra = aclNextWord(&s);
    if (user.len == 0 || user.ptr[0] == '#') return 0;
    int role = aclRoleOf(user);
    if (role == ACL_NONE) {
        snprintf(why, cap, "line %d: unknown user '%.*s' (api, replica or admin)", lineno,
                 (int)(user.len > 32 ? 32 : user.len), user.ptr);
        return -EINVAL;
    }
    if (extra.len || aclSetUser(a, (acl_role)role, pw) < 0) {
        snprintf(why, cap, "line %d: want `%s PASSWORD`, one word of 1..%d printable bytes",
                 lineno, ACL_NAMES[role], ACL_PASS_MAX);
        return -EINVAL;
    }
    return 0;
}

/* Only the owner may use the file: a password others can read is known. */
static int aclCheckMode(int fd, const char *path, char *why, size_t cap) {
    struct stat sb;
    if (fstat(fd, &sb) < 0) return -errno;
    if (!S_ISREG(sb.st_mode)) {
        snprintf(why, cap, "%s is not a regular file", path);
        return -EINVAL;
    }
    if (sb.st_mode & 077) {
        snprintf(why, cap, "%s is open to group or others (mode %04o): chmod 600 it", path,
                 (unsigned)(sb.st_mode & 07777));
        return -EPERM;
    }
    return 0;
}

static int aclReadLines(acl *a, FILE *f, char *why, size_t cap) {
    char line[ACL_PASS_MAX + 64];
    int lineno = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof(line), f)) {
        lineno++;
        if (!strchr(line, '\n') && !feof(f)) {
            snprintf(why, cap, "line %d is too long", lineno);
            rc = -EINVAL;
        } else {
            rc = aclParseLine(a, line, why, cap, lineno);
        }
    }
    memset(line, 0, sizeof(line));
    return rc;
}

static bool aclAnyUser(const acl *a) {
    for (int r = ACL_NONE + 1; r < ACL_ROLES; r++)
        if (a->users[r].enabled) return true;
    return false;
}

int aclLoadFile(acl *a, const char *path, char *why, size_t cap) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int err = errno;
        snprintf(why, cap, "cannot open %s: %s", path, strerror(err));
        return -err;
    }
    int rc = aclCheckMode(fd, path, why, cap);
    FILE *f = rc == 0 ? fdopen(fd, "r") : NULL;
    if (!f) {
        close(fd);
        return rc < 0 ? rc : -ENOMEM;
    }
    char inner[160];
    inner[0] = '\0';
    rc = aclReadLines(a, f, inner, sizeof(inner));
    fclose(f);
    if (rc == 0 && !aclAnyUser(a)) {
        snprintf(inner, sizeof(inner), "no user in it (lines `api|replica|admin PASSWORD`)");
        rc = -EINVAL;
    }
    if (rc < 0) snprintf(why, cap, "%s: %s", path, inner);
    return rc;
}

int aclLoad(acl *a, const char *file, const char *secret, char *why, size_t cap) {
    aclClear(a);
    if (file && secret) {
        snprintf(why, cap, "set BARDO_CREDENTIALS_FILE or BARDO_SECRET, not both");
        return -EINVAL;
    }
    if (file) return aclLoadFile(a, file, why, cap);
    if (!secret) {
        snprintf(why, cap, "no credentials: set BARDO_CREDENTIALS_FILE (or BARDO_SECRET)");
        return -ENOENT;
    }
    if (aclSetAll(a, secret) < 0) {
        snprintf(why, cap, "BARDO_SECRET must be one word of 1..%d printable bytes", ACL_PASS_MAX);
        return -EINVAL;
    }
    return 0;
}

const char *aclPassword(const acl *a, acl_role role) {
    if (role <= ACL_NONE || role >= ACL_ROLES || !a->users[role].enabled) return NULL;
    return a->users[role].password;
}

void aclClear(acl *a) {
    volatile unsigned char *p = (volatile unsigned char *)a;
    for (size_t i = 0; i < sizeof(*a); i++) p[i] = 0; /* not optimised away */
}
