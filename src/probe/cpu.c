/* cpu.c - /proc/cpuinfo and cpufreq (see cpu.h).
 *
 * Physical cores are the distinct (package, core) pairs; a pair is packed
 * into one 64-bit key and kept in a small array, so counting is a linear
 * search per logical CPU: fine for the few hundred a machine may have. */
#include "probe/cpu.h"

#include <stdlib.h>
#include <string.h>

typedef struct cpu_scan {
    uint64_t pairs[PROBE_CPU_MAX];
    size_t npairs;
    uint64_t packages[64];
    size_t npackages;
    long phys, core;          /* of the processor being read; -1: none */
    double mhz_sum;
    size_t mhz_count, logical;
} cpu_scan;

static void cpuAddUnique(uint64_t *set, size_t *n, size_t max, uint64_t v) {
    for (size_t i = 0; i < *n; i++)
        if (set[i] == v) return;
    if (*n < max) set[(*n)++] = v;
}

/* Called at the end of each processor block: records its pair. */
static void cpuEndProcessor(cpu_scan *s) {
    if (s->phys >= 0 && s->core >= 0) {
        cpuAddUnique(s->pairs, &s->npairs, PROBE_CPU_MAX,
                     ((uint64_t)s->phys << 32) | (uint64_t)s->core);
        cpuAddUnique(s->packages, &s->npackages, 64, (uint64_t)s->phys);
    }
    s->phys = s->core = -1;
}

static bool cpuKey(const char *line, const char *key, const char **value) {
    size_t n = strlen(key);
    if (strncmp(line, key, n) != 0 || (line[n] != '\t' && line[n] != ' ' && line[n] != ':'))
        return false;
    const char *colon = strchr(line + n, ':');
    if (!colon) return false;
    *value = colon + 1;
    return true;
}

static void cpuLine(probe_cpu *c, cpu_scan *s, const char *line) {
    const char *v;
    if (cpuKey(line, "processor", &v)) {
        if (s->logical++) cpuEndProcessor(s);
    } else if (cpuKey(line, "model name", &v) && !c->model[0]) {
        probeCopyTrim(c->model, sizeof(c->model), v, strlen(v));
    } else if (cpuKey(line, "vendor_id", &v) && !c->vendor[0]) {
        probeCopyTrim(c->vendor, sizeof(c->vendor), v, strlen(v));
    } else if (cpuKey(line, "physical id", &v)) {
        s->phys = strtol(v, NULL, 10);
    } else if (cpuKey(line, "core id", &v)) {
        s->core = strtol(v, NULL, 10);
    } else if (cpuKey(line, "cpu MHz", &v)) {
        s->mhz_sum += strtod(v, NULL);
        s->mhz_count++;
    }
}

static bool cpuScanInfo(probe_cpu *c, cpu_scan *s) {
    FILE *f = probeOpen("/proc/cpuinfo");
    if (!f) return false;
    *s = (cpu_scan){.phys = -1, .core = -1};
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) cpuLine(c, s, line);
    if (s->logical) cpuEndProcessor(s);
    free(line);
    fclose(f);
    return true;
}

/* ARM and others: no core ids in cpuinfo, but sysfs has the topology. */
static void cpuScanTopology(cpu_scan *s, size_t logical) {
    char path[128];
    for (size_t i = 0; i < logical && i < PROBE_CPU_MAX; i++) {
        snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%zu/topology/physical_package_id", i);
        double pkg = probeReadNumber(path);
        snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%zu/topology/core_id", i);
        double core = probeReadNumber(path);
        if (!probeKnown(pkg) || !probeKnown(core)) return;
        s->phys = (long)pkg;
        s->core = (long)core;
        cpuEndProcessor(s);
    }
}

/* "0-3,8-11" -> 8 */
static double cpuCountList(const char *abs) {
    char text[256];
    if (probeReadText(abs, text, sizeof(text)) <= 0) return PROBE_NULL;
    double n = 0;
    for (char *p = text; *p;) {
        char *end;
        long a = strtol(p, &end, 10), b = a;
        if (end == p) return PROBE_NULL;
        if (*end == '-') b = strtol(end + 1, &end, 10);
        n += (double)(b - a + 1);
        p = *end == ',' ? end + 1 : end;
        if (*end && *end != ',') break;
    }
    return n;
}

static double cpuKhz(const char *file) {
    char path[128];
    snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu0/cpufreq/%s", file);
    double khz = probeReadNumber(path);
    return probeKnown(khz) && khz > 0 ? khz * 1000.0 : PROBE_NULL;
}

/* Average of scaling_cur_freq over every logical CPU that has one. */
static double cpuCurrentFromCpufreq(double logical) {
    double sum = 0;
    size_t n = 0;
    char path[128];
    for (size_t i = 0; i < PROBE_CPU_MAX && (double)i < logical; i++) {
        snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%zu/cpufreq/scaling_cur_freq", i);
        double khz = probeReadNumber(path);
        if (probeKnown(khz) && khz > 0) sum += khz, n++;
    }
    return n ? sum / (double)n * 1000.0 : PROBE_NULL;
}

void probeCpuRefresh(probe_cpu *c) {
    double logical = probeKnown(c->logical_cores) ? c->logical_cores : 1;
    c->freq_current_hz = cpuCurrentFromCpufreq(logical);
    c->freq_source = probeKnown(c->freq_current_hz) ? "cpufreq" : NULL;
    if (c->freq_source) return;
    probe_cpu scratch = {0};
    static cpu_scan s; /* large: not on the stack */
    if (!cpuScanInfo(&scratch, &s) || !s.mhz_count || s.mhz_sum <= 0) return;
    c->freq_current_hz = s.mhz_sum / (double)s.mhz_count * 1e6;
    c->freq_source = "cpuinfo";
}

void probeCpuRead(probe_cpu *c) {
    static cpu_scan s;
    *c = (probe_cpu){.packages = PROBE_NULL, .physical_cores = PROBE_NULL,
                     .logical_cores = PROBE_NULL, .online_cores = PROBE_NULL};
    if (cpuScanInfo(c, &s) && s.logical) {
        c->logical_cores = (double)s.logical;
        if (!s.npairs) cpuScanTopology(&s, s.logical);
        if (s.npairs) c->physical_cores = (double)s.npairs;
        if (s.npackages) c->packages = (double)s.npackages;
    }
    c->online_cores = cpuCountList("/sys/devices/system/cpu/online");
    c->freq_max_hz = cpuKhz("cpuinfo_max_freq");
    c->freq_base_hz = cpuKhz("base_frequency");
    if (!probeKnown(c->freq_base_hz)) c->freq_base_hz = cpuKhz("amd_pstate_nominal_freq");
    probeCpuRefresh(c);
}
