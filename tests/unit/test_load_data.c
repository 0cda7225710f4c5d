/* test_load_data.c - the generated data set: deterministic per seed, the
 * official files' shape (headers, line counts), search terms as the
 * official generator makes them, and --write-data's files equal to what
 * bardo-load sends from memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "load/load_data.h"
#include "load/load_feed.h"
#include "load/load_gen.h"

static void text(load_data_set set, uint64_t seed, char **t, size_t *n) {
    assert_int_equal(loadDataText(set, seed, t, n), 0);
    assert_non_null(*t);
}

static void test_deterministic_per_seed(void **state) {
    (void)state;
    for (int set = 0; set < 2; set++) {
        char *a, *b, *c;
        size_t na, nb, nc;
        text((load_data_set)set, 42, &a, &na);
        text((load_data_set)set, 42, &b, &nb);
        text((load_data_set)set, 43, &c, &nc);
        assert_int_equal(na, nb);
        assert_memory_equal(a, b, na);
        assert_false(na == nc && memcmp(a, c, na) == 0);
        free(a), free(b), free(c);
    }
}

/* Header, then exactly n lines, each ending in '\n'. */
static void expectShape(const char *t, size_t len, const char *header, size_t n) {
    size_t hl = strlen(header);
    assert_memory_equal(t, header, hl);
    assert_int_equal(t[hl], '\n');
    size_t lines = 0;
    for (size_t i = 0; i < len; i++) lines += t[i] == '\n';
    assert_int_equal(lines, n + 1);
    assert_int_equal(t[len - 1], '\n');
}

static void test_payload_file_shape(void **state) {
    (void)state;
    char *t;
    size_t n;
    text(LOAD_DATA_PAYLOAD_SET, 42, &t, &n);
    expectShape(t, n, "payload", LOAD_DATA_PAYLOADS);
    /* the file is the first LOAD_DATA_PAYLOADS of the procedural stream */
    load_gen g;
    loadGenInit(&g, 42);
    char p[LOAD_GEN_MAX];
    const char *line = t + strlen("payload\n");
    for (int i = 0; i < LOAD_DATA_PAYLOADS; i++) {
        size_t pl = loadGenPayload(&g, p);
        assert_memory_equal(line, p, pl);
        assert_int_equal(line[pl], '\n');
        line += pl + 1;
    }
    free(t);
}

/* Terms: 1..50 letters and spaces, none at either end; the lengths spread
 * over 1..50 (about as many above 25 as at or below). */
static void test_terms_like_the_official_generator(void **state) {
    (void)state;
    char *t;
    size_t n;
    text(LOAD_DATA_TERM_SET, 42, &t, &n);
    expectShape(t, n, "t", LOAD_DATA_TERMS);
    load_feed f;
    assert_int_equal(loadFeedFromBuffer(&f, t, n, false), 0);
    assert_int_equal(f.n, LOAD_DATA_TERMS);
    size_t longer = 0, longest = 0;
    for (size_t i = 0; i < f.n; i++) {
        size_t len;
        const char *s = loadFeedNext(&f, &len);
        assert_in_range(len, 1, 50);
        assert_true(s[0] != ' ' && s[len - 1] != ' ');
        for (size_t k = 0; k < len; k++)
            assert_true(s[k] == ' ' || (s[k] >= 'a' && s[k] <= 'z') || (s[k] >= 'A' && s[k] <= 'Z'));
        longer += len > 25;
        longest = len > longest ? len : longest;
    }
    assert_in_range(longer, LOAD_DATA_TERMS / 2 - 250, LOAD_DATA_TERMS / 2 + 250);
    assert_int_equal(longest, 50);
    loadFeedFree(&f);
    free(t);
}

/* A file equal to the text, and no temporary left beside it. */
static void expectFile(const char *dir, const char *name, load_data_set set) {
    char path[512], tmp[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    snprintf(tmp, sizeof tmp, "%s/.%s.%ld.tmp", dir, name, (long)getpid());
    assert_int_equal(access(tmp, F_OK), -1);
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    char *t;
    size_t n;
    text(set, 9, &t, &n);
    char *got = malloc(n + 1);
    assert_int_equal(fread(got, 1, n + 1, fp), n);
    assert_memory_equal(got, t, n);
    fclose(fp);
    unlink(path);
    free(got), free(t);
}

static void test_write_data(void **state) {
    (void)state;
    char base[] = "/tmp/bardo-data-XXXXXX", dir[256];
    assert_non_null(mkdtemp(base));
    snprintf(dir, sizeof dir, "%s/a/b", base); /* parents created */
    assert_int_equal(loadDataWrite(dir, 9), 0);
    expectFile(dir, LOAD_DATA_PAYLOADS_FILE, LOAD_DATA_PAYLOAD_SET);
    expectFile(dir, LOAD_DATA_TERMS_FILE, LOAD_DATA_TERM_SET);
    assert_int_equal(rmdir(dir), 0);
    snprintf(dir, sizeof dir, "%s/a", base);
    assert_int_equal(rmdir(dir), 0);
    assert_int_equal(rmdir(base), 0);
    assert_true(loadDataWrite("/proc/bardo-no-such/x", 9) < 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deterministic_per_seed),
        cmocka_unit_test(test_payload_file_shape),
        cmocka_unit_test(test_terms_like_the_official_generator),
        cmocka_unit_test(test_write_data),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
