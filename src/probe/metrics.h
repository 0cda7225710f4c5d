/* metrics.h - request counters and latency histograms, and the /metrics
 * document (Prometheus text format).
 *
 * Recording is a few array increments (metricsHttpRecord is inline): no
 * clock read, no allocation; the caller passes the latency it already
 * has (the API uses the event loop's cached millisecond clock, from the
 * loop turn the request arrived whole in to the turn its response was
 * written, so the histogram has millisecond resolution).
 *
 * Names follow node_exporter: node_hwmon_temp_celsius,
 * node_thermal_zone_temp, node_memory_*_bytes, node_filesystem_*_bytes,
 * node_network_*_total; bardo's own are bardo_http_requests_total,
 * bardo_http_request_duration_seconds, bardo_people, bardo_store_* (one
 * series per store node, labelled by address: up, role_primary, epoch,
 * journal_seq, lag_entries; failovers_total),
 * bardo_cpu_*, bardo_rapl_* (one family with zone labels), bardo_gpu_*
 * and bardo_*_info. */
#ifndef BARDO_PROBE_METRICS_H
#define BARDO_PROBE_METRICS_H

#include "core/buf.h"
#include "probe/status.h"

#define METRICS_ENDPOINTS_MAX 16
#define METRICS_CODES 12     /* the statuses bardo answers with, then "other" */
#define METRICS_BUCKETS 14   /* upper bounds in ms; the last is +Inf */

extern const int METRICS_CODE_VALUES[METRICS_CODES - 1];
extern const uint64_t METRICS_BUCKET_MS[METRICS_BUCKETS - 1];

typedef struct metrics_http {
    const char *const *endpoints;  /* names, indexed by endpoint */
    size_t nendpoints;
    uint64_t requests[METRICS_ENDPOINTS_MAX][METRICS_CODES];
    uint64_t buckets[METRICS_ENDPOINTS_MAX][METRICS_BUCKETS]; /* not cumulative */
    uint64_t sum_ms[METRICS_ENDPOINTS_MAX];
} metrics_http;

void metricsHttpInit(metrics_http *m, const char *const *endpoints, size_t n);

static inline void metricsHttpRecord(metrics_http *m, unsigned endpoint, int status,
                                     uint64_t ms) {
    if (endpoint >= m->nendpoints) return;
    unsigned code = 0, bucket = 0;
    while (code < METRICS_CODES - 1 && METRICS_CODE_VALUES[code] != status) code++;
    while (bucket < METRICS_BUCKETS - 1 && ms > METRICS_BUCKET_MS[bucket]) bucket++;
    m->requests[endpoint][code]++;
    m->buckets[endpoint][bucket]++;
    m->sum_ms[endpoint] += ms;
}

/* Appends the whole /metrics document: program, requests (m may be NULL),
 * cluster, host. 0 or -errno. */
int metricsWrite(buf *b, const status_app *app, const metrics_http *m, const probe_host *h);

#endif
