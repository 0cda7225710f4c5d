/* load_gen.c - procedural creation payloads. See load_gen.h. */
#include "load/load_gen.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const char letters[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/* 25 names, "C#" twice: the file's frequencies (C# about twice the others). */
static const char *const langs[] = {
    "C#", "C#", "CSS", "MySQL", "NoSQL", "Swift", "SQL", "Java", "Postgres", "TypeScript",
    "Perl", "Kotlin", "Javascript", "Go", "Clojure", "Matlab", "C++", "PHP", "Python", "Rust",
    "Ruby", "HTML", "R", "Scala", "C"};
static const char *const bad_dates[] = {"\"\\\"12-12-2000\\\"\"", "\"\\\"?!?!?\\\"\"", "\"10\"",
                                        "\"null\""};

void loadGenInit(load_gen *g, uint64_t seed) { *g = (load_gen){.state = seed}; }

uint64_t loadGenU64(load_gen *g) {
    uint64_t z = (g->state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint32_t loadGenBelow(load_gen *g, uint32_t n) { return (uint32_t)(loadGenU64(g) % n); }

static bool invalid(load_gen *g) { return loadGenBelow(g, 99) == 0; }

/* A quoted string of len characters; spaces allowed inside for names. */
static size_t putWord(load_gen *g, char *o, uint32_t len, bool spaces) {
    size_t n = 0;
    o[n++] = '"';
    for (uint32_t i = 0; i < len; i++) {
        bool sp = spaces && i > 0 && i + 1 < len && loadGenBelow(g, 53) == 0;
        o[n++] = sp ? ' ' : letters[loadGenBelow(g, 52)];
    }
    o[n++] = '"';
    return n;
}

static size_t putDate(load_gen *g, char *o) {
    if (invalid(g)) {
        const char *d = bad_dates[loadGenBelow(g, 4)];
        memcpy(o, d, strlen(d));
        return strlen(d);
    }
    return (size_t)sprintf(o, "\"%04u-%02u-%02u\"", 1940 + loadGenBelow(g, 85),
                           1 + loadGenBelow(g, 13), 1 + loadGenBelow(g, 29));
}

static size_t putStack(load_gen *g, char *o) {
    if (loadGenBelow(g, 14) == 0) return (size_t)sprintf(o, "null");
    if (invalid(g)) return (size_t)sprintf(o, loadGenBelow(g, 2) ? "\"string\"" : "1");
    uint32_t picks = 1 + loadGenBelow(g, 26);
    uint32_t bad = invalid(g) ? loadGenBelow(g, picks) : picks; /* element to spoil */
    size_t n = 0;
    o[n++] = '[';
    for (uint32_t i = 0; i < picks; i++) {
        const char *s = i == bad ? "1111111111111111111111111111111111111111"
                                 : langs[loadGenBelow(g, 25)];
        n += (size_t)sprintf(o + n, "%s\"%s\"", i ? ", " : "", s);
    }
    o[n++] = ']';
    return n;
}

size_t loadGenPayload(load_gen *g, char *out) {
    size_t n = (size_t)sprintf(out, "{\"apelido\": ");
    n += putWord(g, out + n, invalid(g) ? 35 : 1 + loadGenBelow(g, 32), false);
    n += (size_t)sprintf(out + n, ", \"nome\": ");
    n += putWord(g, out + n, invalid(g) ? 120 : 1 + loadGenBelow(g, 100), true);
    n += (size_t)sprintf(out + n, ", \"nascimento\": ");
    n += putDate(g, out + n);
    n += (size_t)sprintf(out + n, ", \"stack\": ");
    n += putStack(g, out + n);
    out[n++] = '}';
    out[n] = 0;
    g->made++;
    return n;
}
