/* url.c - percent-decoding and query-string lookup.
 *
 * urlDecode() walks the input once with a read and a write index; since an
 * escape shrinks three bytes to one, the write index never passes the read
 * index, which is what lets it decode in place. urlQueryParam() steps over
 * the '&'-separated pairs with memchr. */
#include "http/url.h"

#include <limits.h>

/* Value of a hex digit, or -1. */
static int hexVal(unsigned char c) {
    if (c >= '0' && c <= '9') return c - '0';
    c |= 0x20; /* ASCII lower case; digits were handled above */
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

int urlDecode(const char *in, size_t len, char *out) {
    if (len > INT_MAX) return -1;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = in[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            if (len - i < 3) return -1;
            int hi = hexVal((unsigned char)in[i + 1]);
            int lo = hexVal((unsigned char)in[i + 2]);
            if (hi < 0 || lo < 0) return -1;
            c = (char)(hi << 4 | lo);
            i += 2;
        }
        out[o++] = c;
    }
    return (int)o;
}

bool urlQueryParam(slice query, const char *name, slice *raw_value) {
    size_t name_len = strlen(name);
    if (!query.ptr) return false; /* no '?' at all */
    const char *p = query.ptr, *end = query.ptr + query.len;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *pair_end = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(pair_end - p));
        const char *key_end = eq ? eq : pair_end;
        if ((size_t)(key_end - p) == name_len && memcmp(p, name, name_len) == 0) {
            const char *v = eq ? eq + 1 : pair_end;
            *raw_value = sliceMake(v, (size_t)(pair_end - v));
            return true;
        }
        p = amp ? amp + 1 : end;
    }
    return false;
}
