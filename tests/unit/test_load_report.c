/* test_load_report.c - summary.json's keys and values, the text summary,
 * the verdict (count == 201s seen == perfect count), and the HTML report's
 * data splice. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "load/load_report.h"

static load_result res;
static load_config cfg = {.host = "127.0.0.1", .port = 9999, .scale = 2, .time_scale = 0.5};

static void fill(void) {
    res = (load_result){.created_201 = 3, .count_after = 3, .duration_s = 2, .planned_s = 2,
                        .cpu_s = 0.01, .perfect_count = 3, .perfect_creations = 5};
    for (int k = 0; k < LOAD_REQ_N; k++) loadHistReset(&res.kind[k].h);
    loadHistReset(&res.all.h);
    for (uint64_t v = 1; v <= 100; v++) {
        loadKstatsOk(&res.all, v * 1000);
        res.all.sent++;
    }
    loadKstatsKo(&res.all, 60000000, LOAD_KO_TIMEOUT);
    res.all.sent++;
    loadSeriesTime(&res.series, 1, 5000);
    loadSeriesAt(&res.series, 1)->arrivals = 7;
}

static char *render(void (*fn)(FILE *)) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    fn(f);
    fclose(f);
    return text;
}

static void json(FILE *f) {
    report_meta m = {.url = "http://127.0.0.1:9999", .label = "a \"quoted\" label"};
    reportJson(f, &res, &cfg, &m);
}

static void text(FILE *f) { reportText(f, &res, &cfg); }

static void test_summary_json_keys(void **state) {
    (void)state;
    fill();
    char *j = render(json);
    const char *keys[] = {"\"requests\": 101", "\"ok\": 100", "\"ko\": 1", "\"p50_ms\": 50.",
                          "\"p95_ms\": 95.", "\"p99_ms\": 99.", "\"max_ms\": 60000.000",
                          "\"created_201\": 3", "\"count_after\": 3", "\"count_matches\": true",
                          "\"duration_s\": 2.000", "\"scale\": 2", "\"time_scale\": 0.5",
                          "\"ko_timeout\": 1", "\"kinds\": [", "\"series\": [",
                          "[1, 7, 0, 0, 0, 0, 5.000", "a \\\"quoted\\\" label",
                          "\"cpu_ms_per_1000_requests\": 99.01", "\"perfect_count\": 3",
                          "\"perfect_creations\": 5", "\"perfect\": true",
                          "\"passed\": false", "\"payloads\": \"generated\""};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        if (!strstr(j, keys[i])) fail_msg("missing %s in\n%s", keys[i], j);
    }
    free(j);
    loadSeriesFree(&res.series);
}

static void test_text_summary(void **state) {
    (void)state;
    fill();
    res.count_after = 2;
    char *t = render(text);
    assert_non_null(strstr(t, "> failed (KO)                        1"));
    assert_non_null(strstr(t, "(DIFFERENT)"));
    assert_non_null(strstr(t, "GET /pessoas/<id>"));
    free(t);
    loadSeriesFree(&res.series);
}

/* PASS needs 0 KO and the count, the 201s seen and the perfect count equal. */
static void test_verdict_needs_the_perfect_count(void **state) {
    (void)state;
    fill();
    res.all.ko = 0;
    assert_true(reportPassed(&res));
    char *t = render(text);
    assert_non_null(strstr(t, "> perfect count  3  (reached; of the 5 creations sent"));
    assert_non_null(strstr(t, "> verdict: PASS"));
    free(t);
    res.perfect_count = 4; /* the API refused one it should have taken */
    assert_true(reportCountMatches(&res));
    assert_false(reportPerfect(&res));
    assert_false(reportPassed(&res));
    t = render(text);
    assert_non_null(strstr(t, "NOT reached"));
    assert_non_null(strstr(t, "> verdict: FAIL (0 KO, count != perfect count)"));
    free(t);
    res.perfect_count = -1; /* unknown: never a pass */
    assert_false(reportPassed(&res));
    loadSeriesFree(&res.series);
}

static void test_html_splices_data(void **state) {
    (void)state;
    char *h = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&h, &len);
    assert_int_equal(reportHtml(f, "{\"marker\": 12345}"), 0);
    fclose(f);
    assert_non_null(strstr(h, "const D = {\"marker\": 12345};"));
    assert_null(strstr(h, "@DATA@"));
    assert_non_null(strstr(h, "</html>"));
    free(h);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_summary_json_keys),
        cmocka_unit_test(test_text_summary),
        cmocka_unit_test(test_verdict_needs_the_perfect_count),
        cmocka_unit_test(test_html_splices_data),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
