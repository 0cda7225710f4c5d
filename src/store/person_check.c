/* person_check.c - see person_check.h. */
#include "store/person_check.h"

#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uuid/uuid.h>

#include "api/person.h"
#include "core/buf.h"

/* personParse's state is large (a slice per stack element, scratch as big
 * as the longest json): one heap block, made at the first PADD and kept,
 * its two buffers reused, so a write allocates nothing once warm. One per
 * process is enough: a store runs one event loop on one thread. */
typedef struct check_ws {
    person p;
    char scratch[PERSON_JSON_MAX];
    buf json, key; /* the renderings the arguments must equal */
} check_ws;

static int refuse(char *why, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int refuse(char *why, size_t cap, const char *fmt, ...) {
    int n = snprintf(why, cap, "ERR invalid person: ");
    va_list ap;
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < cap) vsnprintf(why + n, cap - (size_t)n, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

static slice bufSlice(const buf *b) { return sliceMake(b->data + b->off, b->len - b->off); }

/* The id as the API mints it: lower case, what GET /pessoas/<id> shows. */
static bool canonicalId(slice id) {
    char text[37], lower[37];
    uuid_t uu;
    if (id.len != 36) return false;
    memcpy(text, id.ptr, 36);
    text[36] = '\0';
    if (uuid_parse(text, uu) != 0) return false;
    uuid_unparse_lower(uu, lower);
    return memcmp(lower, text, 36) == 0;
}

static int checkPerson(check_ws *w, slice id, slice apelido, slice key, slice json, char *why,
                       size_t cap) {
    if (personParse(&w->p, json.ptr, json.len, w->scratch, sizeof(w->scratch)) != 0) {
        const person_error *e = &w->p.errors[0]; /* a refusal has at least one */
        return refuse(why, cap, "json %s %s", e->field, e->message);
    }
    bufReset(&w->json);
    bufReset(&w->key);
    if (personWriteJson(&w->p, id, &w->json) < 0 || personWriteSearchKey(&w->p, &w->key) < 0)
        return -ENOMEM;
    /* byte for byte: no other member, spelling or order, and this id */
    if (!sliceEq(json, bufSlice(&w->json)))
        return refuse(why, cap, "json is not the API's rendering of this id's person");
    if (!sliceEq(apelido, w->p.apelido)) return refuse(why, cap, "apelido is not the json's");
    if (!sliceEq(key, bufSlice(&w->key)))
        return refuse(why, cap, "search key is not the json's person's");
    return 0;
}

int personCheckAdd(slice id, slice apelido, slice search_key, slice json, char *why,
                   size_t why_cap) {
    if (!canonicalId(id)) return refuse(why, why_cap, "id is not a lower-case UUID");
    if (json.len > PERSON_JSON_MAX)
        return refuse(why, why_cap, "json longer than %zu bytes", (size_t)PERSON_JSON_MAX);
    static check_ws *w;
    if (!w && !(w = calloc(1, sizeof(*w)))) return -ENOMEM;
    return checkPerson(w, id, apelido, search_key, json, why, why_cap);
}
