/* person.c - see person.h.
 *
 * One pass with the pull reader: for each member of the top object the
 * key picks a handler from a small table; the handler pulls the value's
 * first token and either accepts it or records an error and skips the rest
 * of the value (so later fields are still checked). Errors go into one
 * slot per field and are listed in field order at the end. */
#include "api/person.h"

#include <errno.h>
#include <string.h>

#include "api/date.h"
#include "core/utf8.h"
#include "json/json.h"

enum field { F_BODY, F_APELIDO, F_NOME, F_NASCIMENTO, F_STACK, F_COUNT };

static const char *const field_names[F_COUNT] = {"body", "apelido", "nome", "nascimento",
                                                 "stack"};

#define MSG_REQUIRED "is required"
#define MSG_STRING "must be a string"
#define MSG_NUL "must not contain U+0000 (it is the search key separator)"
#define MSG_DUP "duplicate field"
#define MSG_DATE "must be a date AAAA-MM-DD"
#define MSG_OBJECT "must be a JSON object"
#define MSG_STACK_TYPE "must be an array of strings or null"
#define MSG_ITEM_TYPE "elements must be strings"
#define MSG_ITEM_LEN "elements must have 1 to 32 characters"
#define MSG_ITEM_NUL "elements must not contain U+0000 (it is the search key separator)"
#define MSG_STACK_MAX "must have at most 1024 elements"

/* The literal limits in the messages must follow the macros. */
_Static_assert(PERSON_STACK_ITEM_MAX == 32 && PERSON_STACK_MAX == 1024, "update messages");
_Static_assert(PERSON_APELIDO_MAX == 32 && PERSON_NOME_MAX == 100, "update messages");
_Static_assert(PERSON_ERRORS_MAX >= F_COUNT, "one error slot per field");

typedef struct parse_ctx {
    person *p;
    json_reader r;
    unsigned seen; /* bit per field */
    int status[F_COUNT];
    const char *msg[F_COUNT];
} parse_ctx;

/* Records an error for a field; a 400 replaces a 422, otherwise the first
 * error of a field stays. */
static void addError(parse_ctx *c, enum field f, int status, const char *msg) {
    if (c->status[f] == 400 || (c->status[f] == 422 && status == 422)) return;
    c->status[f] = status;
    c->msg[f] = msg;
}

/* NULL when s is an acceptable text of 1..max code points. */
static const char *textProblem(slice s, size_t max, const char *len_msg, const char *nul_msg) {
    if (s.len == 0 || (s.len > max && utf8Count(s.ptr, s.len) > max)) return len_msg;
    if (memchr(s.ptr, 0, s.len)) return nul_msg;
    return NULL;
}

/* Records a wrong-type error and skips the rest of the value. */
static bool wrongType(parse_ctx *c, enum field f, const char *msg, json_tok t) {
    addError(c, f, 400, msg);
    return jsonSkipRest(&c->r, t) == 0;
}

/* apelido and nome. Returns false on a JSON error. */
static bool parseText(parse_ctx *c, enum field f) {
    static const char *const len_msgs[F_COUNT] = {
        [F_APELIDO] = "must have 1 to 32 characters",
        [F_NOME] = "must have 1 to 100 characters",
    };
    size_t max = f == F_APELIDO ? PERSON_APELIDO_MAX : PERSON_NOME_MAX;
    json_tok t = jsonNext(&c->r);
    if (t == JSON_ERROR) return false;
    if (t == JSON_NULL) {
        addError(c, f, 422, MSG_REQUIRED);
        return true;
    }
    if (t != JSON_STRING) return wrongType(c, f, MSG_STRING, t);
    *(f == F_APELIDO ? &c->p->apelido : &c->p->nome) = c->r.value;
    const char *m = textProblem(c->r.value, max, len_msgs[f], MSG_NUL);
    if (m) addError(c, f, 422, m);
    return true;
}

/* A string containing U+0000 is never a valid date, so it gets the date
 * error (400) rather than the U+0000 one. */
static bool parseDate(parse_ctx *c, enum field f) {
    json_tok t = jsonNext(&c->r);
    if (t == JSON_ERROR) return false;
    if (t == JSON_NULL) {
        addError(c, f, 422, MSG_REQUIRED);
        return true;
    }
    if (t != JSON_STRING) return wrongType(c, f, MSG_STRING, t);
    c->p->nascimento = c->r.value;
    if (!dateValid(c->r.value)) addError(c, f, 400, MSG_DATE);
    return true;
}

static bool stackElement(parse_ctx *c, json_tok t) {
    person *p = c->p;
    if (t != JSON_STRING) return wrongType(c, F_STACK, MSG_ITEM_TYPE, t);
    const char *m = textProblem(c->r.value, PERSON_STACK_ITEM_MAX, MSG_ITEM_LEN, MSG_ITEM_NUL);
    if (m) addError(c, F_STACK, 422, m);
    if (p->stack_len == PERSON_STACK_MAX) {
        addError(c, F_STACK, 422, MSG_STACK_MAX);
        return true;
    }
    p->stack[p->stack_len++] = c->r.value;
    return true;
}

static bool parseStack(parse_ctx *c, enum field f) {
    json_tok t = jsonNext(&c->r);
    if (t == JSON_ERROR) return false;
    if (t == JSON_NULL) return true;
    if (t != JSON_ARRAY_BEGIN) return wrongType(c, f, MSG_STACK_TYPE, t);
    c->p->stack_null = false;
    for (;;) {
        t = jsonNext(&c->r);
        if (t == JSON_ERROR) return false;
        if (t == JSON_ARRAY_END) return true;
        if (!stackElement(c, t)) return false;
    }
}

typedef bool (*field_parser)(parse_ctx *c, enum field f);

static const struct {
    const char *name;
    size_t len;
    field_parser parse;
} members[] = {
    {"apelido", 7, parseText},
    {"nome", 4, parseText},
    {"nascimento", 10, parseDate},
    {"stack", 5, parseStack},
};

/* One member, its key just read. Returns false on a JSON error. */
static bool parseMember(parse_ctx *c) {
    slice key = c->r.value;
    for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
        if (key.len != members[i].len || memcmp(key.ptr, members[i].name, key.len) != 0) continue;
        enum field f = (enum field)(F_APELIDO + i);
        if (c->seen & (1u << f)) {
            addError(c, f, 400, MSG_DUP);
            return jsonSkipValue(&c->r) != JSON_ERROR;
        }
        c->seen |= 1u << f;
        return members[i].parse(c, f);
    }
    return jsonSkipValue(&c->r) != JSON_ERROR; /* unknown member */
}

/* The whole top-level value. Returns false on a JSON error. */
static bool parseBody(parse_ctx *c) {
    json_tok t = jsonNext(&c->r);
    if (t == JSON_ERROR) return false;
    if (t != JSON_OBJECT_BEGIN) {
        addError(c, F_BODY, 400, MSG_OBJECT);
        return jsonSkipRest(&c->r, t) == 0;
    }
    for (;;) {
        t = jsonNext(&c->r);
        if (t == JSON_OBJECT_END) return true;
        if (t != JSON_KEY || !parseMember(c)) return false;
    }
}

/* Copies the per-field errors into p->errors; returns the status. */
static int finish(parse_ctx *c) {
    int status = 0;
    for (int f = 0; f < F_COUNT; f++) {
        if (!c->status[f]) continue;
        c->p->errors[c->p->error_count++] = (person_error){field_names[f], c->msg[f]};
        if (status != 400) status = c->status[f];
    }
    return status;
}

int personParse(person *p, const char *body, size_t len, char *scratch, size_t scratch_cap) {
    parse_ctx c = {.p = p};
    p->apelido = p->nome = p->nascimento = (slice){"", 0};
    p->stack_len = 0;
    p->stack_null = true;
    p->error_count = 0;
    jsonReaderInit(&c.r, body, len, scratch, scratch_cap);
    bool ok = parseBody(&c) && jsonNext(&c.r) == JSON_END;
    if (!ok) {
        memset(c.status, 0, sizeof(c.status));
        addError(&c, F_BODY, 400, jsonErrorText(c.r.err));
    } else if (!c.status[F_BODY]) {
        for (int f = F_APELIDO; f <= F_NASCIMENTO; f++) {
            if (!(c.seen & (1u << f))) addError(&c, (enum field)f, 422, MSG_REQUIRED);
        }
    }
    return finish(&c);
}

/* Appends the literal lit then s as a JSON string. */
static int putString(buf *out, const char *lit, slice s) {
    int rc = bufAppendStr(out, lit);
    return rc < 0 ? rc : jsonWriteString(out, s);
}

static int putStack(const person *p, buf *out) {
    if (p->stack_null) return bufAppendStr(out, ",\"stack\":null}");
    int rc = bufAppendStr(out, ",\"stack\":[");
    for (size_t i = 0; rc == 0 && i < p->stack_len; i++) {
        rc = putString(out, i ? "," : "", p->stack[i]);
    }
    return rc < 0 ? rc : bufAppendStr(out, "]}");
}

int personWriteJson(const person *p, slice id, buf *out) {
    int rc = putString(out, "{\"id\":", id);
    if (rc == 0) rc = putString(out, ",\"apelido\":", p->apelido);
    if (rc == 0) rc = putString(out, ",\"nome\":", p->nome);
    if (rc == 0) rc = putString(out, ",\"nascimento\":", p->nascimento);
    return rc < 0 ? rc : putStack(p, out);
}

static char *foldPart(char *w, slice s, bool sep) {
    if (sep) *w++ = '\0';
    utf8Fold(s.ptr, s.len, w);
    return w + s.len;
}

int personWriteSearchKey(const person *p, buf *out) {
    size_t total = p->apelido.len + 1 + p->nome.len;
    for (size_t i = 0; i < p->stack_len; i++) total += 1 + p->stack[i].len;
    int rc = bufReserve(out, total);
    if (rc < 0) return rc;
    char *w = out->data + out->len;
    w = foldPart(w, p->apelido, false);
    w = foldPart(w, p->nome, true);
    for (size_t i = 0; i < p->stack_len; i++) w = foldPart(w, p->stack[i], true);
    out->len += total;
    return 0;
}

int personWriteErrors(const person *p, buf *out) {
    int rc = bufAppendStr(out, "{\"errors\":[");
    for (size_t i = 0; rc == 0 && i < p->error_count; i++) {
        const person_error *e = &p->errors[i];
        slice field = sliceMake(e->field, strlen(e->field));
        slice message = sliceMake(e->message, strlen(e->message));
        rc = putString(out, i ? ",{\"field\":" : "{\"field\":", field);
        if (rc == 0) rc = putString(out, ",\"message\":", message);
        if (rc == 0) rc = bufAppendStr(out, "}");
    }
    return rc < 0 ? rc : bufAppendStr(out, "]}");
}
