/* load_stats.c - log-linear histograms and the per-second series.
 * See load_stats.h for the layout. */
#include "load/load_stats.h"

#include <stdlib.h>
#include <string.h>

int loadHistIndex(uint64_t us) {
    if (us < LOAD_HIST_SUB) return (int)us;
    int e = 63 - __builtin_clzll(us);        /* 2^e <= us < 2^(e+1), e >= 6 */
    int idx = (e - 5) * LOAD_HIST_SUB + (int)((us >> (e - 6)) - LOAD_HIST_SUB);
    return idx < LOAD_HIST_N ? idx : LOAD_HIST_N - 1;
}

uint64_t loadHistLow(int idx) {
    if (idx < LOAD_HIST_SUB) return (uint64_t)idx;
    int e = idx / LOAD_HIST_SUB + 5;
    uint64_t m = (uint64_t)(idx % LOAD_HIST_SUB + LOAD_HIST_SUB);
    return m << (e - 6);
}

uint64_t loadHistHigh(int idx) {
    if (idx < LOAD_HIST_SUB) return (uint64_t)idx;
    int e = idx / LOAD_HIST_SUB + 5;
    return loadHistLow(idx) + (1ULL << (e - 6)) - 1;
}

void loadHistReset(load_hist *h) {
    memset(h, 0, sizeof *h);
    h->min_us = UINT64_MAX;
}

void loadHistAdd(load_hist *h, uint64_t us) {
    h->c[loadHistIndex(us)]++;
    h->n++;
    h->sum_us += us;
    if (us < h->min_us) h->min_us = us;
    if (us > h->max_us) h->max_us = us;
}

void loadHistMerge(load_hist *into, const load_hist *from) {
    for (int i = 0; i < LOAD_HIST_N; i++) into->c[i] += from->c[i];
    into->n += from->n;
    into->sum_us += from->sum_us;
    if (from->min_us < into->min_us) into->min_us = from->min_us;
    if (from->max_us > into->max_us) into->max_us = from->max_us;
}

uint64_t loadHistPct(const load_hist *h, double p) {
    if (h->n == 0) return 0;
    uint64_t rank = (uint64_t)(p / 100.0 * (double)h->n + 0.999999999);
    if (rank < 1) rank = 1;
    if (rank > h->n) rank = h->n;
    uint64_t seen = 0;
    int i = 0;
    for (; i < LOAD_HIST_N; i++) {
        seen += h->c[i];
        if (seen >= rank) break;
    }
    uint64_t v = (loadHistLow(i) + loadHistHigh(i)) / 2;
    if (v < h->min_us) v = h->min_us;
    if (v > h->max_us) v = h->max_us;
    return v;
}

double loadHistMeanUs(const load_hist *h) {
    return h->n ? (double)h->sum_us / (double)h->n : 0;
}

void loadKstatsOk(load_kstats *k, uint64_t us) {
    loadHistAdd(&k->h, us);
    k->ok++;
    if (us < 800000) k->lt800++;
    else if (us < 1200000) k->lt1200++;
    else k->ge1200++;
}

void loadKstatsKo(load_kstats *k, uint64_t us, load_ko_reason why) {
    loadHistAdd(&k->h, us);
    k->ko++;
    if (why == LOAD_KO_STATUS) k->ko_status++;
    else if (why == LOAD_KO_TIMEOUT) k->ko_timeout++;
    else k->ko_conn++;
}

load_second *loadSeriesAt(load_series *s, size_t sec) {
    if (sec >= s->cap) {
        size_t cap = s->cap ? s->cap : 256;
        while (cap <= sec) cap *= 2;
        load_second *n = realloc(s->s, cap * sizeof *n);
        if (!n) return NULL;
        memset(n + s->cap, 0, (cap - s->cap) * sizeof *n);
        s->s = n;
        s->cap = cap;
    }
    if (sec >= s->n) s->n = sec + 1;
    return &s->s[sec];
}

void loadSeriesTime(load_series *s, size_t sec, uint64_t us) {
    load_second *slot = loadSeriesAt(s, sec);
    if (!slot) return;
    if (!slot->h) {
        slot->h = malloc(sizeof *slot->h);
        if (!slot->h) return;
        loadHistReset(slot->h);
    }
    loadHistAdd(slot->h, us);
}

void loadSeriesFree(load_series *s) {
    for (size_t i = 0; i < s->cap; i++) free(s->s[i].h);
    free(s->s);
    *s = (load_series){0};
}
