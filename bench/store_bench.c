/* store_bench.c - in-process measurement of the people store.
 *
 * Loads N people (default 1,000,000) made from a payload file (default: the
 * generated data set, docs/DATA.md) by
 * the API's own pipeline (personParse, personWriteJson, personWriteSearchKey,
 * utf8Fold; apelido made unique by a suffix), then reports bytes per
 * person (peopleMemoryBytes and RSS growth), adds/s, gets/s and searches/s
 * over the official search terms.
 *
 * usage: store_bench [payloads.tsv|- [terms.tsv|- [N]]]   (-: generated) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <uuid/uuid.h>

#include "api/person.h"
#include "core/utf8.h"
#include "store/people.h"

#include "bench_lines.h"

static size_t rssBytes(void) {
    long pages = 0, rss = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return 0;
    if (fscanf(f, "%ld %ld", &pages, &rss) != 2) rss = 0;
    fclose(f);
    return (size_t)rss * 4096;
}

/* Reads a file's lines after the header. */
/* One person through the API's real pipeline: parse + validate the payload,
 * render its JSON with a fresh UUID and its folded search key; apelido made
 * unique by a suffix so that any N can be loaded. False if invalid. */
static bool makePerson(const char *payload, size_t i, uint8_t id[16], buf *json, buf *key,
                       buf *apelido) {
    static person p;
    static char scratch[1 << 16];
    size_t len = strlen(payload);
    if (len > sizeof(scratch) || personParse(&p, payload, len, scratch, sizeof(scratch)) != 0)
        return false;
    char text[37];
    uuid_generate_random(id);
    uuid_unparse_lower(id, text);
    bufReset(json);
    bufReset(key);
    bufReset(apelido);
    personWriteJson(&p, sliceMake(text, 36), json);
    personWriteSearchKey(&p, key);
    bufAppendSlice(apelido, p.apelido);
    bufAppendU64(apelido, i);
    return true;
}

static uint8_t (*loadPeople(people *db, const lines *pl, size_t n))[16] {
    uint8_t(*ids)[16] = malloc(n * 16);
    buf json, key, apelido;
    bufInit(&json, 1 << 12);
    bufInit(&key, 1 << 12);
    bufInit(&apelido, 256);
    double t0 = benchNow(), spent = 0;
    for (size_t i = 0, line = 0; i < n; line++) {
        if (!makePerson(pl->v[line % pl->n], i, ids[i], &json, &key, &apelido)) continue;
        double t1 = benchNow();
        int rc = peopleAdd(db, ids[i], sliceMake(apelido.data, apelido.len),
                           sliceMake(key.data, key.len), sliceMake(json.data, json.len));
        spent += benchNow() - t1;
        if (rc) fprintf(stderr, "add %zu: %d\n", i, rc);
        i++;
    }
    printf("adds: %zu in %.2fs of store time = %.0f/s (%.2fs with parsing)\n", n, spent,
           (double)n / spent, benchNow() - t0);
    bufFree(&json);
    bufFree(&key);
    bufFree(&apelido);
    return ids;
}

static void benchGets(const people *db, uint8_t (*ids)[16], size_t n) {
    size_t found = 0, rounds = 2000000;
    uint64_t rng = 12345;
    double t0 = benchNow();
    for (size_t i = 0; i < rounds; i++) {
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        slice json;
        found += peopleGet(db, ids[(rng >> 33) % n], &json);
    }
    double dt = benchNow() - t0;
    printf("gets: %zu (found %zu) in %.2fs = %.0f/s\n", rounds, found, dt, (double)rounds / dt);
}

static void benchSearch(const people *db, const lines *tl) {
    buf out;
    bufInit(&out, 1 << 16);
    size_t results = 0, empty = 0;
    double t0 = benchNow(), worst = 0;
    char term[512];
    for (size_t i = 0; i < tl->n; i++) {
        size_t len = strlen(tl->v[i]) < sizeof(term) ? strlen(tl->v[i]) : sizeof(term);
        utf8Fold(tl->v[i], len, term);
        double t1 = benchNow();
        bufReset(&out);
        int n = peopleSearch(db, sliceMake(term, len), 50, &out);
        double dt = benchNow() - t1;
        worst = dt > worst ? dt : worst;
        results += (size_t)n;
        empty += n == 0;
    }
    double dt = benchNow() - t0;
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
        double t0 = benchNow();
        int n = peopleSearch(db, sliceMake(terms[i], strlen(terms[i])), 50, &out);
        printf("  term %-6s -> %2d results in %.3f ms\n", terms[i], n, (benchNow() - t0) * 1e3);
    }
    bufFree(&out);
}

int main(int argc, char **argv) {
    lines pl = benchData(argc > 1 ? argv[1] : NULL, LOAD_DATA_PAYLOAD_SET);
    lines tl = benchData(argc > 2 ? argv[2] : NULL, LOAD_DATA_TERM_SET);
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
