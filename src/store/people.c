/* people.c - records in an arena, two hash indexes, a trigram index.
 *
 * - Records are appended into 4 MiB arena chunks (no malloc per person) and
 *   never move: id[16], then LEB128 varint lengths of apelido, search key
 *   and json, then those bytes. A person is a uint32 index in insertion
 *   order; recs[i] points at its record.
 * - Two open-addressing tables (linear probing, load <= 0.7, rehash by
 *   doubling) map to person indexes. A slot is {index + 1, 32-bit hash}:
 *   the slot position comes from the hash, so a rehash never touches the
 *   records, and a record is read only when the full 32-bit hash agrees.
 *   Ids are random already, so their hash is a cheap multiply-xor mix of
 *   the bytes; apelidos use FNV-1a with a murmur finaliser.
 * - Search goes through search.c (trigram candidates, verified here).
 * - peopleAdd reserves every resource (table room, record pointer room,
 *   arena room, search postings) before it writes anything, so a failure
 *   leaves the database as it was.
 * - peopleRemove (a write aborted because no replica acknowledged it) keeps
 *   the record's position but marks it dead in a bitset, and leaves a
 *   tombstone in both tables (linear probing must walk past it); search
 *   postings are left in place and dead candidates are skipped. Tombstones
 *   go at the next rehash. */
#include "store/people.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "store/search.h"

#define ARENA_CHUNK ((size_t)4 << 20)
#define FIELD_MAX ((size_t)64 << 20)

typedef struct slot {
    uint32_t idx1; /* person index + 1; 0 = empty, SLOT_TOMB = removed */
    uint32_t hash;
} slot;

#define SLOT_TOMB UINT32_MAX

typedef struct table {
    slot *s;
    uint32_t mask, used;
} table;

typedef struct record {
    const uint8_t *id;
    slice apelido, key, json;
} record;

struct people {
    uint8_t **chunks;
    size_t nchunks, chunks_cap;
    uint8_t *cur;               /* chunk being filled */
    size_t cur_used, cur_cap;
    size_t arena_bytes;
    const uint8_t **recs;
    uint32_t count, recs_cap;   /* count: positions used, removed included */
    uint64_t *dead;             /* bit per position: removed */
    uint32_t removed;
    table ids, apelidos;
    search_index *search;
};

/* ---- hashing -------------------------------------------------------- */

static uint32_t fold64(uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return (uint32_t)h;
}

static uint32_t idHash(const uint8_t id[16]) {
    uint64_t a, b;
    memcpy(&a, id, 8);
    memcpy(&b, id + 8, 8);
    return fold64((a ^ (b * 0x9E3779B97F4A7C15ull)) * 0xc4ceb9fe1a85ec53ull);
}

static uint32_t apelidoHash(slice s) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < s.len; i++) h = (h ^ (unsigned char)s.ptr[i]) * 0x100000001b3ull;
    return fold64(h);
}

/* ---- records -------------------------------------------------------- */

static size_t varintLen(size_t v) {
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static uint8_t *varintPut(uint8_t *p, size_t v) {
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

static const uint8_t *varintGet(const uint8_t *p, size_t *v) {
    size_t x = 0;
    for (unsigned shift = 0;; shift += 7) {
        uint8_t b = *p++;
        x |= (size_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) break;
    }
    *v = x;
    return p;
}

static record recordAt(const people *db, uint32_t idx) {
    const uint8_t *p = db->recs[idx];
    record r = {.id = p};
    size_t la, lk, lj;
    p = varintGet(p + 16, &la);
    p = varintGet(p, &lk);
    p = varintGet(p, &lj);
    r.apelido = sliceMake((const char *)p, la);
    r.key = sliceMake((const char *)p + la, lk);
    r.json = sliceMake((const char *)p + la + lk, lj);
    return r;
}

static size_t recordSize(slice apelido, slice key, slice json) {
    return 16 + varintLen(apelido.len) + varintLen(key.len) + varintLen(json.len) +
           apelido.len + key.len + json.len;
}

static void recordWrite(uint8_t *p, const uint8_t id[16], slice apelido, slice key, slice json) {
    memcpy(p, id, 16);
    p = varintPut(p + 16, apelido.len);
    p = varintPut(p, key.len);
    p = varintPut(p, json.len);
    if (apelido.len) memcpy(p, apelido.ptr, apelido.len);
    if (key.len) memcpy(p + apelido.len, key.ptr, key.len);
    if (json.len) memcpy(p + apelido.len + key.len, json.ptr, json.len);
}

/* ---- arena ---------------------------------------------------------- */

/* Returns room for n bytes without committing it (cur_used unchanged). */
static uint8_t *arenaReserve(people *db, size_t n) {
    if (db->cur && db->cur_cap - db->cur_used >= n) return db->cur + db->cur_used;
    if (db->nchunks == db->chunks_cap) {
        size_t ncap = db->chunks_cap ? db->chunks_cap * 2 : 16;
        uint8_t **c = realloc(db->chunks, ncap * sizeof(*c));
        if (!c) return NULL;
        db->chunks = c;
        db->chunks_cap = ncap;
    }
    size_t size = n > ARENA_CHUNK ? n : ARENA_CHUNK;
    uint8_t *chunk = malloc(size);
    if (!chunk) return NULL;
    db->chunks[db->nchunks++] = chunk;
    db->arena_bytes += size;
    db->cur = chunk;
    db->cur_used = 0;
    db->cur_cap = size;
    return chunk;
}

/* ---- tables --------------------------------------------------------- */

static int tableInit(table *t, size_t expected) {
    size_t cap = 16;
    while (cap * 7 < expected * 10 && cap < ((size_t)1 << 31)) cap *= 2;
    t->s = calloc(cap, sizeof(slot));
    t->mask = (uint32_t)(cap - 1);
    t->used = 0;
    return t->s ? 0 : -ENOMEM;
}

static void tablePut(slot *s, uint32_t mask, slot v) {
    uint32_t i = v.hash & mask;
    while (s[i].idx1) i = (i + 1) & mask;
    s[i] = v;
}

static bool slotLive(slot s) { return s.idx1 && s.idx1 != SLOT_TOMB; }

/* Makes room for one more entry (rehash at load 0.7). */
static int tableReserve(table *t) {
    uint64_t cap = (uint64_t)t->mask + 1;
    if ((uint64_t)(t->used + 1) * 10 <= cap * 7) return 0;
    if (cap >= ((uint64_t)1 << 31)) return -ENOMEM;
    slot *ns = calloc(cap * 2, sizeof(slot));
    if (!ns) return -ENOMEM;
    t->used = 0; /* tombstones stay behind */
    for (uint64_t i = 0; i < cap; i++) {
        if (!slotLive(t->s[i])) continue;
        tablePut(ns, (uint32_t)(cap * 2 - 1), t->s[i]);
        t->used++;
    }
    free(t->s);
    t->s = ns;
    t->mask = (uint32_t)(cap * 2 - 1);
    return 0;
}

static void tableInsert(table *t, uint32_t hash, uint32_t idx) {
    tablePut(t->s, t->mask, (slot){idx + 1, hash});
    t->used++;
}

/* The slot holding id, or NULL. */
static slot *idSlot(const people *db, const uint8_t id[16]) {
    uint32_t h = idHash(id);
    for (uint32_t i = h & db->ids.mask;; i = (i + 1) & db->ids.mask) {
        slot *s = &db->ids.s[i];
        if (!s->idx1) return NULL;
        if (slotLive(*s) && s->hash == h && memcmp(db->recs[s->idx1 - 1], id, 16) == 0) return s;
    }
}

static bool idFind(const people *db, const uint8_t id[16], uint32_t *idx) {
    slot *s = idSlot(db, id);
    if (s) *idx = s->idx1 - 1;
    return s != NULL;
}

static slot *apelidoSlot(const people *db, slice apelido, uint32_t h) {
    for (uint32_t i = h & db->apelidos.mask;; i = (i + 1) & db->apelidos.mask) {
        slot *s = &db->apelidos.s[i];
        if (!s->idx1) return NULL;
        if (slotLive(*s) && s->hash == h && sliceEq(recordAt(db, s->idx1 - 1).apelido, apelido))
            return s;
    }
}

static bool apelidoFind(const people *db, slice apelido, uint32_t h) {
    return apelidoSlot(db, apelido, h) != NULL;
}

static bool isDead(const people *db, uint32_t idx) {
    return db->dead[idx / 64] >> (idx % 64) & 1;
}

/* ---- public --------------------------------------------------------- */

people *peopleCreate(size_t expected) {
    people *db = calloc(1, sizeof(*db));
    if (!db) return NULL;
    if (expected > UINT32_MAX / 2) expected = UINT32_MAX / 2;
    db->recs_cap = expected > 1024 ? (uint32_t)expected : 1024;
    db->recs = malloc(db->recs_cap * sizeof(*db->recs));
    db->dead = calloc(db->recs_cap / 64 + 1, sizeof(*db->dead));
    db->search = searchCreate(expected);
    if (!db->recs || !db->dead || !db->search || tableInit(&db->ids, expected) < 0 ||
        tableInit(&db->apelidos, expected) < 0)
        goto err;
    return db;
err:
    peopleDestroy(db);
    return NULL;
}

void peopleDestroy(people *db) {
    if (!db) return;
    for (size_t i = 0; i < db->nchunks; i++) free(db->chunks[i]);
    free(db->chunks);
    free(db->recs);
    free(db->dead);
    free(db->ids.s);
    free(db->apelidos.s);
    searchDestroy(db->search);
    free(db);
}

static int recsReserve(people *db) {
    if (db->count < db->recs_cap) return 0;
    if (db->recs_cap >= UINT32_MAX / 2) return -ENOMEM;
    uint32_t ncap = db->recs_cap * 2;
    const uint8_t **r = realloc(db->recs, ncap * sizeof(*r));
    if (!r) return -ENOMEM;
    db->recs = r;
    uint64_t *d = realloc(db->dead, (ncap / 64 + 1) * sizeof(*d));
    if (!d) return -ENOMEM;
    size_t old_words = db->recs_cap / 64 + 1, new_words = ncap / 64 + 1;
    memset(d + old_words, 0, (new_words - old_words) * sizeof(*d));
    db->dead = d;
    db->recs_cap = ncap;
    return 0;
}

/* Every fallible step, in an order that changes nothing visible. */
static int addReserve(people *db, size_t size, slice key, uint8_t **rec) {
    if (tableReserve(&db->ids) < 0 || tableReserve(&db->apelidos) < 0 || recsReserve(db) < 0)
        return -ENOMEM;
    *rec = arenaReserve(db, size);
    if (!*rec) return -ENOMEM;
    return searchAdd(db->search, db->count, key);
}

int peopleAdd(people *db, const uint8_t id[16], slice apelido, slice search_key, slice json) {
    if (apelido.len > FIELD_MAX || search_key.len > FIELD_MAX || json.len > FIELD_MAX)
        return -EINVAL;
    uint32_t idx, ah = apelidoHash(apelido);
    if (idFind(db, id, &idx)) return -EALREADY;
    if (apelidoFind(db, apelido, ah)) return -EEXIST;
    size_t size = recordSize(apelido, search_key, json);
    uint8_t *rec;
    int rc = addReserve(db, size, search_key, &rec);
    if (rc < 0) return rc;
    recordWrite(rec, id, apelido, search_key, json);
    db->cur_used += size;
    db->recs[db->count] = rec;
    tableInsert(&db->ids, idHash(id), db->count);
    tableInsert(&db->apelidos, ah, db->count);
    db->count++;
    return 0;
}

bool peopleGet(const people *db, const uint8_t id[16], slice *json) {
    uint32_t idx;
    if (!idFind(db, id, &idx)) return false;
    *json = recordAt(db, idx).json;
    return true;
}

bool peopleApelidoOf(const people *db, const uint8_t id[16], slice *apelido) {
    uint32_t idx;
    if (!idFind(db, id, &idx)) return false;
    *apelido = recordAt(db, idx).apelido;
    return true;
}

bool peopleApelidoTaken(const people *db, slice apelido) {
    return apelidoFind(db, apelido, apelidoHash(apelido));
}

int peopleRemove(people *db, const uint8_t id[16]) {
    slot *s = idSlot(db, id);
    if (!s) return -ENOENT;
    uint32_t idx = s->idx1 - 1;
    record r = recordAt(db, idx);
    slot *a = apelidoSlot(db, r.apelido, apelidoHash(r.apelido));
    s->idx1 = SLOT_TOMB;
    if (a) a->idx1 = SLOT_TOMB;
    db->dead[idx / 64] |= 1ull << (idx % 64);
    db->removed++;
    return 0;
}

size_t peopleCount(const people *db) { return db->count - db->removed; }

size_t peoplePositions(const people *db) { return db->count; }

bool peopleAt(const people *db, size_t index, uint8_t id[16], slice *apelido, slice *search_key,
              slice *json) {
    if (index >= db->count || isDead(db, (uint32_t)index)) return false;
    record r = recordAt(db, (uint32_t)index);
    memcpy(id, r.id, 16);
    *apelido = r.apelido;
    *search_key = r.key;
    *json = r.json;
    return true;
}

static int searchFill(const people *db, slice term, size_t limit, buf *out) {
    search_cursor c;
    searchCursorInit(&c, db->search, term, db->count);
    int n = 0;
    uint32_t idx;
    while ((size_t)n < limit && searchCursorNext(&c, &idx)) {
        if (isDead(db, idx)) continue;
        record r = recordAt(db, idx);
        if (!searchKeyMatches(r.key, term)) continue;
        if ((n > 0 && bufAppend(out, ",", 1) < 0) || bufAppendSlice(out, r.json) < 0)
            return -ENOMEM;
        n++;
    }
    return n;
}

int peopleSearch(const people *db, slice term, size_t limit, buf *out) {
    size_t keep = bufUnread(out); /* bufReserve may compact: remember relative */
    if (limit > INT_MAX) limit = INT_MAX;
    int n = -ENOMEM;
    if (bufAppend(out, "[", 1) == 0) n = searchFill(db, term, limit, out);
    if (n >= 0 && bufAppend(out, "]", 1) == 0) return n;
    out->len = out->off + keep;
    return -ENOMEM;
}

size_t peopleMemoryBytes(const people *db) {
    return sizeof(*db) + db->arena_bytes + db->chunks_cap * sizeof(*db->chunks) +
           (size_t)db->recs_cap * sizeof(*db->recs) +
           ((size_t)db->ids.mask + 1 + db->apelidos.mask + 1) * sizeof(slot) +
           searchMemoryBytes(db->search);
}

size_t peopleSearchMemoryBytes(const people *db) { return searchMemoryBytes(db->search); }

size_t peoplePostingBytes(const people *db) { return searchPostingBytes(db->search); }
