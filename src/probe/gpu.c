/* gpu.c - NVML through dlopen (see gpu.h).
 *
 * The declarations below are ours, written from NVML's documented ABI:
 * every call returns nvmlReturn_t (0 = NVML_SUCCESS) and takes an opaque
 * device handle. A symbol the library lacks leaves its field null. */
#include "probe/gpu.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

typedef int nvml_return;              /* nvmlReturn_t; 0 is success */
typedef struct nvml_device *nvml_dev; /* nvmlDevice_t */
typedef struct nvml_utilization { unsigned gpu, memory; } nvml_utilization;
typedef struct nvml_memory { unsigned long long total, free, used; } nvml_memory;

enum { NVML_TEMPERATURE_GPU = 0, NVML_CLOCK_GRAPHICS = 0, NVML_CLOCK_SM = 1, NVML_CLOCK_MEM = 2 };

typedef struct nvml_api {
    void *lib;
    nvml_return (*init)(void);
    nvml_return (*shutdown)(void);
    nvml_return (*count)(unsigned *);
    nvml_return (*handle)(unsigned, nvml_dev *);
    nvml_return (*name)(nvml_dev, char *, unsigned);
    nvml_return (*uuid)(nvml_dev, char *, unsigned);
    nvml_return (*driver)(char *, unsigned);
    nvml_return (*temperature)(nvml_dev, int, unsigned *);
    nvml_return (*power)(nvml_dev, unsigned *);
    nvml_return (*power_limit)(nvml_dev, unsigned *);
    nvml_return (*clock)(nvml_dev, int, unsigned *);
    nvml_return (*max_clock)(nvml_dev, int, unsigned *);
    nvml_return (*utilization)(nvml_dev, nvml_utilization *);
    nvml_return (*memory)(nvml_dev, nvml_memory *);
    nvml_return (*cores)(nvml_dev, unsigned *);
} nvml_api;

static nvml_api nvml;

typedef struct nvml_symbol {
    const char *name;
    size_t offset;
} nvml_symbol;

#define NVSYM(n, f) {n, offsetof(nvml_api, f)}
static const nvml_symbol NVML_SYMBOLS[] = {
    NVSYM("nvmlInit_v2", init),
    NVSYM("nvmlShutdown", shutdown),
    NVSYM("nvmlDeviceGetCount_v2", count),
    NVSYM("nvmlDeviceGetHandleByIndex_v2", handle),
    NVSYM("nvmlDeviceGetName", name),
    NVSYM("nvmlDeviceGetUUID", uuid),
    NVSYM("nvmlSystemGetDriverVersion", driver),
    NVSYM("nvmlDeviceGetTemperature", temperature),
    NVSYM("nvmlDeviceGetPowerUsage", power),
    NVSYM("nvmlDeviceGetEnforcedPowerLimit", power_limit),
    NVSYM("nvmlDeviceGetClockInfo", clock),
    NVSYM("nvmlDeviceGetMaxClockInfo", max_clock),
    NVSYM("nvmlDeviceGetUtilizationRates", utilization),
    NVSYM("nvmlDeviceGetMemoryInfo", memory),
    NVSYM("nvmlDeviceGetNumGpuCores", cores),
};

bool probeGpuOpen(void) {
    if (nvml.lib) return true;
    const char *path = getenv("BARDO_NVML_LIB");
    void *lib = dlopen(path && *path ? path : "libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!lib) return false;
    nvml_api api = {.lib = lib};
    for (size_t i = 0; i < sizeof(NVML_SYMBOLS) / sizeof(NVML_SYMBOLS[0]); i++) {
        void *sym = dlsym(lib, NVML_SYMBOLS[i].name);
        memcpy((char *)&api + NVML_SYMBOLS[i].offset, &sym, sizeof(sym));
    }
    if (!api.init || !api.count || !api.handle || api.init() != 0) {
        dlclose(lib);
        return false;
    }
    nvml = api;
    return true;
}

void probeGpuClose(void) {
    if (!nvml.lib) return;
    if (nvml.shutdown) nvml.shutdown();
    dlclose(nvml.lib);
    nvml = (nvml_api){0};
}

typedef nvml_return nvml_get_fn(nvml_dev, unsigned *);
typedef nvml_return nvml_get_arg_fn(nvml_dev, int, unsigned *);

/* One unsigned out of an optional call, scaled; PROBE_NULL on failure. */
static double nvmlGet(nvml_get_fn *fn, nvml_dev d, double scale) {
    unsigned v = 0;
    return (fn && fn(d, &v) == 0) ? (double)v * scale : PROBE_NULL;
}

static double nvmlGetArg(nvml_get_arg_fn *fn, nvml_dev d, int arg, double scale) {
    unsigned v = 0;
    return (fn && fn(d, arg, &v) == 0) ? (double)v * scale : PROBE_NULL;
}

static void gpuNominal(probe_gpu *g) {
    g->gflops = g->gflops_per_watt = PROBE_NULL;
    if (!probeKnown(g->cores) || !probeKnown(g->sm_max_hz)) return;
    g->gflops = g->cores * 2.0 * g->sm_max_hz / 1e9;
    if (probeKnown(g->power_limit_watts) && g->power_limit_watts > 0)
        g->gflops_per_watt = g->gflops / g->power_limit_watts;
}

static void gpuRates(probe_gpu *g, nvml_dev d) {
    nvml_utilization u;
    nvml_memory m;
    g->utilization_gpu = g->utilization_memory = g->memory_total = g->memory_used = PROBE_NULL;
    if (nvml.utilization && nvml.utilization(d, &u) == 0) {
        g->utilization_gpu = u.gpu / 100.0;
        g->utilization_memory = u.memory / 100.0;
    }
    if (nvml.memory && nvml.memory(d, &m) == 0) {
        g->memory_total = (double)m.total;
        g->memory_used = (double)m.used;
    }
}

static void gpuReadOne(probe_gpu *g, nvml_dev d) {
    *g = (probe_gpu){0};
    if (!nvml.name || nvml.name(d, g->name, sizeof(g->name)) != 0) g->name[0] = '\0';
    if (!nvml.uuid || nvml.uuid(d, g->uuid, sizeof(g->uuid)) != 0) g->uuid[0] = '\0';
    g->name[sizeof(g->name) - 1] = g->uuid[sizeof(g->uuid) - 1] = '\0';
    g->cores = nvmlGet(nvml.cores, d, 1);
    g->celsius = nvmlGetArg(nvml.temperature, d, NVML_TEMPERATURE_GPU, 1);
    g->power_watts = nvmlGet(nvml.power, d, 1e-3);
    g->power_limit_watts = nvmlGet(nvml.power_limit, d, 1e-3);
    g->graphics_hz = nvmlGetArg(nvml.clock, d, NVML_CLOCK_GRAPHICS, 1e6);
    g->sm_hz = nvmlGetArg(nvml.clock, d, NVML_CLOCK_SM, 1e6);
    g->memory_hz = nvmlGetArg(nvml.clock, d, NVML_CLOCK_MEM, 1e6);
    g->sm_max_hz = nvmlGetArg(nvml.max_clock, d, NVML_CLOCK_SM, 1e6);
    gpuRates(g, d);
    gpuNominal(g);
}

void probeGpuRead(probe_gpus *g) {
    g->count = 0;
    g->driver[0] = '\0';
    g->available = probeGpuOpen();
    if (!g->available) return;
    if (nvml.driver && nvml.driver(g->driver, sizeof(g->driver)) != 0) g->driver[0] = '\0';
    g->driver[sizeof(g->driver) - 1] = '\0';
    unsigned n = 0;
    if (nvml.count(&n) != 0) n = 0;
    for (unsigned i = 0; i < n && g->count < PROBE_GPUS_MAX; i++) {
        nvml_dev d;
        if (nvml.handle(i, &d) == 0) gpuReadOne(&g->gpus[g->count++], d);
    }
}
