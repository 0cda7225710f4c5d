/* http_parser.c - hand-written zero-copy HTTP/1.x request parser.
 *
 * Hand-written rather than generated or borrowed because it is the hottest
 * path of the API: every request goes through it, usually once. Same model
 * as picohttpparser: no state between calls, no allocation, slices into the
 * caller's buffer. Fuzzed by fuzz/fuzz_http.c.
 *
 * How it works: the head is cut into lines with memchr('\n') (a CR before
 * the LF is dropped, so bare-LF lines work too, as nginx accepts them). A
 * line is only looked at once its LF has arrived, and lines are handled
 * strictly in order, so a prefix of the input either stops at PARTIAL or
 * reaches exactly the verdict the whole input reaches: that is what makes
 * re-parsing after PARTIAL safe. Checks that need every header (Content-Length
 * with Transfer-Encoding, a missing Host, Connection defaults) run at the
 * blank line; a repeated Host or Content-Length is refused at its line. */
#include "http/http_parser.h"

#include <limits.h>
#include <stdint.h>

/* RFC 9110 tchar: "!#$%&'*+-.^_`|~", digits, letters. */
static const unsigned char token_char[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x00 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x10 */
    0, 1, 0, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 1, 1, 0, /* 0x20  !"#$%&'()*+,-./ */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, /* 0x30 0-9:;<=>? */
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x40 @A-O */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, /* 0x50 P-Z[\]^_ */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x60 `a-o */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0, 1, 0, /* 0x70 p-z{|}~DEL */
    /* 0x80..0xff: not token characters */
};

/* Header state that only matters until the blank line. */
typedef struct head_state {
    bool conn_close, conn_keep_alive, host;
} head_state;

static inline unsigned char lower(unsigned char c) {
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c | 0x20) : c;
}

/* ASCII case-insensitive equality of s with lit[0..lit_len). */
static bool caseEq(slice s, const char *lit, size_t lit_len) {
    if (s.len != lit_len) return false;
    for (size_t i = 0; i < lit_len; i++)
        if (lower((unsigned char)s.ptr[i]) != lower((unsigned char)lit[i])) return false;
    return true;
}

static bool isOws(char c) { return c == ' ' || c == '\t'; }

static slice trimOws(slice s) {
    while (s.len > 0 && isOws(s.ptr[0])) s.ptr++, s.len--;
    while (s.len > 0 && isOws(s.ptr[s.len - 1])) s.len--;
    return s;
}

/* Does the comma-separated list v contain tok (case-insensitive)? Items may
 * carry ";params", which are ignored. */
static bool listHas(slice v, const char *tok) {
    size_t tok_len = strlen(tok);
    const char *p = v.ptr, *end = v.ptr + v.len;
    while (p < end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *item_end = comma ? comma : end;
        const char *semi = memchr(p, ';', (size_t)(item_end - p));
        slice item = sliceMake(p, (size_t)((semi ? semi : item_end) - p));
        if (caseEq(trimOws(item), tok, tok_len)) return true;
        p = comma ? comma + 1 : end;
    }
    return false;
}

/* Finds the next line starting at p. Returns the position after its LF, or
 * NULL when the LF has not arrived yet. *line excludes the CR LF / LF. */
static const char *nextLine(const char *p, const char *end, slice *line) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    if (!nl) return NULL;
    const char *le = (nl > p && nl[-1] == '\r') ? nl - 1 : nl;
    *line = sliceMake(p, (size_t)(le - p));
    return nl + 1;
}

static http_method methodOf(slice m) {
    static const struct {
        const char *text;
        http_method method;
    } table[] = {{"GET", HTTP_GET},     {"POST", HTTP_POST},
                 {"HEAD", HTTP_HEAD},   {"PUT", HTTP_PUT},
                 {"DELETE", HTTP_DELETE}};
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (sliceEqStr(m, table[i].text)) return table[i].method;
    return HTTP_OTHER;
}

/* origin-form: starts with '/', then visible ASCII or obs-text bytes. */
static bool validTarget(slice t) {
    if (t.len == 0 || t.ptr[0] != '/') return false;
    for (size_t i = 0; i < t.len; i++) {
        unsigned char c = (unsigned char)t.ptr[i];
        if (c <= 0x20 || c == 0x7f) return false;
    }
    return true;
}

static void splitTarget(http_request *req) {
    const char *q = memchr(req->target.ptr, '?', req->target.len);
    if (!q) {
        req->path = req->target;
        req->query = sliceMake(NULL, 0);
        return;
    }
    req->path = sliceMake(req->target.ptr, (size_t)(q - req->target.ptr));
    req->query = sliceMake(q + 1, req->target.len - req->path.len - 1);
}

/* METHOD SP target SP HTTP/1.x, parsed from both ends: the version is the
 * fixed-size tail, the method runs to the first SP, the target is between. */
static int parseRequestLine(slice line, http_request *req) {
    static const char ver[] = " HTTP/1.";
    const size_t ver_len = sizeof ver - 1 + 1; /* plus the minor digit */
    if (line.len < ver_len + 3) return HTTP_PARSE_ERROR; /* "M /" at least */
    const char *vp = line.ptr + line.len - ver_len;
    if (memcmp(vp, ver, sizeof ver - 1) != 0) return HTTP_PARSE_ERROR;
    char minor = vp[ver_len - 1];
    if (minor != '0' && minor != '1') return HTTP_PARSE_ERROR;
    req->minor_version = minor - '0';

    size_t m = 0;
    while (m < line.len && token_char[(unsigned char)line.ptr[m]]) m++;
    if (m == 0 || m == line.len || line.ptr[m] != ' ') return HTTP_PARSE_ERROR;
    req->method_text = sliceMake(line.ptr, m);
    req->method = methodOf(req->method_text);

    const char *tp = line.ptr + m + 1;
    if (tp > vp) return HTTP_PARSE_ERROR;
    req->target = sliceMake(tp, (size_t)(vp - tp));
    if (!validTarget(req->target)) return HTTP_PARSE_ERROR;
    splitTarget(req);
    return 0;
}

/* name ":" OWS value OWS; rejects obs-fold, spaces before ':', CTLs. */
static int parseHeaderLine(slice line, http_header *h) {
    size_t n = 0;
    while (n < line.len && token_char[(unsigned char)line.ptr[n]]) n++;
    if (n == 0 || n == line.len || line.ptr[n] != ':') return HTTP_PARSE_ERROR;
    h->name = sliceMake(line.ptr, n);
    slice v = trimOws(sliceMake(line.ptr + n + 1, line.len - n - 1));
    for (size_t i = 0; i < v.len; i++) {
        unsigned char c = (unsigned char)v.ptr[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f) return HTTP_PARSE_ERROR;
    }
    h->value = v;
    return 0;
}

/* Strict Content-Length: digits only, at most HTTP_MAX_CONTENT_LENGTH, and
 * a repeated header must repeat the same value (request smuggling). */
static int applyContentLength(http_request *req, slice v) {
    if (v.len == 0) return HTTP_PARSE_BAD_LENGTH;
    uint64_t n = 0;
    for (size_t i = 0; i < v.len; i++) {
        if (v.ptr[i] < '0' || v.ptr[i] > '9') return HTTP_PARSE_BAD_LENGTH;
        n = n * 10 + (uint64_t)(v.ptr[i] - '0');
        if (n > HTTP_MAX_CONTENT_LENGTH) return HTTP_PARSE_BAD_LENGTH;
    }
    if (req->has_content_length && req->content_length != n) return HTTP_PARSE_BAD_LENGTH;
    req->content_length = (size_t)n;
    req->has_content_length = true;
    return 0;
}

/* Records what the framing layer needs from the headers it cares about;
 * dispatches on length first so most headers cost one comparison. */
static int applyHeader(http_request *req, head_state *st, const http_header *h) {
    switch (h->name.len) {
    case 14:
        if (caseEq(h->name, "content-length", 14)) return applyContentLength(req, h->value);
        break;
    case 17:
        /* Any value counts, even empty or unknown: a coding ignored here
         * would leave its body to be read as the next request. */
        if (caseEq(h->name, "transfer-encoding", 17)) req->transfer_encoding = true;
        break;
    case 4:
        /* RFC 9112 3.2: two Host lines are a 400, whatever their values. */
        if (caseEq(h->name, "host", 4)) {
            if (st->host) return HTTP_PARSE_BAD_HOST;
            st->host = true;
        }
        break;
    case 10:
        if (caseEq(h->name, "connection", 10)) {
            st->conn_close |= listHas(h->value, "close");
            st->conn_keep_alive |= listHas(h->value, "keep-alive");
        }
        break;
    case 6:
        if (caseEq(h->name, "expect", 6) && caseEq(h->value, "100-continue", 12))
            req->expect_continue = true;
        break;
    default:
        break;
    }
    return 0;
}

static int finishHead(http_request *req, const head_state *st) {
    /* RFC 9112 6.1: both at once is a smuggling attempt; refuse, never pick. */
    if (req->transfer_encoding && req->has_content_length) return HTTP_PARSE_BAD_LENGTH;
    /* RFC 9112 3.2: an HTTP/1.1 request must carry Host (1.0 may omit it). */
    if (req->minor_version == 1 && !st->host) return HTTP_PARSE_BAD_HOST;
    if (req->minor_version == 1)
        req->keep_alive = !st->conn_close;
    else
        req->keep_alive = st->conn_keep_alive && !st->conn_close;
    /* RFC 9110 10.1.1: a 1.0 client cannot expect 100 Continue. */
    if (req->minor_version == 0) req->expect_continue = false;
    return 0;
}

static void resetRequest(http_request *req) {
    req->method = HTTP_OTHER;
    req->method_text = req->target = req->path = req->query = sliceMake(NULL, 0);
    req->minor_version = 0;
    req->num_headers = 0;
    req->content_length = 0;
    req->has_content_length = req->keep_alive = false;
    req->transfer_encoding = req->expect_continue = false;
}

/* Skips empty lines before the request line (RFC 9112 2.2: a client may
 * send a stray CRLF after a body). NULL when the input ends inside them. */
static const char *skipEmptyLines(const char *p, const char *end) {
    while (p < end && (*p == '\r' || *p == '\n')) {
        if (*p == '\n') p++;
        else if (end - p < 2) return NULL;
        else if (p[1] == '\n') p += 2;
        else break; /* a lone CR: let the request line reject it */
    }
    return p < end ? p : NULL;
}

int httpParseRequest(const char *buf, size_t len, http_request *req) {
    if (len > INT_MAX) len = INT_MAX; /* the result must fit an int */
    const char *end = buf + len;
    head_state st = {false, false, false};
    slice line;
    resetRequest(req);
    const char *p = skipEmptyLines(buf, end);
    if (!p || !(p = nextLine(p, end, &line))) return HTTP_PARSE_PARTIAL;
    if (parseRequestLine(line, req) != 0) return HTTP_PARSE_ERROR;
    for (;;) {
        if (!(p = nextLine(p, end, &line))) return HTTP_PARSE_PARTIAL;
        if (line.len == 0) break;
        if (req->num_headers == HTTP_MAX_HEADERS) return HTTP_PARSE_TOO_MANY_HEADERS;
        http_header *h = &req->headers[req->num_headers];
        if (parseHeaderLine(line, h) != 0) return HTTP_PARSE_ERROR;
        req->num_headers++;
        int rc = applyHeader(req, &st, h);
        if (rc != 0) return rc;
    }
    int rc = finishHead(req, &st);
    return rc != 0 ? rc : (int)(p - buf);
}

slice httpHeaderGet(const http_request *r, const char *name) {
    size_t name_len = strlen(name);
    for (size_t i = 0; i < r->num_headers; i++)
        if (caseEq(r->headers[i].name, name, name_len)) return r->headers[i].value;
    return sliceMake(NULL, 0);
}
