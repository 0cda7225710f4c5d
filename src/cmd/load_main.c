/* bardo-load: the stress test, an open-model replay of the official
 * Rinha de Backend 2023 Q3 Gatling simulation (SPEC §3). See docs/STRESS.md.
 *
 * Usage: bardo-load [--url http://127.0.0.1:9999] [--payloads FILE]
 *          [--terms FILE] [--scale X] [--time-scale X] [--procedural SEED]
 *          [--seed N] [--pool] [--max-conns N] [--timeout-ms N]
 *          [--out DIR] [--label TEXT] [--quiet] [--strict]
 *        bardo-load --write-data DIR [--seed N]
 * Without --payloads/--terms it sends the generated data set of --seed
 * (docs/DATA.md); --write-data writes that set's two files into DIR and
 * exits.
 * Exit: 0 done, 1 could not run, 2 usage, 3 --strict and a KO, a count
 * different from the 201s seen or from the perfect count, or an
 * interrupted run. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "load/load_data.h"
#include "load/load_engine.h"
#include "load/load_report.h"
#include "load/load_sched.h"

#define USAGE                                                                            \
    "usage: bardo-load [--url http://127.0.0.1:9999] [--payloads FILE] [--terms FILE]\n" \
    "                  [--scale X] [--time-scale X] [--procedural SEED] [--seed N]\n"    \
    "                  [--pool] [--max-conns N] [--timeout-ms N] [--out DIR]\n"          \
    "                  [--label TEXT] [--quiet] [--strict] [--ids-out FILE]\n"    \
    "       bardo-load --write-data DIR [--seed N]\n"

typedef struct opts {
    load_config cfg;
    const char *url, *out, *label;
    const char *write_data; /* --write-data DIR */
    bool strict;
} opts;

/* "http://HOST:PORT[/...]" with an IPv4 HOST or localhost. */
static int parseUrl(const char *url, load_config *c) {
    if (strncmp(url, "http://", 7) == 0) url += 7;
    const char *colon = strchr(url, ':');
    size_t hl = colon ? (size_t)(colon - url) : strcspn(url, "/");
    if (hl == 0 || hl >= sizeof c->host) return -1;
    memcpy(c->host, url, hl);
    c->host[hl] = 0;
    if (strcmp(c->host, "localhost") == 0) strcpy(c->host, "127.0.0.1");
    long port = colon ? strtol(colon + 1, NULL, 10) : 80;
    if (port <= 0 || port > 65535) return -1;
    c->port = (uint16_t)port;
    return 0;
}

static void defaults(opts *o) {
    *o = (opts){.url = "http://127.0.0.1:9999", .out = NULL, .label = ""};
    o->cfg = (load_config){
        .payloads = NULL, .terms = NULL, /* the generated data set of the seed */
        .scale = 1, .time_scale = 1, .seed = LOAD_DATA_SEED, .timeout_ms = 60000,
        .progress = isatty(2) ? 1 : 2};
}

static int parseOne(opts *o, int ch, const char *arg) {
    load_config *c = &o->cfg;
    switch (ch) {
    case 'u': o->url = arg; break;
    case 'p': c->payloads = arg; break;
    case 't': c->terms = arg; break;
    case 's': c->scale = atof(arg); break;
    case 'T': c->time_scale = atof(arg); break;
    case 'P': c->procedural = true, c->seed = strtoull(arg, NULL, 10); break;
    case 'S': c->seed = strtoull(arg, NULL, 10); break;
    case 'k': c->pool = true; break;
    case 'm': c->max_conns = (uint32_t)strtoul(arg, NULL, 10); break;
    case 'w': c->timeout_ms = (uint32_t)strtoul(arg, NULL, 10); break;
    case 'o': o->out = arg; break;
    case 'l': o->label = arg; break;
    case 'q': c->progress = 0; break;
    case 'x': o->strict = true; break;
    case 'i': c->ids_out = fopen(arg, "w"); return c->ids_out ? 0 : -1;
    case 'D': o->write_data = arg; break;
    default: return -1;
    }
    return 0;
}

static int parseOpts(int argc, char **argv, opts *o) {
    static const struct option longs[] = {
        {"url", required_argument, NULL, 'u'}, {"payloads", required_argument, NULL, 'p'},
        {"terms", required_argument, NULL, 't'}, {"scale", required_argument, NULL, 's'},
        {"time-scale", required_argument, NULL, 'T'},
        {"procedural", required_argument, NULL, 'P'}, {"seed", required_argument, NULL, 'S'},
        {"pool", no_argument, NULL, 'k'}, {"max-conns", required_argument, NULL, 'm'},
        {"timeout-ms", required_argument, NULL, 'w'}, {"out", required_argument, NULL, 'o'},
        {"label", required_argument, NULL, 'l'}, {"quiet", no_argument, NULL, 'q'},
        {"strict", no_argument, NULL, 'x'}, {"help", no_argument, NULL, 'h'},
        {"ids-out", required_argument, NULL, 'i'},
        {"write-data", required_argument, NULL, 'D'},
        {NULL, 0, NULL, 0}};
    defaults(o);
    int ch;
    while ((ch = getopt_long(argc, argv, "", longs, NULL)) != -1)
        if (parseOne(o, ch, optarg) < 0) return -1;
    if (optind != argc || parseUrl(o->url, &o->cfg) < 0) return -1;
    if (!(o->cfg.scale > 0) || !(o->cfg.time_scale > 0) || o->cfg.timeout_ms == 0) return -1;
    return 0;
}

/* --write-data: the generated data set's two files, then exit. */
static int writeData(const opts *o) {
    int rc = loadDataWrite(o->write_data, o->cfg.seed);
    if (rc < 0) {
        fprintf(stderr, "bardo-load: cannot write the data set into %s: %s\n", o->write_data,
                strerror(-rc));
        return 1;
    }
    printf("bardo-load: wrote %s/%s (%d payloads) and %s/%s (%d terms), seed %llu\n",
           o->write_data, LOAD_DATA_PAYLOADS_FILE, LOAD_DATA_PAYLOADS, o->write_data,
           LOAD_DATA_TERMS_FILE, LOAD_DATA_TERMS, (unsigned long long)o->cfg.seed);
    uint64_t n = loadSchedTotal(&loadOfficialScenarios[LOAD_SC_CREATE], 1, 1);
    printf("bardo-load: perfect count at scale 1, time scale 1: %lld of %llu creations\n",
           (long long)loadDataPerfect(o->cfg.seed, n), (unsigned long long)n);
    return 0;
}

int main(int argc, char **argv) {
    static opts o;
    static load_result res;
    if (parseOpts(argc, argv, &o) < 0) {
        fputs(USAGE, stderr);
        return 2;
    }
    if (o.write_data) return writeData(&o);
    int rc = loadRun(&o.cfg, &res);
    if (rc < 0) {
        fprintf(stderr, "bardo-load: cannot run: %s\n", strerror(-rc));
        return 1;
    }
    reportText(stdout, &res, &o.cfg);
    if (o.out) {
        report_meta m = {.url = o.url, .label = o.label};
        rc = reportWriteDir(o.out, &res, &o.cfg, &m);
        if (rc < 0) fprintf(stderr, "bardo-load: cannot write %s: %s\n", o.out, strerror(-rc));
        else printf("report: %s/report.html, %s/summary.json\n", o.out, o.out);
    }
    if (o.cfg.ids_out) fclose(o.cfg.ids_out);
    bool ok = reportPassed(&res);
    loadResultFree(&res);
    return rc < 0 ? 1 : (o.strict && !ok ? 3 : 0);
}
