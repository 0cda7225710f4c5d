/* person_check.h - a store keeps only what an API would have sent it.
 *
 * PADD <id> <apelido> <search-key> <json> is checked as a whole before
 * anything is journaled, whoever sends it: defence in depth, so that a bug
 * or a stolen password cannot make the APIs serve arbitrary bytes (issue
 * 11). The rule is the strongest simple one: the json must be exactly what
 * the API renders for this id and this person. It is parsed by the API's
 * own validator (personParse: well-formed JSON, every SPEC rule, lengths
 * included), rendered again with the id argument (personWriteJson) and
 * compared byte for byte, which also pins its shape, its members' order
 * and the id inside it; the apelido and the search key must then be the
 * ones that person implies. Its length is checked first (PERSON_JSON_MAX,
 * the bound a search reply's size is derived from, api/person.h).
 *
 * Replicated entries and recovery from a data directory are not checked
 * again: they come from a primary that checked them (or from this store's
 * own journal), over an authenticated link, and re-parsing every entry of
 * a full resync would slow the path where a replica catches up. */
#ifndef BARDO_PERSON_CHECK_H
#define BARDO_PERSON_CHECK_H

#include <stddef.h>

#include "core/slice.h"

/* 0 when the four arguments are a person as the API makes it; -EINVAL
 * with why filled ("ERR invalid person: <reason>", one line, for a RESP
 * error) when not; -ENOMEM. */
int personCheckAdd(slice id, slice apelido, slice search_key, slice json, char *why,
                   size_t why_cap);

#endif
