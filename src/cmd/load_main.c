/* bardo-load: the stress test, an open-model replay of the official
 * Rinha de Backend 2023 Q3 Gatling simulation (SPEC §3). See docs/STRESS.md.
 *
 * Its options are the table below (core/opt.h; `bardo-load --help`).
 * Without --payloads/--terms it sends the generated data set of --seed
 * (docs/DATA.md); --write-data writes that set's two files into DIR and
 * exits.
 * Exit: 0 done, 1 could not run, 2 usage, 3 --strict and a KO, a count
 * different from the 201s seen or from the perfect count, or an
 * interrupted run. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/opt.h"
#include "load/load_data.h"
#include "load/load_engine.h"
#include "load/load_report.h"
#include "load/load_sched.h"

/* LOAD_DATA_SEED as the help and the parser see it: "42". */
#define SEED_TEXT(n) SEED_TEXT_(n)
#define SEED_TEXT_(n) #n

static struct {
    load_config cfg;
    const char *url, *out, *label, *ids_out, *events_out;
    const char *write_data; /* --write-data DIR */
    uint64_t procedural;    /* --procedural SEED; 0: off */
    bool quiet, strict;
} o;

static const opt OPTS[] = {
    {.name = "url", OPT_STR(&o.url), .def = "http://127.0.0.1:9999", .arg = "URL",
     .help = "the system under test, http://HOST:PORT (IPv4 or localhost)"},
    {.name = "payloads", OPT_STR(&o.cfg.payloads), .arg = "FILE",
     .help = "pessoas-payloads.tsv to send; unset: the generated set of --seed"},
    {.name = "terms", OPT_STR(&o.cfg.terms), .arg = "FILE",
     .help = "termos-busca.tsv to search for; unset: the generated set of --seed"},
    {.name = "scale", OPT_DBL(&o.cfg.scale), .dmin = 0.0001, .dmax = 1000, .def = "1",
     .arg = "X", .help = "every arrival rate times X (the official run is 1)"},
    {.name = "time-scale", OPT_DBL(&o.cfg.time_scale), .dmin = 0.0001, .dmax = 100,
     .def = "1", .arg = "X", .help = "every ramp, plateau and pause times X (0.1: a tenth as long)"},
    {.name = "procedural", OPT_UINT(&o.procedural), .max = UINT64_MAX, .def = "0", .arg = "SEED",
     .help = "payloads made from SEED with the file's distribution, never wrapping; 0: off"},
    {.name = "seed", OPT_UINT(&o.cfg.seed), .max = UINT64_MAX, .def = SEED_TEXT(LOAD_DATA_SEED), .arg = "N",
     .help = "the generated data set, the pauses and the randomized step"},
    {.name = "pool", OPT_BOOL(&o.cfg.pool),
     .help = "users share idle keep-alive connections (Gatling opens one per user)"},
    {.name = "max-conns", OPT_UINT(&o.cfg.max_conns), .max = 1000000, .def = "0", .arg = "N",
     .help = "connections open at once; 0: as many as the fd limit allows"},
    {.name = "timeout-ms", OPT_UINT(&o.cfg.timeout_ms), .min = 1, .max = 3600000,
     .def = "60000", .arg = "MS", .help = "a request with no complete reply by then is a KO"},
    {.name = "out", OPT_STR(&o.out), .arg = "DIR",
     .help = "write report.html and summary.json into DIR"},
    {.name = "label", OPT_STR(&o.label), .arg = "TEXT",
     .help = "a name for the run in the report; unset: none"},
    {.name = "quiet", OPT_BOOL(&o.quiet), .help = "no progress lines on stderr"},
    {.name = "strict", OPT_BOOL(&o.strict),
     .help = "exit 3 unless the run passed (0 KO, count = 201s = perfect count)"},
    {.name = "ids-out", OPT_STR(&o.ids_out), .arg = "FILE",
     .help = "write the Location of every 201 into FILE, one a line"},
    {.name = "events-out", OPT_STR(&o.events_out), .arg = "FILE",
     .help = "write one line per create into FILE: sent and done ms, status or KO kind, "
             "Location, apelido (load_events.h)"},
    {.name = "write-data", OPT_STR(&o.write_data), .arg = "DIR",
     .help = "write the generated data set of --seed into DIR and exit"},
};

static const opt_spec SPEC = {
    .prog = "bardo-load",
    .about = "Replays the Rinha de Backend 2023 Q3 stress test against --url (docs/STRESS.md).",
    .notes = "Exit: 0 done, 1 could not run, 2 usage, 3 --strict and the run did not pass.\n",
    .opts = OPTS,
    .n = sizeof OPTS / sizeof OPTS[0],
};

/* "http://HOST:PORT[/...]" with an IPv4 HOST or localhost; no port: 80. */
static int parseUrl(const char *url, load_config *c) {
    if (strncmp(url, "http://", 7) == 0) url += 7;
    size_t hl = strcspn(url, ":/");
    if (hl == 0 || hl >= sizeof c->host) return -EINVAL;
    memcpy(c->host, url, hl);
    c->host[hl] = 0;
    if (strcmp(c->host, "localhost") == 0) strcpy(c->host, "127.0.0.1");
    uint64_t port = 80;
    if (url[hl] == ':') {
        char digits[8];
        size_t pl = strcspn(url + hl + 1, "/");
        if (pl >= sizeof digits) return -EINVAL;
        memcpy(digits, url + hl + 1, pl);
        digits[pl] = 0;
        if (optParseUnsigned(digits, 1, 65535, &port) < 0) return -EINVAL;
    }
    c->port = (uint16_t)port;
    return 0;
}

/* FILE opened for writing into *f, or a usage error naming the option. */
static int openOut(const char *opt_name, const char *path, FILE **f, char *why, size_t cap) {
    if (path && !(*f = fopen(path, "w"))) {
        snprintf(why, cap, "--%s: cannot open '%s': %s", opt_name, path, strerror(errno));
        return -EINVAL;
    }
    return 0;
}

/* The table's values, then what needs more than one: the URL, --procedural
 * and the --ids-out and --events-out files (opened only once everything
 * else is right). */
static int parseOpts(int argc, char **argv, char *why, size_t cap) {
    o.cfg.progress = isatty(2) ? 1 : 2;
    o.label = "";
    int rc = optParse(&SPEC, argc, argv, why, cap);
    if (rc != 0) return rc;
    if (parseUrl(o.url, &o.cfg) < 0) {
        snprintf(why, cap, "--url: '%s' is not http://HOST:PORT", o.url);
        return -EINVAL;
    }
    if (o.quiet) o.cfg.progress = 0;
    if (o.procedural) o.cfg.procedural = true, o.cfg.seed = o.procedural;
    rc = openOut("ids-out", o.ids_out, &o.cfg.ids_out, why, cap);
    return rc < 0 ? rc : openOut("events-out", o.events_out, &o.cfg.events_out, why, cap);
}

/* --write-data: the generated data set's two files, then exit. */
static int writeData(void) {
    int rc = loadDataWrite(o.write_data, o.cfg.seed);
    if (rc < 0) {
        fprintf(stderr, "bardo-load: cannot write the data set into %s: %s\n", o.write_data,
                strerror(-rc));
        return 1;
    }
    printf("bardo-load: wrote %s/%s (%d payloads) and %s/%s (%d terms), seed %llu\n",
           o.write_data, LOAD_DATA_PAYLOADS_FILE, LOAD_DATA_PAYLOADS, o.write_data,
           LOAD_DATA_TERMS_FILE, LOAD_DATA_TERMS, (unsigned long long)o.cfg.seed);
    uint64_t n = loadSchedTotal(&loadOfficialScenarios[LOAD_SC_CREATE], 1, 1);
    printf("bardo-load: perfect count at scale 1, time scale 1: %lld of %llu creations\n",
           (long long)loadDataPerfect(o.cfg.seed, n), (unsigned long long)n);
    return 0;
}

/* The run, its text report, the report folder; the exit status. */
static int runAndReport(void) {
    static load_result res;
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
    bool ok = reportPassed(&res);
    loadResultFree(&res);
    return rc < 0 ? 1 : (o.strict && !ok ? 3 : 0);
}

int main(int argc, char **argv) {
    char why[OPT_ERR_MAX + 64];
    int rc = parseOpts(argc, argv, why, sizeof why);
    if (rc == OPT_HELP) return optHelp(&SPEC, stdout) < 0 ? 1 : 0;
    if (rc < 0) {
        fprintf(stderr, "%s: %s\n", SPEC.prog, why);
        return 2;
    }
    rc = o.write_data ? writeData() : runAndReport();
    if (o.cfg.ids_out) fclose(o.cfg.ids_out);
    if (o.cfg.events_out && fclose(o.cfg.events_out) != 0 && rc == 0) rc = 1;
    return rc;
}
