/* qg_grow(): resolve, plan every layer, then apply them bottom-up under the
 * whole-disk lock.  Every refusal happens while planning, before anything is
 * written. */
#include "internal.h"

#include <unistd.h>

static QgResult *result_new(const QgTarget *t, gboolean dry_run)
{
    QgResult *res = g_new0(QgResult, 1);
    res->disk = g_strdup(t->disk_node);
    res->dry_run = dry_run;
    res->layers = g_ptr_array_new_with_free_func((GDestroyNotify)qg_layer_free);
    res->warnings = g_ptr_array_new_with_free_func(g_free);
    return res;
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);  /* also drops the lock */
}

QgResult *qg_grow(const QgRequest *req, GError **error)
{
    __attribute__((cleanup(qg_target_clear))) QgTarget t = { 0 };
    __attribute__((cleanup(close_fd))) int fd = -1;
    g_autoptr(QgResult) res = NULL;
    QgPartPlan *part_plan = NULL;
    QgLayer *part = NULL, *fs = NULL;
    GError *e = NULL;
    uint64_t container;
    gboolean ok = FALSE;

    if (!qg_resolve_target(req, &t, error))
        return NULL;
    if (req->expect_size &&
        !qg_wait_disk_size(&t, req->expect_size,
                           req->expect_timeout_ms ? req->expect_timeout_ms
                                                  : QG_DEFAULT_EXPECT_TIMEOUT_MS,
                           error))
        return NULL;
    if ((fd = qg_lock_disk(t.disk_node, !req->dry_run, error)) < 0)
        return NULL;
    qg_fault_point("locked");

    res = result_new(&t, req->dry_run);
    g_autofree char *lbs = g_strdup_printf("/sys/class/block/%s/queue/logical_block_size",
                                           t.disk_name);
    uint64_t sector = 512;
    if (!qg_sysfs_read_u64(lbs, &sector, NULL))
        sector = 512;
    res->sector_size = (unsigned)sector;
    if (!qg_block_size_bytes(t.disk_name, &res->disk_size, error))
        return NULL;

    /* Plan. */
    if (!qg_part_plan(fd, &t, req, &part_plan, &part, res->warnings, &e)) {
        if (e) {
            g_propagate_error(error, e);
            return NULL;
        }
        if (req->partition_only) {
            g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                        "%s has no partition table; nothing was changed", t.disk_node);
            return NULL;
        }
    }
    if (part)
        g_ptr_array_add(res->layers, part);
    container = part ? part->size : res->disk_size;
    const char *fs_node = part ? t.part_node : t.disk_node;
    dev_t fs_dev = part ? t.part_dev : t.disk_dev;
    if (!req->partition_only) {
        if (!qg_fs_plan(fs_node, fs_dev, container, &fs, error))
            goto out;
        g_ptr_array_add(res->layers, fs);
    }
    /* At MBR's limit with every layer already grown: the disk's new space
     * is out of reach, which is an error, not "nothing to do". */
    if (qg_part_plan_at_limit(part_plan) && !part->changed && !(fs && fs->changed)) {
        g_set_error(error, QG_ERROR, QG_ERROR_REFUSED, "%s, nothing was changed",
                    qg_part_plan_at_limit(part_plan));
        goto out;
    }
    if (req->dry_run) {
        ok = TRUE;
        goto out;
    }

    /* Apply, bottom-up. */
    qg_fault_point("planned");
    if (part && !qg_part_apply(fd, part_plan, &t, part, error))
        goto out;
    if (fs && !qg_fs_apply(fs, fs_dev, part ? part->size : res->disk_size, error))
        goto out;
    ok = TRUE;
out:
    qg_part_plan_free(part_plan);
    if (!ok)
        return NULL;
    for (guint i = 0; i < res->layers->len; i++)
        res->changed |= ((QgLayer *)res->layers->pdata[i])->changed;
    return g_steal_pointer(&res);
}
