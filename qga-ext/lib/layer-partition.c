/* The partition layer: grow a partition of a GPT or MBR table into the free
 * space after it (layer-table.c plans how far: up to the next partition, or
 * the disk's end) with libfdisk, then tell the kernel with
 * BLKPG_RESIZE_PARTITION, which works while the partition is mounted.
 *
 * The start never moves.  Every step is safe to redo: if a previous run wrote
 * the table but died before telling the kernel, this run finds the table
 * already grown and only updates the kernel.
 *
 * An MBR logical partition may need its extended partition grown first (one
 * table write does both); the kernel is told only of the logical one: it
 * shows an extended partition as a stub of 1 KiB (or one sector) whatever
 * the table says, so there is nothing to resize there. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <libfdisk/libfdisk.h>
#include <linux/blkpg.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* A partition the kernel still shows where an interrupted --move-swap took
 * it from: the kernel learns where the table has it now. */
typedef struct {
    uint32_t partno;
    uint64_t start, length;  /* bytes, as the table has it */
    gboolean container;      /* an extended partition (length: its stub) */
} StalePart;

struct QgPartPlan {
    struct fdisk_context *cxt;
    int copy_fd;     /* QgRequest.assume_size: the table's copy cxt reads */
    QgTablePlan table;
    uint64_t min_gain;      /* as planned, for the check before writing */
    unsigned free_percent;
    char *at_limit;  /* why nothing more can grow here although the disk
                      * did: MBR past 2 TiB with the partition at the limit,
                      * or the next partition right after it */
    GArray *stale;   /* of StalePart: partitions the kernel has where the
                      * table no longer has them, in the way of the grow */
    QgSwapMove *move;  /* --move-swap: the swap partitions that move */
};

const char *qg_part_plan_at_limit(const QgPartPlan *plan)
{
    return plan ? plan->at_limit : NULL;
}

char *qg_part_plan_short_of_end(const QgPartPlan *plan, const char *node)
{
    const QgTablePlan *tp = plan ? &plan->table : NULL;
    if (!tp || tp->last || tp->swap_moves)
        return NULL;
    if (tp->blocked)
        return qg_table_blocked_message(tp, node);
    return g_strdup_printf("partition %zu of %s can grow only up to sector %ju, where what "
                           "follows it on the disk starts", tp->index + 1, node,
                           (uintmax_t)tp->max_end);
}

void qg_part_plan_free(QgPartPlan *plan)
{
    if (!plan)
        return;
    if (plan->cxt) {
        fdisk_deassign_device(plan->cxt, 1);  /* read-only: nothing to sync */
        fdisk_unref_context(plan->cxt);
    }
    if (plan->copy_fd >= 0)
        close(plan->copy_fd);
    g_free(plan->at_limit);
    if (plan->stale)
        g_array_unref(plan->stale);
    qg_swap_move_free(plan->move);
    g_free(plan);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(QgPartPlan, qg_part_plan_free)

/* Is the partition (kernel name) used: held, mounted or swapped on? */
static gboolean partition_busy(const char *name, dev_t dev)
{
    g_autoptr(GPtrArray) holders = qg_node_links(name, "holders");
    __attribute__((cleanup(qg_mount_clear))) QgMount m = { 0 };
    g_autofree char *node = g_strdup_printf("/dev/%s", name);
    return holders->len || qg_mount_find_by_dev(dev, &m, NULL) || qg_swap_active(node);
}

/* A partition as the kernel has it, and as the table has it. */
typedef struct {
    char *name;
    uint32_t no;
    uint64_t ks, kz;       /* the kernel's start and length, bytes */
    gboolean listed;       /* the table has it: */
    uint64_t ts, tz;       /* ... at these bytes */
    gboolean nested, container;
    gboolean stale;
} KernelPart;

static void kernel_part_clear(KernelPart *k)
{
    g_free(k->name);
}

/* The kernel's partitions of the disk but the target, with the table's
 * view of each. */
static GArray *kernel_parts(const QgPartPlan *plan, const QgTarget *t)
{
    GArray *parts = g_array_new(FALSE, TRUE, sizeof(KernelPart));
    g_autofree char *dir = g_strdup_printf("/sys/class/block/%s", t->disk_name);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;
    uint64_t ss = plan->table.sector_size;

    g_array_set_clear_func(parts, (GDestroyNotify)kernel_part_clear);
    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *base = g_strdup_printf("%s/%s", dir, name);
        g_autofree char *pf = g_strdup_printf("%s/partition", base);
        g_autofree char *sf = g_strdup_printf("%s/start", base);
        g_autofree char *zf = g_strdup_printf("%s/size", base);
        uint64_t no, ks, kz;
        if (!qg_sysfs_read_u64(pf, &no, NULL) || no == t->partno || !no ||
            !qg_sysfs_read_u64(sf, &ks, NULL) || !qg_sysfs_read_u64(zf, &kz, NULL))
            continue;
        KernelPart k = { .name = g_strdup(name), .no = (uint32_t)no, .ks = ks * 512,
                         .kz = kz * 512 };
        struct fdisk_partition *pa = NULL;
        k.listed = fdisk_get_partition(plan->cxt, (size_t)no - 1, &pa) == 0 &&
                   fdisk_partition_has_start(pa) && fdisk_partition_has_size(pa);
        if (k.listed) {
            k.ts = fdisk_partition_get_start(pa) * ss;
            k.tz = fdisk_partition_get_size(pa) * ss;
            k.nested = fdisk_partition_is_nested(pa);
            k.container = fdisk_partition_is_container(pa);
            /* the kernel shows an extended partition as a stub of its
             * first sector or two, whatever its size */
            if (k.container)
                k.tz = k.kz;
        }
        if (pa)
            fdisk_unref_partition(pa);
        g_array_append_val(parts, k);
    }
    return parts;
}

/* Partitions the kernel has in the way of [from, to) (bytes) that the table
 * has elsewhere: after a --move-swap cut short between the table write and
 * the kernel's update.  Idle ones are re-added where the table has them;
 * one in use is a refusal.  When one of them is a logical or extended
 * partition, they all moved together: the others the kernel has elsewhere
 * than the table are re-added too, in the way or not. */
static gboolean plan_stale(QgPartPlan *plan, const QgTarget *t, uint64_t from, uint64_t to,
                           GPtrArray *warnings, GError **error)
{
    g_autoptr(GArray) parts = kernel_parts(plan, t);
    gboolean family = FALSE;

    for (guint i = 0; i < parts->len; i++) {
        KernelPart *k = &g_array_index(parts, KernelPart, i);
        k->stale = k->ks + k->kz > from && k->ks < to;
        family |= k->stale && (k->nested || k->container);
    }
    for (guint i = 0; family && i < parts->len; i++) {
        KernelPart *k = &g_array_index(parts, KernelPart, i);
        k->stale |= (k->nested || k->container) && k->listed && k->ks != k->ts;
    }
    for (guint i = 0; i < parts->len; i++) {
        const KernelPart *k = &g_array_index(parts, KernelPart, i);
        if (!k->stale)
            continue;
        g_autoptr(QgNode) n = qg_node_new(k->name, NULL);
        if (!k->listed || (k->ts < to && k->ts + k->tz > from) || !n ||
            partition_busy(k->name, n->dev)) {
            gboolean in_way = k->ks + k->kz > from && k->ks < to;
            g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                        "%s: the kernel has /dev/%s %s%s%s%s; re-read the table first, nothing "
                        "was changed", t->disk_node, k->name,
                        in_way ? "in the space " : "elsewhere than the table",
                        in_way ? t->part_node : "", in_way ? " would grow into" : "",
                        k->listed ? " (and it is in use)" : "");
            return FALSE;
        }
        StalePart sp = { k->no, k->ts, k->tz, k->container };
        if (!plan->stale)
            plan->stale = g_array_new(FALSE, FALSE, sizeof(StalePart));
        g_array_append_val(plan->stale, sp);
        g_ptr_array_add(warnings, g_strdup_printf(
            "/dev/%s: the kernel still has it where an interrupted run moved it from; it is "
            "re-added where the table has it%s", k->name,
            k->container ? "" : " (a moved swap stays off: turn it on with swapon)"));
    }
    return TRUE;
}

gboolean qg_part_plan(int fd, QgTarget *t, const QgRequest *req, QgPartPlan **out,
                      QgLayer **out_layer, GPtrArray *warnings, GError **error)
{
    g_autoptr(QgPartPlan) plan = g_new0(QgPartPlan, 1);
    QgTablePlan *tp = &plan->table;
    uint64_t min_gain = req->min_gain ? req->min_gain : QG_DEFAULT_MIN_GAIN;
    uint64_t k_start, k_size;
    unsigned ss;
    int table_fd = fd;

    *out = NULL;
    *out_layer = NULL;
    plan->copy_fd = -1;
    /* A dry run for a size the disk does not have yet plans on a copy of
     * its table that size (table-assumed.c). */
    if (req->assume_size &&
        !qg_table_assumed_copy(fd, t->disk_node, req->assume_size, &plan->copy_fd, &ss, error))
        return FALSE;
    if (plan->copy_fd >= 0) {
        table_fd = plan->copy_fd;
        plan->cxt = qg_table_open_copy(table_fd, t->disk_node, ss, error);
    } else {
        /* Planning reads only: the disk node is opened for writing only
         * when the table really changes, so a run with nothing to do causes
         * no change event (udev watches for writers closing the disk). */
        plan->cxt = qg_table_open(fd, t->disk_node, TRUE, error);
    }
    if (!plan->cxt)
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
    if (t->partno && req->partno && t->partno != req->partno) {
        g_set_error(error, QG_ERROR, QG_ERROR_INVALID,
                    "%s is partition %u, not partition %u", t->part_node, t->partno,
                    req->partno);
        return FALSE;
    }
    plan->min_gain = min_gain;
    plan->free_percent = req->free_percent;
    if (!qg_table_plan(plan->cxt, t->disk_node, t->partno ? t->partno : req->partno,
                       min_gain, req->free_percent, tp, error))
        return FALSE;
    if (!t->part_name && !qg_target_set_partition(t, (uint32_t)tp->index + 1, error))
        return FALSE;
    if (req->move_swap &&
        !qg_swap_move_plan(t, tp, req, min_gain, &plan->move, warnings, error))
        return FALSE;
    /* qg_grow refuses if no layer has anything to do either (a filesystem
     * may still lag behind a partition grown up to the next one) */
    plan->at_limit = qg_table_blocked_message(tp, t->disk_node);
    /* libfdisk reads whichever GPT copy is valid: a write cut short may have
     * grown the backup but not the primary, which then needs the rewrite
     * that the growth alone would no longer trigger. */
    if (tp->gpt && !tp->table_grows &&
        !qg_gpt_damage(table_fd, tp->sector_size, tp->nsectors, &tp->damage, error))
        return FALSE;
    if (tp->damage)
        g_ptr_array_add(warnings, g_strdup_printf(
            "%s: %s (a grow interrupted while writing it?); the table %s rewritten "
            "from its valid copy", t->disk_node, tp->damage, req->dry_run ? "would be" : "is"));

    /* The kernel's view, in 512-byte units whatever the sector size. */
    g_autofree char *sp = g_strdup_printf("/sys/class/block/%s/start", t->part_name);
    g_autofree char *zp = g_strdup_printf("/sys/class/block/%s/size", t->part_name);
    if (!qg_sysfs_read_u64(sp, &k_start, error) || !qg_sysfs_read_u64(zp, &k_size, error))
        return FALSE;
    if (k_start * 512 != tp->start * tp->sector_size) {
        g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                    "%s: the kernel has the partition at byte %ju but the table at "
                    "byte %ju; re-read the table first, nothing was changed",
                    t->part_node, (uintmax_t)(k_start * 512),
                    (uintmax_t)(tp->start * tp->sector_size));
        return FALSE;
    }

    /* The filesystem grows to the partition's size: never to a size the
     * table does not give it (a table shrunk behind the kernel's back). */
    if (k_size * 512 > tp->old_sectors * tp->sector_size) {
        g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                    "%s: the kernel has the partition at %ju bytes but the table at "
                    "%ju; re-read the table first, nothing was changed", t->part_node,
                    (uintmax_t)(k_size * 512),
                    (uintmax_t)(tp->old_sectors * tp->sector_size));
        return FALSE;
    }

    uint64_t new_bytes = tp->new_sectors * tp->sector_size;
    gboolean kernel_lags = k_size * 512 < new_bytes;
    if (kernel_lags && !tp->swap_moves &&
        !plan_stale(plan, t, k_start * 512 + k_size * 512, k_start * 512 + new_bytes, warnings,
                    error))
        return FALSE;
    if (tp->capped) {
        g_autofree char *unused = qg_format_bytes(
            (tp->nsectors - ((uint64_t)UINT32_MAX + 1)) * tp->sector_size);
        g_autofree char *limit = qg_mbr_limit_text(tp->sector_size);
        /* qg_grow refuses if no layer has anything to do either (the
         * filesystem may still lag behind a partition grown to the limit) */
        if (!tp->table_grows && !kernel_lags)
            plan->at_limit = g_strdup_printf(
                "%s: an MBR partition table cannot address the disk past %s (%s "
                "unused); convert it to GPT to use that space", t->disk_node, limit, unused);
        g_ptr_array_add(warnings, g_strdup_printf(
            "%s: MBR partition tables end at %s: %s past that stays unused "
            "(convert to GPT to use it)", t->disk_node, limit, unused));
    }

    QgLayer *layer = qg_layer_new(QG_LAYER_PARTITION, t->part_node, tp->gpt ? "gpt" : "dos");
    uint64_t old_end = tp->start + tp->old_sectors - 1;
    layer->partno = (uint32_t)tp->index + 1;
    layer->start = tp->start;
    layer->old_sectors = tp->old_sectors;
    layer->sectors = tp->new_sectors;
    layer->max_sectors = MAX(tp->max_end, old_end) - tp->start + 1;
    layer->reserved_sectors = tp->reserved;
    layer->reserve_blocks = tp->reserve_blocks;
    layer->old_size = k_size * 512;
    layer->size = MAX(new_bytes, layer->old_size);
    layer->changed = tp->table_grows || tp->damage || kernel_lags;
    *out_layer = layer;
    *out = g_steal_pointer(&plan);
    return TRUE;
}

/* Write the new size through a read-write context of its own, after checking
 * that the table still gives the plan that was made. */
static gboolean write_table(QgPartPlan *plan, const QgTarget *t, GError **error)
{
    int fd = open(t->disk_node, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return qg_set_errno_error(error, errno, "cannot open %s for writing", t->disk_node);
    gboolean ok = qg_table_write(fd, t->disk_node, &plan->table, plan->min_gain,
                                 plan->free_percent, error);
    close(fd);
    return ok;
}

static gboolean tell_kernel(int fd, QgPartPlan *plan, const QgTarget *t, GError **error)
{
    struct blkpg_partition part = {
        .start = (long long)(plan->table.start * plan->table.sector_size),
        .length = (long long)(plan->table.new_sectors * plan->table.sector_size),
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

void qg_part_plan_take_swap_layers(QgPartPlan *plan, GPtrArray *layers)
{
    if (plan)
        qg_swap_move_take_layers(plan->move, layers);
}

/* Back to the state before: a move that failed before the table was
 * written turns the swaps on again; the caller's error stands.  Returns
 * FALSE for it. */
static gboolean swap_back_on(QgPartPlan *plan)
{
    qg_swap_move_back_on(plan->move);
    return FALSE;
}

/* The kernel's partitions where the table has them now, all out of the way
 * first (the extended partition's stub before its logical ones). */
static gboolean re_add_stale(int fd, const GArray *stale, const QgTarget *t, GError **error)
{
    for (guint i = 0; i < stale->len; i++) {
        const StalePart *sp = &g_array_index(stale, StalePart, i);
        if (!qg_blkpg(fd, BLKPG_DEL_PARTITION, sp->partno, 0, 0) && errno != ENXIO)
            return qg_set_errno_error(error, errno, "%s: the kernel refused to move partition "
                                      "%u where the table has it", t->disk_node, sp->partno);
    }
    for (int containers = 1; containers >= 0; containers--)
        for (guint i = 0; i < stale->len; i++) {
            const StalePart *sp = &g_array_index(stale, StalePart, i);
            if (sp->container == containers &&
                !qg_blkpg(fd, BLKPG_ADD_PARTITION, sp->partno, sp->start, sp->length))
                return qg_set_errno_error(error, errno, "%s: the kernel refused to move "
                                          "partition %u where the table has it",
                                          t->disk_node, sp->partno);
        }
    return TRUE;
}

gboolean qg_part_apply(int fd, QgPartPlan *plan, const QgTarget *t, QgLayer *layer,
                       GError **error)
{
    uint64_t k_size;

    /* --move-swap: the swaps off and their new headers written first (see
     * swap-move.c for why this order) */
    if (plan->move && !qg_swap_move_prepare(plan->move, t->disk_node, error))
        return swap_back_on(plan);
    if ((plan->table.table_grows || plan->table.damage) && !write_table(plan, t, error))
        return plan->move ? swap_back_on(plan) : FALSE;
    /* written: a failure from here on leaves a changed table (the report
     * says so, and a rerun completes it) */
    layer->changed = plan->table.table_grows || plan->table.damage;
    if (plan->move)
        qg_swap_move_written(plan->move);
    qg_fault_point("table-written");
    if (plan->move && !qg_swap_move_finish(fd, plan->move, t->disk_node, error))
        return FALSE;
    if (plan->stale && !re_add_stale(fd, plan->stale, t, error))
        return FALSE;
    if (!qg_block_size_bytes(t->part_name, &k_size, error))
        return FALSE;
    if (k_size < plan->table.new_sectors * plan->table.sector_size &&
        !tell_kernel(fd, plan, t, error))
        return FALSE;
    qg_fault_point("kernel-told");
    if (!qg_block_size_bytes(t->part_name, &layer->size, error))
        return FALSE;
    layer->changed = plan->table.table_grows || plan->table.damage ||
                     layer->size != layer->old_size;
    /* on again, last: the grow is done */
    return !plan->move || qg_swap_move_on(plan->move, error);
}
