/* people.h - the store's in-memory people database (see people.c).
 *
 * Holds every person: 16-byte id, apelido (unique, byte-exact), search key
 * ("apelido\0nome\0stack0\0..." already case-folded by the API) and the
 * rendered JSON document. Records live in large arena chunks and are never
 * freed or moved, so slices handed out stay valid until peopleDestroy().
 * Not thread-safe: the store runs it from one thread. */
#ifndef BARDO_PEOPLE_H
#define BARDO_PEOPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/slice.h"

typedef struct people people;

/* `expected` is a capacity hint; NULL on ENOMEM. */
people *peopleCreate(size_t expected);
void peopleDestroy(people *db);

/* Adds a person. Returns 0, -EEXIST when the apelido is taken, -EALREADY
 * when the id exists (checked first), -ENOMEM, or -EINVAL for a field over
 * 64 MiB. Nothing changes on failure. */
int peopleAdd(people *db, const uint8_t id[16], slice apelido, slice search_key, slice json);

/* Finds a person's JSON by id; the slice stays valid until the db is
 * destroyed. */
bool peopleGet(const people *db, const uint8_t id[16], slice *json);
bool peopleApelidoTaken(const people *db, slice apelido);
/* The apelido of the person with this id (false if none). */
bool peopleApelidoOf(const people *db, const uint8_t id[16], slice *apelido);
/* Takes a person out (a write aborted before any replica acknowledged it):
 * id and apelido are free again, GET, search and count no longer see it.
 * 0 or -ENOENT. */
int peopleRemove(people *db, const uint8_t id[16]);
/* People present (added, not removed). */
size_t peopleCount(const people *db);
/* Positions used so far, removed people included: walks go up to this. */
size_t peoplePositions(const people *db);
/* The person at insertion position `index` (0 .. peoplePositions() - 1),
 * for snapshots: copies the id, points the slices into the db (valid until
 * it is destroyed). False past the end or for a removed person. Positions
 * never change, so a walk may run while people are being added. */
bool peopleAt(const people *db, size_t index, uint8_t id[16], slice *apelido, slice *search_key,
              slice *json);

/* Appends to out a JSON array "[doc,doc,...]" of at most `limit` people
 * whose search key contains `term` (already folded by the caller; a byte
 * substring of ONE field: a match never spans a NUL separator and a term
 * containing a NUL matches nothing). An empty term matches everyone. People
 * come in insertion order. Returns the number of people written or -ENOMEM
 * (then out is as before). */
int peopleSearch(const people *db, slice term, size_t limit, buf *out);

/* Bytes the db has allocated (arena, indexes, search index), for
 * memory-per-person reports. */
size_t peopleMemoryBytes(const people *db);
/* The search index's share of peopleMemoryBytes() and its used postings. */
size_t peopleSearchMemoryBytes(const people *db);
size_t peoplePostingBytes(const people *db);

#endif
