/* snapshot.c - writer, streaming loader and data-dir files for snapshots.
 *
 * The writer walks people by insertion position (peopleAt) and packs each
 * as a framed bardo.Person. The loader is a small state machine fed with
 * whatever bytes arrived: it consumes whole units only and says how much,
 * so a network reader keeps the rest in its buffer (parsers' convention).
 * Each Person is unpacked by protobuf-c into a reused scratch arena and
 * handed to peopleAdd, which copies it into the db's own arena.
 * File writes go through a temp file that is fsynced and renamed, then the
 * directory is fsynced, so a crash leaves the old snapshot or the new one,
 * never half of one; a leftover temp file is ignored by the reader and
 * removed by the next write. */
#include "store/snapshot.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/bardo.pb-c.h"

enum { PH_MAGIC, PH_HEADER, PH_RECORDS, PH_DONE, PH_FAILED }; /* index LOADER_STEPS */

#define SNAPSHOT_IO_CHUNK ((size_t)1 << 20)

static uint32_t get32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ---- writing ---------------------------------------------------------- */

void snapshotWriterInit(snapshot_writer *w, const people *db, uint64_t seq, uint64_t epoch) {
    *w = (snapshot_writer){.db = db, .info = {seq, epoch, peopleCount(db)},
                           .end = peoplePositions(db)};
}

/* Packs msg as a frame and chains its header into the trailer CRC. The
 * frame is found relative to the unread bytes: bufReserve may compact a
 * buffer that was partly consumed (a replica link's output), which moves
 * everything, so an absolute offset would checksum the wrong bytes. */
static int writerFrame(snapshot_writer *w, buf *out, const ProtobufCMessage *msg) {
    size_t at = bufUnread(out);
    int rc = journalFramePack(out, msg);
    if (rc == 0) w->crc = journalCrc32c(w->crc, bufReadPtr(out) + at, JOURNAL_FRAME_HDR);
    return rc;
}

static int writerStart(snapshot_writer *w, buf *out) {
    Bardo__SnapshotHeader h;
    bardo__snapshot_header__init(&h);
    h.format_version = SNAPSHOT_FORMAT_VERSION;
    h.seq = w->info.seq;
    h.epoch = w->info.epoch;
    h.count = w->info.count;
    if (bufAppend(out, SNAPSHOT_MAGIC, 8) < 0) return -ENOMEM;
    w->crc = journalCrc32c(0, SNAPSHOT_MAGIC, 8);
    int rc = writerFrame(w, out, &h.base);
    if (rc == 0) w->phase = 1;
    return rc;
}

/* The next live person as a frame; positions of removed people are
 * skipped (false from peopleAt). */
static int writerPerson(snapshot_writer *w, buf *out) {
    journal_person p;
    while (w->next < w->end &&
           !peopleAt(w->db, w->next, p.id, &p.apelido, &p.search_key, &p.json))
        w->next++;
    if (w->next == w->end) return 0;
    Bardo__Person pm;
    journalPersonToPb(&pm, &p);
    int rc = writerFrame(w, out, &pm.base);
    if (rc == 0) {
        w->next++;
        w->written++;
    }
    return rc;
}

static void put64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static int writerEnd(snapshot_writer *w, buf *out) {
    uint8_t t[SNAPSHOT_TRAILER];
    memcpy(t, SNAPSHOT_END, 8);
    put64(t + 8, w->written);
    uint32_t crc = journalCrc32c(w->crc, t, 16);
    for (int i = 0; i < 4; i++) t[16 + i] = (uint8_t)(crc >> (8 * i));
    if (bufAppend(out, t, sizeof(t)) < 0) return -ENOMEM;
    w->phase = 2;
    return 0;
}

int snapshotWriterNext(snapshot_writer *w, buf *out, size_t max_bytes) {
    size_t unread0 = bufUnread(out); /* bufReserve may compact: count growth */
    int rc = 0;
    if (w->phase == 0) rc = writerStart(w, out);
    for (bool first = true; rc == 0 && w->phase == 1 && w->next < w->end &&
                            (first || bufUnread(out) - unread0 < max_bytes);
         first = false)
        rc = writerPerson(w, out);
    if (rc == 0 && w->phase == 1 && w->next == w->end) rc = writerEnd(w, out);
    if (rc < 0) return rc;
    return w->phase == 2 ? 0 : 1;
}

int snapshotWrite(const people *db, uint64_t seq, uint64_t epoch, buf *out) {
    snapshot_writer w;
    snapshotWriterInit(&w, db, seq, epoch);
    int rc;
    while ((rc = snapshotWriterNext(&w, out, SIZE_MAX)) > 0) {}
    return rc;
}

/* ---- files ------------------------------------------------------------ */

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = errlen ? vsnprintf(err, errlen, fmt, ap) : 0;
    va_end(ap);
    if (n >= 0 && (size_t)n < errlen) snprintf(err + n, errlen - (size_t)n, ": %s", strerror(-rc));
    return rc;
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

static int syncDir(const char *dir) {
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -errno;
    int rc = fsync(fd) < 0 ? -errno : 0;
    close(fd);
    return rc;
}

/* Streams the snapshot into fd in SNAPSHOT_IO_CHUNK pieces, then fsyncs. */
static int writeToFd(const people *db, int fd, uint64_t seq, uint64_t epoch) {
    snapshot_writer w;
    buf b;
    if (bufInit(&b, SNAPSHOT_IO_CHUNK + 4096) < 0) return -ENOMEM;
    snapshotWriterInit(&w, db, seq, epoch);
    int rc = 1;
    while (rc > 0) {
        rc = snapshotWriterNext(&w, &b, SNAPSHOT_IO_CHUNK);
        if (rc >= 0) {
            int wrc = writeAll(fd, bufReadPtr(&b), bufUnread(&b));
            if (wrc < 0) rc = wrc;
            bufReset(&b);
        }
    }
    bufFree(&b);
    if (rc == 0 && fsync(fd) < 0) rc = -errno;
    return rc;
}

/* seq of a file name "snapshot-<20 digits>.snap", or false. */
static bool parseName(const char *name, uint64_t *seq) {
    size_t pl = strlen(SNAPSHOT_PREFIX), sl = strlen(SNAPSHOT_SUFFIX);
    if (strlen(name) != pl + 20 + sl || strncmp(name, SNAPSHOT_PREFIX, pl) != 0 ||
        strcmp(name + pl + 20, SNAPSHOT_SUFFIX) != 0)
        return false;
    uint64_t v = 0;
    for (size_t i = pl; i < pl + 20; i++) {
        if (name[i] < '0' || name[i] > '9') return false;
        v = v * 10 + (uint64_t)(name[i] - '0');
    }
    *seq = v;
    return true;
}

/* Removes snapshots older than keep_seq and any temp file but keep's. */
static void removeOld(const char *dir, uint64_t keep_seq) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char path[4096];
    while ((e = readdir(d))) {
        uint64_t seq;
        bool old = parseName(e->d_name, &seq) && seq < keep_seq;
        size_t n = strlen(e->d_name);
        bool tmp = strncmp(e->d_name, SNAPSHOT_PREFIX, strlen(SNAPSHOT_PREFIX)) == 0 && n > 4 &&
                   strcmp(e->d_name + n - 4, ".tmp") == 0;
        if ((old || tmp) && (size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) <
                                sizeof(path))
            unlink(path);
    }
    closedir(d);
}

int snapshotWriteFile(const people *db, const char *dir, uint64_t seq, uint64_t epoch, char *err,
                      size_t errlen) {
    char path[4096], tmp[4100];
    if ((size_t)snprintf(path, sizeof(path), "%s/" SNAPSHOT_PREFIX "%020llu" SNAPSHOT_SUFFIX, dir,
                         (unsigned long long)seq) >= sizeof(path))
        return fail(err, errlen, -ENAMETOOLONG, "snapshot path");
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return fail(err, errlen, -errno, "snapshot: create %s", tmp);
    int rc = writeToFd(db, fd, seq, epoch);
    if (close(fd) < 0 && rc == 0) rc = -errno;
    if (rc < 0) {
        unlink(tmp);
        return fail(err, errlen, rc, "snapshot: write %s", tmp);
    }
    if (rename(tmp, path) < 0) {
        rc = -errno;
        unlink(tmp);
        return fail(err, errlen, rc, "snapshot: rename to %s", path);
    }
    if ((rc = syncDir(dir)) < 0) return fail(err, errlen, rc, "snapshot: fsync dir %s", dir);
    removeOld(dir, seq);
    return 0;
}

int snapshotFindNewest(const char *dir, char *path, size_t pathlen, uint64_t *seq) {
    DIR *d = opendir(dir);
    if (!d) return -errno;
    struct dirent *e;
    bool found = false;
    uint64_t best = 0, s;
    char name[256] = "";
    while ((e = readdir(d)))
        if (parseName(e->d_name, &s) && (!found || s > best)) {
            found = true;
            best = s;
            snprintf(name, sizeof(name), "%s", e->d_name);
        }
    closedir(d);
    if (!found) return -ENOENT;
    if ((size_t)snprintf(path, pathlen, "%s/%s", dir, name) >= pathlen) return -ENAMETOOLONG;
    *seq = best;
    return 0;
}

/* ---- loading ---------------------------------------------------------- */

void snapshotLoaderInit(snapshot_loader *l, people *db) {
    *l = (snapshot_loader){.db = db, .phase = PH_MAGIC};
    journalScratchInit(&l->scratch);
}

void snapshotLoaderFree(snapshot_loader *l) { journalScratchFree(&l->scratch); }

bool snapshotLoaderDone(const snapshot_loader *l) { return l->phase == PH_DONE; }

static ssize_t loaderFail(snapshot_loader *l, int rc, const char *what) {
    snprintf(l->err, sizeof(l->err), "snapshot damaged at byte %zu (record %llu of %llu): %s",
             l->offset, (unsigned long long)l->loaded, (unsigned long long)l->info.count, what);
    l->phase = PH_FAILED;
    return rc;
}

/* One frame at p: its size, 0 if partial, or -EBADMSG. */
static ssize_t loaderFrame(snapshot_loader *l, const uint8_t *p, size_t n, slice *body) {
    ssize_t f = journalFrameParse(p, n, body);
    if (f == JOURNAL_PARTIAL) return 0;
    if (f == JOURNAL_BAD)
        return loaderFail(l, -EBADMSG, get32(p) > JOURNAL_BODY_MAX ? "frame length over the maximum"
                                                                    : "checksum mismatch");
    l->crc = journalCrc32c(l->crc, p, JOURNAL_FRAME_HDR);
    journalScratchReset(&l->scratch);
    return f;
}

static ssize_t loaderMagic(snapshot_loader *l, const uint8_t *p, size_t n) {
    if (n < 8) return 0;
    if (memcmp(p, SNAPSHOT_MAGIC, 8) != 0) return loaderFail(l, -EBADMSG, "not a bardo snapshot");
    l->crc = journalCrc32c(0, p, 8);
    l->phase = PH_HEADER;
    return 8;
}

static ssize_t loaderHeader(snapshot_loader *l, const uint8_t *p, size_t n) {
    slice body;
    ssize_t f = loaderFrame(l, p, n, &body);
    if (f <= 0) return f;
    Bardo__SnapshotHeader *h = bardo__snapshot_header__unpack(&l->scratch.alloc, body.len,
                                                               (const uint8_t *)body.ptr);
    if (!h) return loaderFail(l, -EBADMSG, "undecodable header");
    if (h->format_version != SNAPSHOT_FORMAT_VERSION)
        return loaderFail(l, -EBADMSG, "unknown format version");
    if (h->count > UINT32_MAX / 2) return loaderFail(l, -EBADMSG, "count out of range");
    if (peopleCount(l->db) != 0) return loaderFail(l, -EINVAL, "target db is not empty");
    l->info = (snapshot_info){h->seq, h->epoch, h->count};
    l->phase = PH_RECORDS;
    return f;
}

static ssize_t loaderTrailer(snapshot_loader *l, const uint8_t *p, size_t n) {
    if (n < SNAPSHOT_TRAILER) return 0;
    uint64_t count = 0;
    for (int i = 7; i >= 0; i--) count = count << 8 | p[8 + i];
    if (count != l->loaded) return loaderFail(l, -EBADMSG, "trailer count differs from the records");
    if (get32(p + 16) != journalCrc32c(l->crc, p, 16))
        return loaderFail(l, -EBADMSG, "trailer checksum mismatch");
    l->info.count = count;
    l->phase = PH_DONE;
    return SNAPSHOT_TRAILER;
}

/* A Person frame, or the trailer ("BARD" is never a frame length). */
static ssize_t loaderPerson(snapshot_loader *l, const uint8_t *p, size_t n) {
    if (n < 8) return 0;
    if (memcmp(p, SNAPSHOT_END, 8) == 0) return loaderTrailer(l, p, n);
    if (l->loaded == l->info.count) return loaderFail(l, -EBADMSG, "more people than the header said");
    slice body;
    ssize_t f = loaderFrame(l, p, n, &body);
    if (f <= 0) return f;
    journal_person person;
    Bardo__Person *m =
        bardo__person__unpack(&l->scratch.alloc, body.len, (const uint8_t *)body.ptr);
    if (journalPersonFromPb(m, &person) < 0) return loaderFail(l, -EBADMSG, "undecodable person");
    int rc = peopleAdd(l->db, person.id, person.apelido, person.search_key, person.json);
    if (rc == -ENOMEM) return loaderFail(l, rc, "out of memory");
    if (rc < 0) return loaderFail(l, -EBADMSG, "duplicate or oversized person");
    l->loaded++;
    return f;
}

typedef ssize_t loader_step(snapshot_loader *l, const uint8_t *p, size_t n);
static loader_step *const LOADER_STEPS[] = {loaderMagic, loaderHeader, loaderPerson};

ssize_t snapshotLoaderFeed(snapshot_loader *l, const uint8_t *p, size_t n) {
    size_t used = 0;
    if (l->phase == PH_FAILED) return -EBADMSG;
    while (l->phase < PH_DONE) {
        ssize_t k = LOADER_STEPS[l->phase](l, p + used, n - used);
        if (k < 0) return k;
        if (k == 0) break;
        used += (size_t)k;
        l->offset += (size_t)k;
    }
    return (ssize_t)used;
}

static int loaderFinish(snapshot_loader *l, bool leftover, snapshot_info *info, char *err,
                        size_t errlen) {
    int rc = 0;
    if (l->phase == PH_FAILED) rc = -EBADMSG;
    else if (!snapshotLoaderDone(l))
        rc = (int)loaderFail(l, -EBADMSG, "truncated (ends before the trailer)");
    else if (leftover)
        rc = (int)loaderFail(l, -EBADMSG, "bytes after the trailer");
    if (rc < 0 && errlen) snprintf(err, errlen, "%s", l->err);
    if (rc == 0 && info) *info = l->info;
    snapshotLoaderFree(l);
    return rc;
}

int snapshotLoad(people *db, slice data, snapshot_info *info, char *err, size_t errlen) {
    snapshot_loader l;
    snapshotLoaderInit(&l, db);
    ssize_t n = snapshotLoaderFeed(&l, (const uint8_t *)data.ptr, data.len);
    if (n == -ENOMEM) {
        snprintf(err, errlen, "%s", l.err);
        snapshotLoaderFree(&l);
        return -ENOMEM;
    }
    return loaderFinish(&l, n >= 0 && (size_t)n < data.len, info, err, errlen);
}

/* Reads fd through the loader; true at EOF with the last bytes consumed. */
static ssize_t feedFromFd(snapshot_loader *l, int fd, buf *b) {
    for (;;) {
        if (bufReserve(b, SNAPSHOT_IO_CHUNK) < 0) return -ENOMEM;
        ssize_t r = read(fd, b->data + b->len, b->cap - b->len);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -errno;
        b->len += (size_t)r;
        ssize_t k = snapshotLoaderFeed(l, (const uint8_t *)bufReadPtr(b), bufUnread(b));
        if (k < 0) return k;
        bufConsume(b, (size_t)k);
        if (r == 0) return (ssize_t)bufUnread(b); /* EOF: what was left over */
        bufCompact(b);
    }
}

int snapshotLoadFile(people *db, const char *path, snapshot_info *info, char *err,
                     size_t errlen) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail(err, errlen, -errno, "snapshot %s", path);
    snapshot_loader l;
    buf b;
    snapshotLoaderInit(&l, db);
    int rc = bufInit(&b, SNAPSHOT_IO_CHUNK);
    ssize_t left = rc < 0 ? rc : feedFromFd(&l, fd, &b);
    close(fd);
    bufFree(&b);
    if (left < 0 && l.phase != PH_FAILED) { /* I/O or memory, not the bytes */
        snapshotLoaderFree(&l);
        return fail(err, errlen, (int)left, "snapshot %s", path);
    }
    char why[256] = "";
    rc = loaderFinish(&l, left > 0, info, why, sizeof(why));
    if (rc < 0) {
        snprintf(err, errlen, "%s: %s", path, why);
        if (left == -ENOMEM) rc = -ENOMEM;
    }
    return rc;
}

int snapshotReadHeader(slice data, snapshot_info *info) {
    const uint8_t *p = (const uint8_t *)data.ptr;
    slice body;
    if (data.len < 8) return -EAGAIN;
    if (memcmp(p, SNAPSHOT_MAGIC, 8) != 0) return -EBADMSG;
    ssize_t f = journalFrameParse(p + 8, data.len - 8, &body);
    if (f == JOURNAL_PARTIAL) return -EAGAIN;
    if (f < 0) return -EBADMSG;
    Bardo__SnapshotHeader *h =
        bardo__snapshot_header__unpack(NULL, body.len, (const uint8_t *)body.ptr);
    if (!h) return -EBADMSG;
    *info = (snapshot_info){h->seq, h->epoch, h->count};
    int rc = h->format_version == SNAPSHOT_FORMAT_VERSION ? 0 : -EBADMSG;
    bardo__snapshot_header__free_unpacked(h, NULL);
    return rc;
}
