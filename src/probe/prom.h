/* prom.h - writing the Prometheus text exposition format (version 0.0.4).
 *
 *   # HELP name text
 *   # TYPE name gauge|counter|histogram
 *   name{label="value",...} 1.5
 *
 * Label values are escaped (\\, \", \n). A NAN sample is left out: in
 * Prometheus an unknown is an absent series, not a special value. Errors
 * are sticky in p->rc. */
#ifndef BARDO_PROBE_PROM_H
#define BARDO_PROBE_PROM_H

#include "core/buf.h"

typedef struct prom {
    buf *b;
    int rc;
} prom;

/* The HELP and TYPE lines of a metric family. */
void promFamily(prom *p, const char *name, const char *type, const char *help);
/* One sample. labels: NULL, or pairs of name, value ending with NULL
 * (a NULL or empty value is written as ""). */
void promSample(prom *p, const char *name, const char *const *labels, double v);
/* Family and one unlabelled sample. */
void promGauge(prom *p, const char *name, const char *help, double v);

#endif
