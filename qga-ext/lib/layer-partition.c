/* The partition layer: grow the last partition of a GPT or MBR table to the
 * end of the disk with libfdisk, then tell the kernel with
 * BLKPG_RESIZE_PARTITION, which works while the partition is mounted.
 *
 * The start never moves.  Every step is safe to redo: if a previous run wrote
 * the table but died before telling the kernel, this run finds the table
 * already grown and only updates the kernel. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <libfdisk/libfdisk.h>
#include <linux/blkpg.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* GROWPART keeps 33 sectors free at the end of MBR disks, room for the
 * backup GPT of a later conversion; so do we. */
#define MBR_TAIL_RESERVE 33
#define MBR_MAX_LBA UINT32_MAX

struct QgPartPlan {
    struct fdisk_context *cxt;
    size_t index;             /* libfdisk's 0-based partition number */
    uint64_t start;           /* logical sectors */
    uint64_t old_sectors;
    uint64_t new_sectors;
    uint64_t max_end;         /* last sector the partition may reach */
    unsigned sector_size;
    gboolean table_grows;
};

void qg_part_plan_free(QgPartPlan *plan)
{
    if (!plan)
        return;
    if (plan->cxt) {
        fdisk_deassign_device(plan->cxt, 1);  /* read-only: nothing to sync */
        fdisk_unref_context(plan->cxt);
    }
    g_free(plan);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(QgPartPlan, qg_part_plan_free)

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

/* A libfdisk context on @fd that never asks questions.  Read-only contexts
 * leave a GPT backup header where it is; read-write ones move it, in memory,
 * to the disk's new end. */
static struct fdisk_context *open_table(int fd, const char *node, gboolean read_only,
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
static gboolean choose_partition(struct fdisk_context *cxt, const QgTarget *t,
                                 uint32_t wanted, struct fdisk_partition **out,
                                 GError **error)
{
    __attribute__((cleanup(table_unref))) struct fdisk_table *tb = NULL;
    struct fdisk_partition *pa, *pick = NULL, *last = NULL;
    struct fdisk_iter *itr;

    if (fdisk_get_partitions(cxt, &tb) != 0 || fdisk_table_get_nents(tb) == 0) {
        g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                    "%s has a partition table but no partition to grow; "
                    "nothing was changed", t->disk_node);
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
                        t->disk_node);
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
                    "%s has no partition %u in its table", t->disk_node, wanted);
        return FALSE;
    }
    uint32_t num = (uint32_t)fdisk_partition_get_partno(pick) + 1;
    if (pick != last) {
        g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                    "partition %u of %s is not the last on the disk: partition %zu "
                    "starts after it at sector %ju; only the last partition can "
                    "grow, nothing was changed", num, t->disk_node,
                    fdisk_partition_get_partno(last) + 1,
                    (uintmax_t)fdisk_partition_get_start(last));
        return FALSE;
    }
    if (fdisk_is_label(cxt, DOS) && (fdisk_partition_is_container(pick) ||
                                     fdisk_partition_is_nested(pick))) {
        g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                    "partition %u of %s is an extended or logical MBR partition; "
                    "those are not supported, nothing was changed", num, t->disk_node);
        return FALSE;
    }
    fdisk_ref_partition(pick);
    *out = pick;
    return TRUE;
}

gboolean qg_part_plan(int fd, QgTarget *t, const QgRequest *req, QgPartPlan **out,
                      QgLayer **out_layer, GPtrArray *warnings, GError **error)
{
    g_autoptr(QgPartPlan) plan = g_new0(QgPartPlan, 1);
    struct fdisk_partition *pa = NULL;
    uint64_t min_gain = req->min_gain ? req->min_gain : QG_DEFAULT_MIN_GAIN;
    uint64_t max_end, old_end, k_start, k_size;
    gboolean capped = FALSE;

    *out = NULL;
    *out_layer = NULL;
    /* Planning reads only: the disk node is opened for writing only when the
     * table really changes, so a run with nothing to do causes no change
     * event (udev watches for writers closing the disk). */
    if (!(plan->cxt = open_table(fd, t->disk_node, TRUE, error)))
        return FALSE;
    if (!fdisk_has_label(plan->cxt)) {
        if (t->part_name) {
            g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                        "%s: the kernel shows partitions but libfdisk finds no "
                        "table on %s; nothing was changed", t->part_node, t->disk_node);
            return FALSE;
        }
        return FALSE;  /* filesystem on the whole disk: no partition layer */
    }
    const char *label = fdisk_label_get_name(fdisk_get_label(plan->cxt, NULL));
    if (!fdisk_is_label(plan->cxt, GPT) && !fdisk_is_label(plan->cxt, DOS)) {
        g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                    "%s has a %s partition table; only GPT and MBR can grow, "
                    "nothing was changed", t->disk_node, label);
        return FALSE;
    }
    if (t->partno && req->partno && t->partno != req->partno) {
        g_set_error(error, QG_ERROR, QG_ERROR_INVALID,
                    "%s is partition %u, not partition %u", t->part_node, t->partno,
                    req->partno);
        return FALSE;
    }
    uint32_t wanted = t->partno ? t->partno : req->partno;
    if (!choose_partition(plan->cxt, t, wanted, &pa, error))
        return FALSE;

    plan->index = fdisk_partition_get_partno(pa);
    plan->start = fdisk_partition_get_start(pa);
    plan->old_sectors = fdisk_partition_get_size(pa);
    plan->sector_size = (unsigned)fdisk_get_sector_size(plan->cxt);
    fdisk_unref_partition(pa);
    old_end = plan->start + plan->old_sectors - 1;

    if (!t->part_name && !qg_target_set_partition(t, (uint32_t)plan->index + 1, error))
        return FALSE;

    if (fdisk_is_label(plan->cxt, GPT)) {
        if (!gpt_max_end(plan->cxt, t->disk_node, &max_end, error))
            return FALSE;
    } else {
        uint64_t n = fdisk_get_nsectors(plan->cxt);
        max_end = n > MBR_TAIL_RESERVE + 1 ? n - MBR_TAIL_RESERVE - 1 : 0;
        if (max_end > MBR_MAX_LBA) {
            max_end = MBR_MAX_LBA;
            capped = TRUE;
        }
        if (max_end - plan->start + 1 > UINT32_MAX)
            max_end = plan->start + UINT32_MAX - 1;
    }

    plan->max_end = max_end;
    plan->new_sectors = plan->old_sectors;
    if (max_end > old_end && (max_end - old_end) * plan->sector_size >= min_gain) {
        plan->new_sectors = max_end - plan->start + 1;
        plan->table_grows = TRUE;
    }

    /* The kernel's view, in 512-byte units whatever the sector size. */
    g_autofree char *sp = g_strdup_printf("/sys/class/block/%s/start", t->part_name);
    g_autofree char *zp = g_strdup_printf("/sys/class/block/%s/size", t->part_name);
    if (!qg_sysfs_read_u64(sp, &k_start, error) || !qg_sysfs_read_u64(zp, &k_size, error))
        return FALSE;
    if (k_start * 512 != plan->start * plan->sector_size) {
        g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                    "%s: the kernel has the partition at byte %ju but the table at "
                    "byte %ju; re-read the table first, nothing was changed",
                    t->part_node, (uintmax_t)(k_start * 512),
                    (uintmax_t)(plan->start * plan->sector_size));
        return FALSE;
    }

    uint64_t new_bytes = plan->new_sectors * plan->sector_size;
    gboolean kernel_lags = k_size * 512 < new_bytes;
    if (capped) {
        g_autofree char *unused = qg_format_bytes(
            (fdisk_get_nsectors(plan->cxt) - ((uint64_t)MBR_MAX_LBA + 1)) * plan->sector_size);
        if (!plan->table_grows && !kernel_lags) {
            g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                        "%s: an MBR partition table cannot address the disk past "
                        "2 TiB (%s unused); convert it to GPT to use that space, "
                        "nothing was changed", t->disk_node, unused);
            return FALSE;
        }
        g_ptr_array_add(warnings, g_strdup_printf(
            "%s: MBR partition tables end at 2 TiB: %s past that stays unused "
            "(convert to GPT to use it)", t->disk_node, unused));
    }

    QgLayer *layer = qg_layer_new(QG_LAYER_PARTITION, t->part_node,
                                  fdisk_is_label(plan->cxt, GPT) ? "gpt" : "dos");
    layer->partno = (uint32_t)plan->index + 1;
    layer->start = plan->start;
    layer->old_sectors = plan->old_sectors;
    layer->sectors = plan->new_sectors;
    layer->max_sectors = MAX(max_end, old_end) - plan->start + 1;
    layer->old_size = k_size * 512;
    layer->size = MAX(new_bytes, layer->old_size);
    layer->changed = plan->table_grows || kernel_lags;
    *out_layer = layer;
    *out = g_steal_pointer(&plan);
    return TRUE;
}

/* Write the new size through a read-write context of its own, after checking
 * that the table still is what was planned. */
static gboolean write_table(QgPartPlan *plan, const QgTarget *t, GError **error)
{
    struct fdisk_context *cxt = NULL;
    struct fdisk_partition *now = NULL, *pa = NULL;
    gboolean ok = FALSE;
    int r, fd;

    fd = open(t->disk_node, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return qg_set_errno_error(error, errno, "cannot open %s for writing", t->disk_node);
    if (!(cxt = open_table(fd, t->disk_node, FALSE, error)))
        goto out;
    if (fdisk_get_partition(cxt, plan->index, &now) != 0 ||
        fdisk_partition_get_start(now) != plan->start ||
        fdisk_partition_get_size(now) != plan->old_sectors ||
        (fdisk_is_label(cxt, GPT) && fdisk_get_last_lba(cxt) != plan->max_end)) {
        g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                    "%s: the partition table changed while planning; nothing was "
                    "written, run again", t->disk_node);
        goto out;
    }
    if (!(pa = fdisk_new_partition())) {
        g_set_error(error, QG_ERROR, QG_ERROR_FAILED, "out of memory");
        goto out;
    }
    r = fdisk_partition_set_size(pa, plan->new_sectors);
    if (r == 0)
        r = fdisk_set_partition(cxt, plan->index, pa);
    if (r < 0) {
        qg_set_errno_error(error, -r, "%s: cannot set the new size of partition %zu",
                           t->disk_node, plan->index + 1);
        goto out;
    }
    r = fdisk_write_disklabel(cxt);
    if (r < 0) {
        qg_set_errno_error(error, -r, "%s: cannot write the partition table", t->disk_node);
        goto out;
    }
    if (fsync(fd) != 0) {
        qg_set_errno_error(error, errno, "%s: cannot flush the partition table",
                           t->disk_node);
        goto out;
    }
    ok = TRUE;
out:
    if (pa)
        fdisk_unref_partition(pa);
    if (now)
        fdisk_unref_partition(now);
    if (cxt) {
        fdisk_deassign_device(cxt, 1);  /* nosync: fsync above is enough */
        fdisk_unref_context(cxt);
    }
    close(fd);
    return ok;
}

static gboolean tell_kernel(int fd, QgPartPlan *plan, const QgTarget *t, GError **error)
{
    struct blkpg_partition part = {
        .start = (long long)(plan->start * plan->sector_size),
        .length = (long long)(plan->new_sectors * plan->sector_size),
        .pno = (int)t->partno,
    };
    struct blkpg_ioctl_arg arg = {
        .op = BLKPG_RESIZE_PARTITION,
        .datalen = sizeof(part),
        .data = &part,
    };
    if (ioctl(fd, BLKPG, &arg) != 0)
        return qg_set_errno_error(error, errno,
                                  "%s: the table was grown but the kernel refused the new "
                                  "size of %s (run again, or re-read the table)",
                                  t->disk_node, t->part_node);
    return TRUE;
}

gboolean qg_part_apply(int fd, QgPartPlan *plan, const QgTarget *t, QgLayer *layer,
                       GError **error)
{
    uint64_t k_size;

    if (plan->table_grows && !write_table(plan, t, error))
        return FALSE;
    qg_fault_point("table-written");
    if (!qg_block_size_bytes(t->part_name, &k_size, error))
        return FALSE;
    if (k_size < plan->new_sectors * plan->sector_size && !tell_kernel(fd, plan, t, error))
        return FALSE;
    qg_fault_point("kernel-told");
    if (!qg_block_size_bytes(t->part_name, &layer->size, error))
        return FALSE;
    layer->changed = plan->table_grows || layer->size != layer->old_size;
    return TRUE;
}
