/* jw.h - a small streaming JSON writer for the status documents.
 *
 * Commas are the writer's business: each container level remembers
 * whether it has a member yet. Unknowns are null: a NULL or empty string,
 * and a NAN number, are written as null. Errors (out of memory, nesting
 * too deep) are sticky in w->rc, so writers check once at the end.
 *
 *   jw w; jwInit(&w, b);
 *   jwObject(&w, NULL); jwStr(&w, "name", "bardo"); jwNum(&w, "x", NAN);
 *   jwEnd(&w); -> {"name":"bardo","x":null}
 */
#ifndef BARDO_PROBE_JW_H
#define BARDO_PROBE_JW_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"

#define JW_MAX_DEPTH 16

typedef struct jw {
    buf *b;
    int rc;
    int depth;
    bool has_member[JW_MAX_DEPTH];
    char closer[JW_MAX_DEPTH];
} jw;

void jwInit(jw *w, buf *b);
/* key is NULL inside arrays and at the top. */
void jwObject(jw *w, const char *key);
void jwArray(jw *w, const char *key);
void jwEnd(jw *w);
void jwStr(jw *w, const char *key, const char *s);
void jwNum(jw *w, const char *key, double v);
void jwBool(jw *w, const char *key, bool v);
void jwNull(jw *w, const char *key);
/* Formats v the way both writers do: integers without a fraction, others
 * with up to 3 decimals (6 significant digits below 1); "" if not finite. */
void jwFormatNumber(char *out, size_t cap, double v);

#endif
