/* power.c - RAPL zones in /sys/class/powercap (see power.h). */
#include "probe/power.h"

#include <string.h>

static double powerRead(const char *zone, const char *file, double scale) {
    char path[PROBE_PATH_MAX];
    snprintf(path, sizeof(path), "/sys/class/powercap/%s/%s", zone, file);
    double v = probeReadNumber(path);
    return probeKnown(v) ? v * scale : PROBE_NULL;
}

static bool powerIsPackage(const probe_rapl_zone *z) {
    return strncmp(z->name, "package", 7) == 0;
}

static const probe_rapl_zone *powerFind(const probe_rapl_zone *zones, size_t n, const char *id) {
    for (size_t i = 0; i < n; i++)
        if (strcmp(zones[i].id, id) == 0) return &zones[i];
    return NULL;
}

static double powerWatts(const probe_rapl_zone *z, const probe_rapl_zone *prev) {
    if (!prev || !probeKnown(z->energy_joules) || !probeKnown(prev->energy_joules) ||
        z->read_ms <= prev->read_ms)
        return PROBE_NULL;
    double delta = z->energy_joules - prev->energy_joules;
    if (delta < 0 && probeKnown(z->range_joules)) delta += z->range_joules; /* wrapped */
    if (delta < 0) return PROBE_NULL;
    return delta / ((double)(z->read_ms - prev->read_ms) / 1000.0);
}

static void powerZone(probe_rapl_zone *z, const char *id, uint64_t now_ms) {
    char path[PROBE_PATH_MAX];
    *z = (probe_rapl_zone){.read_ms = now_ms};
    probeCopy(z->id, sizeof(z->id), id);
    snprintf(path, sizeof(path), "/sys/class/powercap/%s/name", id);
    probeReadText(path, z->name, sizeof(z->name));
    z->energy_joules = powerRead(id, "energy_uj", 1e-6);
    z->range_joules = powerRead(id, "max_energy_range_uj", 1e-6);
    z->limit_watts = powerRead(id, "constraint_0_power_limit_uw", 1e-6);
}

static double powerAdd(double sum, double v) {
    if (!probeKnown(v)) return sum;
    return probeKnown(sum) ? sum + v : v;
}

void probePowerRead(probe_power *p, uint64_t now_ms) {
    static probe_rapl_zone prev[PROBE_RAPL_MAX];
    static char ids[PROBE_RAPL_MAX][64];
    size_t nprev = p->count;
    memcpy(prev, p->zones, nprev * sizeof(prev[0]));
    p->count = probeListDir("/sys/class/powercap", "intel-rapl:", ids, PROBE_RAPL_MAX);
    p->package_watts = p->package_limit_watts = PROBE_NULL;
    for (size_t i = 0; i < p->count; i++) {
        probe_rapl_zone *z = &p->zones[i];
        powerZone(z, ids[i], now_ms);
        z->watts = powerWatts(z, powerFind(prev, nprev, z->id));
        if (!powerIsPackage(z)) continue;
        p->package_watts = powerAdd(p->package_watts, z->watts);
        p->package_limit_watts = powerAdd(p->package_limit_watts, z->limit_watts);
    }
}

double probePowerPackageJoules(void) {
    static probe_power p;
    p.count = 0;
    probePowerRead(&p, 0);
    double sum = PROBE_NULL;
    for (size_t i = 0; i < p.count; i++)
        if (powerIsPackage(&p.zones[i])) sum = powerAdd(sum, p.zones[i].energy_joules);
    return sum;
}
