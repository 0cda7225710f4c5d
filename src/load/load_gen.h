/* load_gen.h - the procedural payload source (--procedural SEED).
 *
 * Makes creation payloads with the distribution of
 * the official generator (geracao_recursos.py in zanfranceschi/
 * rinha-de-backend-2023-q3; docs/DATA.md): each field valid
 * with probability 98/99, apelido 1..32 letters (35 when invalid), nome
 * 1..100 letters and spaces (120 when invalid), dates 1940..2020 with months
 * 1..13 and days 1..29 (the file's own: month 13 is a 400), invalid dates
 * as the file writes them, stack null with probability 1/14, else 1..26
 * picks of 25 names, or an invalid "string", 1 or a forty-"1" element.
 * splitmix64, so one seed gives one sequence: runs of millions of creations
 * need no huge file. After each payload, status holds what SPEC §1 makes
 * of it (0 valid, 400 or 422), known from the choices made.
 * Search terms (loadGenTerm) follow the official get_termo_busca(). */
#ifndef BARDO_LOAD_GEN_H
#define BARDO_LOAD_GEN_H

#include <stddef.h>
#include <stdint.h>

typedef struct load_gen {
    uint64_t state;
    uint64_t made;
    int status; /* of the last payload: 0, 400 or 422 */
} load_gen;

#define LOAD_GEN_MAX 1024
#define LOAD_GEN_TERM_MAX 64

void loadGenInit(load_gen *g, uint64_t seed);
uint64_t loadGenU64(load_gen *g);
/* Uniform in [0, n), n > 0. */
uint32_t loadGenBelow(load_gen *g, uint32_t n);
/* Writes the next payload (JSON, no newline) into out, which holds at
 * least LOAD_GEN_MAX bytes; returns its length. */
size_t loadGenPayload(load_gen *g, char *out);
/* Writes the next search term (1..50 letters and spaces, no space at
 * either end, NUL-terminated) into out, which holds LOAD_GEN_TERM_MAX
 * bytes; returns its length. */
size_t loadGenTerm(load_gen *g, char *out);

#endif
