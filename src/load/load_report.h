/* load_report.h - what a run leaves behind: the Gatling-style summary on
 * stdout, summary.json and report.html (charts drawn by inline JavaScript
 * from the same JSON, no network: viewable offline).
 *
 * The JSON is one object: the headline figures at the top level (requests,
 * ok, ko, p50_ms ... max_ms, created_201, count_after, perfect_count,
 * passed, duration_s, scale),
 * then "kinds" (the same figures per request kind), "load" (the tool's own
 * cost) and "series" (one entry per second). Times are milliseconds. */
#ifndef BARDO_LOAD_REPORT_H
#define BARDO_LOAD_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "load/load_engine.h"

/* Free-form facts shown in the report's header (may be NULL). */
typedef struct report_meta {
    const char *url;
    const char *label; /* e.g. "official profile, scale 1, bardo under cgroup limits" */
} report_meta;

void reportText(FILE *out, const load_result *r, const load_config *cfg);
void reportJson(FILE *out, const load_result *r, const load_config *cfg, const report_meta *m);
/* report.html: the template with the JSON spliced in. */
int reportHtml(FILE *out, const char *json);
/* Writes summary.json and report.html into dir (created if missing).
 * 0 or -errno. */
int reportWriteDir(const char *dir, const load_result *r, const load_config *cfg,
                   const report_meta *m);
/* /contagem-pessoas answered and equals the 201s seen. */
bool reportCountMatches(const load_result *r);
/* ... and both equal the perfect count (load_perfect.h). */
bool reportPerfect(const load_result *r);
/* The verdict: 0 KO, not interrupted, count == 201s seen == perfect count. */
bool reportPassed(const load_result *r);
/* ms CPU of the load tool per 1,000 requests sent. */
double reportCpuPer1000(const load_result *r);
/* Requests per second over the run. */
double reportMeanRps(const load_result *r);

#endif
