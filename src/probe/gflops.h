/* gflops.h - floating-point speed, measured once at start-up.
 *
 * A short loop of independent double-precision fused multiply-adds (AVX
 * FMA when the CPU has it, else plain multiply-adds) on one thread, timed
 * with the monotonic clock: GFLOPS measured on one core, not a nominal
 * peak. If RAPL energy is readable, the package energy spent during the
 * loop gives the watts and so GFLOPS/W, also measured. The loop runs
 * probeGflopsMs milliseconds (default 30; 0 skips it: null), which the
 * programs' option tables set from BARDO_GFLOPS_MS (probe_env.h), parsed
 * strictly like every other value. */
#ifndef BARDO_PROBE_GFLOPS_H
#define BARDO_PROBE_GFLOPS_H

#include "probe/probe.h"

typedef struct probe_gflops {
    double gflops;          /* measured, one thread */
    double seconds;         /* how long the loop ran */
    double package_watts;   /* RAPL package power during the loop, measured */
    const char *method;     /* "fma_avx_f64", "muladd_f64" or NULL */
} probe_gflops;

#define PROBE_GFLOPS_MS_DEFAULT 30
#define PROBE_GFLOPS_MS_TEXT "30" /* the same, as opt.h defaults are typed */
/* The start-up measurement's length in ms (0: none); set before the
 * first probeGflops() call. */
extern unsigned probeGflopsMs;

/* Runs the loop for about `ms` milliseconds. */
void probeGflopsMeasure(probe_gflops *g, unsigned ms);
/* The process's measurement, taken on the first call. */
const probe_gflops *probeGflops(void);

#endif
