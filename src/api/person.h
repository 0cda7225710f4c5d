/* person.h - parsing and validating a person (POST /pessoas body), and
 * writing it back as JSON, as a search key and as an error body.
 *
 * Validation follows SPEC section 1 to the letter:
 *   400 (syntax): body not a JSON object, malformed JSON, invalid UTF-8,
 *       trailing data, a field of the wrong JSON type, a stack element that
 *       is not a string, a nascimento that is not a real AAAA-MM-DD date,
 *       a known field given twice.
 *   422 (semantics): apelido/nome/nascimento missing or null, apelido/nome
 *       of 0 or too many code points, a stack element empty or over 32 code
 *       points, more than PERSON_STACK_MAX elements, U+0000 in a string
 *       (it separates the parts of the search key).
 * Errors are collected per field (at most one each, a 400 one replacing a
 * 422 one) and listed in field order: body, apelido, nome, nascimento,
 * stack. A JSON syntax error stops parsing and leaves only the body error.
 * Unknown members (any value) are skipped. Nothing allocates: strings
 * point into the body or into the caller's scratch area. */
#ifndef BARDO_PERSON_H
#define BARDO_PERSON_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/slice.h"

#define PERSON_APELIDO_MAX 32 /* code points */
#define PERSON_NOME_MAX 100
#define PERSON_STACK_ITEM_MAX 32
#define PERSON_STACK_MAX 1024 /* elements; more -> 422 */
#define PERSON_ERRORS_MAX 8

/* The largest POST body the API accepts (a larger one gets 413): the
 * root of every size bound downstream (api.h, routes.c, the store). */
#define PERSON_BODY_MAX (32 * 1024)
/* The largest JSON personWriteJson can render from a body of at most
 * PERSON_BODY_MAX bytes. No string is ever written longer than the body
 * spelt it (raw bytes are copied, and each escape jsonWriteString writes
 * is the shortest spelling JSON allows for its character), so only what a
 * valid body may leave out is added: the id member and ',"stack":null'
 * for an absent stack. test_person.c checks the bound. */
#define PERSON_JSON_EXTRA (sizeof("\"id\":\"\",") - 1 + 36 + sizeof(",\"stack\":null") - 1)
#define PERSON_JSON_MAX (PERSON_BODY_MAX + PERSON_JSON_EXTRA)
/* People per search (SPEC 1.1), and the longest search answer:
 * '[' + at most PERSON_SEARCH_MAX renderings joined by ',' + ']'. */
#define PERSON_SEARCH_MAX 50
#define PERSON_SEARCH_JSON_MAX (PERSON_SEARCH_MAX * (PERSON_JSON_MAX + 1) + 1)

typedef struct person_error {
    const char *field;   /* static string: "body", "apelido", ... */
    const char *message; /* static string */
} person_error;

typedef struct person {
    slice apelido, nome, nascimento; /* unescaped UTF-8 (in scratch or body) */
    slice stack[PERSON_STACK_MAX];
    size_t stack_len;
    bool stack_null; /* stack absent or null */
    person_error errors[PERSON_ERRORS_MAX];
    size_t error_count;
} person;

/* Parses and validates a POST body. scratch must have at least len bytes
 * (unescaping never grows). Returns 0 when valid, 400 or 422 when not
 * (errors[] filled; 400 wins when both kinds occur). */
int personParse(person *p, const char *body, size_t len, char *scratch, size_t scratch_cap);
/* Appends {"id":"<id>","apelido":"..","nome":"..","nascimento":"..",
 * "stack":[..]|null}. Returns 0 or -ENOMEM. */
int personWriteJson(const person *p, slice id, buf *out);
/* Appends the search key: utf8Fold(apelido) '\0' utf8Fold(nome) '\0'
 * fold(stack[0]) '\0' ... (no trailing '\0'). Returns 0 or -ENOMEM. */
int personWriteSearchKey(const person *p, buf *out);
/* Appends {"errors":[{"field":"apelido","message":"..."},...]}.
 * Returns 0 or -ENOMEM. */
int personWriteErrors(const person *p, buf *out);

#endif
