/* opt.c - table-driven options (contract in opt.h).
 *
 * optParse first checks the table (a default that does not parse is the
 * program's bug and fails every run, so tests catch it), stores every
 * default, runs getopt_long over a `struct option` array built from the
 * table (val = OPT_VAL_BASE + index, so no letters need inventing), and
 * finally reads the environment for the entries the command line left
 * alone. Every value, wherever it came from, goes through setValue(), so
 * the three sources cannot disagree on what is valid. Per-kind behaviour
 * lives in the KINDS table. */
#include "core/opt.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define OPT_VAL_BASE 256 /* getopt_long vals above any short letter */
#define QUOTE_MAX 40     /* bytes of a bad value echoed in an error */

/* snprintf into why, never overflowing, never failing. */
__attribute__((format(printf, 3, 4))) static int fail(char *why, size_t cap, const char *fmt, ...) {
    if (cap > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, cap, fmt, ap);
        va_end(ap);
    }
    return -EINVAL;
}

int optParseUnsigned(const char *s, uint64_t min, uint64_t max, uint64_t *out) {
    if (!s || !*s) return -EINVAL;
    uint64_t v = 0;
    bool over = false;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9') return -EINVAL;
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10) over = true; /* keep checking the digits */
        else v = v * 10 + d;
    }
    if (over || v < min || v > max) return -ERANGE;
    *out = v;
    return 0;
}

int optParseDouble(const char *s, double min, double max, double *out) {
    /* strtod also takes spaces, "+", "inf", "nan" and hex: allow none. */
    if (!s || !(isdigit((unsigned char)s[0]) || s[0] == '-' || s[0] == '.')) return -EINVAL;
    if (s[strspn(s, "0123456789.eE+-")] != '\0') return -EINVAL;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end) return -EINVAL;
    if (errno == ERANGE || !isfinite(v) || v < min || v > max) return -ERANGE;
    *out = v;
    return 0;
}

static void storeUnsigned(void *dest, size_t size, uint64_t v) {
    if (size == 1) *(uint8_t *)dest = (uint8_t)v;
    else if (size == 2) *(uint16_t *)dest = (uint16_t)v;
    else if (size == 4) *(uint32_t *)dest = (uint32_t)v;
    else *(uint64_t *)dest = v;
}

/* --- the kinds: how each stores a value and says what it wants ----------- */

static int setFlag(const opt *o, const char *v) {
    /* only the environment (or a default) gives a flag a value */
    if (strcmp(v, "1") != 0 && strcmp(v, "0") != 0) return -EINVAL;
    *(bool *)o->dest = v[0] == '1';
    return 0;
}

static int setString(const opt *o, const char *v) {
    *(const char **)o->dest = v;
    return 0;
}

static int setUnsigned(const opt *o, const char *v) {
    uint64_t n;
    int rc = optParseUnsigned(v, o->min, o->max, &n);
    if (rc == 0) storeUnsigned(o->dest, o->size, n);
    return rc;
}

static int setDouble(const opt *o, const char *v) {
    return optParseDouble(v, o->dmin, o->dmax, (double *)o->dest);
}

static int setChoice(const opt *o, const char *v) {
    for (unsigned i = 0; o->choices[i]; i++) {
        if (strcmp(o->choices[i], v) != 0) continue;
        *(unsigned *)o->dest = i;
        return 0;
    }
    return -EINVAL;
}

static void wantFlag(const opt *o, char *b, size_t cap) {
    (void)o;
    snprintf(b, cap, "0 or 1");
}

static void wantString(const opt *o, char *b, size_t cap) {
    (void)o;
    snprintf(b, cap, "a string");
}

static void wantUnsigned(const opt *o, char *b, size_t cap) {
    snprintf(b, cap, "a whole number in %llu..%llu", (unsigned long long)o->min,
             (unsigned long long)o->max);
}

static void wantDouble(const opt *o, char *b, size_t cap) {
    snprintf(b, cap, "a number in %g..%g", o->dmin, o->dmax);
}

/* "primary|replica" for help, "one of primary, replica" for errors */
static void listChoices(const opt *o, const char *sep, char *b, size_t cap) {
    size_t len = 0;
    b[0] = '\0';
    for (size_t i = 0; o->choices[i] && len < cap; i++) {
        int n = snprintf(b + len, cap - len, "%s%s", i ? sep : "", o->choices[i]);
        if (n < 0) break;
        len += (size_t)n;
    }
}

static void wantChoice(const opt *o, char *b, size_t cap) {
    int n = snprintf(b, cap, "one of ");
    if (n > 0 && (size_t)n < cap) listChoices(o, ", ", b + n, cap - (size_t)n);
}

static const struct {
    int (*set)(const opt *o, const char *v);
    void (*want)(const opt *o, char *b, size_t cap);
} KINDS[] = {
    [OPT_FLAG] = {setFlag, wantFlag},
    [OPT_STRING] = {setString, wantString},
    [OPT_UNSIGNED] = {setUnsigned, wantUnsigned},
    [OPT_DOUBLE] = {setDouble, wantDouble},
    [OPT_CHOICE] = {setChoice, wantChoice},
};

/* A bad value as errors show it: at most QUOTE_MAX bytes, no control
 * characters (the reason stays one line), nothing of a secret. */
static void quote(const opt *o, const char *v, char *b, size_t cap) {
    if (o->secret) {
        snprintf(b, cap, "(hidden)");
        return;
    }
    size_t n = 0, len = strlen(v);
    b[n++] = '\'';
    for (size_t i = 0; i < len && i < QUOTE_MAX && n + 5 < cap; i++)
        b[n++] = (unsigned char)v[i] < 0x20 || v[i] == 0x7f ? '?' : v[i];
    if (len > QUOTE_MAX) b[n++] = '.', b[n++] = '.', b[n++] = '.';
    b[n++] = '\'';
    b[n] = '\0';
}

/* Stores v into o's destination; `who` names the source in the error:
 * "--idle-ms", "BARDO_MIN_REPLICAS", "the default of --epoch". */
static int setValue(const opt *o, const char *v, const char *who, char *why, size_t cap) {
    if (o->dest == NULL || KINDS[o->kind].set(o, v) == 0) return 0;
    char q[QUOTE_MAX + 8], want[96];
    quote(o, v, q, sizeof q);
    KINDS[o->kind].want(o, want, sizeof want);
    return fail(why, cap, "%s: %s is not %s", who, q, want);
}

/* --- the table ------------------------------------------------------------ */

static const char *optLabel(const opt *o) { return o->name ? o->name : o->env; }

static bool entryOk(const opt *o) {
    if ((unsigned)o->kind >= sizeof KINDS / sizeof KINDS[0] || !(o->name || o->env)) return false;
    if (!o->dest) return o->name == NULL;
    if (o->letter && (!isalnum((unsigned char)o->letter) || o->letter == 'h')) return false;
    if (o->kind == OPT_CHOICE && !o->choices) return false;
    if (o->kind == OPT_DOUBLE && !(o->dmin <= o->dmax)) return false;
    if (o->kind != OPT_UNSIGNED) return true;
    if (o->size != 1 && o->size != 2 && o->size != 4 && o->size != 8) return false;
    uint64_t top = o->size == 8 ? UINT64_MAX : ((uint64_t)1 << (8 * o->size)) - 1;
    return o->min <= o->max && o->max <= top;
}

/* Checks every entry and stores every default. */
static int applyDefaults(const opt_spec *s, char *why, size_t cap) {
    if (s->n > OPT_MAX) return fail(why, cap, "bad option table: more than %d entries", OPT_MAX);
    for (size_t i = 0; i < s->n; i++) {
        const opt *o = &s->opts[i];
        if (!entryOk(o)) return fail(why, cap, "bad option table entry %s", optLabel(o));
        if (!o->def) continue;
        char who[80];
        snprintf(who, sizeof who, "the default of %s", optLabel(o));
        if (setValue(o, o->def, who, why, cap) < 0) return -EINVAL;
    }
    return 0;
}

/* getopt_long's view of the table; shorts starts with ':' so a missing
 * value is told apart from an unknown option. */
static void buildGetopt(const opt_spec *s, struct option *longs, char *shorts) {
    size_t nl = 0, ns = 0;
    shorts[ns++] = ':';
    for (size_t i = 0; i < s->n; i++) {
        const opt *o = &s->opts[i];
        int has_arg = o->kind == OPT_FLAG ? no_argument : required_argument;
        if (!o->name) continue;
        longs[nl++] = (struct option){o->name, has_arg, NULL, OPT_VAL_BASE + (int)i};
        if (!o->letter) continue;
        shorts[ns++] = o->letter;
        if (has_arg == required_argument) shorts[ns++] = ':';
    }
    longs[nl++] = (struct option){"help", no_argument, NULL, 'h'};
    longs[nl] = (struct option){NULL, 0, NULL, 0};
    shorts[ns++] = 'h';
    shorts[ns] = '\0';
}

/* The option getopt just complained about, as the user typed it. */
static void offender(const opt_spec *s, char **argv, char *b, size_t cap) {
    int code = optopt;
    if (code >= OPT_VAL_BASE) snprintf(b, cap, "--%s", s->opts[code - OPT_VAL_BASE].name);
    else if (code == 'h') snprintf(b, cap, "--help");
    else if (code) snprintf(b, cap, "-%c", code);
    else snprintf(b, cap, "%.*s", (int)strcspn(argv[optind - 1], "="), argv[optind - 1]);
    for (char *p = b; *p; p++)
        if ((unsigned char)*p < 0x20) *p = '?';
}

static int getoptError(const opt_spec *s, int ch, char **argv, char *why, size_t cap) {
    char name[QUOTE_MAX + 8];
    offender(s, argv, name, sizeof name);
    if (ch == ':') return fail(why, cap, "%s needs a value (see --help)", name);
    /* a known long flag given "=value"; an unknown -x sets optopt too */
    if (optopt >= OPT_VAL_BASE || optopt == 'h')
        return fail(why, cap, "%s takes no value (see --help)", name);
    return fail(why, cap, "unknown option %s (see --help)", name);
}

/* Command-line values; seen gets bit i for each entry i given. */
static int parseArgv(const opt_spec *s, int argc, char **argv, uint64_t *seen, char *why,
                     size_t cap) {
    struct option longs[OPT_MAX + 2];
    char shorts[2 * OPT_MAX + 3];
    buildGetopt(s, longs, shorts);
    opterr = 0;
    optind = 0; /* glibc: start over, whatever an earlier parse left */
    int ch;
    while ((ch = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
        if (ch == 'h') return OPT_HELP;
        const opt *o = NULL;
        if (ch >= OPT_VAL_BASE) o = &s->opts[ch - OPT_VAL_BASE];
        for (size_t i = 0; !o && ch > 0 && ch != '?' && ch != ':' && i < s->n; i++)
            if (s->opts[i].name && s->opts[i].letter == ch) o = &s->opts[i];
        if (!o) return getoptError(s, ch, argv, why, cap);
        *seen |= (uint64_t)1 << (o - s->opts);
        char who[80];
        snprintf(who, sizeof who, "--%s", o->name);
        if (o->kind == OPT_FLAG) *(bool *)o->dest = true;
        else if (setValue(o, optarg, who, why, cap) < 0) return -EINVAL;
    }
    if (optind < argc) {
        char q[QUOTE_MAX + 8];
        quote(&(opt){0}, argv[optind], q, sizeof q);
        return fail(why, cap, "unexpected argument %s (see --help)", q);
    }
    return 0;
}

static int applyEnv(const opt_spec *s, uint64_t seen, char *why, size_t cap) {
    for (size_t i = 0; i < s->n; i++) {
        const opt *o = &s->opts[i];
        if (!o->env || (seen >> i & 1)) continue;
        const char *v = getenv(o->env);
        if (v && *v && setValue(o, v, o->env, why, cap) < 0) return -EINVAL;
    }
    return 0;
}

int optParse(const opt_spec *s, int argc, char **argv, char *why, size_t errcap) {
    if (errcap > 0) why[0] = '\0';
    uint64_t seen = 0;
    int rc = applyDefaults(s, why, errcap);
    if (rc == 0) rc = parseArgv(s, argc, argv, &seen, why, errcap);
    if (rc == 0) rc = applyEnv(s, seen, why, errcap);
    return rc;
}

/* --- help ----------------------------------------------------------------- */

/* "  -l, --listen ADDR", "      --quiet" or "  BARDO_SECRET" */
static void helpLeft(const opt *o, char *b, size_t cap) {
    char choices[96];
    const char *arg = o->arg ? o->arg : "VALUE";
    if (!o->name) {
        snprintf(b, cap, "  %s", o->env);
        return;
    }
    if (o->kind == OPT_CHOICE && !o->arg) listChoices(o, "|", choices, sizeof choices), arg = choices;
    snprintf(b, cap, "  %c%c%c --%s%s%s", o->letter ? '-' : ' ', o->letter ? o->letter : ' ',
             o->letter ? ',' : ' ', o->name, o->kind == OPT_FLAG ? "" : " ",
             o->kind == OPT_FLAG ? "" : arg);
}

/* Appends "; " (unless first) and the formatted text to b. */
__attribute__((format(printf, 4, 5))) static void addPart(char *b, size_t cap, size_t *len,
                                                          const char *fmt, ...) {
    if (*len >= cap) return;
    if (*len > 0) *len += (size_t)snprintf(b + *len, cap - *len, "; ");
    if (*len >= cap) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b + *len, cap - *len, fmt, ap);
    va_end(ap);
    if (n > 0) *len += (size_t)n;
}

/* "0..7; default: 1; env: BARDO_MIN_REPLICAS" */
static void helpParen(const opt *o, char *b, size_t cap) {
    size_t len = 0;
    b[0] = '\0';
    if (o->kind == OPT_UNSIGNED && o->dest)
        addPart(b, cap, &len, "%llu..%llu", (unsigned long long)o->min, (unsigned long long)o->max);
    if (o->kind == OPT_DOUBLE && o->dest) addPart(b, cap, &len, "%g..%g", o->dmin, o->dmax);
    if (o->def && !o->secret) addPart(b, cap, &len, "default: %s", o->def);
    if (o->env && o->name) addPart(b, cap, &len, "env: %s", o->env);
    if (o->secret) {
        const char *v = o->env ? getenv(o->env) : NULL;
        addPart(b, cap, &len, "%s", v && *v ? "set" : "unset");
    }
}

static int helpLine(FILE *out, int width, const char *left, const char *help, const char *paren) {
    int n = fprintf(out, "%-*s  %s%s%s%s\n", width, left, help ? help : "", *paren ? " (" : "",
                    paren, *paren ? ")" : "");
    return n < 0 ? -EIO : 0;
}

static int helpEntries(const opt_spec *s, FILE *out, int width, bool env_only) {
    int rc = 0;
    for (size_t i = 0; i < s->n && rc == 0; i++) {
        const opt *o = &s->opts[i];
        if ((o->name == NULL) != env_only) continue;
        char left[128], paren[256];
        helpLeft(o, left, sizeof left);
        helpParen(o, paren, sizeof paren);
        rc = helpLine(out, width, left, o->help, paren);
    }
    return rc;
}

int optHelp(const opt_spec *s, FILE *out) {
    int width = (int)strlen("  -h, --help");
    bool any_env = false;
    for (size_t i = 0; i < s->n; i++) {
        char left[128];
        helpLeft(&s->opts[i], left, sizeof left);
        if ((int)strlen(left) > width) width = (int)strlen(left);
        any_env |= s->opts[i].name == NULL;
    }
    int rc = fprintf(out, "usage: %s [OPTION]...\n", s->prog) < 0 ? -EIO : 0;
    if (rc == 0 && s->about) rc = fprintf(out, "%s\n", s->about) < 0 ? -EIO : 0;
    if (rc == 0) rc = fprintf(out, "\nOptions:\n") < 0 ? -EIO : 0;
    if (rc == 0) rc = helpEntries(s, out, width, false);
    if (rc == 0) rc = helpLine(out, width, "  -h, --help", "print this help and exit", "");
    if (rc == 0 && any_env) rc = fprintf(out, "\nEnvironment:\n") < 0 ? -EIO : 0;
    if (rc == 0 && any_env) rc = helpEntries(s, out, width, true);
    if (rc == 0 && s->notes) rc = fprintf(out, "\n%s\n", s->notes) < 0 ? -EIO : 0;
    if (rc == 0 && fflush(out) != 0) rc = -EIO;
    return rc;
}
