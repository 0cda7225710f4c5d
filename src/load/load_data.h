/* load_data.h - the repository's own test data: the two files of the
 * official stress test, generated.
 *
 * pessoas-payloads.tsv: header "payload", then LOAD_DATA_PAYLOADS creation
 * payloads, the first ones of the procedural stream of the seed (load_gen.h),
 * so a run on the file and a --procedural run with the same seed send the
 * same first 100,000 bodies. termos-busca.tsv: header "t", then
 * LOAD_DATA_TERMS search terms from a second stream of the same seed. Same
 * seed, same bytes, on any machine. The texts are built in memory (what
 * bardo-load sends by default) and written by --write-data (docs/DATA.md). */
#ifndef BARDO_LOAD_DATA_H
#define BARDO_LOAD_DATA_H

#include <stddef.h>
#include <stdint.h>

#define LOAD_DATA_PAYLOADS 100000 /* as many as the official file */
#define LOAD_DATA_TERMS 5000
#define LOAD_DATA_SEED 42 /* bardo-load's default --seed */
#define LOAD_DATA_PAYLOADS_FILE "pessoas-payloads.tsv"
#define LOAD_DATA_TERMS_FILE "termos-busca.tsv"

typedef enum { LOAD_DATA_PAYLOAD_SET, LOAD_DATA_TERM_SET } load_data_set;

/* The whole file's text (header and lines, each ending in '\n'), malloc'd
 * into *text (the caller frees), its length in *len. 0 or -ENOMEM. */
int loadDataText(load_data_set set, uint64_t seed, char **text, size_t *len);
/* Writes dir/pessoas-payloads.tsv and dir/termos-busca.tsv (dir created if
 * missing). Each goes to a temporary name first and is renamed when
 * complete: a reader never sees half a file. 0 or -errno. */
int loadDataWrite(const char *dir, uint64_t seed);
/* The perfect count (load_perfect.h) of the first n creations sent from
 * the generated payload file of seed; -ENOMEM on failure. */
int64_t loadDataPerfect(uint64_t seed, uint64_t n);

#endif
