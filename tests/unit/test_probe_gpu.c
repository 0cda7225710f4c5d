/* NVIDIA GPUs through a fake libnvidia-ml.so.1 (tests/fixtures/fake_nvml.c,
 * built by the Makefile next to this binary and loaded through
 * BARDO_NVML_LIB), and a host without the library: null, not an error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "json/json.h"
#include "probe/gpu.h"
#include "probe/status.h"
#include "probe/gflops.h"
#include "probe_fixture.h"

static void assertNear(double a, double b, int line) {
    if (!(fabs(a - b) < 1e-6 * (fabs(b) + 1))) fail_msg("line %d: %.9g != %.9g", line, a, b);
}
#define assert_near(a, b) assertNear((a), (b), __LINE__)

static void useFakeNvml(void) {
    static char path[PATH_MAX + 32];
    snprintf(path, sizeof(path), "%s/libnvidia-ml.so.1", fixtureBinDir());
    setenv("BARDO_NVML_LIB", path, 1);
}

static void test_missing_library_is_null(void **state) {
    (void)state;
    static probe_gpus g;
    probeGpuClose();
    setenv("BARDO_NVML_LIB", "/nonexistent/libnvidia-ml.so.1", 1);
    probeGpuRead(&g);
    assert_false(g.available);
    assert_int_equal(g.count, 0);
    assert_string_equal(g.driver, "");
}

static void test_fake_nvml_gpu0(void **state) {
    (void)state;
    static probe_gpus g;
    probeGpuClose();
    useFakeNvml();
    probeGpuRead(&g);
    assert_true(g.available);
    assert_string_equal(g.driver, "550.54.15");
    assert_int_equal(g.count, 2);
    const probe_gpu *a = &g.gpus[0];
    assert_string_equal(a->name, "NVIDIA A100-SXM4-40GB");
    assert_string_equal(a->uuid, "GPU-00000000-1111-2222-3333-444444444444");
    assert_near(a->cores, 6912);
    assert_near(a->celsius, 61);
    assert_near(a->power_watts, 123.456);
    assert_near(a->power_limit_watts, 400);
    assert_near(a->graphics_hz, 1095e6);
    assert_near(a->memory_hz, 1215e6);
    assert_near(a->sm_max_hz, 1410e6);
    assert_near(a->utilization_gpu, 0.87);
    assert_near(a->memory_total, 42949672960.0);
    assert_near(a->gflops, 6912 * 2 * 1.41); /* 19491.84: the A100's FP32 peak */
    assert_near(a->gflops_per_watt, 6912 * 2 * 1.41 / 400);
    probeGpuClose();
}

/* What a board does not support stays null, and so does what needs it. */
static void test_fake_nvml_partial_gpu1(void **state) {
    (void)state;
    static probe_gpus g;
    useFakeNvml();
    probeGpuRead(&g);
    const probe_gpu *k = &g.gpus[1];
    assert_string_equal(k->name, "Tesla K80");
    assert_false(probeKnown(k->cores));
    assert_false(probeKnown(k->power_watts));
    assert_false(probeKnown(k->utilization_gpu));
    assert_false(probeKnown(k->gflops));
    assert_false(probeKnown(k->gflops_per_watt));
    assert_near(k->power_limit_watts, 149);
    assert_near(k->celsius, 45);
    probeGpuClose();
}

/* The same through /status: "gpus" is null without NVML, a list with it. */
static bool statusHasNullGpus(const probe_host *h) {
    static buf b;
    bufReset(&b);
    status_app app = {.program = "t", .role = "api", .instance = "t"};
    assert_int_equal(statusWriteJson(&b, &app, h), 0);
    assert_int_equal(bufAppend(&b, "", 1), 0);
    bool null_gpus = strstr(b.data, "\"gpus\":null") != NULL;
    if (!null_gpus) assert_non_null(strstr(b.data, "\"name\":\"NVIDIA A100-SXM4-40GB\""));
    return null_gpus;
}

static void test_status_gpu_section(void **state) {
    (void)state;
    probeGflopsMs = 0; /* no start-up measurement */
    useFixture("empty");
    setenv("BARDO_NVML_LIB", "/nonexistent/libnvidia-ml.so.1", 1);
    probe_host *h = probeHostCreate(0);
    assert_true(statusHasNullGpus(h));
    useFakeNvml();
    probeHostRefresh(h, 2000);
    assert_false(statusHasNullGpus(h));
    probeHostDestroy(h);
    probeGpuClose();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_missing_library_is_null),
        cmocka_unit_test(test_fake_nvml_gpu0),
        cmocka_unit_test(test_fake_nvml_partial_gpu1),
        cmocka_unit_test(test_status_gpu_section),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    return rc;
}
