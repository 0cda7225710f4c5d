/* load_events.c - the --events-out lines. See load_events.h. */
#include "load/load_events.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

const char *loadEventsKoKind(int err) {
    switch (err) {
    case 0: return "closed";
    case ETIMEDOUT: return "timeout";
    case ECONNREFUSED: return "refused";
    case ECONNRESET:
    case EPIPE: return "reset";
    case EPROTO: return "malformed";
    case EMFILE:
    case ENFILE: return "noconn";
    default: return "error";
    }
}

/* The end of the JSON value starting at p (a string with its quotes, or
 * a bare token up to , } ] or white space); NULL if a string never ends. */
static const char *valueEnd(const char *p, const char *end) {
    if (p < end && *p == '"') {
        for (const char *q = p + 1; q < end; q++) {
            if (*q == '\\') q++;
            else if (*q == '"') return q + 1;
        }
        return NULL;
    }
    const char *q = p;
    while (q < end && !strchr(",}] \t\r\n", *q)) q++;
    return q;
}

/* The value after the first "apelido" key, or NULL. */
static const char *findValue(const char *body, size_t len, const char **vend) {
    static const char KEY[] = "\"apelido\"";
    const char *end = body + len, *p = body;
    while ((p = memmem(p, (size_t)(end - p), KEY, sizeof KEY - 1))) {
        const char *q = p + sizeof KEY - 1;
        while (q < end && strchr(" \t\r\n", *q)) q++;
        if (q < end && *q == ':') {
            q++;
            while (q < end && strchr(" \t\r\n", *q)) q++;
            *vend = valueEnd(q, end);
            return *vend && *vend > q ? q : NULL;
        }
        p += sizeof KEY - 1;
    }
    return NULL;
}

size_t loadEventsApelido(const char *body, size_t len, char *out, size_t cap) {
    static const char HEX[] = "0123456789ABCDEF";
    const char *vend = NULL, *v = body ? findValue(body, len, &vend) : NULL;
    size_t n = 0;
    for (const char *p = v; v && p < vend; p++) {
        unsigned char ch = (unsigned char)*p;
        bool enc = ch <= 0x20 || ch == 0x7f || ch == '%';
        if (n + (enc ? 3 : 1) >= cap) {
            v = NULL; /* too long: unknown */
            break;
        }
        if (enc) out[n++] = '%', out[n++] = HEX[ch >> 4], out[n++] = HEX[ch & 15];
        else out[n++] = (char)ch;
    }
    if (!v) n = 0, out[n++] = '-';
    out[n] = '\0';
    return n;
}

void loadEventsHeader(FILE *f, uint64_t t0_us) {
    fprintf(f, "# bardo-load events: t0_monotonic_us=%llu\n", (unsigned long long)t0_us);
    fprintf(f, "# sent_ms done_ms status|ko-kind location|- apelido-json-%%encoded|-\n");
}

static double msSince(uint64_t t0_us, uint64_t us) {
    return us > t0_us ? (double)(us - t0_us) / 1000.0 : 0.0;
}

void loadEventsLine(FILE *f, uint64_t t0_us, uint64_t sent_us, uint64_t done_us, int status,
                    const char *ko, const char *loc, const char *apelido) {
    char st[16];
    if (status > 0) snprintf(st, sizeof st, "%d", status);
    fprintf(f, "%.3f %.3f %s %s %s\n", msSince(t0_us, sent_us), msSince(t0_us, done_us),
            status > 0 ? st : ko, loc && loc[0] ? loc : "-", apelido && apelido[0] ? apelido : "-");
}
