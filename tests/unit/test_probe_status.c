/* The documents: /status is valid JSON with every key present (null when
 * unknown), /metrics is Prometheus text, the store's INFO round-trips
 * through the parser the API uses, and request recording buckets right. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "json/json.h"
#include "probe/jw.h"
#include "probe/metrics.h"
#include "probe/status.h"
#include "probe/gflops.h"
#include "probe_fixture.h"

/* --- the JSON as a list of key paths ("cpu/cores/logical") and the token
 * type of each value. */
#define MAX_PATHS 1024
static char paths[MAX_PATHS][96];
static json_tok kinds[MAX_PATHS];
static size_t npaths;

static bool walk(json_reader *r, json_tok t, const char *prefix);

static bool walkObject(json_reader *r, const char *prefix) {
    json_tok t;
    while ((t = jsonNext(r)) == JSON_KEY) {
        char path[96];
        snprintf(path, sizeof(path), "%s%s%.*s", prefix, *prefix ? "/" : "", (int)r->value.len,
                 r->value.ptr);
        size_t at = npaths < MAX_PATHS ? npaths++ : MAX_PATHS - 1;
        snprintf(paths[at], sizeof(paths[at]), "%s", path);
        kinds[at] = jsonNext(r);
        if (!walk(r, kinds[at], path)) return false;
    }
    return t == JSON_OBJECT_END;
}

static bool walk(json_reader *r, json_tok t, const char *prefix) {
    if (t == JSON_OBJECT_BEGIN) return walkObject(r, prefix);
    if (t != JSON_ARRAY_BEGIN) return t > JSON_END;
    char path[96];
    snprintf(path, sizeof(path), "%s[]", prefix);
    while ((t = jsonNext(r)) != JSON_ARRAY_END)
        if (t <= JSON_END || !walk(r, t, path)) return false;
    return true;
}

static void parseJson(const buf *b) {
    static char scratch[1 << 16];
    json_reader r;
    npaths = 0;
    jsonReaderInit(&r, b->data, b->len, scratch, sizeof(scratch));
    assert_true(walk(&r, jsonNext(&r), ""));
    assert_int_equal(jsonNext(&r), JSON_END);
}

static json_tok kindOf(const char *path) {
    for (size_t i = 0; i < npaths; i++)
        if (strcmp(paths[i], path) == 0) return kinds[i];
    fail_msg("key %s missing", path);
    return JSON_ERROR;
}

static const char *const EVERY_KEY[] = {
    "program/name", "program/version", "program/build_date", "program/compiler",
    "program/cflags", "program/pid", "program/uptime_seconds", "program/instance",
    "host/hostname", "host/os", "host/kernel", "host/architecture",
    "cloud/cloud.provider", "cloud/cloud.platform", "cloud/cloud.region",
    "cloud/cloud.availability_zone", "cloud/site",
    "cpu/cpu", "cpu/vendor", "cpu/packages", "cpu/cores/physical", "cpu/cores/logical",
    "cpu/frequency_hertz/current", "cpu/frequency_hertz/base", "cpu/frequency_hertz/max",
    "cpu/temperature_celsius", "cpu/power_watts/measured", "cpu/power_watts/nominal",
    "cpu/gflops/value", "cpu/gflops/source", "cpu/gflops_per_watt/value",
    "cpu/gflops_per_watt/source", "sensors", "power_zones", "gpu/gpus", "gpu/count",
    "memory/bytes/total", "memory/bytes/used", "memory/bytes/available", "storage", "network",
    "cluster", "probes/age_seconds",
};

static void writeStatus(buf *b, const char *fixture, const status_app *app) {
    useFixture(fixture);
    probe_host *h = probeHostCreate(1000);
    probeHostRefresh(h, 3000);
    bufReset(b);
    assert_int_equal(statusWriteJson(b, app, h), 0);
    probeHostDestroy(h);
    parseJson(b);
    for (size_t i = 0; i < sizeof(EVERY_KEY) / sizeof(EVERY_KEY[0]); i++) kindOf(EVERY_KEY[i]);
}

static int setup(void **state) {
    (void)state;
    probeGflopsMs = 0; /* no start-up measurement */
    setenv("BARDO_NVML_LIB", "/nonexistent/libnvidia-ml.so.1", 1);
    return 0;
}

static void test_status_empty_root_is_all_null(void **state) {
    (void)state;
    static buf b;
    status_store store = statusStoreUnknown("unix:/run/store.sock");
    status_app app = {.program = "bardo-api", .role = "api", .instance = "api-1",
                      .started_ms = 0, .now_ms = 5000, .stores = &store, .nstores = 1};
    writeStatus(&b, "empty", &app);
    static const char *const NULLS[] = {
        "host/hostname", "host/os", "cloud/cloud.provider", "cloud/cloud.region", "cpu/cpu",
        "cpu/vendor", "cpu/cores/logical", "cpu/frequency_hertz/current",
        "cpu/temperature_celsius", "cpu/power_watts/measured", "cpu/power_watts/nominal",
        "cpu/gflops/value", "cpu/gflops_per_watt/value", "gpu/gpus", "gpu/count",
        "memory/bytes/total", "memory/cgroup_limit_bytes", "cluster/stores[]/people",
        "cluster/stores[]/role", "cluster/stores[]/epoch", "cluster/stores[]/lag",
    };
    for (size_t i = 0; i < sizeof(NULLS) / sizeof(NULLS[0]); i++)
        if (kindOf(NULLS[i]) != JSON_NULL) fail_msg("%s is not null", NULLS[i]);
    assert_int_equal(kindOf("cpu/gflops/source"), JSON_STRING); /* the label stays */
    assert_int_equal(kindOf("cluster/stores[]/reachable"), JSON_FALSE);
    assert_int_equal(kindOf("cluster/stores[]/name"), JSON_NULL);
    assert_int_equal(kindOf("cluster/primary"), JSON_NULL);
    assert_int_equal(kindOf("cluster/failovers"), JSON_NUMBER);
    assert_int_equal(kindOf("program/version"), JSON_STRING);
    assert_int_equal(kindOf("program/uptime_seconds"), JSON_NUMBER);
    bufFree(&b);
}

static void test_status_workstation(void **state) {
    (void)state;
    static buf b;
    status_app app = {.program = "bardo-store", .role = "store", .instance = "store"};
    writeStatus(&b, "intel", &app);
    assert_int_equal(kindOf("cluster"), JSON_NULL);
    assert_int_equal(kindOf("cpu/cpu"), JSON_STRING);
    assert_int_equal(kindOf("cpu/power_watts/measured"), JSON_NUMBER);
    assert_int_equal(kindOf("sensors[]/chip"), JSON_STRING);
    assert_int_equal(kindOf("storage[]/bytes/total"), JSON_NUMBER);
    assert_int_equal(kindOf("network[]/receive_bytes_per_second"), JSON_NUMBER);
    assert_int_equal(kindOf("power_zones[]/power_watts/nominal"), JSON_NUMBER);
    assert_int_equal(bufAppend(&b, "", 1), 0);
    assert_non_null(strstr(b.data, "\"temperature_celsius\":52,"));
    assert_non_null(strstr(b.data, "\"frequency_hertz\":{\"current\":2150000000,"));
    assert_non_null(strstr(b.data, "\"hostname\":\"workstation\""));
    bufFree(&b);
}

/* A line-by-line check of the Prometheus text format. */
static void checkPromLine(const char *line, char families[][96], size_t *nfam) {
    char name[96], type[32];
    if (sscanf(line, "# TYPE %95s %31s", name, type) == 2) {
        for (size_t i = 0; i < *nfam; i++) assert_string_not_equal(families[i], name);
        snprintf(families[(*nfam)++], 96, "%s", name);
        return;
    }
    if (strncmp(line, "# HELP ", 7) == 0) return;
    size_t n = strspn(line, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_:");
    assert_true(n > 0 && n < sizeof(name));
    snprintf(name, sizeof(name), "%.*s", (int)n, line);
    const char *p = line + n;
    if (*p == '{') p = strstr(p, "} ") ? strstr(p, "} ") + 1 : p;
    assert_int_equal(*p, ' ');
    char *end;
    double v = strtod(p + 1, &end);
    (void)v;
    assert_true(end > p + 1 && *end == '\0');
    bool declared = false;
    for (size_t i = 0; i < *nfam && !declared; i++)
        declared = strncmp(name, families[i], strlen(families[i])) == 0;
    if (!declared) fail_msg("sample before its TYPE: %s", line);
}

/* The workstation fixture, three requests, one store: NUL-terminated. */
static void writeMetrics(buf *b) {
    static const char *const NAMES[] = {"create", "get"};
    static metrics_http m;
    metricsHttpInit(&m, NAMES, 2);
    metricsHttpRecord(&m, 0, 201, 3);
    metricsHttpRecord(&m, 0, 201, 0);
    metricsHttpRecord(&m, 1, 404, 1);
    useFixture("intel");
    probe_host *h = probeHostCreate(1000);
    status_store store = statusStoreUnknown("127.0.0.1:6380");
    store.reachable = true;
    store.people = 46611;
    status_app app = {.program = "bardo-api", .role = "api", .instance = "api-\"1\"",
                      .now_ms = 1000, .stores = &store, .nstores = 1};
    bufReset(b);
    assert_int_equal(metricsWrite(b, &app, &m, h), 0);
    probeHostDestroy(h);
    assert_int_equal(bufAppend(b, "", 1), 0);
}

static void test_metrics_text_format(void **state) {
    (void)state;
    static buf b;
    writeMetrics(&b);
    static char families[256][96];
    size_t nfam = 0;
    for (char *save, *line = strtok_r(b.data, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
        checkPromLine(line, families, &nfam);
    assert_true(nfam > 20);
    bufFree(&b);
}

static void test_metrics_samples(void **state) {
    (void)state;
    static buf b;
    writeMetrics(&b);
    static const char *const WANT[] = {
        "bardo_http_requests_total{endpoint=\"create\",code=\"201\"} 2\n",
        "bardo_http_request_duration_seconds_bucket{endpoint=\"create\",le=\"0.001\"} 1\n",
        "bardo_http_request_duration_seconds_bucket{endpoint=\"create\",le=\"0.005\"} 2\n",
        "bardo_http_request_duration_seconds_sum{endpoint=\"create\"} 0.003\n",
        "bardo_http_request_duration_seconds_count{endpoint=\"get\"} 1\n",
        "bardo_store_up{address=\"127.0.0.1:6380\"} 1\n",
        "bardo_people{address=\"127.0.0.1:6380\"} 46611\n",
        "instance=\"api-\\\"1\\\"\"",
        "node_hwmon_temp_celsius{chip=\"coretemp\",device=\"hwmon1\",sensor=\"Package id 0\"} 52\n",
        "node_thermal_zone_temp{zone=\"1\",type=\"x86_pkg_temp\"} 52\n",
        "node_memory_MemTotal_bytes 16492953600\n",
        "node_network_receive_bytes_total{device=\"wlp0s20f3\"} 987654321\n",
        "bardo_cpu_power_watts{source=\"nominal\"} 28\n",
        "node_filesystem_size_bytes{device=\"/dev/nvme0n1p2\",fstype=\"ext4\",mountpoint=\"/\"} ",
    };
    for (size_t i = 0; i < sizeof(WANT) / sizeof(WANT[0]); i++)
        if (!strstr(b.data, WANT[i])) fail_msg("missing: %s", WANT[i]);
    assert_null(strstr(b.data, "bardo_cgroup_memory_limit_bytes NaN"));
    bufFree(&b);
}

/* Three nodes as an API sees them: a primary (with its INFO's people), a
 * replica 2 entries behind, and a replica that went away (only its
 * address and the site and name it last gave are known). */
static status_app clusterApp(status_store st[3]) {
    static const struct {
        const char *addr, *role, *site, *name;
        double seq, lag, people;
    } NODES[3] = {
        {"10.0.0.1:6380", "primary", "site-a", "store-a", 40, 0, 40},
        {"10.0.0.2:6380", "replica", "site-b", "store-b", 38, 2, PROBE_NULL},
        {"unix:/run/store-c.sock", "", "site-c", "store-c", PROBE_NULL, PROBE_NULL, PROBE_NULL},
    };
    for (size_t i = 0; i < 3; i++) {
        st[i] = statusStoreUnknown(NODES[i].addr);
        st[i].reachable = *NODES[i].role != '\0';
        probeCopy(st[i].role, sizeof(st[i].role), NODES[i].role);
        probeCopy(st[i].site, sizeof(st[i].site), NODES[i].site);
        probeCopy(st[i].name, sizeof(st[i].name), NODES[i].name);
        st[i].epoch = st[i].reachable ? 2 : PROBE_NULL;
        st[i].journal_offset = NODES[i].seq;
        st[i].lag = NODES[i].lag;
        st[i].people = NODES[i].people;
    }
    return (status_app){.program = "bardo-api", .role = "api", .instance = "api-1",
                        .now_ms = 1000, .stores = st, .nstores = 3,
                        .primary = "10.0.0.1:6380", .failovers = 1};
}

static void test_status_cluster_several_stores(void **state) {
    (void)state;
    static buf b;
    status_store st[3];
    status_app app = clusterApp(st);
    writeStatus(&b, "empty", &app);
    assert_int_equal(bufAppend(&b, "", 1), 0);
    static const char *const WANT[] = {
        "\"cluster\":{\"stores\":[{\"address\":\"10.0.0.1:6380\",\"reachable\":true,"
        "\"site\":\"site-a\",\"role\":\"primary\",\"epoch\":2,\"journal_offset\":40,\"lag\":0,"
        "\"name\":\"store-a\",\"people\":40},",
        "{\"address\":\"10.0.0.2:6380\",\"reachable\":true,\"site\":\"site-b\","
        "\"role\":\"replica\",\"epoch\":2,\"journal_offset\":38,\"lag\":2,\"name\":\"store-b\","
        "\"people\":null},",
        "{\"address\":\"unix:/run/store-c.sock\",\"reachable\":false,\"site\":\"site-c\","
        "\"role\":null,\"epoch\":null,\"journal_offset\":null,\"lag\":null,\"name\":\"store-c\","
        "\"people\":null}],\"primary\":\"10.0.0.1:6380\",\"failovers\":1},",
    };
    for (size_t i = 0; i < sizeof(WANT) / sizeof(WANT[0]); i++)
        if (!strstr(b.data, WANT[i]))
            fail_msg("missing: %s\nin %s", WANT[i], strstr(b.data, "\"cluster\""));
    bufFree(&b);
}

static void test_metrics_cluster_several_stores(void **state) {
    (void)state;
    static buf b;
    status_store st[3];
    status_app app = clusterApp(st);
    useFixture("empty");
    probe_host *h = probeHostCreate(1000);
    assert_int_equal(metricsWrite(&b, &app, NULL, h), 0);
    probeHostDestroy(h);
    assert_int_equal(bufAppend(&b, "", 1), 0);
    static const char *const WANT[] = {
        "bardo_store_up{address=\"10.0.0.1:6380\"} 1\n",
        "bardo_store_up{address=\"10.0.0.2:6380\"} 1\n",
        "bardo_store_up{address=\"unix:/run/store-c.sock\"} 0\n",
        "bardo_store_role_primary{address=\"10.0.0.1:6380\"} 1\n",
        "bardo_store_role_primary{address=\"10.0.0.2:6380\"} 0\n",
        "bardo_store_epoch{address=\"10.0.0.2:6380\"} 2\n",
        "bardo_store_journal_seq{address=\"10.0.0.1:6380\"} 40\n",
        "bardo_store_journal_seq{address=\"10.0.0.2:6380\"} 38\n",
        "bardo_store_lag_entries{address=\"10.0.0.1:6380\"} 0\n",
        "bardo_store_lag_entries{address=\"10.0.0.2:6380\"} 2\n",
        "bardo_people{address=\"10.0.0.1:6380\"} 40\n",
        "# TYPE bardo_store_failovers_total counter\nbardo_store_failovers_total 1\n",
    };
    for (size_t i = 0; i < sizeof(WANT) / sizeof(WANT[0]); i++)
        if (!strstr(b.data, WANT[i])) fail_msg("missing: %s", WANT[i]);
    static const char *const UNKNOWN[] = { /* no sample, not a guess */
        "bardo_store_role_primary{address=\"unix:", "bardo_store_epoch{address=\"unix:",
        "bardo_store_lag_entries{address=\"unix:", "bardo_people{address=\"10.0.0.2:6380\"}",
    };
    for (size_t i = 0; i < sizeof(UNKNOWN) / sizeof(UNKNOWN[0]); i++)
        if (strstr(b.data, UNKNOWN[i])) fail_msg("unexpected: %s", UNKNOWN[i]);
    static char families[256][96];
    size_t nfam = 0;
    for (char *save, *line = strtok_r(b.data, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
        checkPromLine(line, families, &nfam);
    bufFree(&b);
}

static void test_record_buckets_and_codes(void **state) {
    (void)state;
    static const char *const NAMES[] = {"a", "b"};
    static metrics_http m;
    metricsHttpInit(&m, NAMES, 2);
    static const uint64_t MS[] = {0, 1, 2, 3, 7000, 20000};
    for (size_t i = 0; i < 6; i++) metricsHttpRecord(&m, 1, i == 5 ? 299 : 201, MS[i]);
    metricsHttpRecord(&m, 7, 200, 0); /* unknown endpoint: ignored */
    assert_int_equal(m.buckets[1][0], 2);
    assert_int_equal(m.buckets[1][1], 1);
    assert_int_equal(m.buckets[1][2], 1);
    assert_int_equal(m.buckets[1][12], 1);
    assert_int_equal(m.buckets[1][METRICS_BUCKETS - 1], 1);
    assert_int_equal(m.requests[1][1], 5);               /* 201 */
    assert_int_equal(m.requests[1][METRICS_CODES - 1], 1); /* other */
    assert_int_equal(m.sum_ms[1], 27006);
}

static void test_store_info_roundtrip(void **state) {
    (void)state;
    const char *text = "# bardo store\r\npeople:42\r\nmemory_bytes:1024\r\nrole:primary\r\n"
                       "site:site-a\r\nuptime_seconds:9\r\n# status\r\nstatus:{\"a\":1}\r\n";
    status_store s = statusStoreUnknown("x");
    s.reachable = true;
    statusParseStoreInfo(&s, sliceMake(text, strlen(text)));
    assert_true(s.reachable);
    assert_string_equal(s.address, "x");
    assert_true(s.people == 42);
    assert_string_equal(s.role, "primary");
    assert_string_equal(s.site, "site-a");
    assert_false(probeKnown(s.epoch) || probeKnown(s.journal_offset) || probeKnown(s.lag));
    statusParseStoreInfo(&s, SLICE_LIT("people:abc\nepoch:3\n"));
    assert_false(probeKnown(s.people));
    assert_true(s.epoch == 3);
    assert_string_equal(s.role, "");
}

static void test_info_section_is_one_line(void **state) {
    (void)state;
    static buf b;
    useFixture("intel");
    probe_host *h = probeHostCreate(1000);
    status_app app = {.program = "bardo-store", .role = "store", .instance = "store"};
    assert_int_equal(statusWriteInfo(&b, &app, h), 0);
    probeHostDestroy(h);
    assert_true(b.len > 20 && memcmp(b.data, "# status\r\nstatus:{", 18) == 0);
    assert_memory_equal(b.data + b.len - 3, "}\r\n", 3);
    assert_null(memchr(b.data + 10, '\n', b.len - 11));
    bufFree(&b);
}

static void test_json_writer(void **state) {
    (void)state;
    static buf b;
    jw w;
    jwInit(&w, &b);
    jwObject(&w, NULL);
    jwStr(&w, "s", "a\"b");
    jwStr(&w, "e", "");
    jwNum(&w, "i", 2);
    jwNum(&w, "f", 1.25);
    jwNum(&w, "small", 0.000123);
    jwNum(&w, "n", NAN);
    jwArray(&w, "a");
    jwBool(&w, NULL, true);
    jwNull(&w, NULL);
    jwEnd(&w);
    jwEnd(&w);
    assert_int_equal(w.rc, 0);
    const char *want = "{\"s\":\"a\\\"b\",\"e\":null,\"i\":2,\"f\":1.25,\"small\":0.000123,"
                       "\"n\":null,\"a\":[true,null]}";
    assert_int_equal(b.len, strlen(want));
    assert_memory_equal(b.data, want, b.len);
    jwEnd(&w); /* one too many */
    assert_int_not_equal(w.rc, 0);
    bufFree(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_empty_root_is_all_null),
        cmocka_unit_test(test_status_workstation),
        cmocka_unit_test(test_metrics_text_format),
        cmocka_unit_test(test_metrics_samples),
        cmocka_unit_test(test_status_cluster_several_stores),
        cmocka_unit_test(test_metrics_cluster_several_stores),
        cmocka_unit_test(test_record_buckets_and_codes),
        cmocka_unit_test(test_store_info_roundtrip),
        cmocka_unit_test(test_info_section_is_one_line),
        cmocka_unit_test(test_json_writer),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
