/* thermal.c - hwmon and thermal zones (see thermal.h). */
#include "probe/thermal.h"

#include <string.h>

typedef struct cpu_pick {
    const char *chip, *label; /* label NULL: any sensor of the chip */
} cpu_pick;

/* In order of preference: Tdie is the die, Tctl may carry an offset. */
static const cpu_pick CPU_PICKS[] = {
    {"k10temp", "Tdie"},     {"zenpower", "Tdie"},     {"k10temp", "Tctl"},
    {"zenpower", "Tctl"},    {"coretemp", "Package id 0"}, {"coretemp", NULL},
    {"k10temp", NULL},       {"zenpower", NULL},       {"cpu_thermal", NULL},
    {"x86_pkg_temp", NULL},  {"cpu-thermal", NULL},    {"soc_thermal", NULL},
};

static double thermalMilli(const char *abs) {
    double v = probeReadNumber(abs);
    return probeKnown(v) ? v / 1000.0 : PROBE_NULL;
}

static void thermalHwmonSensor(probe_thermal *t, const char *dev, const char *chip,
                               const char *input) {
    if (t->count >= PROBE_SENSORS_MAX) return;
    char path[PROBE_PATH_MAX], base[64];
    size_t blen = strlen(input) - strlen("_input");
    snprintf(base, sizeof(base), "%.*s", (int)blen, input); /* "temp1" */
    probe_sensor *s = &t->sensors[t->count++];
    *s = (probe_sensor){.source = "hwmon"};
    probeCopy(s->device, sizeof(s->device), dev);
    probeCopy(s->chip, sizeof(s->chip), chip);
    snprintf(path, sizeof(path), "/sys/class/hwmon/%s/%s", dev, input);
    s->celsius = thermalMilli(path);
    snprintf(path, sizeof(path), "/sys/class/hwmon/%s/%s_crit", dev, base);
    s->critical_celsius = thermalMilli(path);
    snprintf(path, sizeof(path), "/sys/class/hwmon/%s/%s_label", dev, base);
    if (probeReadText(path, s->label, sizeof(s->label)) <= 0)
        probeCopy(s->label, sizeof(s->label), base);
}

static void thermalHwmon(probe_thermal *t) {
    static char devs[32][64], files[64][64];
    size_t ndev = probeListDir("/sys/class/hwmon", "hwmon", devs, 32);
    for (size_t i = 0; i < ndev; i++) {
        char path[PROBE_PATH_MAX], chip[32];
        snprintf(path, sizeof(path), "/sys/class/hwmon/%s/name", devs[i]);
        if (probeReadText(path, chip, sizeof(chip)) <= 0) continue;
        snprintf(path, sizeof(path), "/sys/class/hwmon/%s", devs[i]);
        size_t nfiles = probeListDir(path, "temp", files, 64);
        for (size_t k = 0; k < nfiles; k++) {
            size_t len = strlen(files[k]);
            if (len > 6 && strcmp(files[k] + len - 6, "_input") == 0)
                thermalHwmonSensor(t, devs[i], chip, files[k]);
        }
    }
}

static void thermalZones(probe_thermal *t) {
    static char zones[64][64];
    size_t n = probeListDir("/sys/class/thermal", "thermal_zone", zones, 64);
    for (size_t i = 0; i < n && t->count < PROBE_SENSORS_MAX; i++) {
        char path[PROBE_PATH_MAX];
        probe_sensor *s = &t->sensors[t->count];
        *s = (probe_sensor){.source = "thermal_zone", .critical_celsius = PROBE_NULL};
        snprintf(path, sizeof(path), "/sys/class/thermal/%s/type", zones[i]);
        if (probeReadText(path, s->chip, sizeof(s->chip)) < 0) continue;
        probeCopy(s->device, sizeof(s->device), zones[i]);
        snprintf(path, sizeof(path), "/sys/class/thermal/%s/temp", zones[i]);
        s->celsius = thermalMilli(path);
        t->count++;
    }
}

static int thermalPickCpu(const probe_thermal *t) {
    for (size_t p = 0; p < sizeof(CPU_PICKS) / sizeof(CPU_PICKS[0]); p++) {
        for (size_t i = 0; i < t->count; i++) {
            const probe_sensor *s = &t->sensors[i];
            if (!probeKnown(s->celsius) || strcmp(s->chip, CPU_PICKS[p].chip) != 0) continue;
            if (!CPU_PICKS[p].label || strcmp(s->label, CPU_PICKS[p].label) == 0) return (int)i;
        }
    }
    return -1;
}

void probeThermalRead(probe_thermal *t) {
    t->count = 0;
    thermalHwmon(t);
    thermalZones(t);
    t->cpu = thermalPickCpu(t);
}

double probeThermalCpu(const probe_thermal *t) {
    return t->cpu >= 0 ? t->sensors[t->cpu].celsius : PROBE_NULL;
}
