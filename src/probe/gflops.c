/* gflops.c - the FMA loop (see gflops.h).
 *
 * Twelve independent accumulators keep both FMA pipes busy despite the
 * 4-5 cycle latency of each FMA; the result is summed and returned so the
 * compiler cannot drop the work. The multiplier is just under 1 and the
 * addend tiny, so the values stay finite forever. */
#include "probe/gflops.h"

#include <stdlib.h>
#include <time.h>

#include "probe/power.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define GFLOPS_HAVE_AVX 1
#define FMA12(op) op(0) op(1) op(2) op(3) op(4) op(5) op(6) op(7) op(8) op(9) op(10) op(11)

__attribute__((target("avx,fma"))) static double gflopsAvxBlock(uint64_t iters) {
    const __m256d mul = _mm256_set1_pd(0.999999999), add = _mm256_set1_pd(1e-9);
#define DECL(k) __m256d a##k = _mm256_set1_pd(1.0 + (k) * 1e-3);
    FMA12(DECL)
    for (uint64_t i = 0; i < iters; i++) {
#define STEP(k) a##k = _mm256_fmadd_pd(a##k, mul, add);
        FMA12(STEP)
    }
    __m256d s = _mm256_setzero_pd();
#define SUM(k) s = _mm256_add_pd(s, a##k);
    FMA12(SUM)
    double out[4];
    _mm256_storeu_pd(out, s);
    return out[0] + out[1] + out[2] + out[3];
}
#endif

/* 8 accumulators x (1 mul + 1 add) per iteration. */
static double gflopsScalarBlock(uint64_t iters) {
    double a[8] = {1, 1.001, 1.002, 1.003, 1.004, 1.005, 1.006, 1.007};
    for (uint64_t i = 0; i < iters; i++)
        for (int k = 0; k < 8; k++) a[k] = a[k] * 0.999999999 + 1e-9;
    return a[0] + a[1] + a[2] + a[3] + a[4] + a[5] + a[6] + a[7];
}

static double gflopsNow(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static volatile double gflops_sink; /* keeps the result alive */

void probeGflopsMeasure(probe_gflops *g, unsigned ms) {
    *g = (probe_gflops){PROBE_NULL, PROBE_NULL, PROBE_NULL, NULL};
    if (ms == 0) return;
    bool avx = false;
#ifdef GFLOPS_HAVE_AVX
    avx = __builtin_cpu_supports("avx") && __builtin_cpu_supports("fma");
#endif
    const uint64_t block = 1 << 16;
    double flops_per_iter = avx ? 12 * 4 * 2 : 8 * 2, flops = 0;
    double joules0 = probePowerPackageJoules(), t0 = gflopsNow(), t = t0;
    while (t - t0 < ms / 1000.0) {
#ifdef GFLOPS_HAVE_AVX
        gflops_sink += avx ? gflopsAvxBlock(block) : gflopsScalarBlock(block);
#else
        gflops_sink += gflopsScalarBlock(block);
#endif
        flops += flops_per_iter * (double)block;
        t = gflopsNow();
    }
    double joules1 = probePowerPackageJoules();
    g->seconds = t - t0;
    g->gflops = flops / g->seconds / 1e9;
    g->method = avx ? "fma_avx_f64" : "muladd_f64";
    if (probeKnown(joules0) && probeKnown(joules1) && joules1 > joules0)
        g->package_watts = (joules1 - joules0) / g->seconds;
}

_Static_assert(PROBE_GFLOPS_MS_DEFAULT == 30, "PROBE_GFLOPS_MS_TEXT says 30");
unsigned probeGflopsMs = PROBE_GFLOPS_MS_DEFAULT;

const probe_gflops *probeGflops(void) {
    static probe_gflops g;
    static bool done;
    if (!done) {
        probeGflopsMeasure(&g, probeGflopsMs);
        done = true;
    }
    return &g;
}
