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

/* What the filesystem reaches in @container bytes: its own rules (a tail
 * too small for a block group or allocation group, block and inode count
 * limits) decide, never more than the container's whole blocks, never less
 * than now. */
static gboolean fs_reach(const QgFsOps *ops, const QgFsTarget *fs, uint64_t size,
                         uint64_t block, uint64_t container, uint64_t *bytes, char **limit,
                         GError **error)
{
    uint64_t whole = block ? container / block * block : container;
    *limit = NULL;
    if (!ops->reach(fs, size, block, container, bytes, limit, error))
        return FALSE;
    *bytes = MAX(size, MIN(*bytes, whole));
    if (*bytes >= whole)
        g_clear_pointer(limit, g_free);
    return TRUE;
}

gboolean qg_fs_plan(const char *device, dev_t dev, uint64_t container_bytes,
                    const QgRequest *req, GPtrArray *warnings, QgLayer **out,
                    GError **error)
{
    g_autofree char *type = NULL;
    g_autofree char *limit = NULL;
    __attribute__((cleanup(qg_mount_clear))) QgMount m = { 0 };
    uint64_t size, block, reach;
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
    /* A btrfs over several devices is mounted through one of them: this
     * device's filesystem is found by its UUID. */
    if (!m.mountpoint && !strcmp(type, "btrfs") && !qg_btrfs_find_mount(device, dev, &m, &e) &&
        e) {
        g_propagate_error(error, e);
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
    if (!ops->probe(&fs, &size, &block, error) ||
        !fs_reach(ops, &fs, size, block, container_bytes, &reach, &limit, error))
        return FALSE;
    if (ops->guard && reach > size &&
        !ops->guard(&fs, size, reach, req->force, warnings, error))
        return FALSE;
    g_autofree char *note = NULL;  /* what a cut-short grow left to mend */
    if (ops->check && m.mountpoint && !ops->check(&fs, &note, error))
        return FALSE;
    if (note)
        g_ptr_array_add(warnings, g_strdup(note));
    QgLayer *layer = qg_layer_new(QG_LAYER_FILESYSTEM, device, type);
    layer->mountpoint = g_steal_pointer(&m.mountpoint);
    layer->old_size = size;
    layer->size = reach;
    layer->changed = layer->size > size || note;
    layer->limit = g_steal_pointer(&limit);
    *out = layer;
    return TRUE;
}

gboolean qg_fs_apply(QgLayer *layer, dev_t dev, uint64_t container_bytes,
                     const QgFsWait *wait, GError **error)
{
    const QgFsOps *ops = ops_for(layer->type);
    QgFsTarget fs = { layer->device, dev, layer->mountpoint, layer->type };
    g_autofree char *limit = NULL;
    uint64_t size, block, target;

    /* Probe again: the partition below may have changed, and another grower
     * may have been here first. */
    if (!ops->probe(&fs, &size, &block, error) ||
        !fs_reach(ops, &fs, size, block, container_bytes, &target, &limit, error))
        return FALSE;
    qg_fault_point("fs-growing");
    GError *e = NULL;
    if (target > size && !qg_fs_grow_bounded(ops, &fs, size, target, block, wait, &e)) {
        /* the kernel said no, but may have grown part of the way (ext4
         * adds groups in batches): what it reached; a busy grow is not
         * asked, it is still under way */
        uint64_t now;
        if (!g_error_matches(e, QG_ERROR, QG_ERROR_BUSY) &&
            ops->probe(&fs, &now, &block, NULL)) {
            layer->size = now;
            layer->changed = now != layer->old_size;
        }
        g_propagate_error(error, e);
        return FALSE;
    }
    qg_fault_point("fs-grown");
    gboolean mended = FALSE;
    if (ops->settle && fs.mountpoint && !ops->settle(&fs, target > size, wait, &mended, error))
        return FALSE;
    if (!ops->probe(&fs, &layer->size, &block, error))
        return FALSE;
    layer->changed = layer->size != layer->old_size || mended;
    return TRUE;
}
