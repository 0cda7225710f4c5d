/* test_people.c - the people database: add, get, uniqueness, growth, memory. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store/people.h"

static void makeId(uint8_t id[16], uint32_t i) {
    /* Deterministic, well spread, like random UUIDs. */
    uint64_t a = (i + 1) * 0x9E3779B97F4A7C15ull, b = a ^ (a >> 29) ^ 0x5bd1e995u;
    memcpy(id, &a, 8);
    memcpy(id + 8, &b, 8);
}

typedef struct person_data {
    char apelido[32], key[96], json[128];
    size_t key_len;
} person_data;

static void makePerson(person_data *p, uint32_t i) {
    snprintf(p->apelido, sizeof(p->apelido), "Apelido%u", i);
    int n = snprintf(p->key, sizeof(p->key), "apelido%u%cnome %u%cc%cgo", i, 0, i % 97, 0, 0);
    p->key_len = (size_t)n;
    snprintf(p->json, sizeof(p->json), "{\"id\":%u,\"apelido\":\"Apelido%u\"}", i, i);
}

static int addPerson(people *db, uint32_t id_num, uint32_t i) {
    person_data p;
    uint8_t id[16];
    makePerson(&p, i);
    makeId(id, id_num);
    return peopleAdd(db, id, sliceMake(p.apelido, strlen(p.apelido)),
                     sliceMake(p.key, p.key_len), sliceMake(p.json, strlen(p.json)));
}

static void assertPerson(const people *db, uint32_t id_num, uint32_t i) {
    person_data p;
    uint8_t id[16];
    slice json;
    makePerson(&p, i);
    makeId(id, id_num);
    assert_true(peopleGet(db, id, &json));
    assert_true(sliceEqStr(json, p.json));
    assert_true(peopleApelidoTaken(db, sliceMake(p.apelido, strlen(p.apelido))));
}

static void test_add_get(void **state) {
    (void)state;
    people *db = peopleCreate(0);
    assert_non_null(db);
    assert_int_equal(peopleCount(db), 0);
    assert_int_equal(addPerson(db, 1, 1), 0);
    assert_int_equal(addPerson(db, 2, 2), 0);
    assert_int_equal(peopleCount(db), 2);
    assertPerson(db, 1, 1);
    assertPerson(db, 2, 2);
    uint8_t id[16];
    slice json;
    makeId(id, 3);
    assert_false(peopleGet(db, id, &json));
    assert_false(peopleApelidoTaken(db, SLICE_LIT("Apelido3")));
    assert_false(peopleApelidoTaken(db, SLICE_LIT("apelido1"))); /* byte-exact */
    assert_false(peopleApelidoTaken(db, SLICE_LIT("")));
    peopleDestroy(db);
}

/* Failures leave everything as it was. */
static void test_duplicates_change_nothing(void **state) {
    (void)state;
    people *db = peopleCreate(0);
    assert_int_equal(addPerson(db, 1, 1), 0);
    assert_int_equal(addPerson(db, 2, 1), -EEXIST);   /* same apelido, new id */
    assert_int_equal(addPerson(db, 1, 5), -EALREADY); /* same id, new apelido */
    assert_int_equal(addPerson(db, 1, 1), -EALREADY); /* both: id checked first */
    assert_int_equal(peopleCount(db), 1);
    uint8_t id[16];
    slice json;
    makeId(id, 2);
    assert_false(peopleGet(db, id, &json));
    assert_false(peopleApelidoTaken(db, SLICE_LIT("Apelido5")));
    assertPerson(db, 1, 1);
    buf out;
    bufInit(&out, 0);
    assert_int_equal(peopleSearch(db, SLICE_LIT("apelido5"), 50, &out), 0);
    assert_int_equal(peopleSearch(db, SLICE_LIT("go"), 50, &out), 1);
    bufFree(&out);
    /* and the db keeps working */
    assert_int_equal(addPerson(db, 2, 2), 0);
    assert_int_equal(peopleCount(db), 2);
    peopleDestroy(db);
}

static void test_empty_and_binary_fields(void **state) {
    (void)state;
    people *db = peopleCreate(0);
    uint8_t id[16] = {0};
    slice json;
    assert_int_equal(peopleAdd(db, id, sliceMake("a\0b", 3), sliceMake(NULL, 0), sliceMake(NULL, 0)), 0);
    assert_true(peopleGet(db, id, &json));
    assert_int_equal(json.len, 0);
    assert_true(peopleApelidoTaken(db, sliceMake("a\0b", 3)));
    assert_false(peopleApelidoTaken(db, sliceMake("a\0c", 3)));
    peopleDestroy(db);
}

static void test_large_json(void **state) {
    (void)state;
    people *db = peopleCreate(0);
    size_t big = (size_t)5 << 20; /* larger than an arena chunk */
    char *doc = malloc(big);
    memset(doc, 'x', big);
    uint8_t id[16];
    makeId(id, 7);
    assert_int_equal(addPerson(db, 1, 1), 0);
    assert_int_equal(peopleAdd(db, id, SLICE_LIT("big"), SLICE_LIT("big"), sliceMake(doc, big)), 0);
    assert_int_equal(addPerson(db, 2, 2), 0);
    slice json;
    assert_true(peopleGet(db, id, &json));
    assert_int_equal(json.len, big);
    assert_memory_equal(json.ptr, doc, big);
    assertPerson(db, 1, 1);
    assertPerson(db, 2, 2);
    free(doc);
    peopleDestroy(db);
}

/* 200k people from a tiny capacity hint: many rehashes of every table. */
static void test_growth(void **state) {
    (void)state;
    const uint32_t n = 200000;
    people *db = peopleCreate(1);
    for (uint32_t i = 0; i < n; i++) assert_int_equal(addPerson(db, i, i), 0);
    assert_int_equal(peopleCount(db), n);
    for (uint32_t i = 0; i < n; i += 7) assertPerson(db, i, i);
    assert_int_equal(addPerson(db, n + 1, 12345), -EEXIST);
    assert_int_equal(addPerson(db, 4321, n + 1), -EALREADY);
    assert_int_equal(peopleCount(db), n);
    buf out;
    bufInit(&out, 0);
    assert_int_equal(peopleSearch(db, SLICE_LIT("apelido199999"), 50, &out), 1);
    assert_true(strstr(out.data, "\"Apelido199999\"") != NULL);
    bufReset(&out);
    assert_int_equal(peopleSearch(db, SLICE_LIT("nome 96"), 50, &out), 50);
    bufFree(&out);
    peopleDestroy(db);
}

static void test_memory_accounting(void **state) {
    (void)state;
    people *db = peopleCreate(100000);
    size_t empty = peopleMemoryBytes(db), data = 0;
    for (uint32_t i = 0; i < 100000; i++) {
        person_data p;
        makePerson(&p, i);
        data += 16 + strlen(p.apelido) + p.key_len + strlen(p.json);
        assert_int_equal(addPerson(db, i, i), 0);
    }
    size_t used = peopleMemoryBytes(db);
    assert_true(used >= empty);
    assert_true(used > data);                  /* holds at least the bytes */
    assert_true(used < 2 * data + 100 * 100000); /* and not wildly more */
    assert_true(peopleSearchMemoryBytes(db) < used);
    assert_true(peoplePostingBytes(db) > 100000); /* at least a byte per person */
    peopleDestroy(db);
}

static void test_search_output(void **state) {
    (void)state;
    people *db = peopleCreate(0);
    for (uint32_t i = 0; i < 3; i++) assert_int_equal(addPerson(db, i, i), 0);
    buf out;
    bufInit(&out, 0);
    bufAppendStr(&out, "prefix");
    bufConsume(&out, 3); /* unread data before the array is kept */
    assert_int_equal(peopleSearch(db, SLICE_LIT("go"), 2, &out), 2);
    const char *want = "fix[{\"id\":0,\"apelido\":\"Apelido0\"},{\"id\":1,\"apelido\":\"Apelido1\"}]";
    assert_int_equal(bufUnread(&out), strlen(want));
    assert_memory_equal(bufReadPtr(&out), want, strlen(want));
    bufFree(&out);
    peopleDestroy(db);
}

/* A removed person is gone for GET, apelido, search and count, its id and
 * apelido can be taken again, and the survivors are intact, through
 * rehashes that drop the tombstones. */
static void test_remove(void **state) {
    (void)state;
    people *db = peopleCreate(0);
    uint8_t id[16];
    slice json;
    for (uint32_t i = 0; i < 3000; i++) assert_int_equal(addPerson(db, i, i), 0);
    for (uint32_t i = 0; i < 3000; i += 3) {
        makeId(id, i);
        assert_int_equal(peopleRemove(db, id), 0);
        assert_int_equal(peopleRemove(db, id), -ENOENT);
        assert_false(peopleGet(db, id, &json));
    }
    assert_int_equal(peopleCount(db), 2000);
    assert_int_equal(peoplePositions(db), 3000);
    assert_false(peopleApelidoTaken(db, SLICE_LIT("Apelido3")));
    slice a, k;
    assert_false(peopleAt(db, 3, id, &a, &k, &json));
    assert_true(peopleAt(db, 4, id, &a, &k, &json));
    buf out;
    bufInit(&out, 64);
    /* 3, 30..39, 300..399 (111), less the multiples of 3 (1 + 4 + 34) */
    assert_int_equal(peopleSearch(db, SLICE_LIT("apelido3"), 1000, &out), 111 - 39);
    bufFree(&out);
    for (uint32_t i = 3000; i < 20000; i++) assert_int_equal(addPerson(db, i, i), 0); /* rehash */
    assert_int_equal(addPerson(db, 0, 0), 0); /* id 0 and Apelido0 are free again */
    for (uint32_t i = 1; i < 3000; i++)
        if (i % 3) assertPerson(db, i, i);
    assert_int_equal(peopleCount(db), 2000 + 17000 + 1);
    peopleDestroy(db);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_get),          cmocka_unit_test(test_duplicates_change_nothing),
        cmocka_unit_test(test_empty_and_binary_fields), cmocka_unit_test(test_large_json),
        cmocka_unit_test(test_growth),           cmocka_unit_test(test_memory_accounting),
        cmocka_unit_test(test_search_output),    cmocka_unit_test(test_remove),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
