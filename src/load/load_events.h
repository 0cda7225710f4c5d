/* load_events.h - one line per POST /pessoas, for fault checkers
 * (bardo-load --events-out FILE; tests/faults/nemesis.py reads it).
 *
 * The file starts with two comment lines: the run's origin on
 * CLOCK_MONOTONIC (what Python's time.monotonic() reads on Linux, so a
 * checker can place its own fault times on the same axis) and the format.
 * Then, in the order the creates end:
 *
 *     <sent_ms> <done_ms> <outcome> <location|-> <apelido|->
 *
 * sent_ms/done_ms: milliseconds since the run began (3 decimals) when the
 * request started and when it ended. outcome: the HTTP status (201, 422,
 * 503, ...) or, when no complete response came, the KO kind: timeout,
 * refused (the connection was refused), reset (ECONNRESET/EPIPE), closed
 * (the peer closed before the response was complete), malformed (not
 * HTTP), noconn (no connection could be opened: fd limit), error (any
 * other errno). location: the Location of a 201 (its path). apelido: the
 * raw JSON value the body sent as "apelido" (with its quotes when a
 * string), bytes <= 0x20, 0x7f and '%' percent-encoded so the field is
 * one word; "-" when the body has none (or it is longer than
 * LOAD_EV_APELIDO_MAX). */
#ifndef BARDO_LOAD_EVENTS_H
#define BARDO_LOAD_EVENTS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define LOAD_EV_APELIDO_MAX 400

/* The KO kind of a request that got no response: errno, as the engine saw
 * it (0: closed by the peer, ETIMEDOUT: the timeout, EPROTO: malformed). */
const char *loadEventsKoKind(int err);

/* Writes into out (cap bytes, cap > 1) the apelido field of a create's
 * body (see above), NUL-terminated; returns its length ("-": 1). */
size_t loadEventsApelido(const char *body, size_t len, char *out, size_t cap);

/* The two header lines; t0_us is the run's start on CLOCK_MONOTONIC. */
void loadEventsHeader(FILE *f, uint64_t t0_us);

/* One create: times in microseconds on CLOCK_MONOTONIC; outcome is the
 * status (status > 0) or ko (status 0); loc may be NULL or empty. */
void loadEventsLine(FILE *f, uint64_t t0_us, uint64_t sent_us, uint64_t done_us, int status,
                    const char *ko, const char *loc, const char *apelido);

#endif
