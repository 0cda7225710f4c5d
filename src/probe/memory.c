/* memory.c - /proc/meminfo and the cgroup memory limit (see memory.h). */
#include "probe/memory.h"

#include <stdlib.h>
#include <string.h>

typedef struct meminfo_field {
    const char *key;
    size_t offset;
} meminfo_field;

#define MEMF(k, f) {k ":", offsetof(probe_memory, f)}
static const meminfo_field MEMINFO_FIELDS[] = {
    MEMF("MemTotal", total),   MEMF("MemAvailable", available), MEMF("MemFree", free),
    MEMF("Buffers", buffers),  MEMF("Cached", cached),          MEMF("SwapTotal", swap_total),
    MEMF("SwapFree", swap_free),
};

static void memoryLine(probe_memory *m, const char *line) {
    for (size_t i = 0; i < sizeof(MEMINFO_FIELDS) / sizeof(MEMINFO_FIELDS[0]); i++) {
        const meminfo_field *f = &MEMINFO_FIELDS[i];
        size_t n = strlen(f->key);
        if (strncmp(line, f->key, n) != 0) continue;
        char *end;
        double kib = strtod(line + n, &end);
        if (end != line + n) *(double *)((char *)m + f->offset) = kib * 1024.0;
        return;
    }
}

/* v1 writes "no limit" as the largest page-aligned signed 64-bit value. */
static double memoryCgroupLimit(void) {
    double v = probeReadNumber("/sys/fs/cgroup/memory.max");
    if (!probeKnown(v)) v = probeReadNumber("/sys/fs/cgroup/memory/memory.limit_in_bytes");
    if (!probeKnown(v) || v <= 0 || v >= 9.2e18) return PROBE_NULL;
    return v;
}

void probeMemoryRead(probe_memory *m) {
    double n = PROBE_NULL;
    *m = (probe_memory){n, n, n, n, n, n, n, n, n};
    FILE *f = probeOpen("/proc/meminfo");
    if (f) {
        char line[256];
        while (fgets(line, sizeof(line), f)) memoryLine(m, line);
        fclose(f);
    }
    if (probeKnown(m->total) && probeKnown(m->available)) m->used = m->total - m->available;
    m->cgroup_limit = memoryCgroupLimit();
}
