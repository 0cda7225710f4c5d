/* memory.h - RAM and swap from /proc/meminfo, and the cgroup's limit.
 *
 * used = MemTotal - MemAvailable (what programs cannot get back without
 * swapping). The cgroup limit is memory.max (cgroup v2) or
 * memory/memory.limit_in_bytes (v1) under /sys/fs/cgroup; "max" or the v1
 * "unlimited" value give null. All figures in bytes. */
#ifndef BARDO_PROBE_MEMORY_H
#define BARDO_PROBE_MEMORY_H

#include "probe/probe.h"

typedef struct probe_memory {
    double total, available, free, used, buffers, cached;
    double swap_total, swap_free;
    double cgroup_limit;
} probe_memory;

void probeMemoryRead(probe_memory *m);

#endif
