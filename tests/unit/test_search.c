/* test_search.c - trigram search semantics, against a brute-force reference. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store/people.h"
#include "store/search.h"

#define NREC 4000
#define KEYMAX 256

typedef struct rec {
    char key[KEYMAX];
    size_t key_len;
} rec;

static rec recs[NREC];
static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint32_t rnd(uint32_t n) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

/* Small alphabet (with 2-byte UTF-8 letters) so that terms collide often. */
static const char *const letters[] = {"a", "b", "c", "d", " ", "\xc3\xa9", "\xc3\xa3", "e"};

static size_t randomField(char *p, size_t min, size_t max) {
    size_t n = min + rnd((uint32_t)(max - min + 1)), len = 0;
    for (size_t i = 0; i < n; i++) {
        const char *l = letters[rnd(8)];
        memcpy(p + len, l, strlen(l));
        len += strlen(l);
    }
    return len;
}

static void makeId(uint8_t id[16], uint32_t i) {
    memset(id, 0xAB, 16);
    memcpy(id, &i, sizeof(i));
}

/* Key "apelido<i>\0nome\0stack..."; json {"i":<i>}. */
static void addRecord(people *db, uint32_t i, const char *key, size_t key_len) {
    uint8_t id[16];
    char json[32];
    makeId(id, i);
    int jl = snprintf(json, sizeof(json), "{\"i\":%u}", i);
    memcpy(recs[i].key, key, key_len);
    recs[i].key_len = key_len;
    size_t alen = strlen(key); /* apelido = first field */
    assert_int_equal(peopleAdd(db, id, sliceMake(key, alen), sliceMake(key, key_len),
                               sliceMake(json, (size_t)jl)), 0);
}

static void buildRandom(people *db) {
    for (uint32_t i = 0; i < NREC; i++) {
        char key[KEYMAX];
        size_t len = randomField(key, 1, 8);
        len += (size_t)sprintf(key + len, "%u", i); /* unique apelido */
        key[len++] = 0;
        len += randomField(key + len, 1, 12);
        for (uint32_t s = rnd(4); s > 0; s--) {
            key[len++] = 0;
            len += randomField(key + len, 1, 6);
        }
        addRecord(db, i, key, len);
    }
}

static bool refMatch(const rec *r, slice term) {
    if (term.len == 0) return true;
    size_t start = 0;
    for (size_t i = 0; i <= r->key_len; i++) {
        if (i < r->key_len && r->key[i]) continue;
        if (memmem(r->key + start, i - start, term.ptr, term.len)) return true;
        start = i + 1;
    }
    return false;
}

/* Expected output of peopleSearch, built from the reference. */
static int refSearch(uint32_t n, slice term, size_t limit, buf *out) {
    int count = 0;
    bufAppend(out, "[", 1);
    for (uint32_t i = 0; i < n && (size_t)count < limit; i++) {
        if (!refMatch(&recs[i], term)) continue;
        char json[32];
        int jl = snprintf(json, sizeof(json), "%s{\"i\":%u}", count ? "," : "", i);
        bufAppend(out, json, (size_t)jl);
        count++;
    }
    bufAppend(out, "]", 1);
    return count;
}

static void checkTerm(people *db, slice term, size_t limit) {
    buf got, want;
    bufInit(&got, 0);
    bufInit(&want, 0);
    int n = peopleSearch(db, term, limit, &got);
    int m = refSearch((uint32_t)peopleCount(db), term, limit, &want);
    if (n != m || got.len != want.len || memcmp(got.data, want.data, got.len) != 0)
        fail_msg("term '%.*s' (%zu bytes) limit %zu: got %d %.*s want %d %.*s", (int)term.len,
                 term.ptr, term.len, limit, n, (int)got.len, got.data, m, (int)want.len,
                 want.data);
    bufFree(&got);
    bufFree(&want);
}

static int setupRandom(void **state) {
    people *db = peopleCreate(16);
    buildRandom(db);
    *state = db;
    return 0;
}

static int teardown(void **state) {
    peopleDestroy(*state);
    return 0;
}

static void test_random_substrings(void **state) {
    people *db = *state;
    for (int t = 0; t < 3000; t++) {
        const rec *r = &recs[rnd(NREC)];
        size_t a = rnd((uint32_t)r->key_len), b = a + rnd((uint32_t)(r->key_len - a + 1));
        checkTerm(db, sliceMake(r->key + a, b - a), 50); /* may span a NUL: then nothing */
    }
}

static void test_random_terms(void **state) {
    people *db = *state;
    for (int t = 0; t < 3000; t++) {
        char term[64];
        size_t len = randomField(term, 0, 6);
        checkTerm(db, sliceMake(term, len), t % 3 ? 50 : 1 + rnd(4000));
    }
}

static void test_short_and_empty_terms(void **state) {
    people *db = *state;
    const char *terms[] = {"", "a", "b", " ", "\xc3", "\xa9", "ab", "e ", "1", "39", "\xc3\xa9"};
    for (size_t i = 0; i < sizeof(terms) / sizeof(*terms); i++) {
        checkTerm(db, sliceMake(terms[i], strlen(terms[i])), 50);
        checkTerm(db, sliceMake(terms[i], strlen(terms[i])), 100000);
        checkTerm(db, sliceMake(terms[i], strlen(terms[i])), 0);
    }
    buf out;
    bufInit(&out, 0);
    assert_int_equal(peopleSearch(db, SLICE_LIT(""), 50, &out), 50);
    assert_int_equal(peopleSearch(db, SLICE_LIT(""), 100000, &out), NREC);
    bufFree(&out);
}

static void test_absent_and_nul_terms(void **state) {
    people *db = *state;
    const char *terms[] = {"zzz", "xyzw", "abcabcabcabcabcabcabc\xc3\xa9\xc3\xa3", "\xff\xfe\xfd"};
    for (size_t i = 0; i < sizeof(terms) / sizeof(*terms); i++) {
        checkTerm(db, sliceMake(terms[i], strlen(terms[i])), 50);
    }
    buf out;
    bufInit(&out, 0);
    assert_int_equal(peopleSearch(db, sliceMake("a\0b", 3), 50, &out), 0);
    assert_int_equal(peopleSearch(db, sliceMake("\0", 1), 50, &out), 0);
    assert_int_equal(peopleSearch(db, sliceMake("zzz", 3), 50, &out), 0);
    assert_int_equal(out.len, 6);
    assert_memory_equal(out.data, "[][][]", 6);
    bufFree(&out);
}

static void test_no_cross_field_match(void **state) {
    (void)state;
    people *db = peopleCreate(0);
    addRecord(db, 0, "abc\0def\0ghi", 11);
    addRecord(db, 1, "xcde\0q", 6);
    buf out;
    bufInit(&out, 0);
    assert_int_equal(peopleSearch(db, SLICE_LIT("cde"), 50, &out), 1); /* only person 1 */
    assert_int_equal(peopleSearch(db, SLICE_LIT("bcde"), 50, &out), 0);
    assert_int_equal(peopleSearch(db, SLICE_LIT("fg"), 50, &out), 0);
    assert_int_equal(peopleSearch(db, SLICE_LIT("ef"), 50, &out), 1);
    assert_int_equal(peopleSearch(db, SLICE_LIT("ghi"), 50, &out), 1);
    assert_int_equal(peopleSearch(db, SLICE_LIT("def"), 50, &out), 1);
    bufFree(&out);
    peopleDestroy(db);
}

/* Every person has trigrams "aaa" and "aab" (in different fields); only a
 * few have "aaab" in one field. */
static void test_common_trigrams_rare_combination(void **state) {
    (void)state;
    people *db = peopleCreate(0);
    for (uint32_t i = 0; i < 3000; i++) {
        char key[64];
        int n = i % 1000 == 999 ? sprintf(key, "p%u%cxaaabx%caab", i, 0, 0)
                                : sprintf(key, "p%u%cxaaa%caab", i, 0, 0);
        addRecord(db, i, key, (size_t)n);
    }
    checkTerm(db, SLICE_LIT("aaab"), 50);
    checkTerm(db, SLICE_LIT("aaab"), 2);
    checkTerm(db, SLICE_LIT("xaaa"), 50);
    buf out;
    bufInit(&out, 0);
    assert_int_equal(peopleSearch(db, SLICE_LIT("aaab"), 50, &out), 3);
    bufFree(&out);
    peopleDestroy(db);
}

/* Candidates are a superset of matches and strictly increasing. */
static void test_cursor_candidates(void **state) {
    people *db = *state;
    search_index *ix = searchCreate(0);
    for (uint32_t i = 0; i < NREC; i++)
        assert_int_equal(searchAdd(ix, i * 3 + 1, sliceMake(recs[i].key, recs[i].key_len)), 0);
    for (int t = 0; t < 500; t++) {
        const rec *r = &recs[rnd(NREC)];
        size_t a = rnd((uint32_t)r->key_len);
        slice term = sliceMake(r->key + a, 3 + rnd(5));
        if (a + term.len > r->key_len) continue;
        search_cursor c;
        searchCursorInit(&c, ix, term, NREC * 3 + 1);
        uint32_t p, prev = 0, ncand = 0;
        bool matched[NREC] = {false};
        while (searchCursorNext(&c, &p)) {
            assert_true(ncand == 0 || p > prev);
            assert_int_equal(p % 3, 1);
            matched[p / 3] = true;
            prev = p;
            ncand++;
        }
        for (uint32_t i = 0; i < NREC; i++)
            if (refMatch(&recs[i], term)) assert_true(matched[i]);
    }
    assert_true(searchMemoryBytes(ix) > searchPostingBytes(ix));
    assert_true(searchTrigramCount(ix) > 0);
    searchDestroy(ix);
    (void)db;
}

static void test_key_matches(void **state) {
    (void)state;
    slice key = sliceMake("ab\0cd", 5);
    assert_true(searchKeyMatches(key, SLICE_LIT("")));
    assert_true(searchKeyMatches(key, SLICE_LIT("cd")));
    assert_false(searchKeyMatches(key, SLICE_LIT("bc")));
    assert_false(searchKeyMatches(key, sliceMake("b\0c", 3)));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_substrings),
        cmocka_unit_test(test_random_terms),
        cmocka_unit_test(test_short_and_empty_terms),
        cmocka_unit_test(test_absent_and_nul_terms),
        cmocka_unit_test(test_cursor_candidates),
    };
    const struct CMUnitTest standalone[] = {
        cmocka_unit_test(test_no_cross_field_match),
        cmocka_unit_test(test_common_trigrams_rare_combination),
        cmocka_unit_test(test_key_matches),
    };
    int failed = cmocka_run_group_tests(tests, setupRandom, teardown);
    return failed + cmocka_run_group_tests(standalone, NULL, NULL);
}
