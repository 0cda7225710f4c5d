/* test_resp.c - RESP2 parser and writers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api/person.h"
#include "store/resp.h"

static int parseCmd(const char *s, resp_command *cmd) {
    return respParseCommand(s, strlen(s), cmd);
}

static void assertArg(const resp_command *cmd, size_t i, const char *want) {
    assert_true(i < cmd->argc);
    assert_true(sliceEqStr(cmd->argv[i], want));
}

static void test_array_command(void **state) {
    (void)state;
    resp_command cmd;
    const char *s = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n";
    assert_int_equal(parseCmd(s, &cmd), (int)strlen(s));
    assert_int_equal(cmd.argc, 3);
    assertArg(&cmd, 0, "SET");
    assertArg(&cmd, 1, "k");
    assertArg(&cmd, 2, "");
    /* binary-safe: CRLF and NUL inside a bulk */
    const char bin[] = "*1\r\n$4\r\na\r\n\0\r\n";
    assert_int_equal(respParseCommand(bin, sizeof(bin) - 1, &cmd), (int)sizeof(bin) - 1);
    assert_int_equal(cmd.argv[0].len, 4);
    assert_memory_equal(cmd.argv[0].ptr, "a\r\n\0", 4);
}

static void test_inline_command(void **state) {
    (void)state;
    resp_command cmd;
    assert_int_equal(parseCmd("PING\r\n", &cmd), 6);
    assert_int_equal(cmd.argc, 1);
    assertArg(&cmd, 0, "PING");
    assert_int_equal(parseCmd("  GET \t key  \n", &cmd), 14);
    assert_int_equal(cmd.argc, 2);
    assertArg(&cmd, 0, "GET");
    assertArg(&cmd, 1, "key");
    assert_int_equal(parseCmd("\r\n", &cmd), 2);
    assert_int_equal(cmd.argc, 0);
    assert_int_equal(parseCmd("PING", &cmd), RESP_PARTIAL);
    assert_int_equal(parseCmd("PING\r", &cmd), RESP_PARTIAL);
    assert_int_equal(parseCmd("a b c d e f g h i j k l m n o p\r\n", &cmd), 33);
    assert_int_equal(cmd.argc, 16);
    assert_int_equal(parseCmd("a b c d e f g h i j k l m n o p q\r\n", &cmd), RESP_TOO_BIG);
}

static void test_empty_arrays(void **state) {
    (void)state;
    resp_command cmd;
    assert_int_equal(parseCmd("*0\r\n", &cmd), 4);
    assert_int_equal(cmd.argc, 0);
    assert_int_equal(parseCmd("*-1\r\n", &cmd), 5);
    assert_int_equal(cmd.argc, 0);
}

static void test_pipelined(void **state) {
    (void)state;
    const char *s = "*1\r\n$4\r\nPING\r\nPING\r\n*2\r\n$3\r\nGET\r\n$2\r\nab\r\n";
    const char *want[] = {"PING", "PING", "GET"};
    size_t off = 0, len = strlen(s);
    resp_command cmd;
    for (int i = 0; i < 3; i++) {
        int n = respParseCommand(s + off, len - off, &cmd);
        assert_true(n > 0);
        assertArg(&cmd, 0, want[i]);
        off += (size_t)n;
    }
    assert_int_equal(off, len);
    assertArg(&cmd, 1, "ab");
    assert_int_equal(respParseCommand(s + off, 0, &cmd), RESP_PARTIAL);
}

/* Every strict prefix is PARTIAL; checked on exact-size heap copies so
 * ASan catches any read past len. */
static void assertPrefixesPartial(const char *s, size_t len, bool reply) {
    for (size_t i = 0; i < len; i++) {
        char *p = malloc(i ? i : 1);
        memcpy(p, s, i);
        resp_command cmd;
        resp_reply r;
        int rc = reply ? respParseReply(p, i, &r) : respParseCommand(p, i, &cmd);
        if (rc != RESP_PARTIAL) fail_msg("prefix %zu of %.*s gave %d", i, (int)len, s, rc);
        free(p);
    }
}

static void test_prefixes_partial(void **state) {
    (void)state;
    const char *cmds[] = {"*3\r\n$3\r\nSET\r\n$10\r\n0123456789\r\n$0\r\n\r\n", "PING x\r\n",
                          "*1\r\n$12\r\nab\r\ncd\r\nefgh\r\n"};
    for (size_t i = 0; i < 3; i++) assertPrefixesPartial(cmds[i], strlen(cmds[i]), false);
    const char *replies[] = {"+OK\r\n", "-ERR x\r\n", ":-1234\r\n", "$5\r\nhello\r\n", "$-1\r\n",
                             "$0\r\n\r\n"};
    for (size_t i = 0; i < 6; i++) assertPrefixesPartial(replies[i], strlen(replies[i]), true);
}

static void test_malformed_commands(void **state) {
    (void)state;
    resp_command cmd;
    const char *errors[] = {"*x\r\n",        "*\r\n",          "*-2\r\n",
                            "*1\r\n$-1\r\n", "*1\r\n$-5\r\n",  "*1\r\n:1\r\n",
                            "*1\r\n$3\r\nabcd\r\n", "*1\r\n$3\r\nabc\n\n", "*1\n",
                            "*1\r\n$3x\r\nabc\r\n", "*1\r\n$3\r\rabc\r\n",
                            "*1\r\n$123456789012345678901\r\n"};
    for (size_t i = 0; i < sizeof(errors) / sizeof(*errors); i++)
        if (parseCmd(errors[i], &cmd) != RESP_ERROR) fail_msg("accepted %s", errors[i]);
    assert_int_equal(parseCmd("*17\r\n", &cmd), RESP_TOO_BIG);
    assert_int_equal(parseCmd("*1\r\n$1048577\r\n", &cmd), RESP_TOO_BIG);
    assert_int_equal(parseCmd("*1\r\n$1048576\r\n", &cmd), RESP_PARTIAL);
    assert_int_equal(parseCmd("*1\r\n$99999999999999999999\r\n", &cmd), RESP_ERROR);
}

static void test_long_inline_too_big(void **state) {
    (void)state;
    size_t len = RESP_MAX_BULK + 10;
    char *s = malloc(len);
    memset(s, 'a', len);
    resp_command cmd;
    assert_int_equal(respParseCommand(s, RESP_MAX_BULK, &cmd), RESP_PARTIAL);
    assert_int_equal(respParseCommand(s, len, &cmd), RESP_TOO_BIG);
    resp_reply r;
    s[0] = '+';
    assert_int_equal(respParseReply(s, len, &r), RESP_TOO_BIG);
    free(s);
}

static void test_replies(void **state) {
    (void)state;
    resp_reply r;
    assert_int_equal(respParseReply("+OK\r\n", 5, &r), 5);
    assert_int_equal(r.type, RESP_SIMPLE);
    assert_true(sliceEqStr(r.str, "OK"));
    assert_int_equal(respParseReply("-DUP apelido\r\n", 14, &r), 14);
    assert_int_equal(r.type, RESP_ERR);
    assert_true(sliceEqStr(r.str, "DUP apelido"));
    assert_int_equal(respParseReply(":-42\r\n", 6, &r), 6);
    assert_int_equal(r.type, RESP_INT);
    assert_int_equal(r.integer, -42);
    assert_int_equal(respParseReply("$3\r\nabc\r\n", 9, &r), 9);
    assert_int_equal(r.type, RESP_BULK);
    assert_true(sliceEqStr(r.str, "abc"));
    assert_int_equal(respParseReply("$-1\r\n", 5, &r), 5);
    assert_int_equal(r.type, RESP_NIL);
    assert_int_equal(respParseReply("+\r\n", 3, &r), 3);
    assert_int_equal(r.str.len, 0);
}

static void test_malformed_replies(void **state) {
    (void)state;
    resp_reply r;
    const char *errors[] = {"?x\r\n", "*1\r\n", "+OK\n", ":\r\n", ":12a\r\n", ":-\r\n",
                            "$-2\r\n", "$-0x\r\n", "$3\r\nabcde", "$1x\r\n", ":1\r\r",
                            ":9223372036854775808\r\n", ":-9223372036854775809\r\n"};
    for (size_t i = 0; i < sizeof(errors) / sizeof(*errors); i++)
        if (respParseReply(errors[i], strlen(errors[i]), &r) != RESP_ERROR)
            fail_msg("accepted %s", errors[i]);
    assert_int_equal(respParseReply("$2097153\r\n", 10, &r), RESP_TOO_BIG);
    assert_int_equal(respParseReply("$2097152\r\n", 10, &r), RESP_PARTIAL);
    assert_int_equal(respParseReply(":9223372036854775807\r\n", 22, &r), 22);
    assert_true(r.integer == 9223372036854775807LL);
    assert_int_equal(respParseReply(":-9223372036854775808\r\n", 23, &r), 23);
    assert_true(r.integer == -9223372036854775807LL - 1);
}

/* A reply's bulk may exceed the 1 MiB a command's may not: the largest
 * search answer (issue 11) parses whole, in one piece or as it arrives. */
static void test_big_reply_bulk(void **state) {
    (void)state;
    size_t n = PERSON_SEARCH_JSON_MAX;
    assert_true(n > RESP_MAX_BULK && n <= RESP_MAX_REPLY_BULK);
    char *body = malloc(n);
    for (size_t i = 0; i < n; i++) body[i] = (char)('a' + i % 26);
    buf b = {0};
    assert_int_equal(respWriteBulk(&b, sliceMake(body, n)), 0);
    assert_int_equal(respWriteSimple(&b, "OK"), 0);
    resp_reply r;
    int len = respParseReply(b.data, b.len, &r);
    assert_int_equal(len, (int)(b.len - 5));
    assert_int_equal(r.type, RESP_BULK);
    assert_true(r.str.len == n && memcmp(r.str.ptr, body, n) == 0);
    assert_int_equal(respParseReply(b.data + len, b.len - (size_t)len, &r), 5);
    size_t cuts[] = {1, 5, 9, 10, 4096, RESP_MAX_BULK, RESP_MAX_BULK + 20, (size_t)len - 1};
    for (size_t i = 0; i < sizeof(cuts) / sizeof(*cuts); i++)
        assert_int_equal(respParseReply(b.data, cuts[i], &r), RESP_PARTIAL);
    /* the same bulk in a command is still too big: commands stay small */
    resp_command cmd;
    char head[32];
    int hl = snprintf(head, sizeof(head), "*1\r\n$%zu\r\n", n);
    assert_int_equal(respParseCommand(head, (size_t)hl, &cmd), RESP_TOO_BIG);
    hl = snprintf(head, sizeof(head), "$%zu\r\n", RESP_MAX_REPLY_BULK + 1);
    assert_int_equal(respParseReply(head, (size_t)hl, &r), RESP_TOO_BIG);
    bufFree(&b);
    free(body);
}

static void test_writers(void **state) {
    (void)state;
    buf b;
    assert_int_equal(bufInit(&b, 0), 0);
    assert_int_equal(respWriteSimple(&b, "OK"), 0);
    assert_int_equal(respWriteError(&b, "DUP apelido taken"), 0);
    assert_int_equal(respWriteInt(&b, -7), 0);
    assert_int_equal(respWriteInt(&b, 0), 0);
    assert_int_equal(respWriteBulk(&b, SLICE_LIT("hi")), 0);
    assert_int_equal(respWriteBulk(&b, sliceMake(NULL, 0)), 0);
    assert_int_equal(respWriteNil(&b), 0);
    slice argv[2] = {SLICE_LIT("GET"), SLICE_LIT("x")};
    assert_int_equal(respWriteCommand(&b, 2, argv), 0);
    const char *want = "+OK\r\n-DUP apelido taken\r\n:-7\r\n:0\r\n$2\r\nhi\r\n$0\r\n\r\n"
                       "$-1\r\n*2\r\n$3\r\nGET\r\n$1\r\nx\r\n";
    assert_int_equal(b.len, strlen(want));
    assert_memory_equal(b.data, want, b.len);
    bufFree(&b);
}

static void test_reply_round_trip(void **state) {
    (void)state;
    buf b;
    bufInit(&b, 0);
    long long ints[] = {0, 1, -1, 9223372036854775807LL, -9223372036854775807LL - 1};
    for (size_t i = 0; i < 5; i++) respWriteInt(&b, ints[i]);
    respWriteBulk(&b, SLICE_LIT("[{\"a\":1}]\r\n"));
    respWriteNil(&b);
    respWriteSimple(&b, "PONG");
    resp_reply r;
    size_t off = 0;
    for (size_t i = 0; i < 5; i++) {
        int n = respParseReply(b.data + off, b.len - off, &r);
        assert_true(n > 0);
        assert_int_equal(r.type, RESP_INT);
        assert_true(r.integer == ints[i]);
        off += (size_t)n;
    }
    off += (size_t)respParseReply(b.data + off, b.len - off, &r);
    assert_true(r.type == RESP_BULK && sliceEqStr(r.str, "[{\"a\":1}]\r\n"));
    off += (size_t)respParseReply(b.data + off, b.len - off, &r);
    assert_int_equal(r.type, RESP_NIL);
    off += (size_t)respParseReply(b.data + off, b.len - off, &r);
    assert_true(r.type == RESP_SIMPLE && sliceEqStr(r.str, "PONG"));
    assert_int_equal(off, b.len);
    bufFree(&b);
}

static void test_command_round_trip(void **state) {
    (void)state;
    buf b;
    bufInit(&b, 0);
    char big[1000];
    for (size_t i = 0; i < sizeof(big); i++) big[i] = (char)(i * 7);
    slice argv[RESP_MAX_ARGS];
    for (size_t i = 0; i < RESP_MAX_ARGS; i++) argv[i] = sliceMake(big, i * 60);
    assert_int_equal(respWriteCommand(&b, RESP_MAX_ARGS, argv), 0);
    resp_command cmd;
    assert_int_equal(respParseCommand(b.data, b.len, &cmd), (int)b.len);
    assert_int_equal(cmd.argc, RESP_MAX_ARGS);
    for (size_t i = 0; i < RESP_MAX_ARGS; i++) assert_true(sliceEq(cmd.argv[i], argv[i]));
    assertPrefixesPartial(b.data, b.len, false);
    bufFree(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_array_command),     cmocka_unit_test(test_inline_command),
        cmocka_unit_test(test_empty_arrays),      cmocka_unit_test(test_pipelined),
        cmocka_unit_test(test_prefixes_partial),  cmocka_unit_test(test_malformed_commands),
        cmocka_unit_test(test_long_inline_too_big), cmocka_unit_test(test_replies),
        cmocka_unit_test(test_malformed_replies), cmocka_unit_test(test_big_reply_bulk),
        cmocka_unit_test(test_writers),
        cmocka_unit_test(test_reply_round_trip),  cmocka_unit_test(test_command_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
