/* store_bench.c - in-process measurement of the people store.
 *
 * Loads N people (default 1,000,000) built from the official payload file
 * (apelido made unique by appending the index, fields folded with ASCII
 * tolower, json = the payload with an "id" added), then reports bytes per
 * person (peopleMemoryBytes and RSS growth), adds/s, gets/s and searches/s
 * over the official search terms.
 *
 * usage: store_bench [payloads.tsv [terms.tsv [N]]] */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/people.h"

#define DATA "/work/shared/rinha-2023-q3/"

typedef struct lines {
    char **v;
    size_t n;
} lines;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t rssBytes(void) {
    long pages = 0, rss = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return 0;
    if (fscanf(f, "%ld %ld", &pages, &rss) != 2) rss = 0;
    fclose(f);
    return (size_t)rss * 4096;
}

/* Reads a file's lines after the header. */
static lines readLines(const char *path) {
    lines l = {0};
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        exit(1);
    }
    char *line = NULL;
    size_t cap = 0, vcap = 0;
    ssize_t n;
    for (bool header = true; (n = getline(&line, &cap, f)) > 0; header = false) {
        if (header) continue;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
        if (l.n == vcap) l.v = realloc(l.v, (vcap = vcap * 2 + 1024) * sizeof(char *));
        l.v[l.n++] = strdup(line);
    }
    free(line);
    fclose(f);
    return l;
}

/* Appends the folded string value that follows `"name": "` to key. */
static size_t addField(const char *payload, const char *name, char *key, size_t at) {
    const char *p = strstr(payload, name);
    if (!p || !(p = strchr(p + strlen(name), '"'))) return at;
    for (p++; *p && *p != '"'; p++) key[at++] = (char)tolower((unsigned char)*p);
    return at;
}

/* "apelidoI\0nome\0stack0\0..." with a crude reading of the payload. */
static size_t makeKey(const char *payload, size_t i, char *key) {
    size_t at = addField(payload, "\"apelido\":", key, 0);
    at += (size_t)sprintf(key + at, "%zu", i);
    key[at++] = 0;
    at = addField(payload, "\"nome\":", key, at);
    const char *s = strstr(payload, "\"stack\": [");
    for (s = s ? s + 10 : NULL; s && (s = strchr(s, '"')); s = strchr(s + 1, '"') + 1) {
        key[at++] = 0;
        at = addField(s - 1, "", key, at);
        if (!strchr(s + 1, '"')) break;
    }
    return at;
}

static void makeId(uint8_t id[16], uint64_t *rng) {
    for (int i = 0; i < 16; i += 8) {
        *rng ^= *rng << 13;
        *rng ^= *rng >> 7;
        *rng ^= *rng << 17;
        memcpy(id + i, rng, 8);
    }
    id[6] = (uint8_t)((id[6] & 0x0f) | 0x40);
    id[8] = (uint8_t)((id[8] & 0x3f) | 0x80);
}

static uint8_t (*loadPeople(people *db, const lines *pl, size_t n))[16] {
    uint8_t(*ids)[16] = malloc(n * 16);
    char *key = malloc(1 << 16), *json = malloc(1 << 16);
    uint64_t rng = 88172645463325252ull;
    double t0 = now();
    for (size_t i = 0; i < n; i++) {
        const char *payload = pl->v[i % pl->n];
        size_t kl = makeKey(payload, i, key);
        int jl = snprintf(json, 1 << 16, "{\"id\":\"%036zu\",%s", i, payload + 1);
        makeId(ids[i], &rng);
        int rc = peopleAdd(db, ids[i], sliceMake(key, strlen(key)), sliceMake(key, kl),
                           sliceMake(json, (size_t)jl));
        if (rc) fprintf(stderr, "add %zu: %d\n", i, rc);
    }
    double dt = now() - t0;
    printf("adds: %zu in %.2fs = %.0f/s\n", n, dt, (double)n / dt);
    free(key);
    free(json);
    return ids;
}

static void benchGets(const people *db, uint8_t (*ids)[16], size_t n) {
    size_t found = 0, rounds = 2000000;
    uint64_t rng = 12345;
    double t0 = now();
    for (size_t i = 0; i < rounds; i++) {
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        slice json;
        found += peopleGet(db, ids[(rng >> 33) % n], &json);
    }
    double dt = now() - t0;
    printf("gets: %zu (found %zu) in %.2fs = %.0f/s\n", rounds, found, dt, (double)rounds / dt);
}

static void benchSearch(const people *db, const lines *tl) {
    buf out;
    bufInit(&out, 1 << 16);
    size_t results = 0, empty = 0;
    double t0 = now(), worst = 0;
    char term[512];
    for (size_t i = 0; i < tl->n; i++) {
        size_t len = strlen(tl->v[i]) < sizeof(term) ? strlen(tl->v[i]) : sizeof(term);
        for (size_t j = 0; j < len; j++) term[j] = (char)tolower((unsigned char)tl->v[i][j]);
        double t1 = now();
        bufReset(&out);
        int n = peopleSearch(db, sliceMake(term, len), 50, &out);
        double dt = now() - t1;
        worst = dt > worst ? dt : worst;
        results += (size_t)n;
        empty += n == 0;
    }
    double dt = now() - t0;
    printf("searches: %zu in %.2fs = %.0f/s, avg %.1f results, %zu empty, worst %.3f ms\n",
           tl->n, dt, (double)tl->n / dt, (double)results / (double)tl->n, empty, worst * 1e3);
    bufFree(&out);
}

static void benchShortTerms(const people *db) {
    const char *terms[] = {"a", "zz", "qx", "é", "ç", "go", "py", "xyzzy", "zzzq"};
    buf out;
    bufInit(&out, 1 << 16);
    for (size_t i = 0; i < sizeof(terms) / sizeof(*terms); i++) {
        bufReset(&out);
        double t0 = now();
        int n = peopleSearch(db, sliceMake(terms[i], strlen(terms[i])), 50, &out);
        printf("  term %-6s -> %2d results in %.3f ms\n", terms[i], n, (now() - t0) * 1e3);
    }
    bufFree(&out);
}

int main(int argc, char **argv) {
    lines pl = readLines(argc > 1 ? argv[1] : DATA "pessoas-payloads.tsv");
    lines tl = readLines(argc > 2 ? argv[2] : DATA "termos-busca.tsv");
    size_t n = argc > 3 ? strtoul(argv[3], NULL, 10) : 1000000;
    size_t rss0 = rssBytes();
    people *db = peopleCreate(n);
    uint8_t(*ids)[16] = loadPeople(db, &pl, n);
    size_t mem = peopleMemoryBytes(db), rss = rssBytes() - rss0 - n * 16;
    printf("people: %zu\n", peopleCount(db));
    printf("memory: %.1f MB accounted = %.0f B/person (search index %.0f B/person, "
           "postings used %.0f B/person); RSS growth %.1f MB = %.0f B/person\n",
           (double)mem / 1e6, (double)mem / (double)n, (double)peopleSearchMemoryBytes(db) / (double)n,
           (double)peoplePostingBytes(db) / (double)n, (double)rss / 1e6, (double)rss / (double)n);
    benchGets(db, ids, n);
    benchSearch(db, &tl);
    benchShortTerms(db);
    peopleDestroy(db);
    free(ids);
    return 0;
}
