/* json.h - a strict RFC 8259 pull reader and a JSON string writer.
 *
 * The reader walks a caller's buffer one token at a time; it never
 * allocates and never reads past `len`. Containers are tokens of their
 * own (OBJECT_BEGIN ... OBJECT_END); inside an object every member starts
 * with a JSON_KEY token (the ':' is consumed with it) followed by the
 * member's value tokens. Commas are consumed silently.
 *
 * Strings (keys and values) come back unescaped in r->value: zero-copy
 * into the input when the string has no escapes, otherwise copied into
 * the caller's scratch area (an escape never encodes longer than its text,
 * so scratch_cap >= len is always enough). Strings are checked on the fly:
 * valid UTF-8, no raw control characters, \uXXXX surrogates paired.
 * Numbers are checked against the grammar and returned as text.
 *
 * Errors are sticky: once jsonNext() returns JSON_ERROR it keeps doing so
 * and r->err says why. After the top-level value, jsonNext() returns
 * JSON_END if only whitespace follows, else JSON_ERROR (JSON_ERR_TRAILING).
 *
 *   json_reader r;
 *   jsonReaderInit(&r, body, len, scratch, len);
 *   for (json_tok t; (t = jsonNext(&r)) > JSON_END;) ...
 */
#ifndef BARDO_JSON_H
#define BARDO_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/slice.h"

/* Deepest nesting of arrays/objects accepted; one more is JSON_ERR_DEPTH. */
#define JSON_MAX_DEPTH 32

typedef enum json_tok {
    JSON_ERROR = -1, /* see r->err; sticky */
    JSON_END = 0,    /* the top value is complete and only whitespace follows */
    JSON_OBJECT_BEGIN,
    JSON_OBJECT_END,
    JSON_ARRAY_BEGIN,
    JSON_ARRAY_END,
    JSON_KEY,    /* r->value: the unescaped member name */
    JSON_STRING, /* r->value: the unescaped string */
    JSON_NUMBER, /* r->value: the number's text, as written */
    JSON_TRUE,
    JSON_FALSE,
    JSON_NULL,
} json_tok;

typedef enum json_err {
    JSON_OK = 0,
    JSON_ERR_SYNTAX,   /* unexpected character */
    JSON_ERR_EOF,      /* input ended inside a value (or was empty) */
    JSON_ERR_UTF8,     /* invalid UTF-8 inside a string */
    JSON_ERR_CTRL,     /* raw control character (< 0x20) inside a string */
    JSON_ERR_ESCAPE,   /* bad escape, bad \u hex, lone or mismatched surrogate */
    JSON_ERR_NUMBER,   /* number not matching the JSON grammar */
    JSON_ERR_DEPTH,    /* nesting deeper than JSON_MAX_DEPTH */
    JSON_ERR_TRAILING, /* non-whitespace after the top-level value */
    JSON_ERR_SCRATCH,  /* scratch area too small for unescaped strings */
} json_err;

typedef struct json_reader {
    const char *p, *end;  /* cursor and end of input */
    const char *start;    /* beginning of input, for jsonOffset() */
    char *scratch;        /* caller's area for unescaped strings */
    size_t scratch_cap, scratch_len;
    slice value;          /* payload of the last KEY, STRING or NUMBER */
    uint32_t objects;     /* bit d set: container at depth d is an object */
    uint8_t depth;        /* open containers */
    uint8_t state;        /* what may come next (private) */
    json_err err;
} json_reader;

void jsonReaderInit(json_reader *r, const char *data, size_t len, char *scratch,
                    size_t scratch_cap);
/* Returns the next token (see json_tok). */
json_tok jsonNext(json_reader *r);
/* Given the token jsonNext() just returned: if it opened a container,
 * consumes everything up to and including the matching end token.
 * Returns 0, or -1 on error (also for tok == JSON_ERROR). */
int jsonSkipRest(json_reader *r, json_tok tok);
/* Consumes one whole value (jsonNext + jsonSkipRest); returns its first
 * token or JSON_ERROR. Call it where a value is expected (after a KEY). */
json_tok jsonSkipValue(json_reader *r);
/* Byte offset of the cursor (where the error is, after JSON_ERROR). */
static inline size_t jsonOffset(const json_reader *r) { return (size_t)(r->p - r->start); }
/* A short English description of an error, for error bodies. */
const char *jsonErrorText(json_err err);

/* Appends s (valid UTF-8) as a quoted JSON string: '"' and '\\' escaped,
 * \b \f \n \r \t, other bytes < 0x20 as \u00XX; everything else raw.
 * Returns 0 or -ENOMEM. */
int jsonWriteString(buf *out, slice s);

#endif
