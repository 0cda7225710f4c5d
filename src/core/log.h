/* log.h - one-line logs to stderr with the program's name.
 * Only start-up, shutdown and rare events log: never the request path. */
#ifndef BARDO_LOG_H
#define BARDO_LOG_H

void logSetName(const char *name);
void logInfo(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void logError(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
