/* The filesystem layer: find which filesystem sits on the device (libblkid),
 * where it is mounted, and hand it to that filesystem's file. */
#include "internal.h"

#include <blkid.h>
#include <string.h>

static const QgFsOps *const all_fs[] = { &qg_fs_ext, &qg_fs_xfs, &qg_fs_btrfs };

static const QgFsOps *ops_for(const char *type)
{
    for (size_t i = 0; i < G_N_ELEMENTS(all_fs); i++)
        for (const char *const *t = all_fs[i]->types; *t; t++)
            if (strcmp(*t, type) == 0)
                return all_fs[i];
    return NULL;
}

char *qg_fs_probe_type(const char *device, GError **error)
{
    blkid_probe pr = blkid_new_probe_from_filename(device);
    const char *type = NULL;
    char *out = NULL;

    if (!pr) {
        g_set_error(error, QG_ERROR, QG_ERROR_FAILED, "%s: cannot probe for a filesystem",
                    device);
        return NULL;
    }
    blkid_probe_enable_superblocks(pr, 1);
    blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE);
    int r = blkid_do_safeprobe(pr);
    if (r == 0 && blkid_probe_lookup_value(pr, "TYPE", &type, NULL) == 0)
        out = g_strdup(type);
    else if (r == 1)
        g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                    "%s holds no filesystem; nothing was changed", device);
    else if (r == -2)
        g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                    "%s carries more than one filesystem signature; refusing to guess, "
                    "nothing was changed", device);
    else
        g_set_error(error, QG_ERROR, QG_ERROR_FAILED,
                    "%s: cannot probe for a filesystem", device);
    blkid_free_probe(pr);
    return out;
}

/* Largest size the filesystem can reach in @bytes: whole blocks only. */
static uint64_t reachable(uint64_t container, uint64_t block)
{
    return block ? container / block * block : container;
}

gboolean qg_fs_plan(const char *device, dev_t dev, uint64_t container_bytes,
                    QgLayer **out, GPtrArray *warnings, GError **error)
{
    g_autofree char *type = NULL;
    __attribute__((cleanup(qg_mount_clear))) QgMount m = { 0 };
    uint64_t size, block;
    const QgFsOps *ops;
    GError *e = NULL;

    *out = NULL;
    if (!qg_mount_find_by_dev(dev, &m, &e) && e) {
        g_propagate_error(error, e);
        return FALSE;
    }
    /* A mounted filesystem's type is the kernel's word; only an unmounted
     * device needs libblkid's scan of its signatures (a millisecond of
     * reads, a tenth of the whole grow). */
    type = m.mountpoint ? g_strdup(m.fstype) : qg_fs_probe_type(device, error);
    if (!type) {
        return FALSE;
    }
    if (!(ops = ops_for(type))) {
        g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                    "%s holds a %s filesystem, which qga-grow cannot grow; "
                    "nothing was changed", device, type);
        return FALSE;
    }
    if (m.mountpoint && m.read_only) {
        g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                    "%s is mounted read-only on %s; remount it read-write to grow it, "
                    "nothing was changed", device, m.mountpoint);
        return FALSE;
    }
    if (!m.mountpoint && !ops->grows_unmounted) {
        g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                    "%s holds %s, which grows only while mounted; mount it first, "
                    "nothing was changed", device, type);
        return FALSE;
    }

    QgFsTarget fs = { device, dev, m.mountpoint, type };
    if (!ops->probe(&fs, &size, &block, error)) {
        return FALSE;
    }
    g_autofree char *note = NULL;  /* what a cut-short grow left to mend */
    if (ops->check && m.mountpoint && !ops->check(&fs, &note, error))
        return FALSE;
    if (note)
        g_ptr_array_add(warnings, g_strdup(note));
    QgLayer *layer = qg_layer_new(QG_LAYER_FILESYSTEM, device, type);
    layer->mountpoint = g_steal_pointer(&m.mountpoint);
    layer->old_size = size;
    layer->size = MAX(size, reachable(container_bytes, block));
    layer->changed = layer->size > size || note;
    *out = layer;
    return TRUE;
}

gboolean qg_fs_apply(QgLayer *layer, dev_t dev, uint64_t container_bytes, GError **error)
{
    const QgFsOps *ops = ops_for(layer->type);
    QgFsTarget fs = { layer->device, dev, layer->mountpoint, layer->type };
    uint64_t size, block;

    /* Probe again: the partition below may have changed, and another grower
     * may have been here first. */
    if (!ops->probe(&fs, &size, &block, error))
        return FALSE;
    uint64_t target = reachable(container_bytes, block);
    qg_fault_point("fs-growing");
    if (target > size && !ops->grow(&fs, target, block, error))
        return FALSE;
    qg_fault_point("fs-grown");
    gboolean mended = FALSE;
    if (ops->settle && fs.mountpoint && !ops->settle(&fs, target > size, &mended, error))
        return FALSE;
    if (!ops->probe(&fs, &layer->size, &block, error))
        return FALSE;
    layer->changed = layer->size != layer->old_size || mended;
    return TRUE;
}
