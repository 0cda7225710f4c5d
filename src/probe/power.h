/* power.h - CPU power through RAPL (Running Average Power Limit).
 *
 * Source: /sys/class/powercap/intel-rapl:N[:M] (also on AMD Zen):
 * name ("package-0", "core", "dram", "psys"), energy_uj (a wrapping
 * counter, root-only on kernels since 5.10: then null),
 * max_energy_range_uj, constraint_0_power_limit_uw. Measured watts are the
 * energy difference between two reads over their time difference; the
 * power limit is the nominal figure. */
#ifndef BARDO_PROBE_POWER_H
#define BARDO_PROBE_POWER_H

#include "probe/probe.h"

#define PROBE_RAPL_MAX 16

typedef struct probe_rapl_zone {
    char id[32];           /* "intel-rapl:0", "intel-rapl:0:0" */
    char name[32];         /* "package-0", "core", "dram", "psys" */
    double energy_joules;  /* the counter (measured) */
    double range_joules;   /* where it wraps */
    double watts;          /* measured between the last two reads */
    double limit_watts;    /* long-term power limit (nominal) */
    uint64_t read_ms;
} probe_rapl_zone;

typedef struct probe_power {
    probe_rapl_zone zones[PROBE_RAPL_MAX];
    size_t count;
    double package_watts;        /* sum over package zones: measured */
    double package_limit_watts;  /* sum over package zones: nominal */
} probe_power;

/* Reads every zone; rates come from the previous read held in p. */
void probePowerRead(probe_power *p, uint64_t now_ms);
/* Sum of the package zones' energy counters in joules, or PROBE_NULL. */
double probePowerPackageJoules(void);

#endif
