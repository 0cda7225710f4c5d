/* probe_env.h - the environment variables the probes read themselves
 * (getenv in src/probe/), as documentation-only entries of a program's
 * option table (src/core/opt.h), so --help names every variable it reads;
 * and BARDO_GFLOPS_MS, which the table itself parses into probeGflopsMs. */
#ifndef BARDO_PROBE_ENV_H
#define BARDO_PROBE_ENV_H

#include "probe/gflops.h"

#define PROBE_ENV_DOCS                                                                       \
    {.env = "BARDO_CLOUD_PROVIDER", .help = "overrides the cloud provider the probes report"}, \
    {.env = "BARDO_CLOUD_PLATFORM", .help = "overrides the cloud platform"},               \
    {.env = "BARDO_CLOUD_REGION", .help = "overrides the cloud region"},                   \
    {.env = "BARDO_CLOUD_ZONE", .help = "overrides the availability zone"},                \
    {.env = "CODESPACES", .help = "true: the cloud provider is github_codespaces"},        \
    {.env = "BARDO_PROBE_ROOT", .help = "read /proc and /sys under this folder (tests)"},  \
    {.env = "BARDO_NVML_LIB", .help = "the NVML library to load (libnvidia-ml.so.1)"},     \
    {.env = "BARDO_GFLOPS_MS", OPT_UINT(&probeGflopsMs), .min = 0, .max = 60000,           \
     .def = PROBE_GFLOPS_MS_TEXT, .arg = "MS",                                             \
     .help = "milliseconds of the start-up GFLOPS measurement; 0: none"}

#endif
