/* json.c - see json.h.
 *
 * Hand-written because this is the hot path of POST /pessoas: one pass over
 * the body, strings handed back zero-copy when they have no escapes, UTF-8
 * validated in the same pass, no allocation, no callbacks, and exactly the
 * strictness the API needs (a generic library would either allocate a DOM
 * or need a second validation pass). Fuzzed by fuzz/fuzz_json.c.
 *
 * The reader is a small state machine: `state` says what the grammar
 * allows next (a value, a key or '}', a value or ']', a key, or ',' / a
 * closer after a value), and a bit per depth in `objects` remembers whether
 * the enclosing container is an object or an array. Whitespace is skipped
 * before every token, so it is accepted exactly where RFC 8259 allows it. */
#include "json/json.h"

#include <errno.h>
#include <string.h>

#include "core/utf8.h"

enum {
    ST_VALUE,        /* a value must come */
    ST_ARRAY_FIRST,  /* after '[': a value or ']' */
    ST_OBJECT_FIRST, /* after '{': a key or '}' */
    ST_KEY,          /* after ',' in an object: a key */
    ST_AFTER,        /* after a value: ',' or a closer, or the end at depth 0 */
    ST_DONE,         /* top value complete, end of input reached */
};

/* Where unescaped string bytes go. */
typedef struct sink {
    char *w, *end;
} sink;

void jsonReaderInit(json_reader *r, const char *data, size_t len, char *scratch,
                    size_t scratch_cap) {
    memset(r, 0, sizeof(*r));
    if (!data) data = ""; /* NULL + 0 is undefined behaviour */
    r->p = r->start = data;
    r->end = data + len;
    r->scratch = scratch;
    r->scratch_cap = scratch ? scratch_cap : 0;
    r->state = ST_VALUE;
}

static bool fail(json_reader *r, const char *at, json_err err) {
    r->p = at;
    r->err = err;
    return false;
}

static void skipWs(json_reader *r) {
    const char *p = r->p;
    while (p < r->end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) p++;
    r->p = p;
}

static int hexVal(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Reads the 4 hex digits after "\u" at p; -1 when missing or not hex. */
static int32_t readHex4(const char *p, const char *end) {
    if (end - p < 6 || p[0] != '\\' || p[1] != 'u') return -1;
    int32_t v = 0;
    for (int i = 2; i < 6; i++) {
        int h = hexVal(p[i]);
        if (h < 0) return -1;
        v = (v << 4) | h;
    }
    return v;
}

static bool sinkPut(sink *k, const char *s, size_t n) {
    if ((size_t)(k->end - k->w) < n) return false;
    memcpy(k->w, s, n);
    k->w += n;
    return true;
}

/* \uXXXX at *pp, with its low surrogate when it is a high one. */
static bool unescapeU(json_reader *r, const char **pp, sink *k) {
    const char *p = *pp;
    int32_t u = readHex4(p, r->end);
    if (u < 0) return fail(r, p, JSON_ERR_ESCAPE);
    uint32_t cp = (uint32_t)u;
    p += 6;
    if (cp >= 0xDC00 && cp <= 0xDFFF) return fail(r, *pp, JSON_ERR_ESCAPE);
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        int32_t lo = readHex4(p, r->end);
        if (lo < 0xDC00 || lo > 0xDFFF) return fail(r, *pp, JSON_ERR_ESCAPE);
        cp = 0x10000 + ((cp - 0xD800) << 10) + ((uint32_t)lo - 0xDC00);
        p += 6;
    }
    char enc[4];
    size_t n = utf8Encode(cp, enc);
    if (!sinkPut(k, enc, n)) return fail(r, *pp, JSON_ERR_SCRATCH);
    *pp = p;
    return true;
}

/* One escape sequence at *pp (which points at the backslash). */
static bool unescape(json_reader *r, const char **pp, sink *k) {
    const char *p = *pp;
    if (r->end - p < 2) return fail(r, p, JSON_ERR_EOF);
    static const char from[] = "\"\\/bfnrt";
    static const char to[] = "\"\\/\b\f\n\r\t";
    if (p[1] == 'u') return unescapeU(r, pp, k);
    const char *hit = memchr(from, p[1], sizeof(from) - 1);
    if (!hit) return fail(r, p, JSON_ERR_ESCAPE);
    if (!sinkPut(k, &to[hit - from], 1)) return fail(r, p, JSON_ERR_SCRATCH);
    *pp = p + 2;
    return true;
}

/* Length of a valid raw (unescaped) character at p, or 0 after failing. */
static size_t rawChar(json_reader *r, const char *p) {
    uint8_t c = (uint8_t)*p;
    if (c < 0x20) return fail(r, p, JSON_ERR_CTRL), 0;
    if (c < 0x80) return 1;
    uint32_t cp;
    size_t n = utf8Decode(p, (size_t)(r->end - p), &cp);
    if (n == 0) fail(r, p, JSON_ERR_UTF8);
    return n;
}

/* Slow path: the string starting at s has an escape at r->p. Copies what
 * was scanned so far into scratch and unescapes the rest there. */
static bool lexEscaped(json_reader *r, const char *s) {
    sink k = {r->scratch + r->scratch_len, r->scratch + r->scratch_cap};
    char *w0 = k.w;
    const char *p = r->p;
    if (!sinkPut(&k, s, (size_t)(p - s))) return fail(r, p, JSON_ERR_SCRATCH);
    while (p < r->end) {
        if (*p == '"') {
            r->value = sliceMake(w0, (size_t)(k.w - w0));
            r->scratch_len += (size_t)(k.w - w0);
            r->p = p + 1;
            return true;
        }
        if (*p == '\\') {
            if (!unescape(r, &p, &k)) return false;
            continue;
        }
        size_t n = rawChar(r, p);
        if (n == 0) return false;
        if (!sinkPut(&k, p, n)) return fail(r, p, JSON_ERR_SCRATCH);
        p += n;
    }
    return fail(r, p, JSON_ERR_EOF);
}

/* A string at r->p (the opening quote) into r->value. */
static bool lexString(json_reader *r) {
    const char *s = r->p + 1, *p = s;
    while (p < r->end) {
        uint8_t c = (uint8_t)*p;
        if (c == '"') {
            r->value = sliceMake(s, (size_t)(p - s));
            r->p = p + 1;
            return true;
        }
        if (c == '\\') {
            r->p = p;
            return lexEscaped(r, s);
        }
        if (c >= 0x20 && c < 0x80) {
            p++;
            continue;
        }
        size_t n = rawChar(r, p);
        if (n == 0) return false;
        p += n;
    }
    return fail(r, p, JSON_ERR_EOF);
}

static bool isDigit(char c) { return c >= '0' && c <= '9'; }

/* One or more digits at *pp. */
static bool digits(const char **pp, const char *end) {
    const char *p = *pp;
    while (p < end && isDigit(*p)) p++;
    bool any = p != *pp;
    *pp = p;
    return any;
}

/* -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static bool lexNumber(json_reader *r) {
    const char *s = r->p, *p = s, *e = r->end;
    if (*p == '-') p++;
    if (p < e && *p == '0') {
        p++;
    } else if (!digits(&p, e)) {
        return fail(r, p, JSON_ERR_NUMBER);
    }
    if (p < e && *p == '.') {
        p++;
        if (!digits(&p, e)) return fail(r, p, JSON_ERR_NUMBER);
    }
    if (p < e && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < e && (*p == '+' || *p == '-')) p++;
        if (!digits(&p, e)) return fail(r, p, JSON_ERR_NUMBER);
    }
    r->value = sliceMake(s, (size_t)(p - s));
    r->p = p;
    return true;
}

static json_tok literal(json_reader *r, const char *word, json_tok tok) {
    size_t n = strlen(word);
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0) {
        fail(r, r->p, JSON_ERR_SYNTAX);
        return JSON_ERROR;
    }
    r->p += n;
    r->state = ST_AFTER;
    return tok;
}

static json_tok openContainer(json_reader *r, bool object) {
    if (r->depth >= JSON_MAX_DEPTH) {
        fail(r, r->p, JSON_ERR_DEPTH);
        return JSON_ERROR;
    }
    uint32_t bit = 1u << r->depth;
    r->objects = object ? (r->objects | bit) : (r->objects & ~bit);
    r->depth++;
    r->p++;
    r->state = object ? ST_OBJECT_FIRST : ST_ARRAY_FIRST;
    return object ? JSON_OBJECT_BEGIN : JSON_ARRAY_BEGIN;
}

static json_tok closeContainer(json_reader *r) {
    r->depth--;
    r->p++;
    r->state = ST_AFTER;
    return ((r->objects >> r->depth) & 1) ? JSON_OBJECT_END : JSON_ARRAY_END;
}

static json_tok readValue(json_reader *r) {
    if (r->p == r->end) {
        fail(r, r->p, JSON_ERR_EOF);
        return JSON_ERROR;
    }
    char c = *r->p;
    if (c == '{' || c == '[') return openContainer(r, c == '{');
    if (c == 't') return literal(r, "true", JSON_TRUE);
    if (c == 'f') return literal(r, "false", JSON_FALSE);
    if (c == 'n') return literal(r, "null", JSON_NULL);
    json_tok tok = JSON_STRING;
    bool ok;
    if (c == '"') {
        ok = lexString(r);
    } else if (c == '-' || isDigit(c)) {
        ok = lexNumber(r);
        tok = JSON_NUMBER;
    } else {
        ok = fail(r, r->p, JSON_ERR_SYNTAX);
    }
    r->state = ST_AFTER;
    return ok ? tok : JSON_ERROR;
}

/* A member name and its ':'. */
static json_tok readKey(json_reader *r) {
    if (r->p == r->end) return fail(r, r->p, JSON_ERR_EOF), JSON_ERROR;
    if (*r->p != '"') return fail(r, r->p, JSON_ERR_SYNTAX), JSON_ERROR;
    if (!lexString(r)) return JSON_ERROR;
    skipWs(r);
    if (r->p == r->end) return fail(r, r->p, JSON_ERR_EOF), JSON_ERROR;
    if (*r->p != ':') return fail(r, r->p, JSON_ERR_SYNTAX), JSON_ERROR;
    r->p++;
    r->state = ST_VALUE;
    return JSON_KEY;
}

/* After a value: ',' then the next key/value, or the closer of the
 * enclosing container, or (at depth 0) the end of input. */
static json_tok readAfter(json_reader *r) {
    if (r->depth == 0) {
        if (r->p != r->end) return fail(r, r->p, JSON_ERR_TRAILING), JSON_ERROR;
        r->state = ST_DONE;
        return JSON_END;
    }
    if (r->p == r->end) return fail(r, r->p, JSON_ERR_EOF), JSON_ERROR;
    bool in_object = (r->objects >> (r->depth - 1)) & 1;
    char c = *r->p;
    if (c == (in_object ? '}' : ']')) return closeContainer(r);
    if (c != ',') return fail(r, r->p, JSON_ERR_SYNTAX), JSON_ERROR;
    r->p++;
    skipWs(r);
    return in_object ? readKey(r) : readValue(r);
}

json_tok jsonNext(json_reader *r) {
    if (r->err != JSON_OK) return JSON_ERROR;
    skipWs(r);
    switch (r->state) {
    case ST_VALUE:
        return readValue(r);
    case ST_ARRAY_FIRST:
        if (r->p < r->end && *r->p == ']') return closeContainer(r);
        return readValue(r);
    case ST_OBJECT_FIRST:
        if (r->p < r->end && *r->p == '}') return closeContainer(r);
        return readKey(r);
    case ST_KEY:
        return readKey(r);
    case ST_AFTER:
        return readAfter(r);
    default:
        return JSON_END;
    }
}

int jsonSkipRest(json_reader *r, json_tok tok) {
    if (tok == JSON_ERROR) return -1;
    if (tok != JSON_OBJECT_BEGIN && tok != JSON_ARRAY_BEGIN) return 0;
    uint8_t target = (uint8_t)(r->depth - 1);
    for (;;) {
        json_tok t = jsonNext(r);
        if (t == JSON_ERROR || t == JSON_END) return -1;
        if ((t == JSON_OBJECT_END || t == JSON_ARRAY_END) && r->depth == target) return 0;
    }
}

json_tok jsonSkipValue(json_reader *r) {
    json_tok tok = jsonNext(r);
    return jsonSkipRest(r, tok) == 0 ? tok : JSON_ERROR;
}

const char *jsonErrorText(json_err err) {
    static const char *const text[] = {
        [JSON_OK] = "ok",
        [JSON_ERR_SYNTAX] = "malformed JSON",
        [JSON_ERR_EOF] = "unexpected end of JSON input",
        [JSON_ERR_UTF8] = "invalid UTF-8",
        [JSON_ERR_CTRL] = "control character inside a JSON string",
        [JSON_ERR_ESCAPE] = "invalid escape or lone surrogate in a JSON string",
        [JSON_ERR_NUMBER] = "malformed JSON number",
        [JSON_ERR_DEPTH] = "JSON nested too deeply",
        [JSON_ERR_TRAILING] = "trailing data after the JSON value",
        [JSON_ERR_SCRATCH] = "JSON strings too long for the scratch area",
    };
    if ((unsigned)err >= sizeof(text) / sizeof(text[0])) return "invalid JSON";
    return text[err];
}

/* Escape for each byte below 0x20 plus '"' and '\\': 0 = raw, 'u' = \u00XX. */
static char escapeFor(uint8_t c) {
    static const char short_esc[32] = {['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n',
                                       ['\r'] = 'r', ['\t'] = 't'};
    if (c == '"' || c == '\\') return (char)c;
    if (c >= 0x20) return 0;
    return short_esc[c] ? short_esc[c] : 'u';
}

int jsonWriteString(buf *out, slice s) {
    static const char hex[] = "0123456789abcdef";
    if (s.len > (SIZE_MAX - 2) / 6) return -ENOMEM;
    int rc = bufReserve(out, 2 + 6 * s.len); /* worst case: all \u00XX */
    if (rc < 0) return rc;
    char *w = out->data + out->len;
    *w++ = '"';
    for (size_t i = 0; i < s.len; i++) {
        uint8_t c = (uint8_t)s.ptr[i];
        char e = escapeFor(c);
        if (!e) {
            *w++ = (char)c;
        } else if (e != 'u') {
            *w++ = '\\';
            *w++ = e;
        } else {
            memcpy(w, "\\u00", 4);
            w[4] = hex[c >> 4];
            w[5] = hex[c & 15];
            w += 6;
        }
    }
    *w++ = '"';
    out->len = (size_t)(w - out->data);
    return 0;
}
