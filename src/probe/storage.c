/* storage.c - /proc/mounts and statvfs (see storage.h). */
#include "probe/storage.h"

#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

static const char *const REAL_FSTYPES[] = {
    "overlay", "nfs", "nfs4", "cifs", "smb3", "zfs", "btrfs", "virtiofs", "9p", "fuseblk",
};

/* Listed but never stat'ed: the probes run on the event loop, and a dead
 * server would stall statvfs() and with it every request. */
static const char *const NETWORK_FSTYPES[] = {"nfs", "nfs4", "cifs", "smb3"};

static bool storageIsNetwork(const char *fstype) {
    for (size_t i = 0; i < sizeof(NETWORK_FSTYPES) / sizeof(NETWORK_FSTYPES[0]); i++)
        if (strcmp(fstype, NETWORK_FSTYPES[i]) == 0) return true;
    return false;
}

static bool storageIsReal(const char *device, const char *fstype) {
    if (strncmp(device, "/dev/", 5) == 0) return true;
    for (size_t i = 0; i < sizeof(REAL_FSTYPES) / sizeof(REAL_FSTYPES[0]); i++)
        if (strcmp(fstype, REAL_FSTYPES[i]) == 0) return true;
    return false;
}

/* /proc/mounts writes space, tab, newline and backslash as \ooo. */
static void storageUnescape(char *s) {
    char *w = s;
    for (const char *r = s; *r; w++) {
        if (r[0] == '\\' && r[1] >= '0' && r[1] <= '7' && r[2] && r[3]) {
            *w = (char)(((r[1] - '0') << 6) | ((r[2] - '0') << 3) | (r[3] - '0'));
            r += 4;
        } else {
            *w = *r++;
        }
    }
    *w = '\0';
}

/* One entry per device, as df shows it: bind mounts of a disk (Docker's
 * volumes, /run/netns) repeat it. An overlay counts only as the root of
 * the container bardo runs in; elsewhere it is some container's root. */
static bool storageSkip(const probe_storage *s, const char *dev, const char *mnt,
                        const char *type) {
    if (!storageIsReal(dev, type)) return true;
    if (strcmp(type, "overlay") == 0 && strcmp(mnt, "/") != 0) return true;
    for (size_t i = 0; i < s->count; i++)
        if (strcmp(s->mounts[i].mountpoint, mnt) == 0 || strcmp(s->mounts[i].device, dev) == 0)
            return true;
    return false;
}

/* False for a file bind-mounted over a file (Docker's /etc/hosts): not
 * storage anyone would ask about. */
static bool storageStat(probe_mount *m) {
    char path[PROBE_PATH_MAX];
    struct statvfs v;
    struct stat st;
    m->size = m->free = m->available = m->used = PROBE_NULL;
    if (storageIsNetwork(m->fstype) || !probePath(path, sizeof(path), m->mountpoint)) return true;
    if (stat(path, &st) == 0 && !S_ISDIR(st.st_mode)) return false;
    if (statvfs(path, &v) != 0) return true;
    double bs = (double)v.f_frsize;
    m->size = (double)v.f_blocks * bs;
    m->free = (double)v.f_bfree * bs;
    m->available = (double)v.f_bavail * bs;
    m->used = m->size - m->free;
    return true;
}

void probeStorageRead(probe_storage *s) {
    s->count = 0;
    FILE *f = probeOpen("/proc/mounts");
    if (!f) return;
    char line[1024], dev[256], mnt[256], type[64];
    while (s->count < PROBE_MOUNTS_MAX && fgets(line, sizeof(line), f)) {
        if (sscanf(line, "%255s %255s %63s", dev, mnt, type) != 3) continue;
        storageUnescape(dev);
        storageUnescape(mnt);
        if (storageSkip(s, dev, mnt, type)) continue;
        probe_mount *m = &s->mounts[s->count++];
        probeCopy(m->device, sizeof(m->device), dev);
        probeCopy(m->mountpoint, sizeof(m->mountpoint), mnt);
        probeCopy(m->fstype, sizeof(m->fstype), type);
        if (!storageStat(m)) s->count--;
    }
    fclose(f);
}
