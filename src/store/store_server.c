#include "store/store_server.h"

#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <strings.h>
#include <uuid/uuid.h>

#define STORE_MAX_CONNS 4096

typedef int store_cmd_fn(store *st, const resp_command *cmd, buf *out);

typedef struct store_cmd {
    const char *name;
    size_t min_args, max_args; /* argc, command name included */
    store_cmd_fn *fn;
} store_cmd;

static bool storeParseId(slice s, uint8_t id[16]) {
    char text[37];
    if (s.len != 36) return false;
    memcpy(text, s.ptr, 36);
    text[36] = '\0';
    return uuid_parse(text, id) == 0;
}

static int cmdAdd(store *st, const resp_command *cmd, buf *out) {
    uint8_t id[16];
    if (!storeParseId(cmd->argv[1], id)) return respWriteError(out, "ERR malformed id");
    int rc = peopleAdd(st->db, id, cmd->argv[2], cmd->argv[3], cmd->argv[4]);
    if (rc == 0) return respWriteSimple(out, "OK");
    if (rc == -EEXIST) return respWriteError(out, "DUP apelido already taken");
    if (rc == -EALREADY) return respWriteError(out, "DUPID id already exists");
    return respWriteError(out, "ERR out of memory");
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

/* The reply is one bulk string holding the JSON array, built in place:
 * reserve room for the "$<len>\r\n" header, write the array, then fill
 * in the header (right-aligned digits would waste bytes, so the array is
 * moved once if the header is shorter than reserved). */
static int cmdSearch(store *st, const resp_command *cmd, buf *out) {
    long limit = storeParseLimit(cmd);
    if (limit < 0) return respWriteError(out, "ERR limit must be 0..1000");
    enum { HDR = 16 };
    if (bufReserve(out, HDR) < 0) return -ENOMEM;
    size_t hdr_rel = out->len - out->off; /* growing `out` may compact it */
    out->len += HDR;
    int n = peopleSearch(st->db, cmd->argv[1], (size_t)limit, out);
    if (n < 0) return n;
    size_t hdr_at = out->off + hdr_rel;
    size_t body_len = out->len - hdr_at - HDR;
    char hdr[HDR + 8];
    int hl = snprintf(hdr, sizeof(hdr), "$%zu\r\n", body_len);
    memmove(out->data + hdr_at + (size_t)hl, out->data + hdr_at + HDR, body_len);
    memcpy(out->data + hdr_at, hdr, (size_t)hl);
    out->len = hdr_at + (size_t)hl + body_len;
    return bufAppend(out, "\r\n", 2);
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

static int cmdInfo(store *st, const resp_command *cmd, buf *out) {
    (void)cmd;
    char text[256];
    int n = snprintf(text, sizeof(text),
                     "# bardo store\r\npeople:%zu\r\nmemory_bytes:%zu\r\ncommands:%llu\r\n",
                     peopleCount(st->db), peopleMemoryBytes(st->db),
                     (unsigned long long)st->commands);
    return respWriteBulk(out, sliceMake(text, (size_t)n));
}

static int cmdCommand(store *st, const resp_command *cmd, buf *out) {
    (void)st;
    (void)cmd;
    return bufAppendStr(out, "*0\r\n"); /* redis-cli asks on connect */
}

static const store_cmd STORE_COMMANDS[] = {
    {"PADD", 5, 5, cmdAdd},         {"PGET", 2, 2, cmdGet},
    {"PSEARCH", 2, 3, cmdSearch},   {"PCOUNT", 1, 1, cmdCount},
    {"PING", 1, 2, cmdPing},        {"INFO", 1, 2, cmdInfo},
    {"COMMAND", 1, RESP_MAX_ARGS, cmdCommand},
};

static const store_cmd *storeLookup(slice name) {
    for (size_t i = 0; i < sizeof(STORE_COMMANDS) / sizeof(STORE_COMMANDS[0]); i++) {
        const store_cmd *c = &STORE_COMMANDS[i];
        if (strlen(c->name) == name.len && strncasecmp(c->name, name.ptr, name.len) == 0) return c;
    }
    return NULL;
}

int storeExecute(store *st, const resp_command *cmd, buf *out) {
    st->commands++;
    if (cmd->argc == 0) return 0; /* an empty inline line: nothing to answer */
    const store_cmd *c = storeLookup(cmd->argv[0]);
    if (!c) return respWriteError(out, "ERR unknown command");
    if (cmd->argc < c->min_args || cmd->argc > c->max_args)
        return respWriteError(out, "ERR wrong number of arguments");
    return c->fn(st, cmd, out);
}

static bool storeOnData(server_conn *c) {
    store *st = c->srv->ctx;
    while (bufUnread(&c->in)) {
        resp_command cmd;
        int n = respParseCommand(bufReadPtr(&c->in), bufUnread(&c->in), &cmd);
        if (n == RESP_PARTIAL) break;
        if (n < 0) { /* the stream cannot be resynchronised: say why, hang up */
            respWriteError(&c->out, n == RESP_TOO_BIG ? "ERR command too big" : "ERR protocol error");
            serverCloseAfterFlush(c);
            break;
        }
        if (storeExecute(st, &cmd, &c->out) < 0) return false;
        bufConsume(&c->in, (size_t)n);
    }
    bufCompact(&c->in);
    serverMarkDirty(c);
    return true;
}

static const server_ops STORE_OPS = {.on_data = storeOnData};

int storeStart(store *st, ev_loop *loop, const char *addr, size_t expected_people) {
    *st = (store){.loop = loop, .started_ms = evNowMs(loop)};
    st->db = peopleCreate(expected_people);
    if (!st->db) return -ENOMEM;
    int rc = serverStart(&st->srv, loop, addr, &STORE_OPS, STORE_MAX_CONNS, st);
    if (rc < 0) {
        peopleDestroy(st->db);
        st->db = NULL;
        return rc;
    }
    st->srv.idle_ms = 0; /* API connections are long-lived and may be quiet */
    return 0;
}

void storeStop(store *st) {
    serverStop(&st->srv);
    peopleDestroy(st->db);
    st->db = NULL;
}
