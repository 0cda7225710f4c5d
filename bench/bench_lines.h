/* bench_lines.h - what every benchmark program needs: a monotonic clock
 * and the lines of a TSV data file after its header (payloads, terms),
 * from a file or, when none is named (NULL or "-"), from the generated data
 * set that bardo-load sends by default (load_data.h, seed 42).
 * Header-only: each program in bench/ is built from one .c file. */
#ifndef BARDO_BENCH_LINES_H
#define BARDO_BENCH_LINES_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "load/load_data.h"

typedef struct lines {
    char **v;
    size_t n;
} lines;

static inline double benchNow(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The lines of f after the header, newline stripped; closes f. */
static inline lines linesOf(FILE *f) {
    lines l = {0};
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

/* The file's lines after the header; exits if unreadable. */
static inline lines readLines(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        exit(1);
    }
    return linesOf(f);
}

/* path's lines, or the generated set's when path is NULL or "-". */
static inline lines benchData(const char *path, load_data_set set) {
    if (path && strcmp(path, "-") != 0) return readLines(path);
    char *text;
    size_t len;
    FILE *f = loadDataText(set, LOAD_DATA_SEED, &text, &len) == 0 ? fmemopen(text, len, "r") : NULL;
    if (!f) {
        fprintf(stderr, "bench: cannot generate the data set\n");
        exit(1);
    }
    lines l = linesOf(f);
    free(text);
    return l;
}

#endif
