/* url.h - percent-decoding and query-string lookup for request targets.
 *
 * Zero-copy like the HTTP parser: urlQueryParam() returns the raw (still
 * encoded) value as a slice into the query; urlDecode() then decodes it into
 * a caller buffer, or in place. No allocation. */
#ifndef BARDO_URL_H
#define BARDO_URL_H

#include <stdbool.h>
#include <stddef.h>

#include "core/slice.h"

/* Decodes application/x-www-form-urlencoded bytes in[0..len) into out:
 * '+' becomes a space and %XX (hex digits of either case) the byte XX.
 * out needs room for len bytes and may equal in (the output never runs
 * ahead of the input). Returns the output length, or -1 when a '%' is not
 * followed by two hex digits (or len exceeds INT_MAX). The result may hold
 * any byte, NUL and invalid UTF-8 included: the caller validates. */
int urlDecode(const char *in, size_t len, char *out);

/* Finds the first `name=value` pair in an &-separated query string (without
 * the '?'). Keys are compared byte for byte, undecoded. A bare `name` with no
 * '=' yields an empty value. Returns false when name is absent; otherwise
 * *raw_value is the still-encoded value, a slice into query. */
bool urlQueryParam(slice query, const char *name, slice *raw_value);

#endif
