/* test_load_feed.c - the load tool's feeders (in order, wrapping) and the
 * procedural payload source. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "load/load_feed.h"
#include "load/load_gen.h"

static void expectLine(load_feed *f, const char *want) {
    size_t n;
    const char *p = loadFeedNext(f, &n);
    assert_int_equal(n, strlen(want));
    assert_memory_equal(p, want, n);
}

static void test_in_order_and_wraps(void **state) {
    (void)state;
    const char text[] = "payload\n{\"a\": 1}\n{\"b\": 2}\r\n\n{\"c\": 3}";
    load_feed f;
    assert_int_equal(loadFeedFromBuffer(&f, text, sizeof text - 1, false), 0);
    assert_int_equal(f.n, 3); /* header and empty line dropped, CR stripped */
    expectLine(&f, "{\"a\": 1}");
    expectLine(&f, "{\"b\": 2}");
    expectLine(&f, "{\"c\": 3}");
    expectLine(&f, "{\"a\": 1}"); /* circular */
    assert_int_equal(f.served, 4);
    loadFeedFree(&f);
}

static void test_header_only_is_an_error(void **state) {
    (void)state;
    load_feed f;
    assert_int_equal(loadFeedFromBuffer(&f, "t\n", 2, false), -ENODATA);
    assert_int_equal(loadFeedOpen(&f, "/nonexistent/terms.tsv", false), -ENOENT);
}

static void test_terms_are_percent_encoded(void **state) {
    (void)state;
    const char text[] = "t\nO biwajh\nC++ & co\nJos\xc3\xa9\n";
    load_feed f;
    assert_int_equal(loadFeedFromBuffer(&f, text, sizeof text - 1, true), 0);
    expectLine(&f, "O%20biwajh");
    expectLine(&f, "C%2B%2B%20%26%20co");
    expectLine(&f, "Jos%C3%A9");
    loadFeedFree(&f);
}

static void test_gen_is_deterministic(void **state) {
    (void)state;
    load_gen a, b;
    char pa[LOAD_GEN_MAX], pb[LOAD_GEN_MAX];
    loadGenInit(&a, 99);
    loadGenInit(&b, 99);
    for (int i = 0; i < 1000; i++) {
        size_t na = loadGenPayload(&a, pa), nb = loadGenPayload(&b, pb);
        assert_int_equal(na, nb);
        assert_memory_equal(pa, pb, na);
        assert_true(na < LOAD_GEN_MAX && pa[0] == '{' && pa[na - 1] == '}');
    }
}

/* Roughly the file's mix: about 1/14 null stacks, about 1/99 long apelidos. */
static void test_gen_distribution(void **state) {
    (void)state;
    load_gen g;
    char p[LOAD_GEN_MAX];
    loadGenInit(&g, 1);
    int nulls = 0, long_apelido = 0, month13 = 0, n = 70000;
    for (int i = 0; i < n; i++) {
        loadGenPayload(&g, p);
        nulls += strstr(p, "\"stack\": null") != NULL;
        const char *a = p + strlen("{\"apelido\": \"");
        long_apelido += strchr(a, '"') - a == 35;
        month13 += strstr(p, "-13-") != NULL;
    }
    assert_in_range(nulls, n / 14 - 300, n / 14 + 300);
    assert_in_range(long_apelido, n / 99 - 150, n / 99 + 150);
    assert_in_range(month13, n / 13 - 500, n / 13 + 500);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_order_and_wraps),
        cmocka_unit_test(test_header_only_is_an_error),
        cmocka_unit_test(test_terms_are_percent_encoded),
        cmocka_unit_test(test_gen_is_deterministic),
        cmocka_unit_test(test_gen_distribution),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
