/* fuzz_resp.c - libFuzzer target for the RESP parser (src/store/resp.c).
 *
 * The input is parsed as a pipeline of commands, then as a pipeline of
 * replies, on an exact-size copy (so ASan sees any read past len).
 * Invariants: a parse returns PARTIAL/ERROR/TOO_BIG or consumes 1..len
 * bytes; argv/str slices lie inside what was consumed; argc is bounded;
 * every strict prefix of a parsed command is PARTIAL (checked for short
 * ones); writing a parsed command or reply back and parsing that gives the
 * same values; a command's bulks stay within RESP_MAX_BULK, a reply's
 * within RESP_MAX_REPLY_BULK. Seeds include bulk headers past 1 MiB
 * (reply_bulk_*: PARTIAL up to the reply limit, TOO_BIG past it). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/resp.h"

#define CHECK(c) \
    do {         \
        if (!(c)) abort(); \
    } while (0)

static void checkInside(slice s, const char *base, size_t n) {
    if (s.len == 0) return;
    CHECK(s.ptr >= base && s.ptr + s.len <= base + n);
}

static void checkPrefixes(const char *p, size_t n) {
    if (n > 64) return;
    resp_command tmp;
    for (size_t i = 0; i < n; i++) {
        char *copy = malloc(i ? i : 1);
        memcpy(copy, p, i);
        CHECK(respParseCommand(copy, i, &tmp) == RESP_PARTIAL);
        free(copy);
    }
}

static void roundTripCommand(const resp_command *cmd) {
    buf b;
    resp_command again;
    CHECK(bufInit(&b, 0) == 0);
    CHECK(respWriteCommand(&b, cmd->argc, cmd->argv) == 0);
    int n = respParseCommand(b.data, b.len, &again);
    CHECK(n == (int)b.len && again.argc == cmd->argc);
    for (size_t i = 0; i < cmd->argc; i++) CHECK(sliceEq(again.argv[i], cmd->argv[i]));
    bufFree(&b);
}

static void commands(const char *p, size_t len) {
    size_t off = 0;
    while (off < len) {
        resp_command cmd;
        int n = respParseCommand(p + off, len - off, &cmd);
        if (n < 0) {
            CHECK(n == RESP_PARTIAL || n == RESP_ERROR || n == RESP_TOO_BIG);
            return;
        }
        CHECK(n > 0 && (size_t)n <= len - off && cmd.argc <= RESP_MAX_ARGS);
        for (size_t i = 0; i < cmd.argc; i++) {
            checkInside(cmd.argv[i], p + off, (size_t)n);
            CHECK(cmd.argv[i].len <= RESP_MAX_BULK); /* commands stay small */
        }
        checkPrefixes(p + off, (size_t)n);
        if (cmd.argc) roundTripCommand(&cmd);
        off += (size_t)n;
    }
}

static void roundTripReply(const resp_reply *r) {
    buf b;
    resp_reply again;
    char text[64];
    CHECK(bufInit(&b, 0) == 0);
    switch (r->type) {
    case RESP_INT: CHECK(respWriteInt(&b, r->integer) == 0); break;
    case RESP_BULK: CHECK(respWriteBulk(&b, r->str) == 0); break;
    case RESP_NIL: CHECK(respWriteNil(&b) == 0); break;
    default: /* simple/error text may hold a lone CR; only short clean ones */
        if (r->str.len >= sizeof(text) || memchr(r->str.ptr, '\r', r->str.len)) goto out;
        memcpy(text, r->str.ptr, r->str.len);
        text[r->str.len] = 0;
        if (strlen(text) != r->str.len) goto out;
        CHECK((r->type == RESP_SIMPLE ? respWriteSimple(&b, text) : respWriteError(&b, text)) == 0);
    }
    CHECK(respParseReply(b.data, b.len, &again) == (int)b.len && again.type == r->type);
    if (r->type == RESP_INT) CHECK(again.integer == r->integer);
    if (r->type != RESP_INT && r->type != RESP_NIL) CHECK(sliceEq(again.str, r->str));
out:
    bufFree(&b);
}

static void replies(const char *p, size_t len) {
    size_t off = 0;
    while (off < len) {
        resp_reply r;
        int n = respParseReply(p + off, len - off, &r);
        if (n < 0) {
            CHECK(n == RESP_PARTIAL || n == RESP_ERROR || n == RESP_TOO_BIG);
            return;
        }
        CHECK(n > 0 && (size_t)n <= len - off);
        if (r.type != RESP_INT && r.type != RESP_NIL) checkInside(r.str, p + off, (size_t)n);
        /* a reply's bulk has its own, larger limit; lines keep the small one */
        CHECK(r.type == RESP_BULK ? r.str.len <= RESP_MAX_REPLY_BULK
                                  : r.type == RESP_INT || r.type == RESP_NIL || r.str.len <= RESP_MAX_BULK);
        roundTripReply(&r);
        off += (size_t)n;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *p = malloc(size ? size : 1);
    if (!p) return 0;
    if (size) memcpy(p, data, size);
    commands(p, size);
    replies(p, size);
    free(p);
    return 0;
}
