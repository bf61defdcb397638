/* The partition table itself: read it with libfdisk, choose the partition
 * to grow, work out where it may end, and write the new end.  Nothing here
 * touches the kernel, so it works the same on a disk and on an image file
 * (growpart mode on an image, and the fuzzer's way in: qg_table_plan_image).
 *
 * A partition grows into the free space after it, up to whatever comes
 * next in disk order, whatever its number: the next partition, an MBR
 * extended partition, the extended boot record (EBR) in front of the next
 * logical partition, or else the disk's usable end.  Only a partition that
 * reaches the disk's end keeps growpart's --free-percent reserve.  An MBR
 * logical partition grows up to the next EBR or the end of its extended
 * partition; when it is the last logical one and free space follows the
 * extended partition, the extended partition grows first, to the same end.
 * The start never moves and nothing is ever shrunk. */
#include "internal.h"

#include <blkid.h>
#include <errno.h>
#include <fcntl.h>
#include <libfdisk/libfdisk.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

/* GROWPART keeps 33 sectors free at the end of MBR disks, room for the
 * backup GPT of a later conversion; so do we. */
#define MBR_TAIL_RESERVE 33
#define MBR_MAX_LBA UINT32_MAX

char *qg_mbr_limit_text(unsigned sector_size)
{
    /* 2^32 sectors: 2 TiB of 512-byte sectors, 16 TiB of 4096-byte ones */
    uint64_t bytes = ((uint64_t)MBR_MAX_LBA + 1) * sector_size;
    if (bytes % (G_GUINT64_CONSTANT(1) << 40) == 0)
        return g_strdup_printf("%" G_GUINT64_FORMAT " TiB", bytes >> 40);
    return qg_format_bytes(bytes);
}
/* An extended partition's chain of EBRs: libfdisk reads at most 60
 * partitions in all; a longer chain is damaged (or loops). */
#define MAX_EBRS 64
#define GPT_SWAP_TYPE "0657FD6D-A4AB-43C4-84E5-0933C84B4F4F"

/* No dialogs: answer every question with "no"; warnings are not errors. */
static int refuse_questions(struct fdisk_context *cxt, struct fdisk_ask *ask, void *data)
{
    (void)cxt;
    (void)data;
    switch (fdisk_ask_get_type(ask)) {
    case FDISK_ASKTYPE_INFO:
    case FDISK_ASKTYPE_WARN:
    case FDISK_ASKTYPE_WARNX:
        return 0;
    default:
        return -EINVAL;
    }
}

static void table_unref(struct fdisk_table **tb)
{
    if (*tb)
        fdisk_unref_table(*tb);
}

/* A context on @fd that never asks questions; @sector_size, when not 0,
 * the logical sector size (a file has none of its own). */
static struct fdisk_context *open_context(int fd, const char *node, gboolean read_only,
                                          unsigned sector_size, GError **error)
{
    struct fdisk_context *cxt = fdisk_new_context();
    int r = 0;

    if (!cxt) {
        g_set_error(error, QG_ERROR, QG_ERROR_FAILED, "out of memory");
        return NULL;
    }
    fdisk_set_ask(cxt, refuse_questions, NULL);
    fdisk_enable_listonly(cxt, 1);  /* skips the whole-disk signature scan */
    if (sector_size)
        r = fdisk_save_user_sector_size(cxt, sector_size, sector_size);
    if (r >= 0)
        r = fdisk_assign_device_by_fd(cxt, fd, node, read_only);
    if (r < 0) {
        fdisk_unref_context(cxt);
        qg_set_errno_error(error, -r, "cannot read the partition table of %s", node);
        return NULL;
    }
    return cxt;
}

struct fdisk_context *qg_table_open(int fd, const char *node, gboolean read_only,
                                    GError **error)
{
    return open_context(fd, node, read_only, 0, error);
}

static gboolean gpt_item(struct fdisk_context *cxt, int id, uint64_t *out)
{
    struct fdisk_labelitem *li = fdisk_new_labelitem();
    gboolean ok = li && fdisk_get_disklabel_item(cxt, id, li) == 0 &&
                  fdisk_labelitem_get_data_u64(li, out) == 0;
    fdisk_unref_labelitem(li);
    return ok;
}

struct fdisk_context *qg_table_open_copy(int fd, const char *node, unsigned sector_size,
                                         GError **error)
{
    return open_context(fd, node, TRUE, sector_size, error);
}

/* The last usable sector once the backup GPT sits at the disk's end: the
 * same room for the backup entries as now, counted back from the last
 * sector.  Works on a read-only context, which keeps the old layout. */
static gboolean gpt_max_end(struct fdisk_context *cxt, const char *node, uint64_t *out,
                            GError **error)
{
    uint64_t last = fdisk_get_nsectors(cxt) - 1, alt, last_usable;

    if (!gpt_item(cxt, GPT_LABELITEM_ALTLBA, &alt) ||
        !gpt_item(cxt, GPT_LABELITEM_LASTLBA, &last_usable) || alt <= last_usable) {
        g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                    "%s: cannot read the GPT header's layout; nothing was changed", node);
        return FALSE;
    }
    if (alt > last) {
        g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                    "%s: the backup GPT header lies past the end of the disk (sector "
                    "%ju of %ju): the disk shrank? Nothing was changed", node,
                    (uintmax_t)alt, (uintmax_t)last + 1);
        return FALSE;
    }
    *out = last - (alt - last_usable);
    return TRUE;
}

/* What occupies the disk: every partition of the table and, on MBR, every
 * EBR of the extended partition's chain (one sector each, in front of the
 * logical partition it describes). */
typedef struct {
    uint64_t start, end;  /* sectors, inclusive */
    uint64_t size;        /* 0: a partition entry of no size (never grown) */
    size_t index;         /* libfdisk's partno; an EBR: its logical's, or
                           * SIZE_MAX for one that describes none */
    gboolean ebr, nested, container, swap_type;
} Extent;

typedef struct {
    GArray *ext;   /* of Extent */
    guint pick;    /* the partition to grow */
    int cont;      /* its extended partition when it is a logical one, or -1 */
} Layout;

static void layout_clear(Layout *lo)
{
    if (lo->ext)
        g_array_unref(lo->ext);
}

#define EXT(lo, i) (&g_array_index((lo)->ext, Extent, (i)))

static gboolean is_extended_code(unsigned code)
{
    return code == 0x05 || code == 0x0f || code == 0x85;
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Walk the chain of EBRs of extended partition @c the way the kernel does
 * (each EBR: entry for its logical partition, link to the next EBR relative
 * to the extended partition's start) and add one extent per EBR.  libfdisk
 * does not say where the EBRs are, yet a logical partition must never grow
 * over the EBR of the next one. */
static gboolean read_ebrs(struct fdisk_context *cxt, const char *node, const Extent *c,
                          GArray *ext, GError **error)
{
    int fd = fdisk_get_devfd(cxt);
    uint64_t ss = fdisk_get_sector_size(cxt), n = fdisk_get_nsectors(cxt);
    uint64_t ebr = c->start;
    unsigned char buf[512];

    for (int i = 0;; i++) {
        if (i == MAX_EBRS || ebr < c->start || ebr > c->end || ebr >= n) {
            g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                        "%s: the chain of extended boot records of partition %zu leaves "
                        "it or loops (at sector %ju); nothing was changed", node,
                        c->index + 1, (uintmax_t)ebr);
            return FALSE;
        }
        ssize_t r = pread(fd, buf, sizeof(buf), (off_t)(ebr * ss));
        if (r != (ssize_t)sizeof(buf))
            return qg_set_errno_error(error, r < 0 ? errno : EIO,
                                      "%s: cannot read the extended boot record at sector %ju",
                                      node, (uintmax_t)ebr);
        if (buf[510] != 0x55 || buf[511] != 0xaa) {
            g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                        "%s: the extended boot record at sector %ju has no boot "
                        "signature; nothing was changed", node, (uintmax_t)ebr);
            return FALSE;
        }
        Extent e = { .start = ebr, .end = ebr, .size = 1, .index = SIZE_MAX,
                     .ebr = TRUE, .nested = TRUE };
        const unsigned char *link = NULL;
        /* as the kernel and libfdisk read it: the first extended-type entry
         * is the link, the first other used one the logical partition */
        for (int k = 0; k < 4; k++) {
            const unsigned char *p = buf + 446 + 16 * k;
            if (!le32(p + 12))
                continue;
            if (is_extended_code(p[4])) {
                if (!link)
                    link = p;
            } else if (p[4] && e.index == SIZE_MAX) {
                uint64_t data = ebr + le32(p + 8);
                for (guint j = 0; j < ext->len; j++) {
                    Extent *x = &g_array_index(ext, Extent, j);
                    if (x->nested && !x->ebr && x->start == data)
                        e.index = x->index;
                }
            }
        }
        g_array_append_val(ext, e);
        if (!link)
            return TRUE;
        ebr = c->start + le32(link + 8);
    }
}

static gboolean holds_swap(struct fdisk_context *cxt, const Extent *e);

/* With no partition named, the one to grow: the one that starts last on
 * the disk, but for swap partitions there (and an extended partition that
 * holds only such): it is the one before them, which --move-swap can free
 * (the Debian installer's swap at the disk's end, a whole-disk "qga-grow
 * auto").  A disk of nothing else keeps its last one. */
static int pick_last(struct fdisk_context *cxt, const Layout *lo, int last)
{
    g_autofree guint *order = g_new(guint, lo->ext->len);
    guint n = 0;

    for (guint i = 0; i < lo->ext->len; i++)
        order[n++] = i;
    /* by start, last first (few partitions: insertion sort) */
    for (guint i = 1; i < n; i++)
        for (guint j = i; j > 0 && EXT(lo, order[j])->start > EXT(lo, order[j - 1])->start; j--) {
            guint x = order[j];
            order[j] = order[j - 1];
            order[j - 1] = x;
        }
    for (guint i = 0; i < n; i++) {
        const Extent *e = EXT(lo, order[i]);
        if (e->container)
            continue;  /* its logical partitions decide */
        if (e->size && (e->swap_type || holds_swap(cxt, e)))
            continue;
        return (int)order[i];
    }
    return last;
}

/* Read the table into @lo and pick the partition to grow: @wanted
 * (1-based), or the one that starts last on the disk (pick_last). */
static gboolean read_layout(struct fdisk_context *cxt, const char *node, uint32_t wanted,
                            Layout *lo, GError **error)
{
    __attribute__((cleanup(table_unref))) struct fdisk_table *tb = NULL;
    struct fdisk_partition *pa;
    struct fdisk_iter *itr;
    gboolean dos = fdisk_is_label(cxt, DOS), nested = FALSE;
    int pick = -1, last = -1, cont = -1;

    lo->ext = g_array_new(FALSE, TRUE, sizeof(Extent));
    lo->cont = -1;
    if (fdisk_get_partitions(cxt, &tb) != 0 || fdisk_table_get_nents(tb) == 0) {
        g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                    "%s has a partition table but no partition to grow; "
                    "nothing was changed", node);
        return FALSE;
    }
    itr = fdisk_new_iter(FDISK_ITER_FORWARD);
    while (fdisk_table_next_partition(tb, itr, &pa) == 0) {
        struct fdisk_parttype *type = fdisk_partition_get_type(pa);
        /* libfdisk falls back to the protective MBR when neither GPT header
         * is valid, e.g. when the disk shrank under its backup header. */
        if (dos && type && fdisk_parttype_get_code(type) == 0xee) {
            fdisk_free_iter(itr);
            g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                        "%s has a protective MBR but no valid GPT (did the disk "
                        "shrink, or is the table damaged?); nothing was changed",
                        node);
            return FALSE;
        }
        if (!fdisk_partition_has_start(pa))
            continue;
        Extent e = {
            .start = fdisk_partition_get_start(pa),
            .size = fdisk_partition_has_size(pa) ? fdisk_partition_get_size(pa) : 0,
            .index = fdisk_partition_get_partno(pa),
            .nested = dos && fdisk_partition_is_nested(pa),
            .container = dos && fdisk_partition_is_container(pa),
        };
        e.end = e.size ? e.start + e.size - 1 : e.start;
        if (type && dos)
            e.swap_type = fdisk_parttype_get_code(type) == 0x82;
        else if (type && fdisk_parttype_get_string(type))
            e.swap_type = !g_ascii_strcasecmp(fdisk_parttype_get_string(type), GPT_SWAP_TYPE);
        g_array_append_val(lo->ext, e);
        int i = (int)lo->ext->len - 1;
        if (last < 0 || e.start > EXT(lo, last)->start)
            last = i;
        if (wanted && e.index + 1 == wanted)
            pick = i;
        if (e.container)
            cont = i;
        nested |= e.nested;
    }
    fdisk_free_iter(itr);

    if (!wanted && last >= 0)
        pick = pick_last(cxt, lo, last);
    if (pick < 0) {
        g_set_error(error, QG_ERROR, QG_ERROR_NOT_FOUND,
                    "%s has no partition %u in its table", node, wanted);
        return FALSE;
    }
    lo->pick = (guint)pick;
    if (nested && cont >= 0) {
        Extent c = *EXT(lo, cont);
        if (!read_ebrs(cxt, node, &c, lo->ext, error))
            return FALSE;
        /* every logical partition libfdisk lists must have its EBR here */
        for (guint i = 0; i < lo->ext->len; i++) {
            const Extent *x = EXT(lo, i);
            gboolean found = !x->nested || x->ebr;
            for (guint j = 0; j < lo->ext->len && !found; j++)
                found = EXT(lo, j)->ebr && EXT(lo, j)->index == x->index;
            if (!found) {
                g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                            "%s: logical partition %zu has no extended boot record in "
                            "the chain of partition %zu; nothing was changed", node,
                            x->index + 1, c.index + 1);
                return FALSE;
            }
        }
    }
    if (EXT(lo, pick)->nested) {
        if (cont < 0) {
            g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                        "%s: logical partition %zu has no extended partition; nothing "
                        "was changed", node, EXT(lo, pick)->index + 1);
            return FALSE;
        }
        lo->cont = cont;
    }
    return TRUE;
}

/* "partition 2", "the extended boot record of partition 6", for messages. */
static char *extent_name(const Extent *e)
{
    if (!e->ebr)
        return g_strdup_printf("partition %zu", e->index + 1);
    if (e->index == SIZE_MAX)
        return g_strdup("an extended boot record");
    return g_strdup_printf("the extended boot record of partition %zu", e->index + 1);
}

static gboolean overlaps(const Extent *a, const Extent *b)
{
    return a->start <= b->end && b->start <= a->end;
}

/* The partition must not overlap anything it does not belong to, and a
 * logical one must lie inside its extended partition. */
static gboolean check_overlaps(const Layout *lo, const char *node, GError **error)
{
    const Extent *p = EXT(lo, lo->pick);
    const Extent *c = lo->cont >= 0 ? EXT(lo, lo->cont) : NULL;

    if (c && (p->start <= c->start || p->end > c->end)) {
        g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                    "%s: logical partition %zu (sectors %ju-%ju) does not lie inside its "
                    "extended partition %zu (sectors %ju-%ju); the table is damaged, "
                    "nothing was changed", node, p->index + 1, (uintmax_t)p->start,
                    (uintmax_t)p->end, c->index + 1, (uintmax_t)c->start,
                    (uintmax_t)c->end);
        return FALSE;
    }
    for (guint i = 0; i < lo->ext->len; i++) {
        const Extent *e = EXT(lo, i), *with = NULL;
        if (e == p || e == c || !e->size)
            continue;
        if (overlaps(e, p))
            with = p;
        else if (c && !e->nested && overlaps(e, c))
            with = c;  /* the extended partition may have to grow */
        if (with) {
            g_autofree char *what = extent_name(e);
            g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                        "%s: partition %zu (sectors %ju-%ju) overlaps %s at sector %ju; "
                        "the table is damaged, nothing was changed", node, with->index + 1,
                        (uintmax_t)with->start, (uintmax_t)with->end, what,
                        (uintmax_t)e->start);
            return FALSE;
        }
    }
    return TRUE;
}

/* The first extent that starts after @from, in @scope: anything (nested
 * included) when @top_only is FALSE, else partitions outside any extended
 * partition.  @skip (may be NULL) is not counted. */
static const Extent *next_after(const Layout *lo, const Extent *from, const Extent *skip,
                                gboolean top_only)
{
    const Extent *best = NULL;
    for (guint i = 0; i < lo->ext->len; i++) {
        const Extent *e = EXT(lo, i);
        if (e == from || e == skip || (top_only && e->nested))
            continue;
        if (e->start > from->start && (!best || e->start < best->start))
            best = e;
    }
    return best;
}

/* Does a swap signature start the partition?  (Its type may say Linux.) */
static gboolean holds_swap(struct fdisk_context *cxt, const Extent *e)
{
    uint64_t ss = fdisk_get_sector_size(cxt);
    blkid_probe pr = blkid_new_probe();
    const char *type = NULL;
    gboolean swap = FALSE;

    if (!pr)
        return FALSE;
    if (blkid_probe_set_device(pr, fdisk_get_devfd(cxt), (blkid_loff_t)(e->start * ss),
                               (blkid_loff_t)(e->size * ss)) == 0) {
        blkid_probe_enable_superblocks(pr, 1);
        blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE);
        if (blkid_do_safeprobe(pr) == 0 &&
            blkid_probe_lookup_value(pr, "TYPE", &type, NULL) == 0)
            swap = !strcmp(type, "swap");
    }
    blkid_free_probe(pr);
    return swap;
}

/* Larger than any table's own sectors (GPT's entries take 16 KiB by
 * default; LBAs before the first usable one, often 1 MiB): more is not a
 * table, and copying it would be a mistake. */
#define TABLE_RANGE_MAX (UINT64_C(64) << 20)

static gboolean add_range(GArray *ranges, const char *node, uint64_t first, uint64_t last,
                          uint64_t ss, uint64_t n, GError **error)
{
    if (last < first)
        return TRUE;
    if (last >= n || (last - first + 1) * ss > TABLE_RANGE_MAX) {
        g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                    "%s: the partition table's sectors %ju to %ju lie past the disk or are "
                    "more than a table holds; nothing was changed", node, (uintmax_t)first,
                    (uintmax_t)last);
        return FALSE;
    }
    uint64_t r[2] = { first, last - first + 1 };
    g_array_append_vals(ranges, r, 2);
    return TRUE;
}

/* What of a partition's content the plan may read (holds_swap(): blkid's
 * probes look near the start, and RAID members near the end). */
#define PROBE_SPAN (UINT64_C(1) << 20)

gboolean qg_table_ranges(struct fdisk_context *cxt, const char *node, GArray *ranges,
                         GError **error)
{
    __attribute__((cleanup(layout_clear))) Layout lo = { 0 };
    uint64_t ss = fdisk_get_sector_size(cxt), n = fdisk_get_nsectors(cxt);
    uint64_t span = MAX(PROBE_SPAN / ss, 1);

    if (fdisk_is_label(cxt, GPT)) {
        uint64_t first, last, alt, entries, entries_last;
        if (!gpt_item(cxt, GPT_LABELITEM_FIRSTLBA, &first) ||
            !gpt_item(cxt, GPT_LABELITEM_LASTLBA, &last) ||
            !gpt_item(cxt, GPT_LABELITEM_ALTLBA, &alt) ||
            !gpt_item(cxt, GPT_LABELITEM_ENTRIESLBA, &entries) ||
            !gpt_item(cxt, GPT_LABELITEM_ENTRIESLASTLBA, &entries_last) || !first) {
            g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                        "%s: cannot read the GPT header's layout; nothing was changed", node);
            return FALSE;
        }
        /* the protective MBR, the header and its entries; the other copy's
         * entries and header after the last usable sector */
        if (!add_range(ranges, node, 0, first - 1, ss, n, error) ||
            !add_range(ranges, node, entries, entries_last, ss, n, error) ||
            !add_range(ranges, node, last + 1, MIN(alt, n - 1), ss, n, error))
            return FALSE;
    } else if (!add_range(ranges, node, 0, 0, ss, n, error)) {
        return FALSE;
    }
    if (!fdisk_is_label(cxt, GPT) && !fdisk_is_label(cxt, DOS))
        return TRUE;
    if (!read_layout(cxt, node, 0, &lo, error))
        return FALSE;
    for (guint i = 0; i < lo.ext->len; i++) {
        const Extent *e = EXT(&lo, i);
        gboolean ok = TRUE;
        if (e->ebr)
            ok = add_range(ranges, node, e->start, e->start, ss, n, error);
        else if (!e->container && e->size && e->end < n)
            ok = add_range(ranges, node, e->start, MIN(e->end, e->start + span - 1), ss, n,
                           error) &&
                 add_range(ranges, node, e->end - MIN(e->size, span) + 1, e->end, ss, n, error);
        if (!ok)
            return FALSE;
    }
    return TRUE;
}

/* The extended partition in the way, the disk's last: what it holds, for
 * --move-swap (which moves it only when that is nothing but swap). */
static void plan_ext_blocker(struct fdisk_context *cxt, const Layout *lo, QgTablePlan *p)
{
    p->blocker_ext = TRUE;
    p->ext_other = SIZE_MAX;
    for (guint i = 0; i < lo->ext->len; i++) {
        const Extent *e = EXT(lo, i);
        if (!e->nested)
            continue;
        if (e->ebr) {
            if (p->ext_nebrs == G_N_ELEMENTS(p->ext_ebrs))
                p->ext_too_many = TRUE;
            else
                p->ext_ebrs[p->ext_nebrs++] = e->start;
            continue;
        }
        gboolean swap = e->size && (e->swap_type || holds_swap(cxt, e));
        if (!swap && p->ext_other == SIZE_MAX)
            p->ext_other = e->index;
        if (p->ext_nlogicals == QG_MAX_LOGICALS) {
            p->ext_too_many = TRUE;
            continue;
        }
        QgTableLogical *l = &p->ext_logicals[p->ext_nlogicals++];
        l->index = e->index;
        l->start = e->start;
        l->sectors = e->size;
        l->swap = swap;
    }
    p->blocker_swap = p->ext_nlogicals && p->ext_other == SIZE_MAX && !p->ext_too_many;
}

/* growpart --free-percent: keep @percent of the disk's @n sectors unused
 * at its end.  On MBR the space past the format's limit counts towards it.
 * Returns the new last sector, below @max_end. */
static uint64_t reserve_end(const QgTablePlan *p, uint64_t n, unsigned percent, uint64_t max_end,
                            uint64_t *reserved)
{
    uint64_t keep = n / 100 * percent;  /* growpart's rounding */
    uint64_t limit = (uint64_t)MBR_MAX_LBA + 1;

    *reserved = keep;
    if (!p->gpt && n >= limit + keep)
        return max_end;  /* past 2 TiB there is unused space enough */
    if (!p->gpt && n > limit)
        keep -= n - limit;
    return max_end > keep ? max_end - keep : 0;
}

gboolean qg_table_plan(struct fdisk_context *cxt, const char *node, uint32_t wanted,
                       uint64_t min_gain, unsigned free_percent, QgTablePlan *p,
                       GError **error)
{
    __attribute__((cleanup(layout_clear))) Layout lo = { 0 };
    uint64_t n = fdisk_get_nsectors(cxt), disk_end, limit, max_end, old_end;
    gboolean disk_capped = FALSE;

    memset(p, 0, sizeof(*p));
    if (!fdisk_is_label(cxt, GPT) && !fdisk_is_label(cxt, DOS)) {
        g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                    "%s has a %s partition table; only GPT and MBR can grow, "
                    "nothing was changed", node,
                    fdisk_label_get_name(fdisk_get_label(cxt, NULL)));
        return FALSE;
    }
    if (!read_layout(cxt, node, wanted, &lo, error))
        return FALSE;
    const Extent *pe = EXT(&lo, lo.pick);
    const Extent *ce = lo.cont >= 0 ? EXT(&lo, lo.cont) : NULL;
    p->index = pe->index;
    p->start = pe->start;
    p->old_sectors = pe->size;
    p->sector_size = (unsigned)fdisk_get_sector_size(cxt);
    p->gpt = fdisk_is_label(cxt, GPT);
    p->nsectors = n;

    if (pe->container) {
        g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                    "partition %zu of %s is an extended partition, a container for "
                    "logical partitions (the kernel shows it as 1 KiB): name the logical "
                    "partition to grow instead; nothing was changed", p->index + 1, node);
        return FALSE;
    }
    /* A partition that does not lie within the disk is a damaged table or a
     * disk that shrank: nothing about it is safe to change. */
    const Extent *outside = ce && (ce->size == 0 || ce->end >= n) ? ce : pe;
    if (p->old_sectors == 0 || p->start >= n || p->old_sectors > n - p->start ||
        outside == ce) {
        g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                    "partition %zu of %s (sectors %ju+%ju) does not lie within the "
                    "disk's %ju sectors (did the disk shrink, or is the table "
                    "damaged?); nothing was changed", outside->index + 1, node,
                    (uintmax_t)outside->start, (uintmax_t)outside->size, (uintmax_t)n);
        return FALSE;
    }
    /* Logical partitions start relative to their EBR, which can put them
     * past what an MBR addresses: leave such tables alone. */
    if (!p->gpt && pe->end > MBR_MAX_LBA && pe->nested) {
        g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                    "logical partition %zu of %s ends past sector %ju, beyond what an "
                    "MBR addresses; nothing was changed", p->index + 1, node,
                    (uintmax_t)MBR_MAX_LBA);
        return FALSE;
    }
    if (!check_overlaps(&lo, node, error))
        return FALSE;
    old_end = p->start + p->old_sectors - 1;

    /* The disk's usable end, and the end growpart's reserve leaves. */
    if (p->gpt) {
        if (!gpt_max_end(cxt, node, &disk_end, error))
            return FALSE;
    } else {
        disk_end = n > MBR_TAIL_RESERVE + 1 ? n - MBR_TAIL_RESERVE - 1 : 0;
        if (disk_end > MBR_MAX_LBA) {
            disk_end = MBR_MAX_LBA;
            disk_capped = TRUE;
        }
    }
    p->usable_end = disk_end;
    uint64_t reserved = 0;
    limit = free_percent ? reserve_end(p, n, free_percent, disk_end, &reserved) : disk_end;

    /* What comes next: for a logical partition, the next EBR or logical
     * one inside the extended partition, else whatever follows that. */
    const Extent *next = next_after(&lo, pe, ce, FALSE), *blocker = NULL;
    const Extent *grows_with = NULL;  /* the extended partition to grow first */
    if (ce && next && next->start <= ce->end) {
        max_end = next->start - 1;
        blocker = next;
    } else if (ce) {
        const Extent *after = next_after(&lo, ce, NULL, TRUE);
        max_end = after ? after->start - 1 : limit;
        blocker = after;
        grows_with = ce;
        /* the size field is 32 bits */
        if (max_end >= ce->start && max_end - ce->start + 1 > UINT32_MAX)
            max_end = ce->start + UINT32_MAX - 1;
    } else {
        max_end = next ? next->start - 1 : limit;
        blocker = next;
    }
    /* what follows may itself lie past the disk (a damaged entry of no
     * size): never past the disk's usable end, whatever the table says */
    if (max_end > disk_end)
        max_end = disk_end;
    if (!p->gpt && max_end >= p->start && max_end - p->start + 1 > UINT32_MAX)
        max_end = p->start + UINT32_MAX - 1;
    p->last = !blocker;
    p->disk_capped = disk_capped;
    if (p->last) {
        p->capped = disk_capped;
        p->reserved = reserved;
        if (free_percent && max_end < old_end) {
            p->reserve_blocks = TRUE;
            max_end = old_end;
        }
    }
    p->max_end = max_end;
    p->new_sectors = p->old_sectors;
    if (max_end > old_end && (max_end - old_end) * p->sector_size >= min_gain) {
        p->new_sectors = max_end - p->start + 1;
        p->table_grows = TRUE;
    }
    if (grows_with) {
        p->container_index = grows_with->index;
        p->container_start = grows_with->start;
        p->container_old_sectors = p->container_new_sectors = grows_with->size;
        if (p->table_grows && max_end > grows_with->end) {
            p->container_new_sectors = max_end - grows_with->start + 1;
            p->container_grows = TRUE;
        }
    }

    /* Not a sector between it and what follows, while the disk has free
     * space beyond: say why it cannot grow (growpart would only say it
     * cannot).  A disk with no free space has nothing to grow into anyway.
     * What --move-swap could move out of the way, the disk's last swap
     * partition or extended partition, blocks it also with a gap smaller
     * than the minimum gain in between (Debian's installer leaves one just
     * short of 1 MiB in front of its extended partition). */
    if (blocker && (max_end == old_end || !p->table_grows)) {
        uint64_t used_end = 0;
        for (guint i = 0; i < lo.ext->len; i++)
            used_end = MAX(used_end, EXT(&lo, i)->end);
        if (limit > used_end && (limit - used_end) * p->sector_size >= min_gain) {
            const Extent *b = blocker;
            /* the disk's last: moving it would free the space in front of
             * the disk's end */
            gboolean at_end = !b->ebr && b->end == used_end;
            gboolean swap = at_end && !b->container && (b->swap_type || holds_swap(cxt, b));
            gboolean ext = at_end && b->container;
            if (max_end == old_end || swap || ext) {
                p->blocked = TRUE;
                p->blocker_index = b->index;
                p->blocker_start = b->start;
                p->blocker_ebr = b->ebr;
                p->blocker_sectors = b->size;
                p->blocker_swap = swap;
                if (ext)
                    plan_ext_blocker(cxt, &lo, p);
            }
        }
    }
    return TRUE;
}

/* Would the extended partition's EBRs and swap headers, @shift sectors
 * further on, land on any of them where they are now?  Those are written
 * before the table says where the extended partition is, and the old ones
 * must stay whole until then. */
static gboolean ext_move_collides(const QgTablePlan *p, uint64_t shift)
{
    uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
    uint64_t hdr = MAX(1, (page + p->sector_size - 1) / p->sector_size);
    size_t n = p->ext_nebrs + p->ext_nlogicals;

    for (size_t i = 0; i < n; i++) {
        uint64_t a = i < p->ext_nebrs ? p->ext_ebrs[i] : p->ext_logicals[i - p->ext_nebrs].start;
        uint64_t alen = i < p->ext_nebrs ? 1 : hdr;
        for (size_t j = 0; j < n; j++) {
            uint64_t b = j < p->ext_nebrs ? p->ext_ebrs[j]
                                          : p->ext_logicals[j - p->ext_nebrs].start;
            uint64_t blen = j < p->ext_nebrs ? 1 : hdr;
            if (a + shift < b + blen && b < a + shift + alen)
                return TRUE;
        }
    }
    return FALSE;
}

gboolean qg_table_plan_swap_move(QgTablePlan *p, uint64_t min_gain)
{
    uint64_t align = MAX(1, (1024 * 1024) / p->sector_size);
    uint64_t old_end = p->start + p->old_sectors - 1;

    uint64_t start;

    if (!p->blocked || !p->blocker_swap || p->usable_end + 1 < p->blocker_sectors)
        return FALSE;
    if (p->blocker_ext) {
        /* everything in it moves by the same whole MiBs: the EBRs' links
         * and entries, relative to the extended partition's start and to
         * each EBR, stay as they are, and so does the alignment */
        uint64_t end = p->blocker_start + p->blocker_sectors - 1;
        uint64_t shift = p->usable_end > end ? (p->usable_end - end) / align * align : 0;
        while (shift && ext_move_collides(p, shift))
            shift -= align;
        start = p->blocker_start + shift;
    } else {
        start = (p->usable_end + 1 - p->blocker_sectors) / align * align;
    }
    if (start <= p->blocker_start || (start - 1 - old_end) * p->sector_size < min_gain)
        return FALSE;
    p->swap_moves = TRUE;
    p->capped = p->disk_capped;  /* the swap moves to MBR's limit, not the disk's end */
    p->swap_new_start = start;
    p->swap_shift = start - p->blocker_start;
    p->max_end = start - 1;
    p->new_sectors = p->max_end - p->start + 1;
    p->table_grows = TRUE;
    p->blocked = FALSE;
    return TRUE;
}

/* "swap partition 5", "swap partitions 5, 6 and 7": what an extended
 * partition holds. */
static char *logicals_text(const QgTablePlan *p)
{
    GString *s = g_string_new(p->ext_nlogicals > 1 ? "swap partitions " : "swap partition ");
    for (size_t i = 0; i < p->ext_nlogicals; i++)
        g_string_append_printf(s, "%s%zu",
                               !i ? "" : i + 1 == p->ext_nlogicals ? " and " : ", ",
                               p->ext_logicals[i].index + 1);
    return g_string_free(s, FALSE);
}

char *qg_table_blocked_message(const QgTablePlan *p, const char *node)
{
    if (!p->blocked)
        return NULL;
    /* a swap or extended partition blocks also with a small gap before it */
    const char *after = p->start + p->old_sectors == p->blocker_start ? "right after it"
                                                                      : "after it";
    if (p->blocker_ext && p->blocker_swap) {
        g_autofree char *what = logicals_text(p);
        return g_strdup_printf(
            "partition %zu of %s cannot grow: extended partition %zu, which holds %s and "
            "nothing else, starts %s at sector %ju, and the free space lies past it "
            "(--move-swap would move it there)", p->index + 1, node, p->blocker_index + 1,
            what, after, (uintmax_t)p->blocker_start);
    }
    if (p->blocker_ext)
        return g_strdup_printf(
            "partition %zu of %s cannot grow: extended partition %zu starts %s at sector "
            "%ju, and the free space lies past it", p->index + 1, node, p->blocker_index + 1,
            after, (uintmax_t)p->blocker_start);
    if (p->blocker_swap)
        return g_strdup_printf(
            "partition %zu of %s cannot grow: swap partition %zu starts %s "
            "at sector %ju, and the free space lies past the swap partition "
            "(--move-swap would move it there)", p->index + 1, node, p->blocker_index + 1,
            after, (uintmax_t)p->blocker_start);
    if (p->blocker_ebr && p->blocker_index != SIZE_MAX)
        return g_strdup_printf(
            "partition %zu of %s cannot grow: the extended boot record of partition %zu "
            "lies right after it at sector %ju", p->index + 1, node, p->blocker_index + 1,
            (uintmax_t)p->blocker_start);
    if (p->blocker_ebr)
        return g_strdup_printf(
            "partition %zu of %s cannot grow: an extended boot record lies right after "
            "it at sector %ju", p->index + 1, node, (uintmax_t)p->blocker_start);
    return g_strdup_printf("partition %zu of %s cannot grow: partition %zu starts right "
                           "after it at sector %ju", p->index + 1, node,
                           p->blocker_index + 1, (uintmax_t)p->blocker_start);
}

char *qg_table_swap_move_refusal(const QgTablePlan *p, const char *node)
{
    if (!p->blocked || !p->blocker_ext || p->blocker_swap)
        return NULL;
    g_autofree char *why =
        p->ext_other != SIZE_MAX
            ? g_strdup_printf("it holds partition %zu, which is not swap", p->ext_other + 1)
        : p->ext_too_many ? g_strdup_printf("it holds more than %d logical partitions",
                                            QG_MAX_LOGICALS)
                          : g_strdup("it holds no swap partition");
    return g_strdup_printf(
        "%s: --move-swap cannot move extended partition %zu out of the way of partition "
        "%zu: %s (only an extended partition that holds nothing but swap partitions "
        "moves); nothing was changed", node, p->blocker_index + 1, p->index + 1, why);
}

/* Do two plans see the same extended partition contents? */
static gboolean same_ext(const QgTablePlan *a, const QgTablePlan *b)
{
    if (a->blocker_ext != b->blocker_ext || a->ext_nlogicals != b->ext_nlogicals ||
        a->ext_nebrs != b->ext_nebrs || a->ext_too_many != b->ext_too_many)
        return FALSE;
    for (size_t i = 0; i < a->ext_nlogicals; i++) {
        const QgTableLogical *x = &a->ext_logicals[i], *y = &b->ext_logicals[i];
        if (x->index != y->index || x->start != y->start || x->sectors != y->sectors ||
            x->swap != y->swap)
            return FALSE;
    }
    for (size_t i = 0; i < a->ext_nebrs; i++)
        if (a->ext_ebrs[i] != b->ext_ebrs[i])
            return FALSE;
    return TRUE;
}

/* Does the table as it is now (@now) still allow what @planned writes: the
 * same partition (and extended partition) where they were, and the new end
 * within what may be reached now?  (The disk may have grown meanwhile.) */
static gboolean plan_still_fits(const QgTablePlan *planned, const QgTablePlan *now)
{
    uint64_t end = planned->start + planned->new_sectors - 1;
    return planned->index == now->index && planned->start == now->start &&
           planned->old_sectors == now->old_sectors && planned->gpt == now->gpt &&
           planned->sector_size == now->sector_size &&
           planned->container_index == now->container_index &&
           planned->container_start == now->container_start &&
           planned->container_old_sectors == now->container_old_sectors &&
           (planned->new_sectors == planned->old_sectors ||
            end <= MAX(now->max_end, now->start + now->old_sectors - 1));
}

static gboolean set_size(struct fdisk_context *cxt, const char *node, size_t index,
                         uint64_t sectors, GError **error)
{
    struct fdisk_partition *pa = fdisk_new_partition();
    int r;

    if (!pa) {
        g_set_error(error, QG_ERROR, QG_ERROR_FAILED, "out of memory");
        return FALSE;
    }
    r = fdisk_partition_set_size(pa, sectors);
    if (r == 0)
        r = fdisk_set_partition(cxt, index, pa);
    fdisk_unref_partition(pa);
    if (r < 0)
        return qg_set_errno_error(error, -r, "%s: cannot set the new size of partition %zu",
                                  node, index + 1);
    return TRUE;
}

gboolean qg_table_write(int fd, const char *node, const QgTablePlan *planned,
                        uint64_t min_gain, unsigned free_percent, GError **error)
{
    struct fdisk_context *cxt;
    QgTablePlan now;
    gboolean ok = FALSE;
    int r;

    if (!(cxt = qg_table_open(fd, node, FALSE, error)))
        return FALSE;
    /* libfdisk mends some MBR oddities (an EBR without its signature, an
     * empty logical entry) as it reads them, and would write that too. */
    if (fdisk_is_label(cxt, DOS) && fdisk_label_is_changed(fdisk_get_label(cxt, NULL))) {
        g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                    "%s: libfdisk would rewrite parts of the MBR table that this grow "
                    "does not touch (check it with fdisk); nothing was written", node);
        goto out;
    }
    /* The table as it is now must give the very plan that was made. */
    if (!qg_table_plan(cxt, node, (uint32_t)planned->index + 1, min_gain, free_percent,
                       &now, error))
        goto out;
    if (planned->swap_moves &&
        (!now.blocker_swap || now.blocker_index != planned->blocker_index ||
         now.blocker_start != planned->blocker_start ||
         now.blocker_sectors != planned->blocker_sectors || !same_ext(&now, planned) ||
         !qg_table_plan_swap_move(&now, 1) || now.swap_new_start != planned->swap_new_start)) {
        g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                    "%s: the swap partition changed while planning; nothing was written, "
                    "run again", node);
        goto out;
    }
    if (!plan_still_fits(planned, &now) ||
        (now.gpt && fdisk_get_last_lba(cxt) != planned->usable_end)) {
        g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                    "%s: the partition table changed while planning; nothing was "
                    "written, run again", node);
        goto out;
    }
    /* An extended partition moves with its chain of EBRs, which libfdisk
     * cannot do in the order a crash needs (ext-move.c) */
    if (planned->swap_moves && planned->blocker_ext) {
        ok = qg_ext_move_write(cxt, fd, node, planned, error);
        goto out;
    }
    /* The swap partition first, out of the way: same size, new start. */
    if (planned->swap_moves) {
        struct fdisk_partition *sw = fdisk_new_partition();
        r = sw ? fdisk_partition_set_start(sw, planned->swap_new_start) : -ENOMEM;
        if (r == 0)
            r = fdisk_partition_set_size(sw, planned->blocker_sectors);
        if (r == 0)
            r = fdisk_set_partition(cxt, planned->blocker_index, sw);
        if (sw)
            fdisk_unref_partition(sw);
        if (r < 0) {
            qg_set_errno_error(error, -r, "%s: cannot move swap partition %zu", node,
                               planned->blocker_index + 1);
            goto out;
        }
    }
    /* The extended partition first: the logical one must fit in it. */
    if (planned->container_grows &&
        !set_size(cxt, node, planned->container_index, planned->container_new_sectors, error))
        goto out;
    if (!set_size(cxt, node, planned->index, planned->new_sectors, error))
        goto out;
    r = fdisk_write_disklabel(cxt);
    if (r < 0) {
        qg_set_errno_error(error, -r, "%s: cannot write the partition table", node);
        goto out;
    }
    if (fsync(fd) != 0) {
        qg_set_errno_error(error, errno, "%s: cannot flush the partition table", node);
        goto out;
    }
    ok = TRUE;
out:
    fdisk_deassign_device(cxt, 1);  /* nosync: fsync above is enough */
    fdisk_unref_context(cxt);
    return ok;
}

gboolean qg_table_plan_image(const char *path, uint32_t wanted, QgTablePlan *p,
                             GError **error)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return qg_set_errno_error(error, errno, "cannot open %s", path);
    struct fdisk_context *cxt = qg_table_open(fd, path, TRUE, error);
    gboolean ok = FALSE;
    if (cxt) {
        if (!fdisk_has_label(cxt))
            g_set_error(error, QG_ERROR, QG_ERROR_NOT_FOUND, "%s has no partition table",
                        path);
        else
            ok = qg_table_plan(cxt, path, wanted, QG_DEFAULT_MIN_GAIN, 0, p, error);
        fdisk_deassign_device(cxt, 1);
        fdisk_unref_context(cxt);
    }
    close(fd);
    return ok;
}

gboolean qg_table_grow_image(const char *path, uint32_t wanted, uint64_t min_gain,
                             unsigned free_percent, gboolean dry_run, QgTablePlan *p,
                             GError **error)
{
    struct fdisk_context *cxt = NULL;
    g_autofree char *blocked = NULL;
    gboolean ok = FALSE;
    int fd;

    fd = open(path, (dry_run ? O_RDONLY : O_RDWR) | O_CLOEXEC);
    if (fd < 0)
        return qg_set_errno_error(error, errno, "cannot open %s", path);
    /* not needed for a file nobody else knows of, but cheap: two growers
     * on one image wait for each other */
    if (flock(fd, dry_run ? LOCK_SH : LOCK_EX) != 0) {
        qg_set_errno_error(error, errno, "cannot lock %s", path);
        goto out;
    }
    if (!(cxt = qg_table_open(fd, path, TRUE, error)))
        goto out;
    if (!fdisk_has_label(cxt)) {
        g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                    "%s has no partition table; nothing was changed", path);
        goto out;
    }
    if (!qg_table_plan(cxt, path, wanted, min_gain ? min_gain : QG_DEFAULT_MIN_GAIN,
                       free_percent, p, error))
        goto out;
    if (p->gpt && !p->table_grows &&
        !qg_gpt_damage(fd, p->sector_size, p->nsectors, &p->damage, error))
        goto out;
    blocked = qg_table_blocked_message(p, path);
    if (blocked && !p->table_grows && !p->damage) {
        g_set_error(error, QG_ERROR, QG_ERROR_REFUSED, "%s, nothing was changed", blocked);
        goto out;
    }
    if (p->capped && !p->table_grows && !p->damage) {
        g_autofree char *limit = qg_mbr_limit_text(p->sector_size);
        g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                    "%s: an MBR partition table cannot address the disk past %s; "
                    "convert it to GPT to use that space, nothing was changed", path, limit);
        goto out;
    }
    if (!dry_run && (p->table_grows || p->damage) &&
        !qg_table_write(fd, path, p, min_gain ? min_gain : QG_DEFAULT_MIN_GAIN,
                        free_percent, error))
        goto out;
    ok = TRUE;
out:
    if (cxt) {
        fdisk_deassign_device(cxt, 1);
        fdisk_unref_context(cxt);
    }
    close(fd);
    return ok;
}
