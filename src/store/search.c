/* search.c - trigram index with delta-varint posting lists.
 *
 * Design (Google Code Search / pg_trgm):
 * - A trigram is three consecutive bytes of one field of a search key,
 *   packed as b0<<16 | b1<<8 | b2. Bigrams and unigrams are indexed too
 *   (tagged in the top byte, gramKey), so 1- and 2-byte terms have a list
 *   of their own instead of a scan of every record (a rare 2-byte term
 *   such as "é" cost ~150 ms at 1M people as a scan; a list makes it O(1)
 *   when nobody has it). Grams containing a NUL are never made, so no gram
 *   spans two fields and the value 0 marks an empty slot.
 * - For each trigram an open-addressing hash table (load <= 0.7, rehash by
 *   doubling) holds a posting list: the increasing person indexes that have
 *   it, stored as LEB128 varints of the delta from the previous one (first
 *   delta from "person -1"). People are added in increasing order, so an add
 *   is an append. Lists of common trigrams ("pyt", "jav") have small deltas
 *   and cost one byte per person; the list count is kept beside it.
 * - Add: collect the key's trigrams, dedupe them with a small hash set (a
 *   person is listed once per trigram), make room in every list, then
 *   append; failure leaves no person listed. O(L) for a key of L bytes,
 *   dominated by one cache miss per distinct trigram (table slot + list
 *   tail).
 * - Query, term of >= 3 bytes: look up each distinct trigram of the term; if
 *   one has no list nothing matches. Otherwise intersect the (up to
 *   SEARCH_MAX_LISTS) shortest lists with a leapfrog join: each decoder only
 *   moves forward, so a query costs at most the sum of the lengths of those
 *   lists (no skip pointers yet), and usually far less because the caller
 *   stops after `limit` verified matches. A term whose trigrams are each common but whose
 *   combination is rare costs the decoding of those lists, never a scan of
 *   the records. Candidates are verified by the caller with memmem
 *   (searchKeyMatches): the index is per person, not per field.
 * - Query, term of 1..2 bytes: the term's own unigram or bigram list; every
 *   candidate is verified like the others. Empty term: everyone matches, so
 *   the first `limit` people in insertion order.
 * - Since a term never contains a NUL (such a term matches nothing), any
 *   memmem hit lies inside one field: a match cannot span a separator. */
#include "store/search.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct posting {
    uint32_t tri;   /* 0 = empty slot */
    uint32_t count; /* people listed */
    uint32_t last;  /* last person listed + 1 (0 = none) */
    uint32_t len, cap;
    uint8_t *data;
} posting;

struct search_index {
    posting *tab;
    uint32_t mask, used;
    uint32_t *scratch;
    size_t scratch_cap;
    size_t list_cap_bytes, list_used_bytes;
};

enum { CURSOR_NONE, CURSOR_SCAN, CURSOR_LISTS };

#define VARINT_MAX 5

static uint32_t triSlot(uint32_t tri, uint32_t mask) {
    return (uint32_t)((tri * 0x9E3779B97F4A7C15ull) >> 32) & mask;
}

static posting *tabFind(const search_index *ix, uint32_t tri) {
    for (uint32_t i = triSlot(tri, ix->mask);; i = (i + 1) & ix->mask) {
        if (ix->tab[i].tri == tri) return &ix->tab[i];
        if (ix->tab[i].tri == 0) return NULL;
    }
}

static int tabGrow(search_index *ix) {
    uint32_t ncap = (ix->mask + 1) * 2;
    posting *nt = calloc(ncap, sizeof(*nt));
    if (!nt) return -ENOMEM;
    for (uint32_t i = 0; i <= ix->mask; i++) {
        if (ix->tab[i].tri == 0) continue;
        uint32_t j = triSlot(ix->tab[i].tri, ncap - 1);
        while (nt[j].tri) j = (j + 1) & (ncap - 1);
        nt[j] = ix->tab[i];
    }
    free(ix->tab);
    ix->tab = nt;
    ix->mask = ncap - 1;
    return 0;
}

/* Finds or creates the list of `tri`. An empty list is harmless: it is
 * the truth for a trigram nobody has. */
static posting *tabGet(search_index *ix, uint32_t tri) {
    posting *p = tabFind(ix, tri);
    if (p) return p;
    if ((uint64_t)(ix->used + 1) * 10 > (uint64_t)(ix->mask + 1) * 7 && tabGrow(ix) < 0)
        return NULL;
    uint32_t i = triSlot(tri, ix->mask);
    while (ix->tab[i].tri) i = (i + 1) & ix->mask;
    ix->tab[i].tri = tri;
    ix->used++;
    return &ix->tab[i];
}

search_index *searchCreate(size_t expected) {
    search_index *ix = calloc(1, sizeof(*ix));
    if (!ix) return NULL;
    /* Distinct trigrams grow far slower than people; start modestly. */
    uint32_t cap = expected > 100000 ? 65536 : 1024;
    ix->tab = calloc(cap, sizeof(*ix->tab));
    if (!ix->tab) {
        free(ix);
        return NULL;
    }
    ix->mask = cap - 1;
    return ix;
}

void searchDestroy(search_index *ix) {
    if (!ix) return;
    for (uint32_t i = 0; i <= ix->mask; i++) free(ix->tab[i].data);
    free(ix->tab);
    free(ix->scratch);
    free(ix);
}

/* Sizes the scratch for a key of len bytes: up to len trigrams, then an
 * open-addressing set (power of two >= 2 * len) used to dedupe them. */
static int scratchReserve(search_index *ix, size_t len, size_t *set_cap) {
    size_t cap = 16;
    while (cap < 2 * len) cap *= 2;
    *set_cap = cap;
    if (ix->scratch_cap >= len + cap) return 0;
    uint32_t *s = realloc(ix->scratch, (len + cap) * sizeof(*s));
    if (!s) return -ENOMEM;
    ix->scratch = s;
    ix->scratch_cap = len + cap;
    return 0;
}

/* The index key of the n-gram (n = 1..3) at k: trigrams are the bytes
 * themselves; bigrams and unigrams carry a tag in the top byte so the
 * three kinds share one table. Never 0 (no gram holds a NUL). */
static uint32_t gramKey(const unsigned char *k, size_t n) {
    if (n == 3) return (uint32_t)k[0] << 16 | (uint32_t)k[1] << 8 | k[2];
    if (n == 2) return 1u << 24 | (uint32_t)k[0] << 8 | k[1];
    return 2u << 24 | k[0];
}

/* Adds key's distinct n-grams to the set and to ix->scratch[*count...]. */
static void keyGramsOf(search_index *ix, slice key, size_t n, uint32_t *set, size_t set_cap,
                       size_t *count) {
    const unsigned char *k = (const unsigned char *)key.ptr;
    for (size_t i = 0; i + n <= key.len; i++) {
        if (memchr(k + i, 0, n)) continue;
        uint32_t g = gramKey(k + i, n);
        uint32_t j = triSlot(g, (uint32_t)set_cap - 1);
        while (set[j] && set[j] != g) j = (j + 1) & ((uint32_t)set_cap - 1);
        if (set[j]) continue;
        set[j] = g;
        ix->scratch[(*count)++] = g;
    }
}

/* Writes the distinct 1-, 2- and 3-grams of key into ix->scratch; returns
 * how many or -ENOMEM. A hash set dedupes: cheaper than sorting for the
 * few hundred grams of a typical key. */
static long keyGrams(search_index *ix, slice key) {
    size_t set_cap, n = 0;
    if (scratchReserve(ix, 3 * key.len, &set_cap) < 0) return -ENOMEM;
    uint32_t *set = ix->scratch + 3 * key.len;
    memset(set, 0, set_cap * sizeof(*set));
    for (size_t g = 1; g <= 3; g++) keyGramsOf(ix, key, g, set, set_cap, &n);
    return (long)n;
}

/* Makes room for one more varint in p. */
static int listReserve(search_index *ix, posting *p) {
    if (p->cap - p->len >= VARINT_MAX) return 0;
    uint64_t ncap = (uint64_t)p->cap + p->cap / 4 + 16; /* x1.25: memory over copies */
    if (ncap > UINT32_MAX) return -ENOMEM;
    uint8_t *d = realloc(p->data, (size_t)ncap);
    if (!d) return -ENOMEM;
    ix->list_cap_bytes += ncap - p->cap;
    p->data = d;
    p->cap = (uint32_t)ncap;
    return 0;
}

static void listAppend(search_index *ix, posting *p, uint32_t person) {
    uint32_t delta = person + 1 - p->last;
    uint32_t start = p->len;
    while (delta >= 0x80) {
        p->data[p->len++] = (uint8_t)(delta | 0x80);
        delta >>= 7;
    }
    p->data[p->len++] = (uint8_t)delta;
    ix->list_used_bytes += p->len - start;
    p->last = person + 1;
    p->count++;
}

int searchAdd(search_index *ix, uint32_t person, slice key) {
    if (person == UINT32_MAX) return -ENOMEM;
    long n = keyGrams(ix, key);
    if (n < 0) return (int)n;
    /* Phase 1 may create lists and grow capacity; phase 2 cannot fail. The
     * table may move during phase 1, so look lists up again in phase 2. */
    for (long i = 0; i < n; i++) {
        posting *p = tabGet(ix, ix->scratch[i]);
        if (!p || listReserve(ix, p) < 0) return -ENOMEM;
    }
    for (long i = 0; i < n; i++) listAppend(ix, tabFind(ix, ix->scratch[i]), person);
    return 0;
}

bool searchKeyMatches(slice key, slice term) {
    if (term.len == 0) return true;
    if (memchr(term.ptr, 0, term.len)) return false;
    return memmem(key.ptr, key.len, term.ptr, term.len) != NULL;
}

size_t searchMemoryBytes(const search_index *ix) {
    return sizeof(*ix) + (size_t)(ix->mask + 1) * sizeof(posting) + ix->list_cap_bytes +
           ix->scratch_cap * sizeof(uint32_t);
}

size_t searchPostingBytes(const search_index *ix) { return ix->list_used_bytes; }

size_t searchTrigramCount(const search_index *ix) { return ix->used; }

/* Keeps the `SEARCH_MAX_LISTS` shortest distinct lists, sorted by count. */
static void cursorOffer(search_cursor *c, const posting **best, const posting *p) {
    for (size_t i = 0; i < c->k; i++)
        if (best[i] == p) return;
    if (c->k == SEARCH_MAX_LISTS && best[c->k - 1]->count <= p->count) return;
    size_t i = c->k < SEARCH_MAX_LISTS ? c->k++ : c->k - 1;
    while (i > 0 && best[i - 1]->count > p->count) {
        best[i] = best[i - 1];
        i--;
    }
    best[i] = p;
}

/* Terms of 3+ bytes use their trigrams; shorter ones their one bigram or
 * unigram, so no term ever scans the records. */
static void cursorLists(search_cursor *c, const search_index *ix, slice term) {
    const posting *best[SEARCH_MAX_LISTS];
    const unsigned char *t = (const unsigned char *)term.ptr;
    size_t n = term.len < 3 ? term.len : 3;
    c->k = 0;
    for (size_t i = 0; i + n <= term.len; i++) {
        const posting *p = tabFind(ix, gramKey(t + i, n));
        if (!p || p->count == 0) {
            c->mode = CURSOR_NONE;
            return;
        }
        cursorOffer(c, best, p);
    }
    for (size_t i = 0; i < c->k; i++)
        c->d[i] = (search_decoder){best[i]->data, best[i]->data + best[i]->len, 0};
    c->mode = CURSOR_LISTS;
    c->next = 1;
}

void searchCursorInit(search_cursor *c, const search_index *ix, slice term,
                      uint32_t people_count) {
    c->k = 0;
    c->next = 0;
    c->total = people_count;
    if (term.len > 0 && memchr(term.ptr, 0, term.len))
        c->mode = CURSOR_NONE;
    else if (term.len == 0)
        c->mode = CURSOR_SCAN; /* everyone matches: the first `limit` people */
    else
        cursorLists(c, ix, term);
}

/* Moves d forward until its value is >= target; false when exhausted. */
static bool decoderSeek(search_decoder *d, uint32_t target) {
    while (d->val < target) {
        if (d->p == d->end) return false;
        uint32_t delta = 0;
        for (unsigned shift = 0;; shift += 7) {
            uint8_t b = *d->p++;
            delta |= (uint32_t)(b & 0x7f) << shift;
            if (!(b & 0x80)) break;
        }
        d->val += delta;
    }
    return true;
}

/* Leapfrog join: the target only rises; it is yielded once all k lists
 * agree on it. */
static bool cursorNextLists(search_cursor *c, uint32_t *person) {
    uint32_t target = c->next;
    size_t agreed = 0, i = 0;
    while (agreed < c->k) {
        if (!decoderSeek(&c->d[i], target)) {
            c->mode = CURSOR_NONE;
            return false;
        }
        if (c->d[i].val == target) {
            agreed++;
        } else {
            target = c->d[i].val;
            agreed = 1;
        }
        i = (i + 1) % c->k;
    }
    *person = target - 1;
    c->next = target + 1;
    return true;
}

bool searchCursorNext(search_cursor *c, uint32_t *person) {
    switch (c->mode) {
    case CURSOR_SCAN:
        if (c->next >= c->total) return false;
        *person = c->next++;
        return true;
    case CURSOR_LISTS:
        return cursorNextLists(c, person);
    default:
        return false;
    }
}
