/* A store out of memory refuses new people and changes nothing: no person
 * half-added, no journal entry left behind for the replicas to apply, and
 * reads go on. Two ways to run out: malloc failing (this binary is linked
 * with -Wl,--wrap=malloc,... so that allocations can be made to fail, see
 * the Makefile) and the store's own ceiling (memlimit.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_server.h"

/* ---- allocations that fail on demand --------------------------------- */

static size_t fail_from = SIZE_MAX; /* allocations of at least this fail */

void *__real_malloc(size_t n);
void *__real_calloc(size_t k, size_t n);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t k, size_t n);
void *__wrap_realloc(void *p, size_t n);

void *__wrap_malloc(size_t n) { return n >= fail_from ? NULL : __real_malloc(n); }
void *__wrap_calloc(size_t k, size_t n) {
    return k && n >= fail_from / k ? NULL : __real_calloc(k, n);
}
void *__wrap_realloc(void *p, size_t n) { return n >= fail_from ? NULL : __real_realloc(p, n); }

/* ---- a store run in-process ------------------------------------------ */

static store st;
static buf out, cmd_buf;

static int setup(void **state) {
    (void)state;
    st = (store){.db = peopleCreate(16), .journal = journalCreate(0, 1), .loop = evCreate()};
    st.repl.role = REPL_PRIMARY; /* K = 0: a write is acknowledged at once */
    st.repl.epoch = 1;
    storeBindRepl(&st);
    memLimitInit(&st.mem, 0);
    return st.db && st.journal && st.loop && bufInit(&out, 1024) == 0 ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    fail_from = SIZE_MAX;
    journalScratchFree(&st.repl.scratch);
    peopleDestroy(st.db);
    journalDestroy(st.journal);
    evDestroy(st.loop);
    bufFree(&out);
    bufFree(&cmd_buf);
    return 0;
}

static const char *execute(size_t argc, const slice *argv) {
    bufReset(&cmd_buf);
    assert_int_equal(respWriteCommand(&cmd_buf, argc, argv), 0);
    resp_command c;
    assert_int_equal(respParseCommand(cmd_buf.data, cmd_buf.len, &c), (int)cmd_buf.len);
    bufReset(&out);
    assert_int_equal(storeExecute(&st, &c, &out), 0);
    bufAppend(&out, "", 1);
    return out.data;
}

/* PADD of person number i, as the API would send it. */
static const char *padd(unsigned i) {
    char id[40], apelido[16], key[64], json[256];
    snprintf(id, sizeof(id), "6b5f3c1e-2d4a-4b8e-9f10-%012x", i);
    snprintf(apelido, sizeof(apelido), "p%u", i);
    int kl = snprintf(key, sizeof(key), "%s%cnome", apelido, 0);
    int jl = snprintf(json, sizeof(json),
                      "{\"id\":\"%s\",\"apelido\":\"%s\",\"nome\":\"nome\","
                      "\"nascimento\":\"2000-01-01\",\"stack\":null}", id, apelido);
    slice argv[5] = {SLICE_LIT("PADD"), sliceMake(id, 36), sliceMake(apelido, strlen(apelido)),
                     sliceMake(key, (size_t)kl), sliceMake(json, (size_t)jl)};
    return execute(5, argv);
}

static const char *pgetOf(unsigned i) {
    char id[40];
    snprintf(id, sizeof(id), "6b5f3c1e-2d4a-4b8e-9f10-%012x", i);
    slice argv[2] = {SLICE_LIT("PGET"), sliceMake(id, 36)};
    return execute(2, argv);
}

/* ---- tests ------------------------------------------------------------ */

/* Allocations of 1 MiB and more fail (person_check and RESP need less;
 * the db's arena chunks are 4 MiB and its tables grow past it): adds go on
 * until the db must grow, that one is refused with -NOMEM, and the journal
 * is exactly as long as the people. */
static void test_failed_add_leaves_no_journal_entry(void **state) {
    (void)state;
    assert_string_equal(padd(0), "+OK\r\n"); /* the first arena chunk */
    fail_from = (size_t)1 << 20;
    unsigned i = 1;
    const char *r = "";
    for (; i < 200000 && strcmp(r = padd(i), "+OK\r\n") == 0; i++) {}
    if (strncmp(r, "-NOMEM ", 7) != 0) fail_msg("after %u adds: %s", i, r);
    assert_true(i > 1);
    assert_int_equal(peopleCount(st.db), i);
    assert_int_equal(journalLastSeq(st.journal), i); /* nothing for the refused one */
    assert_string_equal(pgetOf(i), "$-1\r\n");
    assert_true(pgetOf(0)[0] == '$' && strcmp(pgetOf(0), "$-1\r\n") != 0); /* reads go on */
    fail_from = SIZE_MAX;
    assert_string_equal(padd(i), "+OK\r\n"); /* memory back: the same person gets in */
    assert_int_equal(journalLastSeq(st.journal), i + 1);
    assert_int_equal(peopleCount(st.db), i + 1);
}

/* The store's own ceiling (1 MB: below any process's resident set). */
static void test_memory_limit_refuses_new_people(void **state) {
    (void)state;
    assert_string_equal(padd(1), "+OK\r\n");
    memLimitInit(&st.mem, 1);
    assert_true(strncmp(padd(2), "-NOMEM store memory limit reached", 33) == 0);
    assert_int_equal(journalLastSeq(st.journal), 1);
    assert_int_equal(peopleCount(st.db), 1);
    assert_true(strcmp(pgetOf(1), "$-1\r\n") != 0);
    assert_int_equal(st.refused_nomem, 1);
    memLimitInit(&st.mem, 0); /* no ceiling */
    assert_string_equal(padd(2), "+OK\r\n");
}

static void test_limit_from_the_cgroup(void **state) {
    (void)state;
    mem_limit m;
    memLimitInit(&m, MEMLIMIT_AUTO);
    uint64_t cg = memLimitCgroupBytes();
    assert_true(m.limit_bytes == (uint64_t)((double)cg * MEMLIMIT_CGROUP_SHARE));
    memLimitInit(&m, 0);
    assert_false(memLimitReached(&m, 0));
    memLimitInit(&m, 100000); /* 100 GB */
    assert_false(memLimitReached(&m, 0));
    assert_true(m.rss_bytes > 0 && m.rss_bytes == m.rss_bytes / 4096 * 4096);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_failed_add_leaves_no_journal_entry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_memory_limit_refuses_new_people, setup, teardown),
        cmocka_unit_test(test_limit_from_the_cgroup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
