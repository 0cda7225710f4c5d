/* load_report.c - the summary (text), summary.json and report.html.
 * See load_report.h. */
#include "load/load_report.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "load/load_report_html.h"

static double ms(uint64_t us) { return (double)us / 1000.0; }

double reportMeanRps(const load_result *r) {
    return r->duration_s > 0 ? (double)r->all.sent / r->duration_s : 0;
}

double reportCpuPer1000(const load_result *r) {
    return r->all.sent ? r->cpu_s * 1000.0 / (double)r->all.sent * 1000.0 : 0;
}

static double pct(uint64_t part, uint64_t whole) {
    return whole ? 100.0 * (double)part / (double)whole : 0;
}

static void textRow(FILE *out, const char *name, const load_kstats *k, double secs) {
    const load_hist *h = &k->h;
    fprintf(out, "%-24s %8llu %8llu %6llu %8.2f %8.2f %8.2f %8.2f %9.2f %9.2f %8.1f\n", name,
            (unsigned long long)k->sent, (unsigned long long)k->ok, (unsigned long long)k->ko,
            h->n ? ms(h->min_us) : 0.0, ms(loadHistPct(h, 50)), ms(loadHistPct(h, 75)),
            ms(loadHistPct(h, 95)), ms(loadHistPct(h, 99)), ms(h->max_us),
            secs > 0 ? (double)k->sent / secs : 0);
}

static void textBands(FILE *out, const load_kstats *a) {
    uint64_t n = a->sent;
    fprintf(out, "---- Response Time Distribution -------------------------------------------\n");
    fprintf(out, "> t < 800 ms                %10llu (%5.1f%%)\n", (unsigned long long)a->lt800,
            pct(a->lt800, n));
    fprintf(out, "> 800 ms <= t < 1200 ms     %10llu (%5.1f%%)\n", (unsigned long long)a->lt1200,
            pct(a->lt1200, n));
    fprintf(out, "> t >= 1200 ms              %10llu (%5.1f%%)\n", (unsigned long long)a->ge1200,
            pct(a->ge1200, n));
    fprintf(out, "> failed (KO)               %10llu (%5.1f%%)  status %llu, timeout %llu, "
            "connection %llu\n", (unsigned long long)a->ko, pct(a->ko, n),
            (unsigned long long)a->ko_status, (unsigned long long)a->ko_timeout,
            (unsigned long long)a->ko_conn);
}

bool reportCountMatches(const load_result *r) {
    return r->count_after >= 0 && (uint64_t)r->count_after == r->created_201;
}

bool reportPerfect(const load_result *r) {
    return reportCountMatches(r) && r->perfect_count == r->count_after;
}

bool reportPassed(const load_result *r) {
    return r->all.ko == 0 && !r->interrupted && reportPerfect(r);
}

static void textCount(FILE *out, const load_result *r) {
    fprintf(out, "---- Count -----------------------------------------------------------------\n");
    fprintf(out, "> 201 Created seen          %10llu\n", (unsigned long long)r->created_201);
    if (r->count_after < 0) {
        fprintf(out, "> /contagem-pessoas         (no answer)\n");
    } else {
        fprintf(out, "> /contagem-pessoas         %10lld  %s\n", (long long)r->count_after,
                reportCountMatches(r) ? "(equal)" : "(DIFFERENT)");
    }
    if (r->perfect_count < 0) {
        fprintf(out, "> perfect count             (could not be computed)\n");
        return;
    }
    fprintf(out, "> perfect count  %lld  (%s; of the %llu creations sent, those valid and first of "
            "their apelido)\n", (long long)r->perfect_count,
            reportPerfect(r) ? "reached" : "NOT reached", (unsigned long long)r->perfect_creations);
}

static void textVerdict(FILE *out, const load_result *r) {
    if (reportPassed(r)) {
        fprintf(out, "> verdict: PASS (0 KO, count = 201s seen = perfect count)\n");
        return;
    }
    fprintf(out, "> verdict: FAIL (%llu KO%s%s%s)\n", (unsigned long long)r->all.ko,
            r->interrupted ? ", interrupted" : "", reportCountMatches(r) ? "" : ", count != 201s seen",
            reportCountMatches(r) && !reportPerfect(r) ? ", count != perfect count" : "");
}

void reportText(FILE *out, const load_result *r, const load_config *cfg) {
    const char *bar = "===========================================================================";
    fprintf(out, "%s\n%s%s\n", bar, "bardo-load: the Rinha de Backend 2023 Q3 profile",
            r->interrupted ? " (INTERRUPTED)" : "");
    fprintf(out, "scale %g, time scale %g, %s connections, %.1f s (planned %.1f s)\n", cfg->scale,
            cfg->time_scale, cfg->pool ? "pooled" : "per-user", r->duration_s, r->planned_s);
    fprintf(out, "users: %llu create, %llu search, %llu invalid search\n%s\n",
            (unsigned long long)r->users[0], (unsigned long long)r->users[1],
            (unsigned long long)r->users[2], bar);
    fprintf(out, "%-24s %8s %8s %6s %8s %8s %8s %8s %9s %9s %8s\n", "request (ms)", "count", "OK",
            "KO", "min", "p50", "p75", "p95", "p99", "max", "req/s");
    for (int k = 0; k < LOAD_REQ_N; k++) textRow(out, loadReqLabels[k], &r->kind[k], r->duration_s);
    textRow(out, "all", &r->all, r->duration_s);
    textBands(out, &r->all);
    textCount(out, r);
    textVerdict(out, r);
    fprintf(out, "---- The load tool ---------------------------------------------------------\n");
    fprintf(out, "> CPU %.2f s = %.1f ms per 1,000 requests; peak %llu in flight, %llu conns, "
            "%llu opened; worst arrival lateness %.1f ms\n%s\n", r->cpu_s, reportCpuPer1000(r),
            (unsigned long long)r->peak_in_flight, (unsigned long long)r->peak_conns,
            (unsigned long long)r->conns_opened, r->max_lateness_ms, bar);
}

static void jsonStr(FILE *out, const char *s) {
    fputc('"', out);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') fprintf(out, "\\%c", c);
        else if (c < 0x20) fprintf(out, "\\u%04x", c);
        else fputc(c, out);
    }
    fputc('"', out);
}

/* The figures of one kstats, as "key": value pairs (no braces). */
static void jsonFigures(FILE *out, const load_kstats *k, double secs) {
    const load_hist *h = &k->h;
    fprintf(out, "\"requests\": %llu, \"ok\": %llu, \"ko\": %llu, ", (unsigned long long)k->sent,
            (unsigned long long)k->ok, (unsigned long long)k->ko);
    fprintf(out, "\"min_ms\": %.3f, \"p50_ms\": %.3f, \"p75_ms\": %.3f, \"p95_ms\": %.3f, "
            "\"p99_ms\": %.3f, \"max_ms\": %.3f, \"mean_ms\": %.3f, \"mean_rps\": %.2f, ",
            h->n ? ms(h->min_us) : 0.0, ms(loadHistPct(h, 50)), ms(loadHistPct(h, 75)),
            ms(loadHistPct(h, 95)), ms(loadHistPct(h, 99)), ms(h->max_us),
            loadHistMeanUs(h) / 1000.0, secs > 0 ? (double)k->sent / secs : 0);
    fprintf(out, "\"lt_800ms\": %llu, \"lt_1200ms\": %llu, \"ge_1200ms\": %llu, "
            "\"ko_status\": %llu, \"ko_timeout\": %llu, \"ko_connection\": %llu",
            (unsigned long long)k->lt800, (unsigned long long)k->lt1200,
            (unsigned long long)k->ge1200, (unsigned long long)k->ko_status,
            (unsigned long long)k->ko_timeout, (unsigned long long)k->ko_conn);
}

static void jsonKinds(FILE *out, const load_result *r) {
    fprintf(out, "  \"kinds\": [\n");
    for (int k = 0; k < LOAD_REQ_N; k++) {
        fprintf(out, "    {\"name\": ");
        jsonStr(out, loadReqNames[k]);
        fprintf(out, ", \"label\": ");
        jsonStr(out, loadReqLabels[k]);
        fprintf(out, ", ");
        jsonFigures(out, &r->kind[k], r->duration_s);
        fprintf(out, "}%s\n", k + 1 < LOAD_REQ_N ? "," : "");
    }
    fprintf(out, "  ],\n");
}

static void jsonLoad(FILE *out, const load_result *r, const load_config *cfg) {
    fprintf(out, "  \"load\": {\"cpu_s\": %.3f, \"cpu_ms_per_1000_requests\": %.2f, "
            "\"peak_in_flight\": %llu, \"peak_connections\": %llu, \"connections_opened\": %llu, "
            "\"max_arrival_lateness_ms\": %.2f, \"connections\": \"%s\", \"procedural\": %s, "
            "\"seed\": %llu, \"payloads\": ", r->cpu_s, reportCpuPer1000(r),
            (unsigned long long)r->peak_in_flight, (unsigned long long)r->peak_conns,
            (unsigned long long)r->conns_opened, r->max_lateness_ms,
            cfg->pool ? "pooled" : "per-user", cfg->procedural ? "true" : "false",
            (unsigned long long)cfg->seed);
    jsonStr(out, cfg->procedural ? "procedural" : cfg->payloads ? cfg->payloads : "generated");
    fprintf(out, ", \"terms\": ");
    jsonStr(out, cfg->terms ? cfg->terms : "generated");
    fprintf(out, "},\n");
}

static void jsonSecond(FILE *out, size_t i, const load_second *s) {
    const load_hist *h = s->h;
    fprintf(out, "    [%zu, %u, %u, %u, %u, %u, %.3f, %.3f, %.3f, %.3f]", i, s->arrivals, s->sent,
            s->ok, s->ko, s->active, h ? ms(loadHistPct(h, 50)) : 0.0,
            h ? ms(loadHistPct(h, 95)) : 0.0, h ? ms(loadHistPct(h, 99)) : 0.0,
            h ? ms(h->max_us) : 0.0);
}

static void jsonSeries(FILE *out, const load_series *s) {
    fprintf(out, "  \"series_columns\": [\"second\", \"arrivals\", \"sent\", \"ok\", \"ko\", "
            "\"active_users\", \"p50_ms\", \"p95_ms\", \"p99_ms\", \"max_ms\"],\n");
    fprintf(out, "  \"series\": [\n");
    for (size_t i = 0; i < s->n; i++) {
        jsonSecond(out, i, &s->s[i]);
        fprintf(out, "%s\n", i + 1 < s->n ? "," : "");
    }
    fprintf(out, "  ]\n");
}

void reportJson(FILE *out, const load_result *r, const load_config *cfg, const report_meta *m) {
    fprintf(out, "{\n  \"tool\": \"bardo-load\", \"url\": ");
    jsonStr(out, m && m->url ? m->url : "");
    fprintf(out, ", \"label\": ");
    jsonStr(out, m && m->label ? m->label : "");
    fprintf(out, ",\n  \"scale\": %g, \"time_scale\": %g, \"duration_s\": %.3f, "
            "\"planned_s\": %.3f, \"interrupted\": %s,\n  ", cfg->scale, cfg->time_scale,
            r->duration_s, r->planned_s, r->interrupted ? "true" : "false");
    jsonFigures(out, &r->all, r->duration_s);
    fprintf(out, ",\n  \"created_201\": %llu, \"count_after\": %lld, \"count_matches\": %s,\n",
            (unsigned long long)r->created_201, (long long)r->count_after,
            reportCountMatches(r) ? "true" : "false");
    fprintf(out, "  \"perfect_count\": %lld, \"perfect_creations\": %llu, \"perfect\": %s, "
            "\"passed\": %s,\n", (long long)r->perfect_count,
            (unsigned long long)r->perfect_creations, reportPerfect(r) ? "true" : "false",
            reportPassed(r) ? "true" : "false");
    fprintf(out, "  \"users\": {\"create\": %llu, \"search\": %llu, \"invalid_search\": %llu},\n",
            (unsigned long long)r->users[0], (unsigned long long)r->users[1],
            (unsigned long long)r->users[2]);
    jsonKinds(out, r);
    jsonLoad(out, r, cfg);
    jsonSeries(out, &r->series);
    fprintf(out, "}\n");
}

int reportHtml(FILE *out, const char *json) {
    const char *tpl = loadReportTemplate;
    const char *mark = strstr(tpl, "/*@DATA@*/");
    if (!mark) return -EINVAL;
    fwrite(tpl, 1, (size_t)(mark - tpl), out);
    fputs(json, out);
    fputs(mark + strlen("/*@DATA@*/"), out);
    return ferror(out) ? -EIO : 0;
}

static int writeFile(const char *dir, const char *name, const char *text, bool html) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) return -errno;
    int rc = html ? reportHtml(f, text) : (fputs(text, f) < 0 ? -EIO : 0);
    if (fclose(f) != 0 && rc == 0) rc = -EIO;
    return rc;
}

int reportWriteDir(const char *dir, const load_result *r, const load_config *cfg,
                   const report_meta *m) {
    if (mkdir(dir, 0755) < 0 && errno != EEXIST) return -errno;
    char *json = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&json, &len);
    if (!mem) return -ENOMEM;
    reportJson(mem, r, cfg, m);
    if (fclose(mem) != 0) {
        free(json);
        return -ENOMEM;
    }
    int rc = writeFile(dir, "summary.json", json, false);
    if (rc == 0) rc = writeFile(dir, "report.html", json, true);
    free(json);
    return rc;
}
