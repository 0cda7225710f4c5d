/* journal.c - framing, CRC-32C, decoding, the ring backlog, file mode and
 * the loader.
 *
 * - Frames: [u32 len][u32 crc32c(len bytes + body)][body], little-endian.
 *   The CRC is software slicing-by-8 (8 tables of 256, built on first use):
 *   a few GB/s, no dependency and no CPU feature check.
 * - Backlog: one byte ring of `cap` bytes plus a ring of {pos, len} slots,
 *   one per held seq (seqs are consecutive, so seq -> slot is arithmetic).
 *   A frame is never split across the ring's end: when it does not fit
 *   before the end it goes to position 0 (a bip buffer), so every held
 *   frame is one contiguous slice that can be written to a socket as is.
 *   Room is made by dropping the oldest frames.
 * - File mode: appended frames are also queued in `pending`; journalSync()
 *   writes the queue and fdatasyncs once (group commit).
 * - Loader: see journalLoad() in journal.h for what is torn and what is
 *   damage. A middle frame whose length was damaged to point past the end
 *   of the data would look like a torn tail: the loader tells them apart
 *   by looking for a whole valid frame after it (a torn tail has none). */
#include "store/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/bardo.pb-c.h"

/* ---- CRC-32C and frames ----------------------------------------------- */

static uint32_t crc_tab[8][256];
static bool crc_ready;

static void crcInit(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1)));
        crc_tab[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
            crc_tab[t][i] = (crc_tab[t - 1][i] >> 8) ^ crc_tab[0][crc_tab[t - 1][i] & 0xff];
    crc_ready = true;
}

uint32_t journalCrc32c(uint32_t crc, const void *p, size_t n) {
    if (!crc_ready) crcInit();
    const uint8_t *b = p;
    crc = ~crc;
    for (; n >= 8; n -= 8, b += 8) {
        uint32_t lo = crc ^ ((uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
                             (uint32_t)b[3] << 24);
        crc = crc_tab[7][lo & 0xff] ^ crc_tab[6][(lo >> 8) & 0xff] ^
              crc_tab[5][(lo >> 16) & 0xff] ^ crc_tab[4][lo >> 24] ^ crc_tab[3][b[4]] ^
              crc_tab[2][b[5]] ^ crc_tab[1][b[6]] ^ crc_tab[0][b[7]];
    }
    while (n--) crc = (crc >> 8) ^ crc_tab[0][(crc ^ *b++) & 0xff];
    return ~crc;
}

static uint32_t get32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* Fills in the header of a frame whose body of len bytes is at p + 8. */
static void frameSeal(uint8_t *p, size_t len) {
    put32(p, (uint32_t)len);
    uint32_t crc = journalCrc32c(0, p, 4);
    put32(p + 4, journalCrc32c(crc, p + JOURNAL_FRAME_HDR, len));
}

ssize_t journalFrameParse(const uint8_t *p, size_t n, slice *body) {
    if (n < JOURNAL_FRAME_HDR) return JOURNAL_PARTIAL;
    size_t len = get32(p);
    if (len > JOURNAL_BODY_MAX) return JOURNAL_BAD;
    if (n - JOURNAL_FRAME_HDR < len) return JOURNAL_PARTIAL;
    uint32_t crc = journalCrc32c(journalCrc32c(0, p, 4), p + JOURNAL_FRAME_HDR, len);
    if (crc != get32(p + 4)) return JOURNAL_BAD;
    *body = sliceMake((const char *)p + JOURNAL_FRAME_HDR, len);
    return (ssize_t)(JOURNAL_FRAME_HDR + len);
}

int journalFramePack(buf *out, const ProtobufCMessage *msg) {
    size_t len = protobuf_c_message_get_packed_size(msg);
    if (len > JOURNAL_BODY_MAX) return -EMSGSIZE;
    if (bufReserve(out, JOURNAL_FRAME_HDR + len) < 0) return -ENOMEM;
    uint8_t *p = (uint8_t *)out->data + out->len;
    protobuf_c_message_pack(msg, p + JOURNAL_FRAME_HDR);
    frameSeal(p, len);
    out->len += JOURNAL_FRAME_HDR + len;
    return 0;
}

/* ---- scratch arena for protobuf-c ------------------------------------- */

#define SCRATCH_MIN ((size_t)64 << 10)

typedef struct scratch_extra { /* 16 bytes: what follows stays aligned */
    _Alignas(16) struct scratch_extra *next;
    size_t size;
} scratch_extra;

/* Blocks that did not fit go to their own malloc; the next reset grows the
 * main chunk to what the message needed, so it fits next time. */
static void *scratchOverflow(journal_scratch *s, size_t n) {
    scratch_extra *x = malloc(sizeof(scratch_extra) + n);
    if (!x) return NULL;
    x->next = s->extra;
    x->size = n;
    s->extra = x;
    s->used += n; /* counted, so reset knows how much was wanted */
    return x + 1;
}

static void *scratchAlloc(void *ctx, size_t n) {
    journal_scratch *s = ctx;
    n = (n + 15) & ~(size_t)15;
    if (!s->mem) {
        s->mem = malloc(SCRATCH_MIN);
        s->cap = s->mem ? SCRATCH_MIN : 0;
        s->used = 0;
    }
    if (s->mem && s->cap - s->used >= n && !s->extra) {
        void *p = s->mem + s->used;
        s->used += n;
        return p;
    }
    return scratchOverflow(s, n);
}

static void scratchFreeOne(void *ctx, void *p) {
    (void)ctx; /* everything goes at the next reset */
    (void)p;
}

void journalScratchInit(journal_scratch *s) {
    *s = (journal_scratch){.alloc = {scratchAlloc, scratchFreeOne, NULL}};
    s->alloc.allocator_data = s;
}

void journalScratchReset(journal_scratch *s) {
    size_t want = s->used;
    while (s->extra) {
        scratch_extra *x = s->extra;
        s->extra = x->next;
        free(x);
    }
    if (want > s->cap) { /* grow (at most a body's worth plus structs) */
        free(s->mem);
        size_t cap = s->cap ? s->cap : SCRATCH_MIN;
        while (cap < want) cap *= 2;
        s->mem = malloc(cap);
        s->cap = s->mem ? cap : 0;
    }
    s->used = 0;
}

void journalScratchFree(journal_scratch *s) {
    journalScratchReset(s);
    free(s->mem);
    s->mem = NULL;
    s->cap = 0;
}

/* ---- entries ---------------------------------------------------------- */

static ProtobufCBinaryData bin(const void *p, size_t n) {
    return (ProtobufCBinaryData){n, (uint8_t *)(uintptr_t)p};
}

static slice binSlice(ProtobufCBinaryData b) {
    return sliceMake(b.data ? (const char *)b.data : "", b.len);
}

void journalPersonToPb(Bardo__Person *pm, const journal_person *p) {
    bardo__person__init(pm);
    pm->id = bin(p->id, 16);
    pm->apelido = bin(p->apelido.ptr, p->apelido.len);
    pm->search_key = bin(p->search_key.ptr, p->search_key.len);
    pm->json = bin(p->json.ptr, p->json.len);
}

int journalPersonFromPb(const Bardo__Person *m, journal_person *p) {
    if (!m || m->id.len != 16) return -EBADMSG;
    memcpy(p->id, m->id.data, 16);
    p->apelido = binSlice(m->apelido);
    p->search_key = binSlice(m->search_key);
    p->json = binSlice(m->json);
    return 0;
}

static void entryMsg(Bardo__JournalEntry *m, Bardo__Person *pm, const journal_entry *e) {
    const journal_person *p = &e->add;
    bardo__journal_entry__init(m);
    m->seq = e->seq;
    m->epoch = e->epoch;
    if (e->cmd == JOURNAL_REMOVE_PERSON) { /* a removal: the id alone */
        m->command_case = BARDO__JOURNAL_ENTRY__COMMAND_REMOVE_PERSON;
        m->remove_person = bin(p->id, 16);
        return;
    }
    if (e->cmd == JOURNAL_NEW_EPOCH) {
        m->command_case = BARDO__JOURNAL_ENTRY__COMMAND_NEW_EPOCH;
        m->new_epoch = bin(e->primary.ptr, e->primary.len);
        return;
    }
    journalPersonToPb(pm, p);
    m->command_case = BARDO__JOURNAL_ENTRY__COMMAND_ADD_PERSON;
    m->add_person = pm;
}

static int decodeRemove(const Bardo__JournalEntry *m, journal_entry *e) {
    if (m->remove_person.len != 16) return -EBADMSG;
    *e = (journal_entry){.seq = m->seq, .epoch = m->epoch, .cmd = JOURNAL_REMOVE_PERSON};
    memcpy(e->add.id, m->remove_person.data, 16);
    return 0;
}

int journalDecode(slice body, journal_scratch *s, journal_entry *e) {
    journalScratchReset(s);
    Bardo__JournalEntry *m =
        bardo__journal_entry__unpack(&s->alloc, body.len, (const uint8_t *)body.ptr);
    if (!m || m->seq == 0) return -EBADMSG;
    if (m->command_case == BARDO__JOURNAL_ENTRY__COMMAND_REMOVE_PERSON) return decodeRemove(m, e);
    if (m->command_case == BARDO__JOURNAL_ENTRY__COMMAND_NEW_EPOCH) {
        *e = (journal_entry){.seq = m->seq, .epoch = m->epoch, .cmd = JOURNAL_NEW_EPOCH,
                             .primary = binSlice(m->new_epoch)};
        return 0;
    }
    if (m->command_case != BARDO__JOURNAL_ENTRY__COMMAND_ADD_PERSON) return -EBADMSG;
    *e = (journal_entry){.seq = m->seq, .epoch = m->epoch, .cmd = JOURNAL_ADD_PERSON};
    return journalPersonFromPb(m->add_person, &e->add);
}

int journalEncode(const journal_entry *e, buf *out) {
    Bardo__JournalEntry m;
    Bardo__Person pm;
    entryMsg(&m, &pm, e);
    return journalFramePack(out, &m.base);
}

int journalApplyToPeople(void *ctx, const journal_entry *e) {
    const journal_person *p = &e->add;
    if (e->cmd == JOURNAL_REMOVE_PERSON) {
        peopleRemove(ctx, p->id); /* -ENOENT: never arrived here, nothing to undo */
        return 0;
    }
    if (e->cmd == JOURNAL_NEW_EPOCH) return 0; /* a no-op: changes no person */
    int rc = peopleAdd(ctx, p->id, p->apelido, p->search_key, p->json);
    return rc == -ENOMEM ? rc : 0;
}

/* ---- the backlog ------------------------------------------------------ */

typedef struct jslot {
    size_t pos;
    size_t len; /* whole frame */
} jslot;

struct journal {
    uint8_t *ring;
    size_t cap, head, held; /* head: end of the newest frame */
    jslot *slots;           /* ring of slot_mask + 1 */
    size_t slot_mask, slot_first, count;
    uint64_t first_seq;     /* seq of slots[slot_first]; next = first + count */
    uint64_t last_epoch;
    int fd;                 /* -1: memory only */
    buf pending;            /* frames not yet written to fd */
    uint64_t pending_seq, synced_seq;
    bool failed;
    journal_scratch scratch;
};

journal *journalCreate(size_t backlog_bytes, uint64_t next_seq) {
    journal *j = calloc(1, sizeof(*j));
    if (!j) return NULL;
    j->cap = backlog_bytes ? backlog_bytes : JOURNAL_BACKLOG_DEFAULT;
    j->ring = malloc(j->cap); /* untouched pages cost no memory until used */
    j->slot_mask = 1023;
    j->slots = malloc((j->slot_mask + 1) * sizeof(jslot));
    j->first_seq = next_seq ? next_seq : 1;
    j->synced_seq = j->first_seq - 1;
    j->fd = -1;
    journalScratchInit(&j->scratch);
    if (!j->ring || !j->slots) {
        journalDestroy(j);
        return NULL;
    }
    return j;
}

void journalDestroy(journal *j) {
    if (!j) return;
    if (j->fd >= 0) {
        journalSync(j);
        close(j->fd);
    }
    bufFree(&j->pending);
    journalScratchFree(&j->scratch);
    free(j->ring);
    free(j->slots);
    free(j);
}

static jslot *slotAt(const journal *j, size_t i) {
    return &j->slots[(j->slot_first + i) & j->slot_mask];
}

static int slotsReserve(journal *j) {
    size_t n = j->slot_mask + 1;
    if (j->count < n) return 0;
    jslot *s = malloc(2 * n * sizeof(jslot));
    if (!s) return -ENOMEM;
    for (size_t i = 0; i < j->count; i++) s[i] = *slotAt(j, i);
    free(j->slots);
    j->slots = s;
    j->slot_first = 0;
    j->slot_mask = 2 * n - 1;
    return 0;
}

static void dropOldest(journal *j) {
    j->held -= slotAt(j, 0)->len;
    j->slot_first = (j->slot_first + 1) & j->slot_mask;
    j->count--;
    j->first_seq++;
}

/* Where a frame of n (<= cap) bytes goes, dropping the oldest as needed.
 * Linear (oldest before head): free room is [head, cap) and [0, oldest).
 * Wrapped (oldest at or after head): free room is [head, oldest). */
static size_t ringPlace(journal *j, size_t n) {
    for (;;) {
        if (j->count == 0) return 0;
        size_t t = slotAt(j, 0)->pos;
        if (t < j->head) {
            if (j->cap - j->head >= n) return j->head;
            if (t >= n) return 0;
        } else if (t - j->head >= n) {
            return j->head;
        }
        dropOldest(j);
    }
}

/* Everything that can fail, before anything changes. */
static int appendReserve(journal *j, size_t n, uint64_t epoch) {
    if (j->failed) return -EIO;
    if (n > j->cap || n - JOURNAL_FRAME_HDR > JOURNAL_BODY_MAX) return -EMSGSIZE;
    if (epoch < j->last_epoch) return -ERANGE;
    if (slotsReserve(j) < 0) return -ENOMEM;
    if (j->fd >= 0 && bufReserve(&j->pending, n) < 0) return -ENOMEM;
    return 0;
}

/* Takes ring room for a frame of n bytes and records it as the next seq. */
static uint8_t *appendPush(journal *j, size_t n, uint64_t epoch) {
    size_t pos = ringPlace(j, n);
    *slotAt(j, j->count) = (jslot){pos, n};
    j->count++;
    j->head = pos + n;
    j->held += n;
    j->last_epoch = epoch;
    return j->ring + pos;
}

static int64_t appendDone(journal *j, const uint8_t *frame, size_t n) {
    uint64_t seq = journalLastSeq(j);
    if (j->fd >= 0) { /* reserved in appendReserve */
        bufAppend(&j->pending, frame, n);
        j->pending_seq = seq;
    }
    return (int64_t)seq;
}

static int64_t appendEntry(journal *j, const journal_entry *e) {
    Bardo__JournalEntry m;
    Bardo__Person pm;
    uint64_t epoch = e->epoch;
    entryMsg(&m, &pm, e);
    size_t len = bardo__journal_entry__get_packed_size(&m), n = JOURNAL_FRAME_HDR + len;
    int rc = appendReserve(j, n, epoch);
    if (rc < 0) return rc;
    uint8_t *f = appendPush(j, n, epoch);
    bardo__journal_entry__pack(&m, f + JOURNAL_FRAME_HDR);
    frameSeal(f, len);
    return appendDone(j, f, n);
}

int64_t journalAppendAdd(journal *j, uint64_t epoch, const uint8_t id[16], slice apelido,
                         slice search_key, slice json) {
    journal_entry e = {.seq = journalNextSeq(j), .epoch = epoch, .cmd = JOURNAL_ADD_PERSON,
                       .add = {.apelido = apelido, .search_key = search_key, .json = json}};
    memcpy(e.add.id, id, 16);
    return appendEntry(j, &e);
}

int64_t journalAppendRemove(journal *j, uint64_t epoch, const uint8_t id[16]) {
    journal_entry e = {.seq = journalNextSeq(j), .epoch = epoch, .cmd = JOURNAL_REMOVE_PERSON};
    memcpy(e.add.id, id, 16);
    return appendEntry(j, &e);
}

int64_t journalAppendNewEpoch(journal *j, uint64_t epoch, slice primary) {
    journal_entry e = {.seq = journalNextSeq(j), .epoch = epoch, .cmd = JOURNAL_NEW_EPOCH,
                       .primary = primary};
    return appendEntry(j, &e);
}

int64_t journalAppendFrame(journal *j, slice frame) {
    slice body;
    journal_entry e;
    ssize_t n = journalFrameParse((const uint8_t *)frame.ptr, frame.len, &body);
    if (n < 0 || (size_t)n != frame.len || journalDecode(body, &j->scratch, &e) < 0)
        return -EBADMSG;
    if (e.seq != journalNextSeq(j)) return -ERANGE;
    int rc = appendReserve(j, frame.len, e.epoch);
    if (rc < 0) return rc;
    uint8_t *f = appendPush(j, frame.len, e.epoch);
    memcpy(f, frame.ptr, frame.len);
    return appendDone(j, f, frame.len);
}

uint64_t journalNextSeq(const journal *j) { return j->first_seq + j->count; }
uint64_t journalLastSeq(const journal *j) { return journalNextSeq(j) - 1; }
uint64_t journalFirstSeq(const journal *j) { return j->first_seq; }
size_t journalBacklogBytes(const journal *j) { return j->held; }
size_t journalBacklogCapacity(const journal *j) { return j->cap; }

bool journalHas(const journal *j, uint64_t seq) {
    return seq >= j->first_seq && seq - j->first_seq < j->count;
}

bool journalFind(const journal *j, uint64_t seq, slice *frame) {
    if (!journalHas(j, seq)) return false;
    const jslot *s = slotAt(j, (size_t)(seq - j->first_seq));
    *frame = sliceMake((const char *)j->ring + s->pos, s->len);
    return true;
}

void journalReset(journal *j, uint64_t next_seq) {
    j->first_seq = next_seq ? next_seq : 1;
    j->count = j->held = j->head = j->slot_first = 0;
    j->last_epoch = 0;
    bufReset(&j->pending);
    j->pending_seq = j->synced_seq = j->first_seq - 1;
    if (j->fd >= 0 && (ftruncate(j->fd, 0) < 0 || fsync(j->fd) < 0)) j->failed = true;
}

bool journalIterInit(journal_iter *it, const journal *j, uint64_t from_seq) {
    *it = (journal_iter){j, from_seq};
    return journalHas(j, from_seq) || from_seq == journalNextSeq(j);
}

int journalIterNext(journal_iter *it, slice *frame) {
    if (it->seq == journalNextSeq(it->j)) return 0;
    if (!journalFind(it->j, it->seq, frame)) return -ESTALE;
    it->seq++;
    return 1;
}

/* ---- file mode -------------------------------------------------------- */

static int syncDir(const char *dir) {
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -errno;
    int rc = fsync(fd) < 0 ? -errno : 0;
    close(fd);
    return rc;
}

int journalOpenFile(journal *j, const char *dir) {
    char path[4096];
    if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, JOURNAL_FILE_NAME) >= sizeof(path))
        return -ENAMETOOLONG;
    bool existed = access(path, F_OK) == 0;
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return -errno;
    int rc = existed ? 0 : syncDir(dir);
    if (rc < 0) {
        close(fd);
        return rc;
    }
    if (j->fd >= 0) close(j->fd);
    j->fd = fd;
    j->pending_seq = j->synced_seq = journalLastSeq(j);
    return 0;
}

static int writeAll(int fd, const char *p, size_t n) {
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return -errno;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int journalSync(journal *j) {
    if (j->fd < 0) return 0;
    if (j->failed) return -EIO;
    if (j->pending.len == j->pending.off) return 0;
    int rc = writeAll(j->fd, bufReadPtr(&j->pending), bufUnread(&j->pending));
    if (rc == 0 && fdatasync(j->fd) < 0) rc = -errno;
    if (rc < 0) { /* what reached the file is unknown: stop, recovery decides */
        j->failed = true;
        return rc;
    }
    bufReset(&j->pending);
    j->synced_seq = j->pending_seq;
    return 0;
}

int journalTruncateFile(journal *j) {
    int rc = journalSync(j);
    if (rc < 0 || j->fd < 0) return rc;
    if (ftruncate(j->fd, 0) < 0 || fsync(j->fd) < 0) { /* size unknown: recovery decides */
        j->failed = true;
        return -errno;
    }
    return 0;
}

uint64_t journalSyncedSeq(const journal *j) {
    return j->fd >= 0 ? j->synced_seq : journalLastSeq(j);
}

/* ---- loading ---------------------------------------------------------- */

typedef struct load_ctx {
    const uint8_t *p;
    size_t n, off;
    uint64_t after_seq;
    journal_apply_fn *apply;
    void *ctx;
    journal_load *res;
    char *err;
    size_t errlen;
    journal_scratch scratch;
} load_ctx;

static bool allZero(const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i]) return false;
    return true;
}

/* A torn tail is a prefix of one entry, so no whole valid frame starts
 * inside it; finding one means a middle entry's length was damaged. Only
 * the first TORN_SCAN offsets are tried (a real torn entry is small). */
#define TORN_SCAN ((size_t)64 << 10)

static bool frameFollows(const uint8_t *p, size_t n) {
    slice body;
    for (size_t i = 1; i + JOURNAL_FRAME_HDR <= n && i < TORN_SCAN; i++)
        if (get32(p + i) <= n - i - JOURNAL_FRAME_HDR && journalFrameParse(p + i, n - i, &body) > 0)
            return true;
    return false;
}

static int loadFail(load_ctx *c, const char *what) {
    snprintf(c->err, c->errlen, "journal damaged at byte %zu (after seq %llu): %s", c->off,
             (unsigned long long)c->res->last_seq, what);
    return -EBADMSG;
}

/* Checks seq and epoch continuity for e; applies it past after_seq. */
static int loadEntry(load_ctx *c, const journal_entry *e) {
    journal_load *r = c->res;
    char what[160];
    uint64_t want = r->last_seq ? r->last_seq + 1 : c->after_seq + 1;
    if (r->last_seq ? e->seq != want : e->seq > want) {
        snprintf(what, sizeof(what), "sequence gap: expected seq %llu, found %llu%s",
                 (unsigned long long)want, (unsigned long long)e->seq,
                 r->last_seq ? "" : " (the journal starts after the snapshot's position)");
        return loadFail(c, what);
    }
    if (e->epoch < r->last_epoch) return loadFail(c, "epoch went backwards");
    if (!r->last_seq) r->first_seq = e->seq;
    r->last_seq = e->seq;
    r->last_epoch = e->epoch;
    if (e->seq <= c->after_seq) {
        r->skipped++;
        return 0;
    }
    int rc = c->apply ? c->apply(c->ctx, e) : 0;
    if (rc < 0) {
        snprintf(c->err, c->errlen, "journal: applying seq %llu failed: %s",
                 (unsigned long long)e->seq, strerror(-rc));
        return rc;
    }
    r->applied++;
    return 0;
}

/* One frame at c->off: 1 = consumed, 0 = torn tail (stop), < 0 = error. */
static int loadFrame(load_ctx *c) {
    const uint8_t *p = c->p + c->off;
    size_t left = c->n - c->off;
    slice body;
    journal_entry e;
    ssize_t n = journalFrameParse(p, left, &body);
    if (n == JOURNAL_PARTIAL && frameFollows(p, left))
        return loadFail(c, "entry length runs past the end, yet whole entries follow");
    if (n == JOURNAL_PARTIAL || (n == JOURNAL_BAD && allZero(p, left))) {
        c->res->torn_bytes = left;
        return 0;
    }
    if (n == JOURNAL_BAD)
        return loadFail(c, get32(p) > JOURNAL_BODY_MAX ? "entry length over the maximum"
                                                       : "checksum mismatch");
    if (journalDecode(body, &c->scratch, &e) < 0) return loadFail(c, "undecodable entry");
    int rc = loadEntry(c, &e);
    if (rc < 0) return rc;
    c->off += (size_t)n;
    return 1;
}

int journalLoad(slice data, uint64_t after_seq, journal_apply_fn *apply, void *ctx,
                journal_load *res, char *err, size_t errlen) {
    load_ctx c = {.p = (const uint8_t *)data.ptr, .n = data.len, .after_seq = after_seq,
                  .apply = apply, .ctx = ctx, .res = res, .err = err, .errlen = errlen};
    *res = (journal_load){0};
    if (errlen) err[0] = '\0';
    journalScratchInit(&c.scratch);
    int rc = 1;
    while (c.off < c.n && (rc = loadFrame(&c)) > 0) {}
    journalScratchFree(&c.scratch);
    res->valid_bytes = c.off;
    return rc < 0 ? rc : 0;
}

int journalLoadFile(const char *path, uint64_t after_seq, journal_apply_fn *apply, void *ctx,
                    journal_load *res, char *err, size_t errlen) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) return journalLoad(sliceMake("", 0), after_seq, apply, ctx,
                                                      res, err, errlen);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        int rc = -errno;
        snprintf(err, errlen, "journal %s: %s", path, strerror(-rc));
        if (fd >= 0) close(fd);
        return rc;
    }
    size_t size = (size_t)st.st_size;
    void *m = size ? mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
    close(fd);
    if (m == MAP_FAILED) {
        snprintf(err, errlen, "journal %s: mmap: %s", path, strerror(errno));
        return -EIO;
    }
    int rc = journalLoad(sliceMake(m ? m : "", size), after_seq, apply, ctx, res, err, errlen);
    if (m) munmap(m, size);
    return rc;
}
