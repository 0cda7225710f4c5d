/* host.h - the snapshot of the host that /status, /metrics and the
 * store's INFO read.
 *
 * Created once at start-up (every probe runs, the GFLOPS loop included),
 * then refreshed by its owner's timer (probeHostRefresh from an evOnTick
 * hook, every PROBE_REFRESH_MS): frequency, temperatures, power, memory,
 * storage, network and GPUs. Requests only read the snapshot, so the
 * endpoints cost a JSON write and the people API never waits on a probe.
 * What never changes while running (CPU model and cores, cloud, OS) is
 * read once. */
#ifndef BARDO_PROBE_HOST_H
#define BARDO_PROBE_HOST_H

#include "probe/build.h"
#include "probe/cloud.h"
#include "probe/cpu.h"
#include "probe/gflops.h"
#include "probe/gpu.h"
#include "probe/memory.h"
#include "probe/network.h"
#include "probe/power.h"
#include "probe/storage.h"
#include "probe/thermal.h"

#define PROBE_REFRESH_MS 2000

typedef struct probe_host {
    char hostname[64], os[96], kernel[64], arch[32];
    probe_cpu cpu;
    probe_thermal thermal;
    probe_power power;
    probe_memory memory;
    probe_storage storage;
    probe_network network;
    probe_cloud cloud;
    probe_gpus gpus;
    const probe_gflops *gflops;
    const probe_build *build;
    uint64_t refreshed_ms;     /* monotonic time of the last refresh */
    double refresh_seconds;    /* what the last refresh cost */
    uint64_t refreshes;
} probe_host;

/* Reads everything once. NULL when out of memory. */
probe_host *probeHostCreate(uint64_t now_ms);
/* Re-reads what changes. */
void probeHostRefresh(probe_host *h, uint64_t now_ms);
void probeHostDestroy(probe_host *h);

#endif
