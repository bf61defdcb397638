/* The partition table itself: read it with libfdisk, choose the partition
 * to grow and work out where it may end.  Nothing here touches the kernel,
 * so it works the same on a disk and on an image file (the fuzzer's way in:
 * qg_table_plan_image). */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <libfdisk/libfdisk.h>
#include <string.h>
#include <unistd.h>

/* GROWPART keeps 33 sectors free at the end of MBR disks, room for the
 * backup GPT of a later conversion; so do we. */
#define MBR_TAIL_RESERVE 33
#define MBR_MAX_LBA UINT32_MAX

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

struct fdisk_context *qg_table_open(int fd, const char *node, gboolean read_only,
                                        GError **error)
{
    struct fdisk_context *cxt = fdisk_new_context();
    int r;

    if (!cxt) {
        g_set_error(error, QG_ERROR, QG_ERROR_FAILED, "out of memory");
        return NULL;
    }
    fdisk_set_ask(cxt, refuse_questions, NULL);
    fdisk_enable_listonly(cxt, 1);  /* skips the whole-disk signature scan */
    r = fdisk_assign_device_by_fd(cxt, fd, node, read_only);
    if (r < 0) {
        fdisk_unref_context(cxt);
        qg_set_errno_error(error, -r, "cannot read the partition table of %s", node);
        return NULL;
    }
    return cxt;
}

static gboolean gpt_item(struct fdisk_context *cxt, int id, uint64_t *out)
{
    struct fdisk_labelitem *li = fdisk_new_labelitem();
    gboolean ok = li && fdisk_get_disklabel_item(cxt, id, li) == 0 &&
                  fdisk_labelitem_get_data_u64(li, out) == 0;
    fdisk_unref_labelitem(li);
    return ok;
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

/* Pick the partition to grow and check that nothing starts after it. */
static gboolean choose_partition(struct fdisk_context *cxt, const char *node,
                                 uint32_t wanted, struct fdisk_partition **out,
                                 GError **error)
{
    __attribute__((cleanup(table_unref))) struct fdisk_table *tb = NULL;
    struct fdisk_partition *pa, *pick = NULL, *last = NULL;
    struct fdisk_iter *itr;

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
        if (fdisk_is_label(cxt, DOS) && type && fdisk_parttype_get_code(type) == 0xee) {
            fdisk_free_iter(itr);
            g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                        "%s has a protective MBR but no valid GPT (did the disk "
                        "shrink, or is the table damaged?); nothing was changed",
                        node);
            return FALSE;
        }
        if (!fdisk_partition_has_start(pa))
            continue;
        if (!last || fdisk_partition_get_start(pa) > fdisk_partition_get_start(last))
            last = pa;
        if (wanted && fdisk_partition_get_partno(pa) + 1 == wanted)
            pick = pa;
    }
    fdisk_free_iter(itr);

    if (!wanted)
        pick = last;
    if (!pick) {
        g_set_error(error, QG_ERROR, QG_ERROR_NOT_FOUND,
                    "%s has no partition %u in its table", node, wanted);
        return FALSE;
    }
    uint32_t num = (uint32_t)fdisk_partition_get_partno(pick) + 1;
    if (pick != last) {
        g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                    "partition %u of %s is not the last on the disk: partition %zu "
                    "starts after it at sector %ju; only the last partition can "
                    "grow, nothing was changed", num, node,
                    fdisk_partition_get_partno(last) + 1,
                    (uintmax_t)fdisk_partition_get_start(last));
        return FALSE;
    }
    if (fdisk_is_label(cxt, DOS) && (fdisk_partition_is_container(pick) ||
                                     fdisk_partition_is_nested(pick))) {
        g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                    "partition %u of %s is an extended or logical MBR partition; "
                    "those are not supported, nothing was changed", num, node);
        return FALSE;
    }
    fdisk_ref_partition(pick);
    *out = pick;
    return TRUE;
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
    struct fdisk_partition *pa = NULL;
    uint64_t n = fdisk_get_nsectors(cxt), max_end, old_end;

    memset(p, 0, sizeof(*p));
    if (!fdisk_is_label(cxt, GPT) && !fdisk_is_label(cxt, DOS)) {
        g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                    "%s has a %s partition table; only GPT and MBR can grow, "
                    "nothing was changed", node,
                    fdisk_label_get_name(fdisk_get_label(cxt, NULL)));
        return FALSE;
    }
    if (!choose_partition(cxt, node, wanted, &pa, error))
        return FALSE;
    p->index = fdisk_partition_get_partno(pa);
    p->start = fdisk_partition_get_start(pa);
    p->old_sectors = fdisk_partition_get_size(pa);
    fdisk_unref_partition(pa);
    p->sector_size = (unsigned)fdisk_get_sector_size(cxt);
    p->gpt = fdisk_is_label(cxt, GPT);
    p->nsectors = n;

    /* A partition that does not lie within the disk is a damaged table or a
     * disk that shrank: nothing about it is safe to change. */
    if (p->old_sectors == 0 || p->start >= n || p->old_sectors > n - p->start) {
        g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                    "partition %zu of %s (sectors %ju+%ju) does not lie within the "
                    "disk's %ju sectors (did the disk shrink, or is the table "
                    "damaged?); nothing was changed", p->index + 1, node,
                    (uintmax_t)p->start, (uintmax_t)p->old_sectors, (uintmax_t)n);
        return FALSE;
    }
    old_end = p->start + p->old_sectors - 1;

    if (p->gpt) {
        if (!gpt_max_end(cxt, node, &max_end, error))
            return FALSE;
    } else {
        max_end = n > MBR_TAIL_RESERVE + 1 ? n - MBR_TAIL_RESERVE - 1 : 0;
        if (max_end > MBR_MAX_LBA) {
            max_end = MBR_MAX_LBA;
            p->capped = TRUE;
        }
        /* the size field is 32 bits too */
        if (max_end >= p->start && max_end - p->start + 1 > UINT32_MAX)
            max_end = p->start + UINT32_MAX - 1;
    }
    p->usable_end = max_end;
    if (free_percent) {
        max_end = reserve_end(p, n, free_percent, max_end, &p->reserved);
        if (max_end < old_end) {
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
    return TRUE;
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
