/* probe.h - what every host probe shares: the root it reads from, and
 * small readers for the one-value files of /sys and /proc.
 *
 * Every probe opens its files through probePath(), which puts the probe
 * root in front of the absolute path ("/sys/class/hwmon" becomes
 * "$BARDO_PROBE_ROOT/sys/class/hwmon"). The root defaults to "/" and is
 * read from the environment on each call, so tests point the probes at a
 * fake tree (tests/fixtures/probe/<case>/) with setenv().
 *
 * Unknown is never guessed: numbers that could not be read are NAN
 * (PROBE_NULL) and are written as JSON null; strings that could not be
 * read are empty. Probes run off the request path (at start-up and on a
 * timer), so they may use stdio and allocate. */
#ifndef BARDO_PROBE_H
#define BARDO_PROBE_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PROBE_NULL ((double)NAN)
#define PROBE_PATH_MAX 512

static inline bool probeKnown(double v) { return !isnan(v); }

/* The probe root: $BARDO_PROBE_ROOT, or "" for the real "/". */
const char *probeRoot(void);
/* Writes root + abs into out; false if it does not fit. */
bool probePath(char *out, size_t cap, const char *abs);
/* fopen() of root + abs, or NULL. */
FILE *probeOpen(const char *abs);
/* Reads a whole small file into out (NUL-terminated, trailing whitespace
 * trimmed). Returns its length, or -errno. */
int probeReadText(const char *abs, char *out, size_t cap);
/* The file's first number, or PROBE_NULL. */
double probeReadNumber(const char *abs);
/* Copies src into out, truncated to cap-1 bytes (NULL src: ""). */
void probeCopy(char *out, size_t cap, const char *src);
/* Copies at most cap-1 bytes of src[0..len) into out, whitespace trimmed. */
void probeCopyTrim(char *out, size_t cap, const char *src, size_t len);
/* Names of the entries of root + abs that start with prefix, sorted, at
 * most max, each at most 63 bytes. Returns how many. */
size_t probeListDir(const char *abs, const char *prefix, char names[][64], size_t max);

#endif
