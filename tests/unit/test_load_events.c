/* test_load_events.c - bardo-load --events-out (load_events.h): the KO
 * kinds named from errno, the apelido field taken from a create's body
 * (strings with escapes, non-strings, missing, too long, white space
 * percent-encoded) and the exact lines written. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "load/load_events.h"

static char field[LOAD_EV_APELIDO_MAX];

static const char *apelidoOf(const char *body) {
    loadEventsApelido(body, strlen(body), field, sizeof field);
    return field;
}

static void test_ko_kinds(void **state) {
    (void)state;
    assert_string_equal(loadEventsKoKind(0), "closed");
    assert_string_equal(loadEventsKoKind(ETIMEDOUT), "timeout");
    assert_string_equal(loadEventsKoKind(ECONNREFUSED), "refused");
    assert_string_equal(loadEventsKoKind(ECONNRESET), "reset");
    assert_string_equal(loadEventsKoKind(EPIPE), "reset");
    assert_string_equal(loadEventsKoKind(EPROTO), "malformed");
    assert_string_equal(loadEventsKoKind(EMFILE), "noconn");
    assert_string_equal(loadEventsKoKind(EHOSTUNREACH), "error");
}

static void test_apelido_strings(void **state) {
    (void)state;
    assert_string_equal(apelidoOf("{\"apelido\":\"ana\",\"nome\":\"Ana\"}"), "\"ana\"");
    assert_string_equal(apelidoOf("{ \"nome\" : \"x\", \"apelido\" :\n \"jo\\\"e\" }"),
                        "\"jo\\\"e\"");
    assert_string_equal(apelidoOf("{\"apelido\":\"a b%c\"}"), "\"a%20b%25c\"");
    assert_string_equal(apelidoOf("{\"apelido\":\"jos\xc3\xa9\"}"), "\"jos\xc3\xa9\"");
    /* the word inside a value is not the key */
    assert_string_equal(apelidoOf("{\"nome\":\"apelido\",\"apelido\":\"z\"}"), "\"z\"");
}

static void test_apelido_not_a_string(void **state) {
    (void)state;
    assert_string_equal(apelidoOf("{\"apelido\":null,\"nome\":\"x\"}"), "null");
    assert_string_equal(apelidoOf("{\"apelido\": 12}"), "12");
    assert_string_equal(apelidoOf("{\"nome\":\"x\"}"), "-");
    assert_string_equal(apelidoOf("{\"apelido\":\"never ends"), "-");
    assert_string_equal(apelidoOf("{\"apelido\":}"), "-");
    assert_string_equal(apelidoOf(""), "-");
    loadEventsApelido(NULL, 0, field, sizeof field);
    assert_string_equal(field, "-");
}

static void test_apelido_too_long_is_unknown(void **state) {
    (void)state;
    char body[2 * LOAD_EV_APELIDO_MAX];
    int n = snprintf(body, sizeof body, "{\"apelido\":\"");
    memset(body + n, 'x', LOAD_EV_APELIDO_MAX);
    strcpy(body + n + LOAD_EV_APELIDO_MAX, "\"}");
    assert_string_equal(apelidoOf(body), "-");
    char small[8];
    assert_int_equal(loadEventsApelido("{\"apelido\":\"abcdef\"}", 20, small, sizeof small), 1);
    assert_string_equal(small, "-");
    assert_int_equal(loadEventsApelido("{\"apelido\":\"abcd\"}", 18, small, sizeof small), 6);
}

static void test_lines(void **state) {
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    loadEventsHeader(f, 5000000);
    loadEventsLine(f, 5000000, 5001500, 5012250, 201, NULL, "/pessoas/abc", "\"ana\"");
    loadEventsLine(f, 5000000, 5020000, 5030000, 0, "timeout", NULL, "\"bia\"");
    loadEventsLine(f, 5000000, 4000000, 5000001, 422, NULL, "", "");
    fclose(f);
    assert_string_equal(text, "# bardo-load events: t0_monotonic_us=5000000\n"
                              "# sent_ms done_ms status|ko-kind location|- apelido-json-%encoded|-\n"
                              "1.500 12.250 201 /pessoas/abc \"ana\"\n"
                              "20.000 30.000 timeout - \"bia\"\n"
                              "0.000 0.001 422 - -\n");
    free(text);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ko_kinds),
        cmocka_unit_test(test_apelido_strings),
        cmocka_unit_test(test_apelido_not_a_string),
        cmocka_unit_test(test_apelido_too_long_is_unknown),
        cmocka_unit_test(test_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
