/* storage.h - the real filesystems: /proc/mounts, then statvfs() of each.
 *
 * "Real" means backed by a device ("/dev/..." source) or a known
 * network/overlay filesystem (overlay, nfs, cifs, zfs, btrfs, virtiofs,
 * 9p, fuseblk); proc, sysfs, tmpfs, cgroup and the like are skipped. As
 * df does, a device is listed once (bind mounts repeat it), and an overlay
 * only as "/" (the root of the container bardo runs in; the host's
 * container roots are not its storage). Sizes in bytes; network filesystems are
 * listed with null sizes (statvfs on a dead server would block the loop). */
#ifndef BARDO_PROBE_STORAGE_H
#define BARDO_PROBE_STORAGE_H

#include "probe/probe.h"

#define PROBE_MOUNTS_MAX 16

typedef struct probe_mount {
    char device[96], mountpoint[128], fstype[24];
    double size, free, available, used;
} probe_mount;

typedef struct probe_storage {
    probe_mount mounts[PROBE_MOUNTS_MAX];
    size_t count;
} probe_storage;

void probeStorageRead(probe_storage *s);

#endif
