/* probe.c - the probe root and the small file readers (see probe.h). */
#include "probe/probe.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *probeRoot(void) {
    const char *root = getenv("BARDO_PROBE_ROOT");
    if (!root || !*root || strcmp(root, "/") == 0) return "";
    return root;
}

bool probePath(char *out, size_t cap, const char *abs) {
    int n = snprintf(out, cap, "%s%s", probeRoot(), abs);
    return n > 0 && (size_t)n < cap;
}

FILE *probeOpen(const char *abs) {
    char path[PROBE_PATH_MAX];
    return probePath(path, sizeof(path), abs) ? fopen(path, "re") : NULL;
}

void probeCopy(char *out, size_t cap, const char *src) {
    size_t len = src ? strlen(src) : 0;
    if (cap == 0) return;
    if (len >= cap) len = cap - 1;
    if (len) memcpy(out, src, len);
    out[len] = '\0';
}

void probeCopyTrim(char *out, size_t cap, const char *src, size_t len) {
    while (len && isspace((unsigned char)*src)) src++, len--;
    while (len && isspace((unsigned char)src[len - 1])) len--;
    if (cap == 0) return;
    if (len >= cap) len = cap - 1;
    memcpy(out, src, len);
    out[len] = '\0';
}

int probeReadText(const char *abs, char *out, size_t cap) {
    char path[PROBE_PATH_MAX];
    out[0] = '\0';
    if (!probePath(path, sizeof(path), abs)) return -ENAMETOOLONG;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -errno;
    char tmp[4096];
    ssize_t n = read(fd, tmp, sizeof(tmp));
    int err = errno;
    close(fd);
    if (n < 0) return -err;
    probeCopyTrim(out, cap, tmp, (size_t)n);
    return (int)strlen(out);
}

double probeReadNumber(const char *abs) {
    char text[64], *end;
    if (probeReadText(abs, text, sizeof(text)) <= 0) return PROBE_NULL;
    double v = strtod(text, &end);
    return end == text ? PROBE_NULL : v;
}

static int probeCompareNames(const void *a, const void *b) {
    return strverscmp(a, b); /* hwmon2 before hwmon10 */
}

size_t probeListDir(const char *abs, const char *prefix, char names[][64], size_t max) {
    char path[PROBE_PATH_MAX];
    if (!probePath(path, sizeof(path), abs)) return 0;
    DIR *d = opendir(path);
    if (!d) return 0;
    size_t n = 0, plen = strlen(prefix);
    for (struct dirent *e; n < max && (e = readdir(d));) {
        if (e->d_name[0] == '.' || strncmp(e->d_name, prefix, plen) != 0) continue;
        if (strlen(e->d_name) >= 64) continue;
        strcpy(names[n++], e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(names[0]), probeCompareNames);
    return n;
}
