/* load_perfect.c - the perfect count. See load_perfect.h. */
#include "load/load_perfect.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "api/person.h"
#include "load/load_gen.h"

static uint64_t hashBytes(const char *s, size_t n) { /* FNV-1a */
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 0x100000001b3ULL;
    return h;
}

int loadPerfectInit(load_perfect *pc) {
    *pc = (load_perfect){.slots = 1024};
    pc->p = malloc(sizeof *pc->p);
    pc->slot = calloc(pc->slots, sizeof *pc->slot);
    if (!pc->p || !pc->slot) {
        loadPerfectFree(pc);
        return -ENOMEM;
    }
    return 0;
}

void loadPerfectFree(load_perfect *pc) {
    free(pc->p);
    free(pc->scratch);
    free(pc->arena);
    free(pc->slot);
    *pc = (load_perfect){0};
}

/* The slot holding apelido s, or the empty one where it would go. */
static size_t findSlot(const load_perfect *pc, const char *s, size_t n) {
    size_t mask = pc->slots - 1, i = hashBytes(s, n) & mask;
    for (;; i = (i + 1) & mask) {
        uint32_t o = pc->slot[i];
        if (o == 0) return i;
        const uint8_t *a = pc->arena + o - 1;
        if (a[0] == n && memcmp(a + 1, s, n) == 0) return i;
    }
}

/* Doubles the table when half full (offsets stay valid: the arena moves
 * only as a whole). */
static int grow(load_perfect *pc) {
    size_t old = pc->slots;
    uint32_t *prev = pc->slot;
    pc->slots = old * 2;
    pc->slot = calloc(pc->slots, sizeof *pc->slot);
    if (!pc->slot) {
        pc->slot = prev, pc->slots = old;
        return -ENOMEM;
    }
    for (size_t i = 0; i < old; i++) {
        if (!prev[i]) continue;
        const uint8_t *a = pc->arena + prev[i] - 1;
        pc->slot[findSlot(pc, (const char *)a + 1, a[0])] = prev[i];
    }
    free(prev);
    return 0;
}

/* Adds apelido s; 1 if new, 0 if already there, -ENOMEM. */
static int insert(load_perfect *pc, const char *s, size_t n) {
    if (n > UINT8_MAX) return -EINVAL; /* 32 code points never are */
    if (pc->used * 2 >= pc->slots && grow(pc) < 0) return -ENOMEM;
    size_t i = findSlot(pc, s, n);
    if (pc->slot[i]) return 0;
    if (pc->arena_len + n + 1 > pc->arena_cap) {
        size_t cap = pc->arena_cap * 2 + 65536;
        uint8_t *a = cap < UINT32_MAX ? realloc(pc->arena, cap) : NULL;
        if (!a) return -ENOMEM;
        pc->arena = a, pc->arena_cap = cap;
    }
    pc->slot[i] = (uint32_t)pc->arena_len + 1;
    pc->arena[pc->arena_len] = (uint8_t)n;
    memcpy(pc->arena + pc->arena_len + 1, s, n);
    pc->arena_len += n + 1;
    pc->used++;
    return 1;
}

int loadPerfectAdd(load_perfect *pc, const char *body, size_t len) {
    if (len + 1 > pc->scratch_cap) {
        char *s = realloc(pc->scratch, len + 4096);
        if (!s) return -ENOMEM;
        pc->scratch = s, pc->scratch_cap = len + 4096;
    }
    pc->sent++;
    if (personParse(pc->p, body, len, pc->scratch, pc->scratch_cap) != 0) return 0;
    pc->valid++;
    int rc = insert(pc, pc->p->apelido.ptr, pc->p->apelido.len);
    if (rc > 0) pc->perfect++;
    return rc;
}

int64_t loadPerfectFeed(const load_feed *f, uint64_t n) {
    load_perfect pc;
    if (loadPerfectInit(&pc) < 0) return -ENOMEM;
    uint64_t lines = n < f->n ? n : f->n;
    int rc = 0;
    for (uint64_t i = 0; i < lines && rc >= 0; i++)
        rc = loadPerfectAdd(&pc, f->data + f->off[i], f->len[i]);
    int64_t r = rc < 0 ? rc : (int64_t)pc.perfect;
    loadPerfectFree(&pc);
    return r;
}

int64_t loadPerfectProcedural(uint64_t seed, uint64_t n) {
    load_perfect pc;
    if (loadPerfectInit(&pc) < 0) return -ENOMEM;
    load_gen g;
    loadGenInit(&g, seed);
    char body[LOAD_GEN_MAX];
    int rc = 0;
    for (uint64_t i = 0; i < n && rc >= 0; i++) rc = loadPerfectAdd(&pc, body, loadGenPayload(&g, body));
    int64_t r = rc < 0 ? rc : (int64_t)pc.perfect;
    loadPerfectFree(&pc);
    return r;
}
