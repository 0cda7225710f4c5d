/* gpu.h - NVIDIA GPUs through NVML, loaded at run time.
 *
 * dlopen("libnvidia-ml.so.1") (or $BARDO_NVML_LIB) with our own
 * declarations of the few NVML calls used: no build-time dependency, and a
 * host without the library simply has no GPU section (null, not an
 * error). Per GPU: name, CUDA cores, temperature, power draw (measured)
 * and enforced power limit (nominal), clocks, utilisation, memory, and the
 * nominal FP32 GFLOPS = cores x 2 (one FMA) x max SM clock, with
 * GFLOPS/W against the power limit (both labelled nominal). */
#ifndef BARDO_PROBE_GPU_H
#define BARDO_PROBE_GPU_H

#include "probe/probe.h"

#define PROBE_GPUS_MAX 8

typedef struct probe_gpu {
    char name[96], uuid[96];
    double cores, celsius, power_watts, power_limit_watts;
    double graphics_hz, sm_hz, memory_hz, sm_max_hz;
    double utilization_gpu, utilization_memory;   /* ratios 0..1 */
    double memory_total, memory_used;             /* bytes */
    double gflops, gflops_per_watt;               /* nominal */
} probe_gpu;

typedef struct probe_gpus {
    bool available;       /* NVML loaded and initialised */
    char driver[32];
    probe_gpu gpus[PROBE_GPUS_MAX];
    size_t count;
} probe_gpus;

/* Loads and initialises NVML once per process; false if it is not there. */
bool probeGpuOpen(void);
/* Reads every GPU (g->available false when NVML is missing). */
void probeGpuRead(probe_gpus *g);
/* Shuts NVML down and unloads it (tests, clean exits). */
void probeGpuClose(void);

#endif
