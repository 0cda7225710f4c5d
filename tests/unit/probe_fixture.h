/* probe_fixture.h - shared by the test_probe_* tests: point the probes at
 * a fake tree under tests/fixtures/probe/<case>/ and give them that case's
 * environment (its optional `env` file, KEY=VALUE lines).
 *
 * The fixtures are found from the test binary's own path
 * (build/<variant>/tests/test_probe_x -> ../../../tests/fixtures/probe), so
 * the tests run from any directory. */
#ifndef BARDO_TEST_PROBE_FIXTURE_H
#define BARDO_TEST_PROBE_FIXTURE_H

#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Every variable a probe reads: cleared before each case. */
static const char *const PROBE_ENV_VARS[] = {
    "CODESPACES", "CODESPACE_NAME", "BARDO_CLOUD_PROVIDER", "BARDO_CLOUD_PLATFORM",
    "BARDO_CLOUD_REGION", "BARDO_CLOUD_ZONE", "BARDO_SITE",
};

/* The folder holding the test binary. */
static inline const char *fixtureBinDir(void) {
    static char dir[PATH_MAX];
    if (!dir[0]) {
        char exe[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        exe[n > 0 ? n : 0] = '\0';
        snprintf(dir, sizeof(dir), "%s", dirname(exe));
    }
    return dir;
}

static inline const char *fixturePath(const char *name) {
    static char path[2 * PATH_MAX];
    int n = snprintf(path, sizeof(path), "%s/../../../tests/fixtures/probe/%s", fixtureBinDir(), name);
    if (n < 0 || (size_t)n >= sizeof(path)) abort();
    return path;
}

static inline void fixtureLoadEnv(const char *root) {
    char path[2 * PATH_MAX + 8], line[512];
    snprintf(path, sizeof(path), "%s/env", root);
    FILE *f = fopen(path, "r");
    if (!f) return;
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = '\0';
        char *eq = strchr(line, '=');
        if (!eq) continue;
        *eq = '\0';
        setenv(line, eq + 1, 1);
    }
    fclose(f);
}

/* Probes now read the named fixture with its environment. */
static inline void useFixture(const char *name) {
    for (size_t i = 0; i < sizeof(PROBE_ENV_VARS) / sizeof(PROBE_ENV_VARS[0]); i++)
        unsetenv(PROBE_ENV_VARS[i]);
    const char *root = fixturePath(name);
    setenv("BARDO_PROBE_ROOT", root, 1);
    fixtureLoadEnv(root);
}

/* Writes text to root/rel, creating folders (for trees built by a test). */
static inline void fixtureWrite(const char *root, const char *rel, const char *text) {
    char path[2 * PATH_MAX + 256];
    int n = snprintf(path, sizeof(path), "%s/%s", root, rel);
    if (n < 0 || (size_t)n >= sizeof(path)) abort();
    for (char *p = path + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        mkdir(path, 0755);
        *p = '/';
    }
    FILE *f = fopen(path, "w");
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

#endif
