/* load_data.c - the generated data set. See load_data.h.
 *
 * The terms come from the seed xor a constant, so the two files are
 * independent streams of one seed. */
#include "load/load_data.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "load/load_feed.h"
#include "load/load_gen.h"
#include "load/load_perfect.h"

#define TERMS_STREAM 0x7465726d73ULL /* "terms" */

/* Appends one line to the text in an open_memstream; false on error. */
static bool putLine(FILE *m, const char *s, size_t n) {
    return fwrite(s, 1, n, m) == n && fputc('\n', m) != EOF;
}

int loadDataText(load_data_set set, uint64_t seed, char **text, size_t *len) {
    *text = NULL;
    *len = 0;
    FILE *m = open_memstream(text, len);
    if (!m) return -ENOMEM;
    load_gen g;
    char line[LOAD_GEN_MAX];
    bool ok;
    if (set == LOAD_DATA_PAYLOAD_SET) {
        loadGenInit(&g, seed);
        ok = putLine(m, "payload", 7);
        for (int i = 0; ok && i < LOAD_DATA_PAYLOADS; i++) ok = putLine(m, line, loadGenPayload(&g, line));
    } else {
        loadGenInit(&g, seed ^ TERMS_STREAM);
        ok = putLine(m, "t", 1);
        for (int i = 0; ok && i < LOAD_DATA_TERMS; i++) ok = putLine(m, line, loadGenTerm(&g, line));
    }
    if (fclose(m) != 0 || !ok) {
        free(*text);
        *text = NULL;
        return -ENOMEM;
    }
    return 0;
}

/* dir/name via dir/.name.<pid>.tmp, renamed when written: a reader sees
 * the old file or the new one, and two writers (two runs making the set at
 * once) never share a temporary file. */
static int writeOne(const char *dir, const char *name, load_data_set set, uint64_t seed) {
    char path[4096], tmp[4096];
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path) return -ENAMETOOLONG;
    snprintf(tmp, sizeof tmp, "%s/.%s.%ld.tmp", dir, name, (long)getpid());
    char *text;
    size_t len;
    int rc = loadDataText(set, seed, &text, &len);
    if (rc < 0) return rc;
    FILE *f = fopen(tmp, "w");
    if (!f) rc = -errno;
    else if (fwrite(text, 1, len, f) != len) rc = -EIO;
    if (f && fclose(f) != 0 && rc == 0) rc = -EIO;
    free(text);
    if (rc == 0 && rename(tmp, path) < 0) rc = -errno;
    if (rc < 0) unlink(tmp);
    return rc;
}

/* mkdir -p */
static int makeDirs(const char *dir) {
    char p[4096];
    if (snprintf(p, sizeof p, "%s", dir) >= (int)sizeof p) return -ENAMETOOLONG;
    for (char *s = p + 1; *s; s++) {
        if (*s != '/') continue;
        *s = 0;
        if (mkdir(p, 0755) < 0 && errno != EEXIST) return -errno;
        *s = '/';
    }
    return mkdir(p, 0755) < 0 && errno != EEXIST ? -errno : 0;
}

int loadDataWrite(const char *dir, uint64_t seed) {
    int rc = makeDirs(dir);
    if (rc < 0) return rc;
    rc = writeOne(dir, LOAD_DATA_PAYLOADS_FILE, LOAD_DATA_PAYLOAD_SET, seed);
    return rc < 0 ? rc : writeOne(dir, LOAD_DATA_TERMS_FILE, LOAD_DATA_TERM_SET, seed);
}

int64_t loadDataPerfect(uint64_t seed, uint64_t n) {
    char *text;
    size_t len;
    load_feed f;
    int rc = loadDataText(LOAD_DATA_PAYLOAD_SET, seed, &text, &len);
    if (rc < 0) return rc;
    rc = loadFeedFromBuffer(&f, text, len, false);
    free(text);
    if (rc < 0) return rc;
    int64_t r = loadPerfectFeed(&f, n);
    loadFeedFree(&f);
    return r;
}
