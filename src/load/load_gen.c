/* load_gen.c - procedural creation payloads and search terms. See load_gen.h.
 *
 * Each payload records the status SPEC §1 gives it (g->status) as it is
 * made, from what the generator chose, not by parsing it: the unit tests
 * hold the API's validator against this independent ground truth. */
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
/* Invalid dates as the official generator writes them (json.dumps of
 * "12-12-2000", "?!?!?", 10 and None, put in a string): never a date, 400. */
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

/* Records a field's error: a 400 (syntax) wins over a 422 (SPEC §1). */
static void spoil(load_gen *g, int status) {
    if (g->status != 400) g->status = status;
}

static bool leapYear(uint32_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

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

/* Years 1940..2020, months 1..13 and days 1..29 as the official generator
 * draws them: month 13 and 29 February of a common year are not dates. */
static size_t putDate(load_gen *g, char *o) {
    if (invalid(g)) {
        const char *d = bad_dates[loadGenBelow(g, 4)];
        spoil(g, 400);
        memcpy(o, d, strlen(d));
        return strlen(d);
    }
    uint32_t y = 1940 + loadGenBelow(g, 81), m = 1 + loadGenBelow(g, 13), d = 1 + loadGenBelow(g, 29);
    if (m == 13 || (m == 2 && d == 29 && !leapYear(y))) spoil(g, 400);
    return (size_t)sprintf(o, "\"%04u-%02u-%02u\"", y, m, d);
}

static size_t putStack(load_gen *g, char *o) {
    if (loadGenBelow(g, 14) == 0) return (size_t)sprintf(o, "null");
    if (invalid(g)) { /* a string or a number where an array belongs */
        spoil(g, 400);
        return (size_t)sprintf(o, loadGenBelow(g, 2) ? "\"string\"" : "1");
    }
    uint32_t picks = 1 + loadGenBelow(g, 26);
    uint32_t bad = invalid(g) ? loadGenBelow(g, picks) : picks; /* element to spoil */
    if (bad < picks) spoil(g, 422); /* 40 characters, over 32 */
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

/* A field of len characters, or of bad_len (an error, 422) one time in 99. */
static size_t putSized(load_gen *g, char *o, uint32_t max, uint32_t bad_len, bool spaces) {
    bool bad = invalid(g);
    if (bad) spoil(g, 422);
    return putWord(g, o, bad ? bad_len : 1 + loadGenBelow(g, max), spaces);
}

size_t loadGenPayload(load_gen *g, char *out) {
    g->status = 0;
    size_t n = (size_t)sprintf(out, "{\"apelido\": ");
    n += putSized(g, out + n, 32, 35, false);
    n += (size_t)sprintf(out + n, ", \"nome\": ");
    n += putSized(g, out + n, 100, 120, true);
    n += (size_t)sprintf(out + n, ", \"nascimento\": ");
    n += putDate(g, out + n);
    n += (size_t)sprintf(out + n, ", \"stack\": ");
    n += putStack(g, out + n);
    out[n++] = '}';
    out[n] = 0;
    g->made++;
    return n;
}

/* The official get_termo_busca(): the first 1..50 of 100 characters drawn
 * from the letters and space, stripped of spaces at both ends; "x" when
 * nothing is left. Only the first 50 draws can be kept, so the other 50
 * are not drawn. */
size_t loadGenTerm(load_gen *g, char *out) {
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz ";
    char t[LOAD_GEN_TERM_MAX];
    for (int i = 0; i < 50; i++) t[i] = alphabet[loadGenBelow(g, 53)];
    size_t len = 1 + loadGenBelow(g, 50), start = 0;
    while (start < len && t[start] == ' ') start++;
    while (len > start && t[len - 1] == ' ') len--;
    if (len == start) return (size_t)sprintf(out, "x");
    memcpy(out, t + start, len - start);
    out[len - start] = 0;
    return len - start;
}
