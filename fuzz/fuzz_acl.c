/* fuzz_acl.c - libFuzzer target for the AUTH path (src/store/acl.c): the
 * input is parsed as a pipeline of RESP commands, as the store would, and
 * every AUTH among them is checked against three known users.
 * Invariants: aclCheck grants a role exactly when user and password are
 * one of the known pairs (never for a prefix, an extension, another
 * user's password or an unknown user); aclSetUser takes any 1..128-byte
 * word and refuses everything else, and what it took is then the key. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/acl.h"
#include "store/resp.h"

#define CHECK(c) \
    do {         \
        if (!(c)) abort(); \
    } while (0)

static const char *const PW[ACL_ROLES] = {NULL, "pw-api-1", "pw-replica-22", "pw-admin-333"};

static int expected(slice user, slice pw) {
    int role = aclRoleOf(user);
    return role != ACL_NONE && sliceEqStr(pw, PW[role]) ? role : ACL_NONE;
}

static void auth(const acl *a, const resp_command *cmd) {
    if (cmd->argc < 2 || cmd->argc > 3) return;
    slice user = cmd->argc == 3 ? cmd->argv[1] : SLICE_LIT("default");
    slice pw = cmd->argv[cmd->argc - 1];
    CHECK(aclCheck(a, user, pw) == expected(user, pw));
}

/* Any argument as a new admin password: taken iff it is a word. */
static void setAny(slice w) {
    acl b = {0};
    bool word = w.len > 0 && w.len <= ACL_PASS_MAX;
    for (size_t i = 0; word && i < w.len; i++)
        word = (unsigned char)w.ptr[i] > ' ' && w.ptr[i] != 0x7f;
    CHECK((aclSetUser(&b, ACL_ADMIN, w) == 0) == word);
    CHECK(aclCheck(&b, SLICE_LIT("admin"), w) == (word ? ACL_ADMIN : ACL_NONE));
    aclClear(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static acl a;
    if (!aclPassword(&a, ACL_API))
        for (int r = ACL_API; r < ACL_ROLES; r++)
            CHECK(aclSetUser(&a, (acl_role)r, sliceMake(PW[r], strlen(PW[r]))) == 0);
    char *p = malloc(size ? size : 1);
    if (!p) return 0;
    if (size) memcpy(p, data, size);
    for (size_t off = 0; off < size;) {
        resp_command cmd;
        int n = respParseCommand(p + off, size - off, &cmd);
        if (n <= 0) break;
        if (cmd.argc && sliceEq(cmd.argv[0], SLICE_LIT("AUTH"))) auth(&a, &cmd);
        for (size_t i = 1; i < cmd.argc; i++) setAny(cmd.argv[i]);
        off += (size_t)n;
    }
    free(p);
    return 0;
}
