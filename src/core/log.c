#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static const char *log_name = "bardo";

void logSetName(const char *name) { log_name = name; }

static void logWrite(const char *level, const char *fmt, va_list ap) {
    char when[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(stderr, "%s %s %s: ", when, log_name, level);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void logInfo(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    logWrite("info", fmt, ap);
    va_end(ap);
}

void logError(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    logWrite("error", fmt, ap);
    va_end(ap);
}
