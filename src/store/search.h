/* search.h - n-gram index over people's search keys (see search.c).
 *
 * A search key is "apelido\0nome\0stack0\0stack1...", already case-folded.
 * Each person (a uint32 index, added in increasing order) is listed under
 * every distinct byte trigram, bigram and unigram of its key that does not
 * span a NUL. A query walks the intersection of the term's shortest posting
 * lists (trigrams; a 1- or 2-byte term its own list) and yields candidates
 * in increasing order; the caller verifies each candidate with
 * searchKeyMatches() against the record (grams only narrow the set). */
#ifndef BARDO_SEARCH_H
#define BARDO_SEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/slice.h"

/* At most this many posting lists are intersected per query (the shortest
 * ones); the other trigrams of a long term are left to verification.
 * Measured at 1M people with the official terms: 2 lists 22k queries/s,
 * 4 lists 25k/s, 8 lists 11k/s, 16 lists 4k/s (decoding long lists in
 * step costs more than the candidates it removes). */
#define SEARCH_MAX_LISTS 4

typedef struct search_index search_index;

/* `expected` is a hint for the number of people; NULL on ENOMEM. */
search_index *searchCreate(size_t expected);
void searchDestroy(search_index *ix);

/* Lists `person` under the 1-, 2- and 3-grams of `key`. `person` must be greater than
 * every person added before. All or nothing: 0, or -ENOMEM with no person
 * listed anywhere. */
int searchAdd(search_index *ix, uint32_t person, slice key);

/* True when `term` occurs inside one NUL-separated field of `key`. An empty
 * term matches every key; a term containing a NUL matches none. */
bool searchKeyMatches(slice key, slice term);

/* Bytes allocated by the index (table + posting list capacity + scratch). */
size_t searchMemoryBytes(const search_index *ix);
/* Bytes of encoded postings actually used (for bytes-per-person reports). */
size_t searchPostingBytes(const search_index *ix);
/* Number of distinct grams (all sizes) with a posting list. */
size_t searchTrigramCount(const search_index *ix);

typedef struct search_decoder {
    const uint8_t *p, *end;
    uint32_t val; /* current person + 1; 0 before the first */
} search_decoder;

typedef struct search_cursor {
    int mode;       /* scan every person, intersect lists, or nothing */
    uint32_t next;  /* scan: next person; lists: smallest person + 1 to yield */
    uint32_t total; /* scan: number of people */
    size_t k;       /* lists intersected */
    search_decoder d[SEARCH_MAX_LISTS];
} search_cursor;

/* Prepares a query for `term` over people 0..people_count-1. Terms shorter
 * than 3 bytes scan everyone; no allocation. The index must not change while
 * the cursor is in use. */
void searchCursorInit(search_cursor *c, const search_index *ix, slice term,
                      uint32_t people_count);
/* Next candidate person in increasing order; false when there are no more.
 * Every person whose key matches the term is a candidate. */
bool searchCursorNext(search_cursor *c, uint32_t *person);

#endif
