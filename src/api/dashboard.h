/* dashboard.h - the live dashboard page (GET / and /dashboard), built into
 * the program.
 *
 * dashboard.c pulls src/api/dashboard.html into .rodata with the
 * assembler's .incbin, so serving it is one constant write: no file read,
 * no allocation, no probe work. The page itself polls /status and /metrics
 * (docs/DASHBOARD.md). */
#ifndef BARDO_DASHBOARD_H
#define BARDO_DASHBOARD_H

#include "core/slice.h"

/* The page's bytes (not NUL-terminated in the slice). */
slice dashboardPage(void);

#endif
