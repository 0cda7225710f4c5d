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
