/* utf8.h - strict UTF-8 validation, decoding, counting and search folding.
 *
 * Strict means RFC 3629 / Unicode Table 3-7: no overlong forms, no UTF-16
 * surrogates (U+D800..U+DFFF), nothing above U+10FFFF. Nothing allocates.
 *
 * utf8Fold() is the case folding used by search: it lower-cases only the
 * characters whose lower case has the same UTF-8 length, so a folded string
 * has exactly the bytes of the original and byte offsets stay valid. */
#ifndef BARDO_UTF8_H
#define BARDO_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Decodes the sequence at s (len bytes available). Returns its length
 * (1..4) and stores the code point in *cp, or 0 when it is invalid or
 * truncated. */
size_t utf8Decode(const char *s, size_t len, uint32_t *cp);
/* True when s[0..len) is entirely valid UTF-8. */
bool utf8Valid(const char *s, size_t len);
/* Number of code points in valid UTF-8 (counts non-continuation bytes). */
size_t utf8Count(const char *s, size_t len);
/* Writes cp as UTF-8 into out; returns 1..4, or 0 for a surrogate or a
 * value above U+10FFFF (nothing written). */
size_t utf8Encode(uint32_t cp, char out[4]);
/* Writes exactly len bytes to out: s lower-cased for search (ASCII, Latin-1,
 * Latin Extended-A, basic Greek and Cyrillic capitals). in may equal out.
 * Invalid bytes are copied unchanged. */
void utf8Fold(const char *in, size_t len, char *out);

#endif
