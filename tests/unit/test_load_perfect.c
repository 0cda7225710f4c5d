/* test_load_perfect.c - the perfect count on small crafted files
 * (duplicates, invalid bodies, escapes, wrap-around) and on the generated
 * stream, by two roads (feeder and procedural). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "load/load_data.h"
#include "load/load_feed.h"
#include "load/load_perfect.h"

/* 8 lines: 4 count (A, B, C, a), the others are a duplicate, invalid
 * bodies, and an escape that spells a taken apelido. */
static const char crafted[] =
    "payload\n"
    "{\"apelido\": \"A\", \"nome\": \"Ana\", \"nascimento\": \"2000-01-01\", \"stack\": null}\n"
    "{\"apelido\": \"B\", \"nome\": \"Bia\", \"nascimento\": \"2000-01-01\", \"stack\": [\"C\"]}\n"
    "{\"apelido\": \"A\", \"nome\": \"Outra\", \"nascimento\": \"1990-02-02\", \"stack\": null}\n"
    "{\"apelido\": \"C\", \"nome\": null, \"nascimento\": \"2000-01-01\", \"stack\": null}\n"
    "{\"apelido\": \"C\", \"nome\": \"Caio\", \"nascimento\": \"2000-13-01\", \"stack\": null}\n"
    "{\"apelido\": \"C\", \"nome\": \"Caio\", \"nascimento\": \"2000-02-29\", \"stack\": null}\n"
    "{\"apelido\": \"\\u0042\", \"nome\": \"Bruno\", \"nascimento\": \"2001-01-01\", \"stack\": null}\n"
    "{\"apelido\": \"a\", \"nome\": \"ana\", \"nascimento\": \"2001-01-01\", \"stack\": [\"Go\"]}\n";

static void openCrafted(load_feed *f) {
    assert_int_equal(loadFeedFromBuffer(f, crafted, strlen(crafted), false), 0);
    assert_int_equal(f->n, 8);
}

/* Each prefix of the send order: what a correct API holds after it. */
static void test_crafted_prefixes(void **state) {
    (void)state;
    load_feed f;
    openCrafted(&f);
    /* line 4 has nome null (422), line 5 month 13 (400): C is still free for
     * line 6 (2000 is a leap year); line 7 is "B" escaped; "a" is not "A". */
    static const int64_t want[] = {0, 1, 2, 2, 2, 2, 3, 3, 4};
    for (uint64_t n = 0; n <= 8; n++) assert_int_equal(loadPerfectFeed(&f, n), want[n]);
    loadFeedFree(&f);
}

/* Past the end the feeder starts again from the first line: every valid
 * apelido is taken by then, so the count stops growing. */
static void test_crafted_wraps(void **state) {
    (void)state;
    load_feed f;
    openCrafted(&f);
    assert_int_equal(loadPerfectFeed(&f, 9), 4);
    assert_int_equal(loadPerfectFeed(&f, 8 * 1000 + 3), 4);
    assert_int_equal(f.next, 0); /* the feeder did not move */
    loadFeedFree(&f);
}

/* The counter itself: statuses one by one, and the sent/valid tallies. */
static void test_counter_steps(void **state) {
    (void)state;
    load_perfect pc;
    assert_int_equal(loadPerfectInit(&pc), 0);
    const char *p = crafted + strlen("payload\n");
    int got[8];
    for (int i = 0; i < 8; i++) {
        const char *nl = strchr(p, '\n');
        got[i] = loadPerfectAdd(&pc, p, (size_t)(nl - p));
        p = nl + 1;
    }
    static const int want[] = {1, 1, 0, 0, 0, 1, 0, 1};
    assert_memory_equal(got, want, sizeof want);
    assert_int_equal(pc.sent, 8);
    assert_int_equal(pc.valid, 6);
    assert_int_equal(pc.perfect, 4);
    loadPerfectFree(&pc);
}

/* Many apelidos: the table grows and keeps them all (one per i, each
 * inserted twice). */
static void test_counter_grows(void **state) {
    (void)state;
    load_perfect pc;
    assert_int_equal(loadPerfectInit(&pc), 0);
    char body[256];
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 20000; i++) {
            int n = snprintf(body, sizeof body,
                             "{\"apelido\": \"p%d\", \"nome\": \"x\", \"nascimento\": \"2000-01-01\"}", i);
            assert_int_equal(loadPerfectAdd(&pc, body, (size_t)n), round == 0);
        }
    }
    assert_int_equal(pc.perfect, 20000);
    loadPerfectFree(&pc);
}

/* The generated file is the first 100,000 of the procedural stream: both
 * roads give the same count, and past the file only the procedural one
 * keeps growing. */
static void test_generated_file_and_stream_agree(void **state) {
    (void)state;
    char *text;
    size_t len;
    assert_int_equal(loadDataText(LOAD_DATA_PAYLOAD_SET, 7, &text, &len), 0);
    load_feed f;
    assert_int_equal(loadFeedFromBuffer(&f, text, len, false), 0);
    free(text);
    int64_t file = loadPerfectFeed(&f, LOAD_DATA_PAYLOADS);
    assert_true(file > 0 && file < LOAD_DATA_PAYLOADS);
    assert_int_equal(loadPerfectProcedural(7, LOAD_DATA_PAYLOADS), file);
    assert_int_equal(loadDataPerfect(7, LOAD_DATA_PAYLOADS), file);
    assert_int_equal(loadPerfectFeed(&f, 3 * LOAD_DATA_PAYLOADS), file);
    assert_true(loadPerfectProcedural(7, 3 * LOAD_DATA_PAYLOADS) > file);
    assert_int_equal(loadPerfectFeed(&f, 1000), loadPerfectProcedural(7, 1000));
    loadFeedFree(&f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crafted_prefixes),
        cmocka_unit_test(test_crafted_wraps),
        cmocka_unit_test(test_counter_steps),
        cmocka_unit_test(test_counter_grows),
        cmocka_unit_test(test_generated_file_and_stream_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
