/* prom.c - Prometheus text format (see prom.h). */
#include "probe/prom.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "probe/jw.h"

static void promPut(prom *p, const char *s) {
    if (p->rc == 0) p->rc = bufAppendStr(p->b, s);
}

void promFamily(prom *p, const char *name, const char *type, const char *help) {
    promPut(p, "# HELP ");
    promPut(p, name);
    promPut(p, " ");
    promPut(p, help);
    promPut(p, "\n# TYPE ");
    promPut(p, name);
    promPut(p, " ");
    promPut(p, type);
    promPut(p, "\n");
}

static void promLabelValue(prom *p, const char *v) {
    for (; v && *v && p->rc == 0; v++) {
        if (*v == '\\') promPut(p, "\\\\");
        else if (*v == '"') promPut(p, "\\\"");
        else if (*v == '\n') promPut(p, "\\n");
        else p->rc = bufAppend(p->b, v, 1);
    }
}

void promSample(prom *p, const char *name, const char *const *labels, double v) {
    char text[64];
    if (isnan(v)) return;
    if (isinf(v)) snprintf(text, sizeof(text), "%s", v > 0 ? "+Inf" : "-Inf");
    else jwFormatNumber(text, sizeof(text), v);
    promPut(p, name);
    for (size_t i = 0; labels && labels[i]; i += 2) {
        promPut(p, i == 0 ? "{" : ",");
        promPut(p, labels[i]);
        promPut(p, "=\"");
        promLabelValue(p, labels[i + 1]);
        promPut(p, "\"");
        if (!labels[i + 2]) promPut(p, "}");
    }
    promPut(p, " ");
    promPut(p, text);
    promPut(p, "\n");
}

void promGauge(prom *p, const char *name, const char *help, double v) {
    promFamily(p, name, "gauge", help);
    promSample(p, name, NULL, v);
}
