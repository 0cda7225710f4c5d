/* jw.c - the JSON writer (see jw.h). */
#include "probe/jw.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "json/json.h"

void jwInit(jw *w, buf *b) { *w = (jw){.b = b}; }

static void jwPut(jw *w, const char *s) {
    if (w->rc == 0) w->rc = bufAppendStr(w->b, s);
}

/* The comma and the key before a value. */
static void jwKey(jw *w, const char *key) {
    if (w->depth > 0) {
        if (w->has_member[w->depth - 1]) jwPut(w, ",");
        w->has_member[w->depth - 1] = true;
    }
    if (!key) return;
    if (w->rc == 0) w->rc = jsonWriteString(w->b, sliceMake(key, strlen(key)));
    jwPut(w, ":");
}

static void jwOpen(jw *w, const char *key, const char *open, char close) {
    jwKey(w, key);
    if (w->depth >= JW_MAX_DEPTH) {
        w->rc = -E2BIG;
        return;
    }
    jwPut(w, open);
    w->has_member[w->depth] = false;
    w->closer[w->depth++] = close;
}

void jwObject(jw *w, const char *key) { jwOpen(w, key, "{", '}'); }
void jwArray(jw *w, const char *key) { jwOpen(w, key, "[", ']'); }

void jwEnd(jw *w) {
    if (w->depth == 0) {
        w->rc = w->rc ? w->rc : -EINVAL;
        return;
    }
    char close[2] = {w->closer[--w->depth], '\0'};
    jwPut(w, close);
}

void jwStr(jw *w, const char *key, const char *s) {
    jwKey(w, key);
    if (!s || !*s) jwPut(w, "null");
    else if (w->rc == 0) w->rc = jsonWriteString(w->b, sliceMake(s, strlen(s)));
}

void jwFormatNumber(char *out, size_t cap, double v) {
    if (!isfinite(v)) {
        out[0] = '\0';
    } else if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(out, cap, "%.0f", v);
    } else if (fabs(v) >= 1) {
        int n = snprintf(out, cap, "%.3f", v);
        while (n > 0 && out[n - 1] == '0') out[--n] = '\0'; /* 1.500 -> 1.5 */
        if (n > 0 && out[n - 1] == '.') out[--n] = '\0';
    } else {
        snprintf(out, cap, "%.6g", v);
    }
}

void jwNum(jw *w, const char *key, double v) {
    char text[64];
    jwFormatNumber(text, sizeof(text), v);
    jwKey(w, key);
    jwPut(w, text[0] ? text : "null");
}

void jwBool(jw *w, const char *key, bool v) {
    jwKey(w, key);
    jwPut(w, v ? "true" : "false");
}

void jwNull(jw *w, const char *key) {
    jwKey(w, key);
    jwPut(w, "null");
}
