/* memlimit.h - the store's own memory ceiling: refuse people, don't die.
 *
 * Under a cgroup (docker-compose's `memory:`) a process that outgrows its
 * limit is not told ENOMEM: the kernel's OOM killer ends it, with every
 * person it held (a replica then has to resync them all). So, like
 * Redis's maxmemory, the store compares its resident set with a ceiling
 * of its own before each new person, and once it is reached refuses
 * creates with `-NOMEM` (the API answers 503) while reads, counts and
 * replication go on. The ceiling is --max-memory-mb, by default
 * MEMLIMIT_CGROUP_SHARE of the memory limit of the cgroup the store runs
 * in (v1 or v2), or none outside one.
 *
 * The resident set is read from /proc/self/statm at most every
 * MEMLIMIT_SAMPLE_MS (a few microseconds each): between two samples a
 * store at full speed adds a few MB, which the share's headroom covers. */
#ifndef BARDO_MEMLIMIT_H
#define BARDO_MEMLIMIT_H

#include <stdbool.h>
#include <stdint.h>

#define MEMLIMIT_SAMPLE_MS 20
#define MEMLIMIT_CGROUP_SHARE 0.9 /* of the cgroup's limit, the default ceiling */

typedef struct mem_limit {
    uint64_t limit_bytes; /* 0: none */
    uint64_t rss_bytes;   /* at the last sample */
    uint64_t sampled_ms;
    bool sampled;
} mem_limit;

/* limit_mb: --max-memory-mb; MEMLIMIT_AUTO takes the cgroup's share
 * (none outside a cgroup with a limit), 0 means no ceiling. */
#define MEMLIMIT_AUTO UINT64_MAX
void memLimitInit(mem_limit *m, uint64_t limit_mb);
/* True once the resident set (sampled at most every MEMLIMIT_SAMPLE_MS)
 * is at or above the ceiling. */
bool memLimitReached(mem_limit *m, uint64_t now_ms);
/* The memory limit of the cgroup this process is in, in bytes; 0 if none
 * (or unreadable). */
uint64_t memLimitCgroupBytes(void);
/* This process's resident set in bytes (0 if unreadable). */
uint64_t memLimitRssBytes(void);

#endif
