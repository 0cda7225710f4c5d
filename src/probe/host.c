/* host.c - the host snapshot (see host.h). */
#include "probe/host.h"

#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

/* PRETTY_NAME="Debian GNU/Linux 12 (bookworm)" */
static void hostOsRelease(char *out, size_t cap) {
    out[0] = '\0';
    FILE *f = probeOpen("/etc/os-release");
    if (!f) return;
    char line[256];
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "PRETTY_NAME=", 12) != 0) continue;
        char *v = line + 12, *end = v + strcspn(v, "\n");
        if (*v == '"') v++;
        if (end > v && end[-1] == '"') end--;
        probeCopyTrim(out, cap, v, (size_t)(end - v));
        break;
    }
    fclose(f);
}

static double hostSeconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void probeHostRefresh(probe_host *h, uint64_t now_ms) {
    double t0 = hostSeconds();
    probeCpuRefresh(&h->cpu);
    probeThermalRead(&h->thermal);
    probePowerRead(&h->power, now_ms);
    probeMemoryRead(&h->memory);
    probeStorageRead(&h->storage);
    probeNetworkRead(&h->network, now_ms);
    probeGpuRead(&h->gpus);
    h->refreshed_ms = now_ms;
    h->refreshes++;
    h->refresh_seconds = hostSeconds() - t0;
}

probe_host *probeHostCreate(uint64_t now_ms) {
    probe_host *h = calloc(1, sizeof(*h));
    if (!h) return NULL;
    struct utsname u;
    if (uname(&u) == 0) probeCopy(h->arch, sizeof(h->arch), u.machine);
    probeReadText("/proc/sys/kernel/hostname", h->hostname, sizeof(h->hostname));
    probeReadText("/proc/sys/kernel/osrelease", h->kernel, sizeof(h->kernel));
    hostOsRelease(h->os, sizeof(h->os));
    probeCpuRead(&h->cpu);
    probeCloudRead(&h->cloud);
    h->build = probeBuild();
    h->gflops = probeGflops();
    probeHostRefresh(h, now_ms);
    return h;
}

void probeHostDestroy(probe_host *h) { free(h); }
