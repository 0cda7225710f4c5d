/* build.h - what this binary is: version, build date, compiler, flags.
 *
 * The Makefile compiles build.c with -DBARDO_VERSION (git describe
 * --always --dirty at build time), -DBARDO_BUILD_DATE (UTC, ISO 8601) and
 * -DBARDO_CFLAGS, and rebuilds it whenever another object or the version
 * changes, so the date is the build's. Compiled any other way (lint), they
 * read "unknown". */
#ifndef BARDO_PROBE_BUILD_H
#define BARDO_PROBE_BUILD_H

typedef struct probe_build {
    const char *version, *date, *compiler, *cflags;
} probe_build;

const probe_build *probeBuild(void);

#endif
