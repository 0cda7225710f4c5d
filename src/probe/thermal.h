/* thermal.h - every temperature sensor the host exposes, and which of them
 * is the CPU's.
 *
 * Sources: hwmon chips in /sys/class/hwmon/hwmonN (name, tempK_input,
 * tempK_label, tempK_crit, millidegrees) such as k10temp, zenpower and
 * coretemp; thermal zones in /sys/class/thermal/thermal_zoneN (type,
 * temp). The CPU temperature is the first found of a fixed preference
 * list (k10temp/zenpower Tdie, then Tctl, coretemp "Package id 0", ...,
 * then the x86_pkg_temp or cpu-thermal zone); none found: null. */
#ifndef BARDO_PROBE_THERMAL_H
#define BARDO_PROBE_THERMAL_H

#include "probe/probe.h"

#define PROBE_SENSORS_MAX 64

typedef struct probe_sensor {
    const char *source;   /* "hwmon" or "thermal_zone" */
    char device[16];      /* "hwmon2", "thermal_zone0" */
    char chip[32];        /* hwmon name or zone type: "k10temp", "acpitz" */
    char label[48];       /* "Tctl", "Package id 0", "temp1"; zones: "" */
    double celsius, critical_celsius;
} probe_sensor;

typedef struct probe_thermal {
    probe_sensor sensors[PROBE_SENSORS_MAX];
    size_t count;
    int cpu;              /* index of the CPU's sensor, -1: none */
} probe_thermal;

void probeThermalRead(probe_thermal *t);
/* The CPU temperature, or PROBE_NULL. */
double probeThermalCpu(const probe_thermal *t);

#endif
