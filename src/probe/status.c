/* status.c - the /status JSON document (see status.h). One function per
 * section, each writing a fixed set of keys. */
#include "probe/status.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probe/jw.h"

static double statusSince(uint64_t now_ms, uint64_t then_ms) {
    return now_ms >= then_ms ? (double)(now_ms - then_ms) / 1000.0 : 0;
}

static void statusProgram(jw *w, const status_app *app, const probe_host *h) {
    jwObject(w, "program");
    jwStr(w, "name", app->program);
    jwStr(w, "role", app->role);
    jwStr(w, "instance", app->instance);
    jwStr(w, "version", h->build->version);
    jwStr(w, "build_date", h->build->date);
    jwStr(w, "compiler", h->build->compiler);
    jwStr(w, "cflags", h->build->cflags);
    jwNum(w, "pid", (double)getpid());
    jwNum(w, "uptime_seconds", statusSince(app->now_ms, app->started_ms));
    jwNum(w, "requests_total", (double)app->requests);
    jwEnd(w);
}

static void statusHost(jw *w, const probe_host *h) {
    jwObject(w, "host");
    jwStr(w, "hostname", h->hostname);
    jwStr(w, "os", h->os);
    jwStr(w, "kernel", h->kernel);
    jwStr(w, "architecture", h->arch);
    jwEnd(w);
}

static void statusCloud(jw *w, const probe_cloud *c) {
    jwObject(w, "cloud");
    jwStr(w, "cloud.provider", c->provider);
    jwStr(w, "cloud.platform", c->platform);
    jwStr(w, "cloud.region", c->region);
    jwStr(w, "cloud.availability_zone", c->zone);
    jwStr(w, "site", c->site);
    jwStr(w, "source", c->source);
    jwStr(w, "dmi_sys_vendor", c->sys_vendor);
    jwStr(w, "dmi_product_name", c->product_name);
    jwEnd(w);
}

/* {"measured": x, "nominal": y}: the label is the key. */
static void statusWatts(jw *w, const char *key, double measured, double nominal) {
    jwObject(w, key);
    jwNum(w, "measured", measured);
    jwNum(w, "nominal", nominal);
    jwEnd(w);
}

/* {"value": v, "source": "measured"}; the source stays when v is null:
 * it says what the figure would be. */
static void statusFigure(jw *w, const char *key, double v, const char *source) {
    jwObject(w, key);
    jwNum(w, "value", v);
    jwStr(w, "source", source);
    jwEnd(w);
}

static void statusCpuFigures(jw *w, const probe_host *h) {
    const probe_gflops *g = h->gflops;
    statusWatts(w, "power_watts", h->power.package_watts, h->power.package_limit_watts);
    jwObject(w, "gflops");
    jwNum(w, "value", g->gflops);
    jwStr(w, "source", "measured");
    jwStr(w, "method", g->method);
    jwNum(w, "threads", probeKnown(g->gflops) ? 1 : PROBE_NULL);
    jwNum(w, "seconds", g->seconds);
    jwNum(w, "package_power_watts", g->package_watts);
    jwEnd(w);
    double per_watt = PROBE_NULL;
    if (probeKnown(g->gflops) && probeKnown(g->package_watts) && g->package_watts > 0)
        per_watt = g->gflops / g->package_watts;
    statusFigure(w, "gflops_per_watt", per_watt, "measured");
}

static void statusCpu(jw *w, const probe_host *h) {
    const probe_cpu *c = &h->cpu;
    jwObject(w, "cpu");
    jwStr(w, "cpu", c->model);
    jwStr(w, "vendor", c->vendor);
    jwNum(w, "packages", c->packages);
    jwObject(w, "cores");
    jwNum(w, "physical", c->physical_cores);
    jwNum(w, "logical", c->logical_cores);
    jwNum(w, "online", c->online_cores);
    jwEnd(w);
    jwObject(w, "frequency_hertz");
    jwNum(w, "current", c->freq_current_hz);
    jwNum(w, "base", c->freq_base_hz);
    jwNum(w, "max", c->freq_max_hz);
    jwStr(w, "source", c->freq_source);
    jwEnd(w);
    jwNum(w, "temperature_celsius", probeThermalCpu(&h->thermal));
    statusCpuFigures(w, h);
    jwEnd(w);
}

static void statusSensors(jw *w, const probe_thermal *t) {
    jwArray(w, "sensors");
    for (size_t i = 0; i < t->count; i++) {
        const probe_sensor *s = &t->sensors[i];
        jwObject(w, NULL);
        jwStr(w, "source", s->source);
        jwStr(w, "device", s->device);
        jwStr(w, "chip", s->chip);
        jwStr(w, "label", s->label);
        jwNum(w, "temperature_celsius", s->celsius);
        jwNum(w, "critical_celsius", s->critical_celsius);
        jwBool(w, "cpu", (int)i == t->cpu);
        jwEnd(w);
    }
    jwEnd(w);
}

static void statusPowerZones(jw *w, const probe_power *p) {
    jwArray(w, "power_zones");
    for (size_t i = 0; i < p->count; i++) {
        const probe_rapl_zone *z = &p->zones[i];
        jwObject(w, NULL);
        jwStr(w, "zone", z->id);
        jwStr(w, "name", z->name);
        jwNum(w, "energy_joules", z->energy_joules);
        statusWatts(w, "power_watts", z->watts, z->limit_watts);
        jwEnd(w);
    }
    jwEnd(w);
}

static void statusGpu(jw *w, const probe_gpu *g) {
    jwObject(w, NULL);
    jwStr(w, "name", g->name);
    jwStr(w, "uuid", g->uuid);
    jwNum(w, "cores", g->cores);
    jwNum(w, "temperature_celsius", g->celsius);
    statusWatts(w, "power_watts", g->power_watts, g->power_limit_watts);
    jwObject(w, "frequency_hertz");
    jwNum(w, "graphics", g->graphics_hz);
    jwNum(w, "sm", g->sm_hz);
    jwNum(w, "memory", g->memory_hz);
    jwNum(w, "sm_max", g->sm_max_hz);
    jwEnd(w);
    jwObject(w, "utilization_ratio");
    jwNum(w, "gpu", g->utilization_gpu);
    jwNum(w, "memory", g->utilization_memory);
    jwEnd(w);
    jwObject(w, "memory_bytes");
    jwNum(w, "total", g->memory_total);
    jwNum(w, "used", g->memory_used);
    jwEnd(w);
    statusFigure(w, "gflops", g->gflops, "nominal");
    statusFigure(w, "gflops_per_watt", g->gflops_per_watt, "nominal");
    jwEnd(w);
}

/* null when NVML is not there: unknown, which is not the same as none. */
static void statusGpus(jw *w, const probe_gpus *g) {
    jwObject(w, "gpu");
    jwStr(w, "driver", g->driver);
    jwNum(w, "count", g->available ? (double)g->count : PROBE_NULL);
    if (!g->available) {
        jwNull(w, "gpus");
    } else {
        jwArray(w, "gpus");
        for (size_t i = 0; i < g->count; i++) statusGpu(w, &g->gpus[i]);
        jwEnd(w);
    }
    jwEnd(w);
}

static void statusMemory(jw *w, const probe_memory *m) {
    jwObject(w, "memory");
    jwObject(w, "bytes");
    jwNum(w, "total", m->total);
    jwNum(w, "available", m->available);
    jwNum(w, "used", m->used);
    jwNum(w, "free", m->free);
    jwNum(w, "buffers", m->buffers);
    jwNum(w, "cached", m->cached);
    jwEnd(w);
    jwObject(w, "swap_bytes");
    jwNum(w, "total", m->swap_total);
    jwNum(w, "free", m->swap_free);
    jwEnd(w);
    jwNum(w, "cgroup_limit_bytes", m->cgroup_limit);
    jwEnd(w);
}

static void statusStorage(jw *w, const probe_storage *s) {
    jwArray(w, "storage");
    for (size_t i = 0; i < s->count; i++) {
        const probe_mount *m = &s->mounts[i];
        jwObject(w, NULL);
        jwStr(w, "mountpoint", m->mountpoint);
        jwStr(w, "device", m->device);
        jwStr(w, "filesystem", m->fstype);
        jwObject(w, "bytes");
        jwNum(w, "total", m->size);
        jwNum(w, "used", m->used);
        jwNum(w, "free", m->free);
        jwNum(w, "available", m->available);
        jwEnd(w);
        jwEnd(w);
    }
    jwEnd(w);
}

static void statusNetwork(jw *w, const probe_network *n) {
    jwArray(w, "network");
    for (size_t i = 0; i < n->count; i++) {
        const probe_iface *it = &n->ifaces[i];
        jwObject(w, NULL);
        jwStr(w, "interface", it->name);
        jwNum(w, "receive_bytes", it->rx_bytes);
        jwNum(w, "transmit_bytes", it->tx_bytes);
        jwNum(w, "receive_packets", it->rx_packets);
        jwNum(w, "transmit_packets", it->tx_packets);
        jwNum(w, "receive_errors", it->rx_errors);
        jwNum(w, "transmit_errors", it->tx_errors);
        jwNum(w, "receive_bytes_per_second", it->rx_rate);
        jwNum(w, "transmit_bytes_per_second", it->tx_rate);
        jwEnd(w);
    }
    jwEnd(w);
}

static void statusStore(jw *w, const status_store *s) {
    jwObject(w, NULL);
    jwStr(w, "address", s->address);
    jwBool(w, "reachable", s->reachable);
    jwStr(w, "site", s->site);
    jwStr(w, "role", s->role);
    jwNum(w, "epoch", s->epoch);
    jwNum(w, "journal_offset", s->journal_offset);
    jwNum(w, "lag", s->lag);
    jwStr(w, "name", s->name);
    jwNum(w, "people", s->people);
    jwEnd(w);
}

static void statusCluster(jw *w, const status_app *app) {
    if (!app->stores) {
        jwNull(w, "cluster");
        return;
    }
    jwObject(w, "cluster");
    jwArray(w, "stores");
    for (size_t i = 0; i < app->nstores; i++) statusStore(w, &app->stores[i]);
    jwEnd(w);
    jwStr(w, "primary", app->primary);
    jwNum(w, "failovers", (double)app->failovers);
    jwEnd(w);
}

static void statusProbes(jw *w, const status_app *app, const probe_host *h) {
    jwObject(w, "probes");
    jwStr(w, "root", *probeRoot() ? probeRoot() : "/");
    jwNum(w, "refresh_period_seconds", PROBE_REFRESH_MS / 1000.0);
    jwNum(w, "age_seconds", statusSince(app->now_ms, h->refreshed_ms));
    jwNum(w, "refresh_seconds", h->refresh_seconds);
    jwNum(w, "refreshes", (double)h->refreshes);
    jwEnd(w);
}

int statusWriteJson(buf *b, const status_app *app, const probe_host *h) {
    jw w;
    jwInit(&w, b);
    jwObject(&w, NULL);
    statusProgram(&w, app, h);
    statusHost(&w, h);
    statusCloud(&w, &h->cloud);
    statusCpu(&w, h);
    statusSensors(&w, &h->thermal);
    statusPowerZones(&w, &h->power);
    statusGpus(&w, &h->gpus);
    statusMemory(&w, &h->memory);
    statusStorage(&w, &h->storage);
    statusNetwork(&w, &h->network);
    statusCluster(&w, app);
    statusProbes(&w, app, h);
    jwEnd(&w);
    return w.rc;
}

int statusWriteInfo(buf *b, const status_app *app, const probe_host *h) {
    int rc = bufAppendStr(b, "# status\r\nstatus:");
    if (rc == 0) rc = statusWriteJson(b, app, h);
    return rc ? rc : bufAppendStr(b, "\r\n");
}

status_store statusStoreUnknown(const char *address) {
    return (status_store){.address = address, .people = PROBE_NULL, .epoch = PROBE_NULL,
                          .journal_offset = PROBE_NULL, .lag = PROBE_NULL};
}

static double statusInfoNumber(slice v) {
    char text[32], *end;
    if (v.len == 0 || v.len >= sizeof(text)) return PROBE_NULL;
    memcpy(text, v.ptr, v.len);
    text[v.len] = '\0';
    double d = strtod(text, &end);
    return *end ? PROBE_NULL : d;
}

static void statusInfoField(status_store *s, slice key, slice v) {
    if (sliceEqStr(key, "people")) s->people = statusInfoNumber(v);
    else if (sliceEqStr(key, "epoch")) s->epoch = statusInfoNumber(v);
    else if (sliceEqStr(key, "journal_offset")) s->journal_offset = statusInfoNumber(v);
    else if (sliceEqStr(key, "lag")) s->lag = statusInfoNumber(v);
    else if (sliceEqStr(key, "role")) probeCopyTrim(s->role, sizeof(s->role), v.ptr, v.len);
    else if (sliceEqStr(key, "site")) probeCopyTrim(s->site, sizeof(s->site), v.ptr, v.len);
}

void statusParseStoreInfo(status_store *s, slice info) {
    bool reachable = s->reachable;
    *s = statusStoreUnknown(s->address);
    s->reachable = reachable;
    const char *p = info.ptr, *end = info.ptr + info.len;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol) eol = end;
        size_t len = (size_t)(eol - p);
        if (len && p[len - 1] == '\r') len--;
        const char *colon = memchr(p, ':', len);
        if (colon && p[0] != '#')
            statusInfoField(s, sliceMake(p, (size_t)(colon - p)),
                            sliceMake(colon + 1, len - (size_t)(colon + 1 - p)));
        p = eol + 1;
    }
}
