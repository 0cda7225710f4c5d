/* load_stats.h - response-time histograms and the per-second series.
 *
 * A histogram is log-linear, HdrHistogram's layout with 64 sub-buckets per
 * power of two: values (microseconds) below 64 are exact, above they are
 * kept within 1/64 (1.6 %) of their value, up to 2^37 us (38 hours) in
 * 2,048 counters. Adding is a few instructions and no allocation; a
 * percentile is one walk of the counters (nearest-rank: the smallest value
 * at or above p % of the samples), reported as the middle of its bucket and
 * clamped to the exact min and max, which are kept on the side.
 *
 * The series holds one slot per second of the run (by completion time, as
 * Gatling plots response times): arrivals, requests sent, OK, KO, the most
 * users alive at once, and a histogram for that second's percentiles. */
#ifndef BARDO_LOAD_STATS_H
#define BARDO_LOAD_STATS_H

#include <stddef.h>
#include <stdint.h>

#define LOAD_HIST_SUB 64
#define LOAD_HIST_N 2048

typedef struct load_hist {
    uint32_t c[LOAD_HIST_N];
    uint64_t n, sum_us, min_us, max_us;
} load_hist;

int loadHistIndex(uint64_t us);
/* Lowest and highest value that land in bucket idx. */
uint64_t loadHistLow(int idx);
uint64_t loadHistHigh(int idx);
void loadHistReset(load_hist *h);
void loadHistAdd(load_hist *h, uint64_t us);
void loadHistMerge(load_hist *into, const load_hist *from);
/* p in [0,100]; 0 when empty. */
uint64_t loadHistPct(const load_hist *h, double p);
double loadHistMeanUs(const load_hist *h);

/* Figures of one request kind (or of all of them). */
typedef struct load_kstats {
    load_hist h;                 /* every response and KO with a time */
    uint64_t sent, ok, ko;
    uint64_t lt800, lt1200, ge1200; /* Gatling's bands, OK responses only */
    uint64_t ko_status, ko_timeout, ko_conn; /* why the KOs happened */
} load_kstats;

typedef enum { LOAD_KO_STATUS, LOAD_KO_TIMEOUT, LOAD_KO_CONN } load_ko_reason;

void loadKstatsOk(load_kstats *k, uint64_t us);
void loadKstatsKo(load_kstats *k, uint64_t us, load_ko_reason why);

typedef struct load_second {
    uint32_t arrivals, sent, ok, ko, active;
    load_hist *h; /* NULL until a response lands in this second */
} load_second;

typedef struct load_series {
    load_second *s;
    size_t n, cap;
} load_series;

/* Slot for second `sec`, grown on demand; NULL if memory runs out. */
load_second *loadSeriesAt(load_series *s, size_t sec);
/* Records a response time in second sec's histogram. */
void loadSeriesTime(load_series *s, size_t sec, uint64_t us);
void loadSeriesFree(load_series *s);

#endif
