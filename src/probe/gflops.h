/* gflops.h - floating-point speed, measured once at start-up.
 *
 * A short loop of independent double-precision fused multiply-adds (AVX
 * FMA when the CPU has it, else plain multiply-adds) on one thread, timed
 * with the monotonic clock: GFLOPS measured on one core, not a nominal
 * peak. If RAPL energy is readable, the package energy spent during the
 * loop gives the watts and so GFLOPS/W, also measured. The loop runs
 * BARDO_GFLOPS_MS milliseconds (default 30; 0 skips it: null). */
#ifndef BARDO_PROBE_GFLOPS_H
#define BARDO_PROBE_GFLOPS_H

#include "probe/probe.h"

typedef struct probe_gflops {
    double gflops;          /* measured, one thread */
    double seconds;         /* how long the loop ran */
    double package_watts;   /* RAPL package power during the loop, measured */
    const char *method;     /* "fma_avx_f64", "muladd_f64" or NULL */
} probe_gflops;

/* Runs the loop for about `ms` milliseconds. */
void probeGflopsMeasure(probe_gflops *g, unsigned ms);
/* The process's measurement, taken on the first call. */
const probe_gflops *probeGflops(void);

#endif
