/* load_perfect.h - the perfect count: how many people a correct API holds
 * after a run, computed from what the load tool sends.
 *
 * A creation gets a 201 from a correct API when its body is valid by SPEC
 * §1 (the API's own validator, personParse in src/api/person.c) and its
 * apelido (byte-exact, as the store compares it) was not taken by an
 * earlier creation. Bodies are added in the order the profile sends them;
 * the counter keeps every accepted apelido in a hash set (an arena of
 * length-prefixed strings and an open-addressing table of offsets), so
 * the answer is exact, with no hashing collision to hope away. */
#ifndef BARDO_LOAD_PERFECT_H
#define BARDO_LOAD_PERFECT_H

#include <stddef.h>
#include <stdint.h>

#include "load/load_feed.h"

typedef struct person person;

typedef struct load_perfect {
    person *p;
    char *scratch;
    size_t scratch_cap;
    uint8_t *arena; /* [len][bytes] per accepted apelido */
    size_t arena_len, arena_cap;
    uint32_t *slot; /* arena offset + 1, 0 empty */
    size_t slots, used;
    uint64_t sent, valid, perfect;
} load_perfect;

int loadPerfectInit(load_perfect *pc);
void loadPerfectFree(load_perfect *pc);
/* One creation body, in send order: 1 counted (valid, first of its
 * apelido), 0 not, -ENOMEM. */
int loadPerfectAdd(load_perfect *pc, const char *body, size_t len);

/* The perfect count of the first n creations served by a feeder from its
 * first line on, wrapping around (the feeder is not moved). A second pass
 * over the file adds nobody (every valid apelido is taken by then), so at
 * most f->n bodies are parsed. -ENOMEM on failure. */
int64_t loadPerfectFeed(const load_feed *f, uint64_t n);
/* The same for the first n payloads of the procedural stream of seed. */
int64_t loadPerfectProcedural(uint64_t seed, uint64_t n);

#endif
