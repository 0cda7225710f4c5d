/* metrics.c - the /metrics document (see metrics.h). One function per
 * family group; host families come from the same snapshot as /status. */
#include "probe/metrics.h"

#include <stdio.h>
#include <string.h>

#include "probe/prom.h"

const int METRICS_CODE_VALUES[METRICS_CODES - 1] = {200, 201, 400, 404, 405, 413,
                                                     422, 431, 500, 501, 503};
const uint64_t METRICS_BUCKET_MS[METRICS_BUCKETS - 1] = {1,   2,    5,    10,   25,   50,  100,
                                                         250, 500, 1000, 2500, 5000, 10000};

void metricsHttpInit(metrics_http *m, const char *const *endpoints, size_t n) {
    *m = (metrics_http){.endpoints = endpoints};
    m->nendpoints = n < METRICS_ENDPOINTS_MAX ? n : METRICS_ENDPOINTS_MAX;
}

static void metricsProgram(prom *p, const status_app *app, const probe_host *h) {
    const probe_build *b = h->build;
    const probe_cloud *c = &h->cloud;
    promFamily(p, "bardo_build_info", "gauge", "Version and build of this program (always 1).");
    promSample(p, "bardo_build_info",
               (const char *const[]){"program", app->program, "role", app->role, "instance",
                                     app->instance, "version", b->version, "build_date", b->date,
                                     "compiler", b->compiler, NULL},
               1);
    promGauge(p, "bardo_uptime_seconds", "Seconds since this process started.",
              app->now_ms >= app->started_ms ? (double)(app->now_ms - app->started_ms) / 1000.0 : 0);
    promFamily(p, "bardo_cloud_info", "gauge", "Where this host runs, OpenTelemetry names (always 1).");
    promSample(p, "bardo_cloud_info",
               (const char *const[]){"provider", c->provider, "platform", c->platform, "region",
                                     c->region, "availability_zone", c->zone, "site", c->site, NULL},
               1);
}

static void metricsRequests(prom *p, const metrics_http *m) {
    promFamily(p, "bardo_http_requests_total", "counter", "HTTP responses by endpoint and status.");
    for (size_t e = 0; e < m->nendpoints; e++) {
        for (size_t c = 0; c < METRICS_CODES; c++) {
            if (!m->requests[e][c]) continue;
            char code[8];
            if (c < METRICS_CODES - 1) snprintf(code, sizeof(code), "%d", METRICS_CODE_VALUES[c]);
            else snprintf(code, sizeof(code), "other");
            promSample(p, "bardo_http_requests_total",
                       (const char *const[]){"endpoint", m->endpoints[e], "code", code, NULL},
                       (double)m->requests[e][c]);
        }
    }
}

static void metricsHistogram(prom *p, const metrics_http *m, size_t e) {
    const char *name = m->endpoints[e];
    uint64_t cumulative = 0;
    char le[24];
    for (size_t k = 0; k < METRICS_BUCKETS; k++) {
        cumulative += m->buckets[e][k];
        if (k < METRICS_BUCKETS - 1) snprintf(le, sizeof(le), "%g", METRICS_BUCKET_MS[k] / 1000.0);
        else snprintf(le, sizeof(le), "+Inf");
        promSample(p, "bardo_http_request_duration_seconds_bucket",
                   (const char *const[]){"endpoint", name, "le", le, NULL}, (double)cumulative);
    }
    const char *const labels[] = {"endpoint", name, NULL};
    promSample(p, "bardo_http_request_duration_seconds_sum", labels, m->sum_ms[e] / 1000.0);
    promSample(p, "bardo_http_request_duration_seconds_count", labels, (double)cumulative);
}

static void metricsHttp(prom *p, const metrics_http *m) {
    if (!m) return;
    metricsRequests(p, m);
    promFamily(p, "bardo_http_request_duration_seconds", "histogram",
               "From the loop turn a request arrived whole to the one its response was written "
               "(millisecond resolution).");
    for (size_t e = 0; e < m->nendpoints; e++) {
        uint64_t n = 0;
        for (size_t k = 0; k < METRICS_BUCKETS; k++) n += m->buckets[e][k];
        if (n) metricsHistogram(p, m, e); /* a series appears with its first request */
    }
}

typedef struct fs_family {
    const char *name, *help;
    size_t offset;
} fs_family;

/* 1 primary, 0 replica, NaN (no sample) unknown. */
static double metricsRolePrimary(const status_store *s) {
    if (strcmp(s->role, "primary") == 0) return 1;
    return strcmp(s->role, "replica") == 0 ? 0 : PROBE_NULL;
}

/* One series per store node the API was given, labelled by its address;
 * what is unknown (an unreachable node's epoch, a replica's people) has
 * no sample. */
static void metricsCluster(prom *p, const status_app *app) {
    static const fs_family FAMILIES[] = {
        {"bardo_store_epoch", "The store node's epoch (ROLE).", offsetof(status_store, epoch)},
        {"bardo_store_journal_seq", "The store node's last journal seq (ROLE).",
         offsetof(status_store, journal_offset)},
        {"bardo_store_lag_entries", "Journal entries the node is behind the primary.",
         offsetof(status_store, lag)},
        {"bardo_people", "People in the primary store, from its last INFO.",
         offsetof(status_store, people)},
    };
    if (!app->stores) return;
    promFamily(p, "bardo_store_up", "gauge", "1 when the store node is reachable.");
    for (size_t i = 0; i < app->nstores; i++)
        promSample(p, "bardo_store_up", (const char *const[]){"address", app->stores[i].address, NULL},
                   app->stores[i].reachable);
    promFamily(p, "bardo_store_role_primary", "gauge",
               "1 when the node says it is primary, 0 replica.");
    for (size_t i = 0; i < app->nstores; i++)
        promSample(p, "bardo_store_role_primary",
                   (const char *const[]){"address", app->stores[i].address, NULL},
                   metricsRolePrimary(&app->stores[i]));
    for (size_t f = 0; f < sizeof(FAMILIES) / sizeof(FAMILIES[0]); f++) {
        promFamily(p, FAMILIES[f].name, "gauge", FAMILIES[f].help);
        for (size_t i = 0; i < app->nstores; i++)
            promSample(p, FAMILIES[f].name,
                       (const char *const[]){"address", app->stores[i].address, NULL},
                       *(const double *)((const char *)&app->stores[i] + FAMILIES[f].offset));
    }
    promFamily(p, "bardo_store_failovers_total", "counter", "Times the API's primary changed.");
    promSample(p, "bardo_store_failovers_total", NULL, (double)app->failovers);
}

static void metricsCpu(prom *p, const probe_host *h) {
    const probe_cpu *c = &h->cpu;
    promGauge(p, "bardo_cpu_logical_cores", "Logical CPUs (/proc/cpuinfo).", c->logical_cores);
    promGauge(p, "bardo_cpu_frequency_hertz", "Current CPU frequency, average over CPUs.",
              c->freq_current_hz);
    promGauge(p, "bardo_cpu_temperature_celsius", "CPU temperature (hwmon or thermal zone).",
              probeThermalCpu(&h->thermal));
    promFamily(p, "bardo_cpu_power_watts", "gauge", "CPU package power: RAPL measured, or limit.");
    promSample(p, "bardo_cpu_power_watts", (const char *const[]){"source", "measured", NULL},
               h->power.package_watts);
    promSample(p, "bardo_cpu_power_watts", (const char *const[]){"source", "nominal", NULL},
               h->power.package_limit_watts);
    promFamily(p, "bardo_cpu_gflops", "gauge", "Double-precision GFLOPS of one thread at start-up.");
    promSample(p, "bardo_cpu_gflops", (const char *const[]){"source", "measured", NULL},
               h->gflops->gflops);
}

static void metricsThermal(prom *p, const probe_thermal *t) {
    promFamily(p, "node_hwmon_temp_celsius", "gauge", "Hardware monitor temperature sensors.");
    for (size_t i = 0; i < t->count; i++) {
        const probe_sensor *s = &t->sensors[i];
        if (strcmp(s->source, "hwmon") == 0)
            promSample(p, "node_hwmon_temp_celsius",
                       (const char *const[]){"chip", s->chip, "device", s->device, "sensor",
                                             s->label, NULL},
                       s->celsius);
    }
    promFamily(p, "node_thermal_zone_temp", "gauge", "Thermal zone temperature in celsius.");
    for (size_t i = 0; i < t->count; i++) {
        const probe_sensor *s = &t->sensors[i];
        if (strcmp(s->source, "thermal_zone") == 0)
            promSample(p, "node_thermal_zone_temp",
                       (const char *const[]){"zone", s->device + strlen("thermal_zone"), "type",
                                             s->chip, NULL},
                       s->celsius);
    }
}

static void metricsRapl(prom *p, const probe_power *pw) {
    promFamily(p, "bardo_rapl_joules_total", "counter", "RAPL energy counter of each zone.");
    for (size_t i = 0; i < pw->count; i++)
        promSample(p, "bardo_rapl_joules_total",
                   (const char *const[]){"zone", pw->zones[i].id, "name", pw->zones[i].name, NULL},
                   pw->zones[i].energy_joules);
    promFamily(p, "bardo_rapl_power_watts", "gauge", "RAPL power: measured draw, nominal limit.");
    for (size_t i = 0; i < pw->count; i++) {
        const probe_rapl_zone *z = &pw->zones[i];
        promSample(p, "bardo_rapl_power_watts",
                   (const char *const[]){"zone", z->id, "name", z->name, "source", "measured", NULL},
                   z->watts);
        promSample(p, "bardo_rapl_power_watts",
                   (const char *const[]){"zone", z->id, "name", z->name, "source", "nominal", NULL},
                   z->limit_watts);
    }
}

static void metricsMemory(prom *p, const probe_memory *m) {
    promGauge(p, "node_memory_MemTotal_bytes", "Memory information field MemTotal_bytes.", m->total);
    promGauge(p, "node_memory_MemAvailable_bytes", "Memory information field MemAvailable_bytes.",
              m->available);
    promGauge(p, "node_memory_MemFree_bytes", "Memory information field MemFree_bytes.", m->free);
    promGauge(p, "node_memory_SwapTotal_bytes", "Memory information field SwapTotal_bytes.",
              m->swap_total);
    promGauge(p, "node_memory_SwapFree_bytes", "Memory information field SwapFree_bytes.",
              m->swap_free);
    promGauge(p, "bardo_cgroup_memory_limit_bytes", "The cgroup's memory limit.", m->cgroup_limit);
}

static void metricsStorage(prom *p, const probe_storage *s) {
    static const fs_family FAMILIES[] = {
        {"node_filesystem_size_bytes", "Filesystem size in bytes.", offsetof(probe_mount, size)},
        {"node_filesystem_free_bytes", "Filesystem free space in bytes.", offsetof(probe_mount, free)},
        {"node_filesystem_avail_bytes", "Filesystem space available to non-root users in bytes.",
         offsetof(probe_mount, available)},
    };
    for (size_t f = 0; f < sizeof(FAMILIES) / sizeof(FAMILIES[0]); f++) {
        promFamily(p, FAMILIES[f].name, "gauge", FAMILIES[f].help);
        for (size_t i = 0; i < s->count; i++) {
            const probe_mount *m = &s->mounts[i];
            promSample(p, FAMILIES[f].name,
                       (const char *const[]){"device", m->device, "fstype", m->fstype,
                                             "mountpoint", m->mountpoint, NULL},
                       *(const double *)((const char *)m + FAMILIES[f].offset));
        }
    }
}

static void metricsNetwork(prom *p, const probe_network *n) {
    static const fs_family FAMILIES[] = {
        {"node_network_receive_bytes_total", "Network device statistic receive_bytes.",
         offsetof(probe_iface, rx_bytes)},
        {"node_network_transmit_bytes_total", "Network device statistic transmit_bytes.",
         offsetof(probe_iface, tx_bytes)},
        {"node_network_receive_packets_total", "Network device statistic receive_packets.",
         offsetof(probe_iface, rx_packets)},
        {"node_network_transmit_packets_total", "Network device statistic transmit_packets.",
         offsetof(probe_iface, tx_packets)},
    };
    for (size_t f = 0; f < sizeof(FAMILIES) / sizeof(FAMILIES[0]); f++) {
        promFamily(p, FAMILIES[f].name, "counter", FAMILIES[f].help);
        for (size_t i = 0; i < n->count; i++)
            promSample(p, FAMILIES[f].name, (const char *const[]){"device", n->ifaces[i].name, NULL},
                       *(const double *)((const char *)&n->ifaces[i] + FAMILIES[f].offset));
    }
}

static void metricsGpu(prom *p, const probe_gpus *g) {
    static const fs_family FAMILIES[] = {
        {"bardo_gpu_temperature_celsius", "GPU temperature (NVML).", offsetof(probe_gpu, celsius)},
        {"bardo_gpu_power_watts", "GPU power draw, measured (NVML).", offsetof(probe_gpu, power_watts)},
        {"bardo_gpu_power_limit_watts", "GPU enforced power limit, nominal (NVML).",
         offsetof(probe_gpu, power_limit_watts)},
        {"bardo_gpu_utilization_ratio", "GPU busy ratio (NVML).", offsetof(probe_gpu, utilization_gpu)},
    };
    for (size_t f = 0; f < sizeof(FAMILIES) / sizeof(FAMILIES[0]); f++) {
        promFamily(p, FAMILIES[f].name, "gauge", FAMILIES[f].help);
        for (size_t i = 0; i < g->count; i++) {
            char index[24];
            snprintf(index, sizeof(index), "%zu", i);
            promSample(p, FAMILIES[f].name,
                       (const char *const[]){"gpu", index, "name", g->gpus[i].name, NULL},
                       *(const double *)((const char *)&g->gpus[i] + FAMILIES[f].offset));
        }
    }
}

int metricsWrite(buf *b, const status_app *app, const metrics_http *m, const probe_host *h) {
    prom p = {.b = b};
    metricsProgram(&p, app, h);
    metricsHttp(&p, m);
    metricsCluster(&p, app);
    metricsCpu(&p, h);
    metricsThermal(&p, &h->thermal);
    metricsRapl(&p, &h->power);
    metricsMemory(&p, &h->memory);
    metricsStorage(&p, &h->storage);
    metricsNetwork(&p, &h->network);
    metricsGpu(&p, &h->gpus);
    promGauge(&p, "bardo_probe_refresh_seconds", "What the last host probe refresh cost.",
              h->refresh_seconds);
    return p.rc;
}
