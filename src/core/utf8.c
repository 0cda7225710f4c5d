/* utf8.c - see utf8.h.
 *
 * Validation follows Unicode Table 3-7: the lead byte fixes the length and
 * the allowed range of the *second* byte (that is where overlongs,
 * surrogates and > U+10FFFF are excluded); later bytes are plain
 * continuation bytes. Runs of ASCII are skipped 8 bytes at a time.
 *
 * Folding only touches 1- and 2-byte code points (everything it maps is
 * below U+0800), so 3- and 4-byte sequences can be copied byte by byte:
 * their continuation bytes never look like a 2-byte lead. */
#include "core/utf8.h"

#include <string.h>

/* Allowed second-byte range per lead byte 0xC2..0xF4; lo == 0: invalid lead. */
typedef struct lead_info {
    uint8_t len, lo, hi;
} lead_info;

static lead_info leadInfo(uint8_t b) {
    if (b < 0xC2 || b > 0xF4) return (lead_info){0, 0, 0};
    if (b <= 0xDF) return (lead_info){2, 0x80, 0xBF};
    if (b == 0xE0) return (lead_info){3, 0xA0, 0xBF};
    if (b == 0xED) return (lead_info){3, 0x80, 0x9F};
    if (b <= 0xEF) return (lead_info){3, 0x80, 0xBF};
    if (b == 0xF0) return (lead_info){4, 0x90, 0xBF};
    if (b == 0xF4) return (lead_info){4, 0x80, 0x8F};
    return (lead_info){4, 0x80, 0xBF};
}

size_t utf8Decode(const char *s, size_t len, uint32_t *cp) {
    const uint8_t *u = (const uint8_t *)s;
    if (len == 0) return 0;
    if (u[0] < 0x80) {
        *cp = u[0];
        return 1;
    }
    lead_info li = leadInfo(u[0]);
    if (li.len == 0 || len < li.len) return 0;
    if (u[1] < li.lo || u[1] > li.hi) return 0;
    uint32_t v = u[0] & (0x7Fu >> li.len);
    for (size_t i = 1; i < li.len; i++) {
        if ((u[i] & 0xC0) != 0x80) return 0;
        v = (v << 6) | (u[i] & 0x3Fu);
    }
    *cp = v;
    return li.len;
}

static bool allAscii8(const char *s) {
    uint64_t w;
    memcpy(&w, s, sizeof(w));
    return (w & 0x8080808080808080ull) == 0;
}

bool utf8Valid(const char *s, size_t len) {
    size_t i = 0;
    while (i < len) {
        if (len - i >= 8 && allAscii8(s + i)) {
            i += 8;
            continue;
        }
        uint32_t cp;
        size_t n = utf8Decode(s + i, len - i, &cp);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

size_t utf8Count(const char *s, size_t len) {
    size_t n = 0;
    for (size_t i = 0; i < len; i++) n += ((uint8_t)s[i] & 0xC0) != 0x80;
    return n;
}

size_t utf8Encode(uint32_t cp, char out[4]) {
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp >= 0xD800 && cp <= 0xDFFF) return 0;
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    if (cp > 0x10FFFF) return 0;
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Upper -> lower ranges of 2-byte code points. alt: only every other code
 * point starting at lo is a capital (Latin Extended-A pairs). Latin
 * Extended-A is split where Unicode's pairing flips parity; U+0130 (İ,
 * lower case "i" is 1 byte) and U+0138/U+0149/U+017F (lower case letters
 * without a capital) are left out. U+0178 Ÿ -> U+00FF ÿ is also 2 bytes. */
typedef struct fold_range {
    uint16_t lo, hi;
    int16_t delta;
    bool alt;
} fold_range;

static const fold_range fold_ranges[] = {
    {0x00C0, 0x00D6, 0x20, false}, {0x00D8, 0x00DE, 0x20, false},
    {0x0100, 0x012F, 1, true},     {0x0132, 0x0137, 1, true},
    {0x0139, 0x0148, 1, true},     {0x014A, 0x0177, 1, true},
    {0x0178, 0x0178, -0x79, false}, {0x0179, 0x017E, 1, true},
    {0x0391, 0x03A1, 0x20, false}, {0x03A3, 0x03AB, 0x20, false},
    {0x0400, 0x040F, 0x50, false}, {0x0410, 0x042F, 0x20, false},
};

static uint32_t foldCp(uint32_t cp) {
    if (cp < fold_ranges[0].lo || cp > 0x042F) return cp;
    for (size_t i = 0; i < sizeof(fold_ranges) / sizeof(fold_ranges[0]); i++) {
        const fold_range *f = &fold_ranges[i];
        if (cp < f->lo) return cp;
        if (cp > f->hi) continue;
        if (f->alt && ((cp - f->lo) & 1)) return cp;
        return (uint32_t)((int32_t)cp + f->delta);
    }
    return cp;
}

void utf8Fold(const char *in, size_t len, char *out) {
    size_t i = 0;
    while (i < len) {
        uint8_t b = (uint8_t)in[i];
        if (b < 0x80) {
            out[i++] = (char)((b >= 'A' && b <= 'Z') ? b + 0x20 : b);
            continue;
        }
        uint8_t c = i + 1 < len ? (uint8_t)in[i + 1] : 0;
        if (b >= 0xC2 && b <= 0xDF && (c & 0xC0) == 0x80) {
            uint32_t cp = foldCp(((b & 0x1Fu) << 6) | (c & 0x3Fu));
            out[i] = (char)(0xC0 | (cp >> 6));
            out[i + 1] = (char)(0x80 | (cp & 0x3F));
            i += 2;
            continue;
        }
        out[i++] = (char)b;
    }
}
