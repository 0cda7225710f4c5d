/* resp.c - RESP2 parser and writers.
 *
 * Hand-written rather than hiredis: this is the hot path between the APIs
 * and the store (every request crosses it twice), the subset we need is
 * small (arrays of bulks for commands, five scalar reply types), and a
 * parser of our own is zero-copy (argv slices point into the connection
 * buffer), allocation-free and incremental in the way our event loop
 * wants: call with whatever has arrived, get RESP_PARTIAL until a whole
 * command is there. Every length is bounded (RESP_MAX_ARGS,
 * RESP_MAX_BULK, RESP_MAX_REPLY_BULK for a reply's bulk, 20 digits),
 * nothing is read past `len`.
 * Fuzzed by fuzz/fuzz_resp.c (crashes, bounds, and write/parse round trips). */
#include "store/resp.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>

#define MAX_DIGITS 20

/* A parser returns the bytes it consumed as an int. */
_Static_assert(RESP_MAX_REPLY_BULK >= RESP_MAX_BULK && RESP_MAX_REPLY_BULK < INT_MAX / 2,
               "a whole reply's length must fit the int return");

/* Ends a line at b[*pos]: "\r\n" -> 0 (pos past it), PARTIAL or ERROR. */
static int expectCrlf(const char *b, size_t len, size_t *pos) {
    if (*pos >= len) return RESP_PARTIAL;
    if (b[*pos] != '\r') return RESP_ERROR;
    if (*pos + 1 >= len) return RESP_PARTIAL;
    if (b[*pos + 1] != '\n') return RESP_ERROR;
    *pos += 2;
    return 0;
}

/* Reads digits at b[*pos] into *v (no sign); at least one digit, at most
 * MAX_DIGITS, no overflow past `max`. */
static int readDigits(const char *b, size_t len, size_t *pos, unsigned long long max,
                      unsigned long long *v) {
    size_t start = *pos;
    unsigned long long x = 0;
    while (*pos < len && b[*pos] >= '0' && b[*pos] <= '9') {
        unsigned d = (unsigned)(b[*pos] - '0');
        if (*pos - start >= MAX_DIGITS || x > (max - d) / 10) return RESP_ERROR;
        x = x * 10 + d;
        (*pos)++;
    }
    if (*pos == len) return RESP_PARTIAL;
    if (*pos == start) return RESP_ERROR;
    *v = x;
    return 0;
}

/* Reads a signed decimal ended by CRLF at b[*pos], full long long range. */
static int readInt(const char *b, size_t len, size_t *pos, long long *out) {
    if (*pos >= len) return RESP_PARTIAL;
    bool neg = b[*pos] == '-';
    if (neg) (*pos)++;
    unsigned long long v, max = neg ? (unsigned long long)LLONG_MAX + 1 : LLONG_MAX;
    int rc = readDigits(b, len, pos, max, &v);
    if (rc == 0) rc = expectCrlf(b, len, pos);
    if (rc < 0) return rc;
    *out = neg ? (v == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN : -(long long)v)
               : (long long)v;
    return 0;
}

/* "$<n>\r\n<n bytes>\r\n" at b[*pos], n at most max. */
static int readBulk(const char *b, size_t len, size_t *pos, size_t max, slice *s) {
    if (*pos >= len) return RESP_PARTIAL;
    if (b[*pos] != '$') return RESP_ERROR;
    (*pos)++;
    long long n;
    int rc = readInt(b, len, pos, &n);
    if (rc < 0) return rc;
    if (n < 0) return RESP_ERROR;
    if ((unsigned long long)n > max) return RESP_TOO_BIG;
    if (len - *pos < (size_t)n + 2) return RESP_PARTIAL;
    *s = sliceMake(b + *pos, (size_t)n);
    *pos += (size_t)n;
    return expectCrlf(b, len, pos);
}

static int parseArray(const char *b, size_t len, resp_command *cmd) {
    size_t pos = 1;
    long long n;
    int rc = readInt(b, len, &pos, &n);
    if (rc < 0) return rc;
    cmd->argc = 0;
    if (n == 0 || n == -1) return (int)pos; /* empty/null array: nothing to do */
    if (n < 0) return RESP_ERROR;
    if (n > RESP_MAX_ARGS) return RESP_TOO_BIG;
    for (long long i = 0; i < n; i++) {
        rc = readBulk(b, len, &pos, RESP_MAX_BULK, &cmd->argv[i]);
        if (rc < 0) return rc;
    }
    cmd->argc = (size_t)n;
    return (int)pos;
}

/* Finds the end of the line starting at b: returns the index of '\n'
 * (>= 0), PARTIAL, or TOO_BIG when no line ends within the limit. */
static long findLine(const char *b, size_t len) {
    size_t scan = len < RESP_MAX_BULK + 2 ? len : RESP_MAX_BULK + 2;
    const char *nl = memchr(b, '\n', scan);
    if (nl) return nl - b;
    return len > RESP_MAX_BULK + 1 ? RESP_TOO_BIG : RESP_PARTIAL;
}

static bool isBlank(char c) { return c == ' ' || c == '\t'; }

static int parseInline(const char *b, size_t len, resp_command *cmd) {
    long nl = findLine(b, len);
    if (nl < 0) return (int)nl;
    size_t end = (size_t)nl, i = 0;
    if (end > 0 && b[end - 1] == '\r') end--;
    cmd->argc = 0;
    while (i < end) {
        while (i < end && isBlank(b[i])) i++;
        if (i == end) break;
        size_t start = i;
        while (i < end && !isBlank(b[i])) i++;
        if (cmd->argc == RESP_MAX_ARGS) return RESP_TOO_BIG;
        cmd->argv[cmd->argc++] = sliceMake(b + start, i - start);
    }
    return (int)nl + 1;
}

int respParseCommand(const char *data, size_t len, resp_command *cmd) {
    if (len == 0) return RESP_PARTIAL;
    if (data[0] == '*') return parseArray(data, len, cmd);
    return parseInline(data, len, cmd);
}

/* "+text\r\n" / "-text\r\n": the text is up to the CRLF. */
static int parseLine(const char *b, size_t len, resp_reply *r) {
    long nl = findLine(b + 1, len - 1);
    if (nl < 0) return (int)nl;
    if (nl == 0 || b[nl] != '\r') return RESP_ERROR;
    r->str = sliceMake(b + 1, (size_t)nl - 1);
    return (int)nl + 2;
}

int respParseReply(const char *data, size_t len, resp_reply *r) {
    if (len == 0) return RESP_PARTIAL;
    size_t pos = 0;
    int rc;
    switch (data[0]) {
    case '+': r->type = RESP_SIMPLE; return parseLine(data, len, r);
    case '-': r->type = RESP_ERR; return parseLine(data, len, r);
    case ':':
        pos = 1;
        r->type = RESP_INT;
        rc = readInt(data, len, &pos, &r->integer);
        return rc < 0 ? rc : (int)pos;
    case '$':
        if (len >= 2 && data[1] == '-') {
            pos = 1;
            rc = readInt(data, len, &pos, &r->integer);
            if (rc < 0) return rc;
            r->type = RESP_NIL;
            return r->integer == -1 ? (int)pos : RESP_ERROR;
        }
        r->type = RESP_BULK;
        rc = readBulk(data, len, &pos, RESP_MAX_REPLY_BULK, &r->str);
        return rc < 0 ? rc : (int)pos;
    default: return RESP_ERROR;
    }
}

/* ---- writers -------------------------------------------------------- */

/* Formats "<type><v>\r\n" into tmp (>= 24 bytes); returns its length. */
static size_t fmtHeader(char *tmp, char type, long long v) {
    char digits[24];
    size_t n = 0, i = 0;
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
    do {
        digits[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    tmp[i++] = type;
    if (v < 0) tmp[i++] = '-';
    while (n) tmp[i++] = digits[--n];
    tmp[i++] = '\r';
    tmp[i++] = '\n';
    return i;
}

static int writeLine(buf *out, char type, const char *s) {
    size_t n = strlen(s);
    if (bufReserve(out, n + 3) < 0) return -ENOMEM;
    bufAppend(out, &type, 1);
    bufAppend(out, s, n);
    return bufAppend(out, "\r\n", 2);
}

int respWriteSimple(buf *out, const char *s) { return writeLine(out, '+', s); }

int respWriteError(buf *out, const char *s) { return writeLine(out, '-', s); }

int respWriteInt(buf *out, long long v) {
    char tmp[32];
    return bufAppend(out, tmp, fmtHeader(tmp, ':', v));
}

int respWriteNil(buf *out) { return bufAppend(out, "$-1\r\n", 5); }

static void appendBulk(buf *out, slice s) {
    char tmp[32];
    bufAppend(out, tmp, fmtHeader(tmp, '$', (long long)s.len));
    bufAppend(out, s.ptr, s.len);
    bufAppend(out, "\r\n", 2);
}

/* Bytes "$<len>\r\n<data>\r\n" takes. */
static size_t bulkSize(slice s) {
    char tmp[32];
    return fmtHeader(tmp, '$', (long long)s.len) + s.len + 2;
}

int respWriteBulk(buf *out, slice s) {
    if (bufReserve(out, bulkSize(s)) < 0) return -ENOMEM;
    appendBulk(out, s); /* cannot fail: room reserved */
    return 0;
}

int respWriteCommand(buf *out, size_t argc, const slice *argv) {
    char tmp[32];
    size_t head = fmtHeader(tmp, '*', (long long)argc), total = head;
    for (size_t i = 0; i < argc; i++) total += bulkSize(argv[i]);
    if (bufReserve(out, total) < 0) return -ENOMEM;
    bufAppend(out, tmp, head);
    for (size_t i = 0; i < argc; i++) appendBulk(out, argv[i]);
    return 0;
}
