/* cpu.h - the processor: model, vendor, cores and frequency.
 *
 * Sources: /proc/cpuinfo ("model name", "vendor_id", "processor",
 * "physical id"/"core id" pairs for physical cores, "cpu MHz"), the
 * cpufreq files of /sys/devices/system/cpu/cpuN/cpufreq (scaling_cur_freq,
 * cpuinfo_max_freq, base_frequency or amd_pstate_nominal_freq, all kHz),
 * /sys/devices/system/cpu/online, and cpuN/topology when cpuinfo has no
 * core ids (ARM). Frequencies are in hertz. */
#ifndef BARDO_PROBE_CPU_H
#define BARDO_PROBE_CPU_H

#include "probe/probe.h"

#define PROBE_CPU_MAX 1024 /* logical CPUs looked at for topology */

typedef struct probe_cpu {
    char model[128];          /* fastfetch "cpu" */
    char vendor[64];
    double packages, physical_cores, logical_cores, online_cores;
    double freq_current_hz;   /* average over logical CPUs */
    double freq_base_hz, freq_max_hz;
    const char *freq_source;  /* "cpufreq", "cpuinfo" or NULL */
} probe_cpu;

/* Everything (at start-up). */
void probeCpuRead(probe_cpu *c);
/* The current frequency only (on the timer). */
void probeCpuRefresh(probe_cpu *c);

#endif
