/* memlimit.c - resident set vs a ceiling; the ceiling from the cgroup.
 *
 * Finding the cgroup's limit: /proc/self/cgroup names our group per
 * hierarchy ("N:memory:/path" in v1, "0::/path" in v2); the limit is
 * memory.limit_in_bytes (v1) or memory.max (v2) in that folder under
 * /sys/fs/cgroup. Inside a container the path printed may be the host's
 * while /sys/fs/cgroup shows the container's own group at its root, so the
 * root's file is the fallback. v1 says "no limit" with a huge number, v2
 * with "max". */
#include "store/memlimit.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define NO_LIMIT_ABOVE ((uint64_t)1 << 60) /* v1's "unlimited" is ~2^63 */

static uint64_t readLimitFile(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char text[32] = "";
    bool ok = fgets(text, sizeof(text), f) != NULL;
    fclose(f);
    unsigned long long v;
    if (!ok || sscanf(text, "%llu", &v) != 1 || v >= NO_LIMIT_ABOVE) return 0; /* "max" too */
    return (uint64_t)v;
}

/* Our group's path in the hierarchy that has the memory controller:
 * v1's "N:...memory...:/path" line if there is one, else v2's "0::/path". */
static bool cgroupPath(char *path, size_t len, bool *v2) {
    FILE *f = fopen("/proc/self/cgroup", "r");
    if (!f) return false;
    char line[512];
    bool v1 = false, unified = false;
    while (!v1 && fgets(line, sizeof(line), f)) {
        char *ctl = strchr(line, ':'), *p = ctl ? strchr(ctl + 1, ':') : NULL;
        if (!p) continue;
        *p++ = '\0';
        p[strcspn(p, "\n")] = '\0';
        v1 = strstr(ctl + 1, "memory") != NULL;
        bool is_unified = !v1 && strcmp(line, "0") == 0 && ctl[1] == '\0';
        if (v1 || (is_unified && !unified)) snprintf(path, len, "%s", p);
        unified = unified || is_unified;
    }
    fclose(f);
    *v2 = !v1;
    return v1 || unified;
}

uint64_t memLimitCgroupBytes(void) {
    char group[400], file[512];
    bool v2 = false;
    if (!cgroupPath(group, sizeof(group), &v2)) return 0;
    const char *base = v2 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/memory";
    const char *name = v2 ? "memory.max" : "memory.limit_in_bytes";
    snprintf(file, sizeof(file), "%s%s/%s", base, group, name);
    uint64_t limit = readLimitFile(file);
    if (limit) return limit;
    snprintf(file, sizeof(file), "%s/%s", base, name); /* a container's own root */
    return readLimitFile(file);
}

uint64_t memLimitRssBytes(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return 0;
    unsigned long long size, resident;
    int n = fscanf(f, "%llu %llu", &size, &resident);
    fclose(f);
    long page = sysconf(_SC_PAGESIZE);
    return n == 2 && page > 0 ? (uint64_t)resident * (uint64_t)page : 0;
}

void memLimitInit(mem_limit *m, uint64_t limit_mb) {
    *m = (mem_limit){0};
    if (limit_mb == MEMLIMIT_AUTO)
        m->limit_bytes = (uint64_t)((double)memLimitCgroupBytes() * MEMLIMIT_CGROUP_SHARE);
    else
        m->limit_bytes = limit_mb << 20;
}

bool memLimitReached(mem_limit *m, uint64_t now_ms) {
    if (!m->limit_bytes) return false;
    if (!m->sampled || now_ms - m->sampled_ms >= MEMLIMIT_SAMPLE_MS) {
        m->rss_bytes = memLimitRssBytes();
        m->sampled_ms = now_ms;
        m->sampled = true;
    }
    return m->rss_bytes >= m->limit_bytes;
}
