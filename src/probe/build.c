/* build.c - constants baked in at build time (see build.h). */
#include "probe/build.h"

#ifndef BARDO_VERSION
#define BARDO_VERSION "unknown"
#endif
#ifndef BARDO_BUILD_DATE
#define BARDO_BUILD_DATE "unknown"
#endif
#ifndef BARDO_CFLAGS
#define BARDO_CFLAGS "unknown"
#endif

#if defined(__clang__)
#define BARDO_COMPILER "clang " __clang_version__
#elif defined(__GNUC__)
#define BARDO_COMPILER "gcc " __VERSION__
#else
#define BARDO_COMPILER "unknown"
#endif

static const probe_build BUILD = {BARDO_VERSION, BARDO_BUILD_DATE, BARDO_COMPILER, BARDO_CFLAGS};

const probe_build *probeBuild(void) { return &BUILD; }
