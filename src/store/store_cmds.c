/* store_cmds.c - the store's commands, looked up in a table.
 * The people commands (PADD, PGET, PSEARCH, PCOUNT) are what the APIs
 * send; ROLE, SYNC, ACK and PROMOTE are replication's (repl.h); PING,
 * INFO and COMMAND keep redis-cli happy; AUTH and QUIT are all a
 * connection may send before it authenticates. Each entry says which
 * roles may run it (acl.h); storeExecute checks that before anything
 * else, so a refused command changes nothing. */
#include "store/store_server.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <strings.h>
#include <uuid/uuid.h>

#include "core/log.h"
#include "probe/status.h"
#include "api/person.h"
#include "store/person_check.h"
#include "store/snapshot.h"

typedef int store_cmd_fn(store *st, const resp_command *cmd, buf *out);

typedef struct store_cmd {
    const char *name;
    size_t min_args, max_args; /* argc, command name included */
    store_cmd_fn *fn;
    acl_mask roles;            /* who may run it (acl.h) */
} store_cmd;

static bool storeParseId(slice s, uint8_t id[16]) {
    char text[37];
    if (s.len != 36) return false;
    memcpy(text, s.ptr, 36);
    text[36] = '\0';
    return uuid_parse(text, id) == 0;
}

/* +OK now if seq is already committed, else once it is (hold.h). */
static int ackWhenCommitted(store *st, uint64_t seq, buf *out) {
    if (!st->current || seq <= replCommitted(&st->repl)) {
        replNoteAck(&st->repl);
        return respWriteSimple(out, "OK");
    }
    return holdWait(&st->current->hold, seq, evNowMs(st->loop));
}

/* The same PADD again (an API retrying across a failover): the person is
 * here with this id and apelido. Acknowledged once everything up to now is
 * committed, which covers the entry that first brought it. */
static bool isReplay(store *st, const uint8_t id[16], slice apelido) {
    slice held;
    return st->repl.role == REPL_PRIMARY && peopleApelidoOf(st->db, id, &held) &&
           sliceEq(held, apelido);
}

/* Refusals that change nothing: checked before anything is journaled. */
static const char *addRefusal(store *st, const uint8_t id[16], slice apelido) {
    slice json;
    if (st->repl.role != REPL_PRIMARY) return "READONLY this node is a replica";
    if (peopleGet(st->db, id, &json)) return "DUPID id already exists";
    if (peopleApelidoTaken(st->db, apelido)) return "DUP apelido already taken";
    if (st->loop && memLimitReached(&st->mem, evNowMs(st->loop))) {
        st->refused_nomem++;
        return "NOMEM store memory limit reached: no new people (reads go on)";
    }
    if (!replCanWrite(&st->repl)) {
        st->repl.refused++;
        return "NOREPLICAS not enough replicas in other sites";
    }
    return NULL;
}

/* The largest PADD a valid person makes (json and key each at most
 * PERSON_JSON_MAX) must fit a command bulk and, as an entry, a journal
 * frame: commands keep their small limit, yet every valid person gets in. */
_Static_assert(PERSON_JSON_MAX <= RESP_MAX_BULK && 4 * RESP_MAX_BULK + 256 <= JOURNAL_BODY_MAX,
               "a valid person's PADD must fit a command and a journal frame");

/* PADD <id> <apelido> <search-key> <json>: checked (person_check.h),
 * applied, then journaled; the +OK waits until replicas (and the disk, if
 * any) hold it. Applied first because peopleAdd is the step that can run
 * out of memory and it changes nothing when it fails: an entry journaled
 * before a failed add would reach the replicas for a person the primary
 * refused. The journal can fail too (-EIO, -EMSGSIZE): then the person
 * is taken out again, before anyone could have read it (one thread). A
 * replay is checked too: what it would acknowledge must be a person. */
static int cmdAdd(store *st, const resp_command *cmd, buf *out) {
    uint8_t id[16];
    char why[160];
    if (!storeParseId(cmd->argv[1], id)) return respWriteError(out, "ERR malformed id");
    int rc = personCheckAdd(cmd->argv[1], cmd->argv[2], cmd->argv[3], cmd->argv[4], why,
                            sizeof(why));
    if (rc < 0) return respWriteError(out, rc == -EINVAL ? why : "ERR out of memory");
    if (isReplay(st, id, cmd->argv[2])) return ackWhenCommitted(st, journalLastSeq(st->journal), out);
    const char *refusal = addRefusal(st, id, cmd->argv[2]);
    if (refusal) return respWriteError(out, refusal);
    if (peopleAdd(st->db, id, cmd->argv[2], cmd->argv[3], cmd->argv[4]) < 0)
        return respWriteError(out, "NOMEM out of memory: no new people (reads go on)");
    int64_t seq = journalAppendAdd(st->journal, st->repl.epoch, id, cmd->argv[2], cmd->argv[3],
                                   cmd->argv[4]);
    if (seq < 0) {
        peopleRemove(st->db, id);
        return respWriteError(out, "ERR journal refused the write");
    }
    st->last_entry_epoch = st->repl.epoch;
    return ackWhenCommitted(st, (uint64_t)seq, out);
}

static int cmdGet(store *st, const resp_command *cmd, buf *out) {
    uint8_t id[16];
    slice json;
    if (!storeParseId(cmd->argv[1], id) || !peopleGet(st->db, id, &json)) return respWriteNil(out);
    return respWriteBulk(out, json);
}

static long storeParseLimit(const resp_command *cmd) {
    if (cmd->argc < 3) return 50;
    char tmp[8];
    slice s = cmd->argv[2];
    if (s.len == 0 || s.len >= sizeof(tmp)) return -1;
    memcpy(tmp, s.ptr, s.len);
    tmp[s.len] = '\0';
    char *end;
    long v = strtol(tmp, &end, 10);
    return (*end || v < 0 || v > STORE_SEARCH_LIMIT_MAX) ? -1 : v;
}

/* A bulk reply built in place: reserve room for the "$<len>\r\n" header,
 * let the caller write the body, then fill in the header (right-aligned
 * digits would waste bytes, so the body is moved once if the header is
 * shorter than reserved). */
enum { BULK_HDR = 16 };

/* *hdr_rel is relative to the read cursor: growing `out` may compact it. */
static int storeBulkBegin(buf *out, size_t *hdr_rel) {
    if (bufReserve(out, BULK_HDR) < 0) return -ENOMEM;
    *hdr_rel = out->len - out->off;
    out->len += BULK_HDR;
    return 0;
}

static int storeBulkEnd(buf *out, size_t hdr_rel) {
    size_t hdr_at = out->off + hdr_rel;
    size_t body_len = out->len - hdr_at - BULK_HDR;
    char hdr[BULK_HDR + 8];
    int hl = snprintf(hdr, sizeof(hdr), "$%zu\r\n", body_len);
    memmove(out->data + hdr_at + (size_t)hl, out->data + hdr_at + BULK_HDR, body_len);
    memcpy(out->data + hdr_at, hdr, (size_t)hl);
    out->len = hdr_at + (size_t)hl + body_len;
    return bufAppend(out, "\r\n", 2);
}

/* The reply is one bulk string holding the JSON array, built in place. */
static int cmdSearch(store *st, const resp_command *cmd, buf *out) {
    long limit = storeParseLimit(cmd);
    if (limit < 0) return respWriteError(out, "ERR limit must be 0..1000");
    size_t hdr_rel;
    if (storeBulkBegin(out, &hdr_rel) < 0) return -ENOMEM;
    int n = peopleSearch(st->db, cmd->argv[1], (size_t)limit, out);
    if (n < 0) return n;
    return storeBulkEnd(out, hdr_rel);
}

static int cmdCount(store *st, const resp_command *cmd, buf *out) {
    (void)cmd;
    return respWriteInt(out, (long long)peopleCount(st->db));
}

static int cmdPing(store *st, const resp_command *cmd, buf *out) {
    (void)st;
    if (cmd->argc > 1) return respWriteBulk(out, cmd->argv[1]);
    return respWriteSimple(out, "PONG");
}

/* A replica's link to its primary: idle, connecting (TCP, TLS, AUTH and
 * SYNC), syncing (a full resync is building its new db) or streaming. */
static const char *storeReplState(const store *st) {
    switch (st->repl.up.state) {
    case UP_IDLE: return "idle";
    case UP_SNAPSHOT: return "syncing";
    case UP_STREAM: return "streaming";
    default: return "connecting";
    }
}

/* role, epoch and journal_offset as ROLE says them; site from --site,
 * else BARDO_SITE (the probe's); lag is the API's to work out. The auth
 * counters say whether someone knocks (never who with what password). */
static int storeInfoBardo(store *st, buf *b) {
    char text[512];
    uint64_t up_ms = st->loop ? evNowMs(st->loop) - st->started_ms : 0;
    const char *site = st->repl.cfg.site ? st->repl.cfg.site : st->host ? st->host->cloud.site : "";
    int n = snprintf(text, sizeof(text),
                     "# bardo store\r\npeople:%zu\r\nmemory_bytes:%zu\r\ncommands:%llu\r\n"
                     "role:%s\r\nepoch:%llu\r\njournal_offset:%llu\r\nsite:%s\r\n"
                     "uptime_seconds:%llu\r\nauth_failures:%llu\r\nrefused_commands:%llu\r\n"
                     "unauthenticated_connections:%zu\r\nunauthenticated_closed:%llu\r\n",
                     peopleCount(st->db), peopleMemoryBytes(st->db),
                     (unsigned long long)st->commands,
                     st->repl.role == REPL_PRIMARY ? "primary" : "replica",
                     (unsigned long long)st->repl.epoch,
                     (unsigned long long)(st->journal ? journalLastSeq(st->journal) : 0), site,
                     (unsigned long long)(up_ms / 1000), (unsigned long long)st->auth_failures,
                     (unsigned long long)st->refusals, st->unauthed,
                     (unsigned long long)(st->auth_evictions + st->auth_timeouts));
    int rc = bufAppend(b, text, (size_t)n);
    if (rc == 0) {
        n = snprintf(text, sizeof(text), "memory_rss:%llu\r\nmemory_limit:%llu\r\nrefused_nomem:%llu\r\n",
                     (unsigned long long)memLimitRssBytes(), (unsigned long long)st->mem.limit_bytes,
                     (unsigned long long)st->refused_nomem);
        rc = bufAppend(b, text, (size_t)n);
    }
    if (rc == 0 && st->repl.role != REPL_PRIMARY) {
        n = snprintf(text, sizeof(text), "repl_state:%s\r\n", storeReplState(st));
        rc = bufAppend(b, text, (size_t)n);
    }
    return rc;
}

/* INFO [bardo|status]; the host facts come from src/probe's snapshot. */
static int cmdInfo(store *st, const resp_command *cmd, buf *out) {
    slice section = cmd->argc > 1 ? cmd->argv[1] : SLICE_LIT("all");
    bool all = sliceEqStr(section, "all") || sliceEqStr(section, "everything");
    size_t hdr_rel;
    if (storeBulkBegin(out, &hdr_rel) < 0) return -ENOMEM;
    int rc = 0;
    if (all || sliceEqStr(section, "bardo")) rc = storeInfoBardo(st, out);
    if (rc == 0 && st->host && (all || sliceEqStr(section, "status"))) {
        status_app app = {.program = "bardo-store", .role = "store", .instance = "store",
                          .started_ms = st->started_ms, .now_ms = evNowMs(st->loop),
                          .requests = st->commands};
        rc = statusWriteInfo(out, &app, st->host);
    }
    return rc < 0 ? rc : storeBulkEnd(out, hdr_rel);
}

static int cmdCommand(store *st, const resp_command *cmd, buf *out) {
    (void)st;
    (void)cmd;
    return bufAppendStr(out, "*0\r\n"); /* redis-cli asks on connect */
}

/* SNAPSHOT: writes the whole state to the data directory now (temp file,
 * fsync, rename, fsync the folder). It holds the loop for its duration
 * (~1 s at 1M people, docs/BENCHMARKS.md): an operator's command. */
static int cmdSnapshot(store *st, const resp_command *cmd, buf *out) {
    (void)cmd;
    char err[256], line[96];
    if (!st->data_dir) return respWriteError(out, "ERR no data directory (--data-dir)");
    uint64_t t0 = evClockMs(), seq = journalLastSeq(st->journal);
    if (snapshotWriteFile(st->db, st->data_dir, seq, st->last_entry_epoch, err, sizeof(err)) < 0)
        return respWriteError(out, "ERR snapshot failed");
    /* the snapshot holds every entry up to seq: the file's are now redundant */
    if (journalTruncateFile(st->journal) < 0) {
        logError("journal truncation after the snapshot failed: writes are refused");
        return respWriteError(out, "ERR snapshot written, journal truncation failed");
    }
    snprintf(line, sizeof(line), "+OK seq %llu in %llu ms\r\n", (unsigned long long)seq,
             (unsigned long long)(evClockMs() - t0));
    return bufAppendStr(out, line);
}

/* Client bytes for a log line or an error: at most 32 of them, lower
 * case when `lower` (as Redis writes command names), anything
 * unprintable as '?', so no one can forge log lines. */
static void storePrintable(slice name, bool lower, char *dst, size_t cap) {
    size_t n = name.len < cap - 1 ? name.len : cap - 1;
    n = n < 32 ? n : 32;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)name.ptr[i];
        dst[i] = ch > ' ' && ch < 0x7f ? (char)(lower ? tolower(ch) : ch) : '?';
    }
    dst[n] = '\0';
}

/* AUTH [user] <password>. One argument means the user "default", as in
 * Redis, and bardo has no such user: redis-cli needs --user. A wrong
 * password is logged (never the password) and holds the connection. */
static int cmdAuth(store *st, const resp_command *cmd, buf *out) {
    slice user = cmd->argc == 3 ? cmd->argv[1] : SLICE_LIT("default");
    int role = aclCheck(&st->acl, user, cmd->argv[cmd->argc - 1]);
    if (role == ACL_NONE) {
        char who[40];
        storePrintable(user, false, who, sizeof(who));
        st->auth_failures++;
        storeLogRefusal(st, "AUTH refused: wrong password for user '%s'", who);
        if (st->current) storeConnAuthFailed(st, st->current);
        return respWriteError(out, "WRONGPASS invalid username-password pair or user is disabled.");
    }
    if (st->current) storeConnAuthed(st, st->current, role);
    return respWriteSimple(out, "OK");
}

static int cmdQuit(store *st, const resp_command *cmd, buf *out) {
    (void)cmd;
    if (st->current) st->current->quit = true;
    return respWriteSimple(out, "OK");
}

/* Replication's commands (src/repl/repl.h): SYNC and ACK are about the
 * connection they arrive on, so they get its replica link. */
static repl_link *currentLink(store *st) { return st->current ? &st->current->link : NULL; }
static int cmdSync(store *st, const resp_command *cmd, buf *out) {
    return replCmdSync(&st->repl, currentLink(st), cmd, out);
}
static int cmdAck(store *st, const resp_command *cmd, buf *out) {
    return replCmdAck(&st->repl, currentLink(st), cmd, out);
}
static int cmdRole(store *st, const resp_command *cmd, buf *out) {
    return replCmdRole(&st->repl, cmd, out);
}
static int cmdFailover(store *st, const resp_command *cmd, buf *out) {
    return replCmdFailover(&st->repl, cmd, out);
}
static int cmdVote(store *st, const resp_command *cmd, buf *out) {
    return replCmdVote(&st->repl, cmd, out);
}

/* Who may run what (acl.h): the `roles` column. */
#define R_API ACL_BIT(ACL_API)
#define R_REPLICA ACL_BIT(ACL_REPLICA)
#define R_ADMIN ACL_BIT(ACL_ADMIN)
#define R_ALL ACL_ANY_ROLE

static const store_cmd STORE_COMMANDS[] = {
    /* name        argc min, max        handler          roles */
    {"PADD",       5, 5,                cmdAdd,          R_API | R_ADMIN},
    {"PGET",       2, 2,                cmdGet,          R_API | R_ADMIN},
    {"PSEARCH",    2, 3,                cmdSearch,       R_API | R_ADMIN},
    {"PCOUNT",     1, 1,                cmdCount,        R_API | R_ADMIN},
    {"PING",       1, 2,                cmdPing,         R_ALL},
    {"INFO",       1, 2,                cmdInfo,         R_ALL},
    {"COMMAND",    1, RESP_MAX_ARGS,    cmdCommand,      R_ALL},
    {"ROLE",       1, 1,                cmdRole,         R_ALL},
    {"SYNC",       5, 5,                cmdSync,         R_REPLICA | R_ADMIN},
    {"ACK",        2, 2,                cmdAck,          R_REPLICA | R_ADMIN},
    {"FAILOVER",   1, 1,                cmdFailover,     R_ADMIN},
    {"PROMOTE",    1, 1,                cmdFailover,     R_ADMIN},
    {"VOTE",       6, 6,                cmdVote,         R_REPLICA | R_ADMIN},
    {"SNAPSHOT",   1, 1,                cmdSnapshot,     R_ADMIN},
    {"AUTH",       2, 3,                cmdAuth,         ACL_PRE},
    {"QUIT",       1, RESP_MAX_ARGS,    cmdQuit,         ACL_PRE},
};

static const store_cmd *storeLookup(slice name) {
    for (size_t i = 0; i < sizeof(STORE_COMMANDS) / sizeof(STORE_COMMANDS[0]); i++) {
        const store_cmd *c = &STORE_COMMANDS[i];
        if (strlen(c->name) == name.len && strncasecmp(c->name, name.ptr, name.len) == 0) return c;
    }
    return NULL;
}

bool storeCommandRoles(slice name, acl_mask *roles) {
    const store_cmd *c = storeLookup(name);
    if (c) *roles = c->roles;
    return c != NULL;
}

const char *storeCommandName(size_t i) {
    return i < sizeof(STORE_COMMANDS) / sizeof(STORE_COMMANDS[0]) ? STORE_COMMANDS[i].name : NULL;
}

/* The role the current connection runs as; an in-process caller (no
 * connection: tests, benches) is trusted as admin. */
static int storeCurrentRole(const store *st) {
    return st->current ? st->current->role : ACL_ADMIN;
}

/* -NOAUTH or -NOPERM, in Redis's words, and a (rate-limited) log line. */
static int storeRefuse(store *st, slice name, int role, buf *out) {
    char cmd[40], line[128];
    storePrintable(name, true, cmd, sizeof(cmd));
    st->refusals++;
    if (role == ACL_NONE) {
        storeLogRefusal(st, "refused '%s' on an unauthenticated connection", cmd);
        return respWriteError(out, "NOAUTH Authentication required.");
    }
    storeLogRefusal(st, "refused '%s' to user %s: not in its role", cmd, aclRoleName(role));
    snprintf(line, sizeof(line), "NOPERM User %s has no permissions to run the '%s' command",
             aclRoleName(role), cmd);
    return respWriteError(out, line);
}

int storeExecute(store *st, const resp_command *cmd, buf *out) {
    st->commands++;
    if (cmd->argc == 0) return 0; /* an empty inline line: nothing to answer */
    const store_cmd *c = storeLookup(cmd->argv[0]);
    int role = storeCurrentRole(st);
    /* before AUTH even an unknown command says NOAUTH: nothing is told */
    if (role == ACL_NONE && !(c && (c->roles & ACL_PRE)))
        return storeRefuse(st, cmd->argv[0], role, out);
    if (!c) return respWriteError(out, "ERR unknown command");
    if (cmd->argc < c->min_args || cmd->argc > c->max_args)
        return respWriteError(out, "ERR wrong number of arguments");
    if (!aclPermits(c->roles, role)) return storeRefuse(st, cmd->argv[0], role, out);
    return c->fn(st, cmd, out);
}
