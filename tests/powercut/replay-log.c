/* replay-log: read a dm-log-writes log and apply a chosen part of it onto an
 * image of the disk as it was when the log began, to show what a power cut
 * at that point would have left on the disk.
 *
 *   replay-log list LOG
 *       one line per entry: INDEX FLAGS SECTOR COUNT [MARK], FLAGS made of
 *       F (flush), U (FUA), D (discard), M (mark), m (metadata) or "-";
 *       SECTOR and COUNT in the log's sectors (its header says how large)
 *   replay-log apply LOG IMAGE FIRST LAST [SKIP,SKIP,...]
 *       apply entries FIRST..LAST (inclusive) onto IMAGE, in log order,
 *       leaving out the SKIP entries (writes a disk may have lost from its
 *       cache because no flush covered them yet); a discard zeroes its range
 *
 * The log format is the kernel's (drivers/md/dm-log-writes.c): sector 0
 * holds the header {le64 magic, le64 version, le64 nr_entries, le32
 * sectorsize}; then, for each entry, one sector that starts with {le64
 * sector, le64 nr_sectors, le64 flags, le64 data_len} (a mark's name, of
 * data_len bytes, follows in that sector), then nr_sectors sectors of the
 * data written, none for a discard.  Since Linux 4.16 every unit is the
 * header's sectorsize (the data device's logical block size); before, 512
 * bytes: the two agree on 512-byte disks, the ones our tests log. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE  /* fallocate */
#endif
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOG_MAGIC 0x6a736677736872ULL
#define LOG_VERSION 1
#define FLAG_FLUSH (1u << 0)
#define FLAG_FUA (1u << 1)
#define FLAG_DISCARD (1u << 2)
#define FLAG_MARK (1u << 3)
#define FLAG_METADATA (1u << 4)

typedef struct {
    uint64_t sector, count, flags, data_len;
    off_t data_at;     /* where its data starts in the log */
    char mark[512];
} Entry;

typedef struct {
    int fd;
    uint32_t ss;       /* the log's sector size */
    uint64_t entries;  /* as the header says */
    uint64_t next;     /* index of the next entry to read */
    off_t at;          /* and its offset */
    char *buf;         /* one sector */
} Log;

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "replay-log: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(2);
}

static void read_all(int fd, void *buf, size_t len, off_t at, const char *what)
{
    while (len > 0) {
        ssize_t n = pread(fd, buf, len, at);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            die(what, strerror(errno));
        if (n == 0)
            die(what, "the log ends early (truncated?)");
        buf = (char *)buf + n, len -= (size_t)n, at += n;
    }
}

static void write_all(int fd, const void *buf, size_t len, off_t at)
{
    while (len > 0) {
        ssize_t n = pwrite(fd, buf, len, at);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            die("cannot write the image", strerror(n < 0 ? errno : ENOSPC));
        buf = (const char *)buf + n, len -= (size_t)n, at += n;
    }
}

static uint64_t le64_at(const char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return le64toh(v);
}

static void log_open(Log *log, const char *path)
{
    char head[28];
    uint32_t ss;

    log->fd = open(path, O_RDONLY);
    if (log->fd < 0)
        die(path, strerror(errno));
    read_all(log->fd, head, sizeof head, 0, "cannot read the log's header");
    if (le64_at(head) != LOG_MAGIC)
        die(path, "not a dm-log-writes log (bad magic)");
    if (le64_at(head + 8) != LOG_VERSION)
        die(path, "a dm-log-writes log of an unknown version");
    log->entries = le64_at(head + 16);
    memcpy(&ss, head + 24, 4);
    log->ss = le32toh(ss);
    if (log->ss < 512 || log->ss > 65536 || (log->ss & (log->ss - 1)))
        die(path, "the header's sector size is not a power of two from 512 to 65536");
    log->buf = malloc(log->ss);
    if (!log->buf)
        die("out of memory", NULL);
    log->next = 0;
    log->at = log->ss;
}

/* The next entry; 0 at the end. */
static int log_next(Log *log, Entry *e)
{
    if (log->next >= log->entries)
        return 0;
    read_all(log->fd, log->buf, log->ss, log->at, "cannot read an entry");
    e->sector = le64_at(log->buf);
    e->count = le64_at(log->buf + 8);
    e->flags = le64_at(log->buf + 16);
    e->data_len = le64_at(log->buf + 24);
    e->mark[0] = 0;
    if (e->flags & FLAG_MARK) {
        size_t n = e->data_len;
        if (n > log->ss - 32 || n >= sizeof e->mark)
            die("a mark longer than its sector", NULL);
        memcpy(e->mark, log->buf + 32, n);
        e->mark[n] = 0;
    }
    e->data_at = log->at + log->ss;
    log->at = e->data_at;
    if (!(e->flags & FLAG_DISCARD))
        log->at += (off_t)(e->count * log->ss);
    log->next++;
    return 1;
}

static void flags_text(uint64_t f, char *out)
{
    char *p = out;
    if (f & FLAG_FLUSH) *p++ = 'F';
    if (f & FLAG_FUA) *p++ = 'U';
    if (f & FLAG_DISCARD) *p++ = 'D';
    if (f & FLAG_MARK) *p++ = 'M';
    if (f & FLAG_METADATA) *p++ = 'm';
    if (p == out) *p++ = '-';
    *p = 0;
}

static int cmd_list(const char *path)
{
    Log log;
    Entry e;
    char fl[8];

    log_open(&log, path);
    for (uint64_t i = 0; log_next(&log, &e); i++) {
        flags_text(e.flags, fl);
        printf("%" PRIu64 " %s %" PRIu64 " %" PRIu64 "%s%s\n", i, fl, e.sector, e.count,
               e.mark[0] ? " " : "", e.mark);
    }
    return 0;
}

static uint64_t parse_u64(const char *s, const char *what)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || *s == '-')
        die(what, s);
    return v;
}

/* Is @i in the sorted list? */
static int skipped(const uint64_t *skip, size_t n, uint64_t i)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (skip[mid] == i)
            return 1;
        if (skip[mid] < i)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int cmd_apply(const char *path, const char *image, uint64_t first, uint64_t last,
                     const char *skiplist)
{
    Log log;
    Entry e;
    uint64_t *skip = NULL;
    size_t nskip = 0;
    char *data = NULL;
    size_t cap = 0;
    int img;
    off_t img_size;

    if (skiplist && *skiplist) {
        char *copy = strdup(skiplist), *tok, *save = NULL;
        skip = calloc(strlen(skiplist) / 2 + 1, sizeof *skip);
        if (!copy || !skip)
            die("out of memory", NULL);
        for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
            skip[nskip++] = parse_u64(tok, "not an entry number");
        qsort(skip, nskip, sizeof *skip, cmp_u64);
        free(copy);
    }
    log_open(&log, path);
    if (last >= log.entries)
        die("LAST is past the log's end", NULL);
    img = open(image, O_WRONLY);
    if (img < 0)
        die(image, strerror(errno));
    img_size = lseek(img, 0, SEEK_END);
    for (uint64_t i = 0; i <= last && log_next(&log, &e); i++) {
        if (i < first || skipped(skip, nskip, i) || (e.flags & FLAG_MARK) || !e.count)
            continue;
        off_t at = (off_t)(e.sector * log.ss);
        size_t len = (size_t)(e.count * log.ss);
        if (at + (off_t)len > img_size)
            die("an entry writes past the image's end", NULL);
        if (len > cap) {
            free(data);
            data = malloc(len);
            cap = len;
            if (!data)
                die("out of memory", NULL);
        }
        if (e.flags & FLAG_DISCARD) {
            /* what a discarded range reads back is undefined: zeroes are
             * the harshest answer a filesystem must live with */
            if (fallocate(img, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, at, (off_t)len) < 0) {
                memset(data, 0, len);
                write_all(img, data, len, at);
            }
            continue;
        }
        read_all(log.fd, data, len, e.data_at, "cannot read an entry's data");
        write_all(img, data, len, at);
    }
    if (fsync(img) < 0 || close(img) < 0)
        die(image, strerror(errno));
    free(data);
    free(skip);
    return 0;
}

static void usage(void)
{
    fputs("usage: replay-log list LOG\n"
          "       replay-log apply LOG IMAGE FIRST LAST [SKIP,SKIP,...]\n", stderr);
    exit(2);
}

int main(int argc, char **argv)
{
    if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        puts("replay-log list LOG: the entries of a dm-log-writes log\n"
             "replay-log apply LOG IMAGE FIRST LAST [SKIP,...]: apply entries FIRST..LAST,\n"
             "  but the SKIP ones, onto IMAGE");
        return 0;
    }
    if (argc == 3 && !strcmp(argv[1], "list"))
        return cmd_list(argv[2]);
    if ((argc == 6 || argc == 7) && !strcmp(argv[1], "apply")) {
        uint64_t first = parse_u64(argv[4], "FIRST is not a number");
        uint64_t last = parse_u64(argv[5], "LAST is not a number");
        if (first > last)
            die("FIRST is after LAST", NULL);
        return cmd_apply(argv[2], argv[3], first, last, argc == 7 ? argv[6] : NULL);
    }
    usage();
}
