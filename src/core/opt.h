/* opt.h - command-line options described by one table per program.
 *
 * A program lists its options once, as an array of `opt`: long name,
 * value kind, destination, default (as it would be typed), the
 * environment variable that may set it, the value's name and one line of
 * help. From that table optParse() runs getopt_long, parses every value
 * strictly and fills the destinations; optHelp() writes --help. So the
 * help can never forget an option, and no value is read by atoi().
 *
 * Where a value comes from, lowest to highest priority:
 *   1. `def`, parsed exactly like a command-line value (NULL: the
 *      destination keeps what the caller put there);
 *   2. the environment variable `env`, if set and not empty ("" counts as
 *      unset, as in the scripts' ${VAR:-default}); only read when the
 *      command line does not give the option, and then checked like (3),
 *      the error naming the variable;
 *   3. the command line: --name VALUE, --name=VALUE, or -l VALUE when the
 *      entry has a `letter`. Unambiguous prefixes work (getopt_long).
 *
 * Values are strict: the whole string must parse.
 *   OPT_UNSIGNED  decimal digits only (no sign, space, suffix or hex),
 *                 overflow caught, in [min, max]: "10ms", "-1", "",
 *                 "18446744073709551616" are errors.
 *   OPT_DOUBLE    a finite decimal ("1", "0.5", "2e3", "-1" when dmin
 *                 allows) in [dmin, dmax]; no inf, nan, hex or spaces.
 *   OPT_CHOICE    exactly one of `choices`; its index is stored.
 *   OPT_STRING    anything; the destination points into argv or environ.
 *   OPT_FLAG      no value on the command line (from the environment:
 *                 "1" or "0").
 * An entry with no `name` is an environment variable only (the
 * replication secret, say); with no `dest` either, it is documentation
 * only: optHelp lists it, something else reads it. `secret` entries never
 * show their value, in help or in errors: help says "set" or "unset".
 *
 * --help and -h are built in. Errors are negative errno inside, with a
 * one-line reason for the user; choosing exit statuses (0 after --help, 2
 * after a bad option) is main()'s job. Example:
 *
 *     static struct { const char *listen; uint32_t idle_ms; bool quiet; } cfg;
 *     static const opt OPTS[] = {
 *         {.name = "listen", OPT_STR(&cfg.listen), .def = "127.0.0.1:8081",
 *          .arg = "ADDR", .help = "host:port, :port or unix:/path to listen on"},
 *         {.name = "idle-ms", OPT_UINT(&cfg.idle_ms), .max = 86400000, .def = "60000",
 *          .env = "BARDO_IDLE_MS", .arg = "MS", .help = "close idle connections; 0: never"},
 *         {.name = "quiet", OPT_BOOL(&cfg.quiet), .help = "no progress lines"},
 *     };
 *     static const opt_spec SPEC = {.prog = "bardo-x", .about = "does x.",
 *                                   .opts = OPTS, .n = sizeof OPTS / sizeof OPTS[0]};
 *
 *     int main(int argc, char **argv) {
 *         char why[OPT_ERR_MAX];
 *         int rc = optParse(&SPEC, argc, argv, why, sizeof why);
 *         if (rc == OPT_HELP) return optHelp(&SPEC, stdout) < 0 ? 1 : 0;
 *         if (rc < 0) return fprintf(stderr, "%s: %s\n", SPEC.prog, why), 2;
 *         ...
 *     }
 */
#ifndef BARDO_OPT_H
#define BARDO_OPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define OPT_MAX 64       /* entries in one table */
#define OPT_ERR_MAX 160  /* room for any reason optParse writes */
#define OPT_HELP 1       /* optParse: --help was asked for */

typedef enum opt_kind {
    OPT_FLAG,     /* bool *dest = true */
    OPT_STRING,   /* const char **dest = the value */
    OPT_UNSIGNED, /* an unsigned integer of `size` bytes (1, 2, 4 or 8) */
    OPT_DOUBLE,   /* double *dest */
    OPT_CHOICE,   /* unsigned *dest = index into `choices` */
} opt_kind;

typedef struct opt {
    const char *name;     /* long name without "--"; NULL: environment only */
    char letter;          /* short option, or 0 */
    opt_kind kind;
    void *dest;           /* NULL: documentation only (name must be NULL) */
    size_t size;          /* OPT_UNSIGNED: sizeof *dest */
    uint64_t min, max;    /* OPT_UNSIGNED: the range, inclusive */
    double dmin, dmax;    /* OPT_DOUBLE: the range, inclusive */
    const char *const *choices; /* OPT_CHOICE: NULL-terminated words */
    const char *def;      /* the default as typed, shown in help; NULL: none */
    const char *env;      /* the environment variable that sets it, or NULL */
    const char *arg;      /* the value's name in help ("ADDR"); NULL: "VALUE" */
    const char *help;     /* one line, no full stop */
    bool secret;          /* never print the value */
} opt;

/* Kind, destination and size at once, so a table cannot get them wrong:
 * `1 ? d : (T *)0` makes the compiler reject a destination of another
 * type ("pointer type mismatch"). OPT_UINT takes any unsigned integer. */
#define OPT_TYPED_(T, d) (1 ? (d) : (T *)0)
#define OPT_BOOL(d) .kind = OPT_FLAG, .dest = OPT_TYPED_(bool, d)
#define OPT_STR(d) .kind = OPT_STRING, .dest = OPT_TYPED_(const char *, d)
#define OPT_UINT(d) .kind = OPT_UNSIGNED, .dest = (d), .size = sizeof(*(d))
#define OPT_DBL(d) .kind = OPT_DOUBLE, .dest = OPT_TYPED_(double, d)
#define OPT_ONE_OF(d, words) .kind = OPT_CHOICE, .dest = OPT_TYPED_(unsigned, d), .choices = (words)

typedef struct opt_spec {
    const char *prog;     /* "bardo-store": usage line, callers' error prefix */
    const char *about;    /* one sentence under the usage line, or NULL */
    const char *notes;    /* more lines after the options, or NULL */
    const opt *opts;
    size_t n;
} opt_spec;

/* Fills every destination of s from defaults, the environment and argv
 * (see the top). May permute argv (GNU getopt); resets getopt's state, so
 * it can run more than once. Returns
 *   0         every destination set, no argument left over;
 *   OPT_HELP  --help or -h was given (nothing printed: call optHelp);
 *             a bad option before it is reported instead, a bad
 *             environment value is not (the environment is read last);
 *   -EINVAL   an unknown option, a missing or unexpected value, a bad
 *             value, a left-over argument, or a bad table (a default
 *             that does not parse, a range that does not fit `size`);
 *             `why` (if errcap > 0) holds one line without the program's
 *             name or a newline, e.g. "--min-replicas: 'two' is not a
 *             whole number in 0..7" or "unknown option --foo (see --help)".
 * Destinations may be partly filled after an error. */
int optParse(const opt_spec *s, int argc, char **argv, char *why, size_t errcap);

/* Writes the help: "usage: PROG [OPTION]...", `about`, one line per
 * option "  -l, --name VALUE  help (range; default: X; env: VAR)", the
 * environment-only entries, then `notes`. Returns 0 or -EIO. */
int optHelp(const opt_spec *s, FILE *out);

/* The value parsers optParse uses, for values that need more than a
 * table (a URL's port, say). Both return 0 with *out set, -EINVAL if s is
 * not a whole number (or decimal), -ERANGE if it is but lies outside
 * [min, max] (or overflows). *out is untouched on error. */
int optParseUnsigned(const char *s, uint64_t min, uint64_t max, uint64_t *out);
int optParseDouble(const char *s, double min, double max, double *out);

#endif
