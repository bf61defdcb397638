/* The LVM layers: a physical volume grows to fill its device (pvresize), then
 * one logical volume takes that PV's free extents (lvextend ... PV), as the
 * classic "pvresize; lvextend -l +100%FREE" does on a one-disk group, but
 * never space the group keeps free on other disks.  Only linear LVs grow;
 * striped ones, snapshots, thin volumes, caches, mirrors and RAID LVs are
 * refused by name (a thin volume is never grown behind its user's back). */
#include "internal.h"

#include <string.h>
#include <sys/sysmacros.h>

/* Every field of the PV and of the LVs on it that the plan and the apply
 * ask for, in one report (a row per segment of the PV, the PV's fields on
 * each): asked again unchanged, the grow's LVM process answers from what it
 * kept (lvm-shell.c), so the plan asks LVM once. */
#define PV_FIELDS "pv_size,dev_size,pe_start,vg_name,vg_extent_size,pv_pe_count," \
                  "pv_pe_alloc_count,lv_full_name,lv_path,lv_size,lv_layout,lv_role," \
                  "lv_kernel_major,lv_kernel_minor"

/* That report's rows for the PV @pv (one at least). */
static GPtrArray *pv_rows(QgLvm *lvm, const char *pv, GError **error)
{
    GPtrArray *rows = qg_lvm_report(lvm, "pvs", PV_FIELDS, pv, error);
    if (rows && rows->len == 0) {
        g_set_error(error, QG_ERROR, QG_ERROR_FAILED, "lvm pvs reported no rows for %s", pv);
        g_ptr_array_unref(rows);
        return NULL;
    }
    return rows;
}

typedef struct {
    QgLvm *lvm;
    char *pv;       /* the PV's device node */
    char *dev_name; /* ... its kernel name */
    char *lv;       /* "VG/LV" */
    uint64_t pe_start, extent;
} LvmPriv;

static void lvm_priv_free(void *p)
{
    LvmPriv *l = p;
    if (!l)
        return;
    if (l->lvm)
        qg_lvm_unref(l->lvm);
    g_free(l->pv);
    g_free(l->dev_name);
    g_free(l->lv);
    g_free(l);
}

/* The PV's size once it fills @dev_bytes: whole extents past its data
 * start, as pvresize leaves it. */
static uint64_t pv_reachable(const LvmPriv *l, uint64_t dev_bytes)
{
    if (dev_bytes <= l->pe_start)
        return 0;
    uint64_t room = dev_bytes - l->pe_start;
    return l->extent ? room / l->extent * l->extent : room;
}

static gboolean pv_read(LvmPriv *l, uint64_t *pv_size, uint64_t *dev_size, char **vg,
                        GError **error)
{
    g_autoptr(GPtrArray) rows = pv_rows(l->lvm, l->pv, error);
    if (!rows)
        return FALSE;
    GHashTable *row = rows->pdata[0];
    if (!qg_lvm_field_u64(row, "pv_size", pv_size, error) ||
        !qg_lvm_field_u64(row, "dev_size", dev_size, error) ||
        !qg_lvm_field_u64(row, "pe_start", &l->pe_start, error))
        return FALSE;
    const char *ext = g_hash_table_lookup(row, "vg_extent_size");
    l->extent = 0;
    if (ext && *ext && !qg_lvm_field_u64(row, "vg_extent_size", &l->extent, error))
        return FALSE;
    if (vg) {
        const char *name = g_hash_table_lookup(row, "vg_name");
        *vg = g_strdup(name && *name ? name : "-");
    }
    return TRUE;
}

static gboolean pv_plan(QgStep *step, const QgStepCtx *ctx, GError **error)
{
    LvmPriv *l = g_new0(LvmPriv, 1);
    g_autofree char *vg = NULL;
    uint64_t size, dev_size;

    step->priv = l;
    l->lvm = qg_lvm_ref(ctx->lvm);
    l->pv = g_strdup(ctx->below->node);
    l->dev_name = g_strdup(ctx->below->name);
    if (!pv_read(l, &size, &dev_size, &vg, error))
        return FALSE;
    QgLayer *layer = qg_layer_new(QG_LAYER_LVM_PV, l->pv, vg);
    step->layer = layer;
    layer->old_size = size;
    layer->size = MAX(size, pv_reachable(l, ctx->below_bytes));
    layer->changed = layer->size > size;
    if (layer->changed)
        qg_lvm_dsync_warn(ctx->warnings);
    return TRUE;
}

static gboolean pv_apply(QgStep *step, GError **error)
{
    LvmPriv *l = step->priv;
    uint64_t size, dev_size;

    /* the PV as the plan's report found it (LVM was not asked to change it
     * since), its device as the kernel sees it now: the layer below grew
     * since then, which that report cannot show */
    if (!pv_read(l, &size, &dev_size, NULL, error) ||
        !qg_block_size_bytes(l->dev_name, &dev_size, error))
        return FALSE;
    qg_fault_point("pv-resizing");
    if (pv_reachable(l, dev_size) > size) {
        const char *const args[] = { "pvresize", l->pv, NULL };
        if (!qg_lvm_run(l->lvm, args, error))
            return FALSE;
    }
    if (!pv_read(l, &step->layer->size, &dev_size, NULL, error))
        return FALSE;
    step->layer->changed = step->layer->size != step->layer->old_size;
    return TRUE;
}

const QgStepOps qg_step_lvm_pv = {
    .kind = QG_LAYER_LVM_PV,
    .plan = pv_plan,
    .apply = pv_apply,
    .free_priv = lvm_priv_free,
};

/* The row of the LV whose dm device is @dev, among the LVs on the PV @pv
 * (of volume group @vg). */
static GHashTable *lv_row(QgLvm *lvm, const char *pv, const char *vg, dev_t dev,
                          GError **error)
{
    g_autoptr(GPtrArray) rows = pv_rows(lvm, pv, error);
    if (!rows)
        return NULL;
    for (guint i = 0; i < rows->len; i++) {
        uint64_t ma, mi;
        if (qg_lvm_field_u64(rows->pdata[i], "lv_kernel_major", &ma, NULL) &&
            qg_lvm_field_u64(rows->pdata[i], "lv_kernel_minor", &mi, NULL) &&
            ma == major(dev) && mi == minor(dev))
            return g_hash_table_ref(rows->pdata[i]);
    }
    g_set_error(error, QG_ERROR, QG_ERROR_FAILED,
                "lvm pvs does not list device %u:%u on %s in volume group %s", major(dev),
                minor(dev), pv, vg);
    return NULL;
}

/* Why an LV of this layout (lv_layout: one value per LV, where segtype has
 * one per segment) is not grown, or NULL. */
static const char *lv_refusal(GHashTable *row)
{
    const char *layout = g_hash_table_lookup(row, "lv_layout");
    const char *role = g_hash_table_lookup(row, "lv_role");
    if (role && strstr(role, "snapshot"))
        return "is a snapshot";
    if (role && strstr(role, "origin"))
        return "has snapshots (an origin grows only with them in mind)";
    if (!layout)
        return "has no layout LVM reports";
    if (!strcmp(layout, "linear"))
        return NULL;
    if (!strcmp(layout, "striped"))
        return "is striped over several PVs (its stripes need room on all of them; "
               "grow it with lvextend)";
    if (strstr(layout, "thin"))
        return "is a thin volume (its virtual size is its owner's choice)";
    return "is not a linear LV";
}

/* The PV's free extents once it is @pv_bytes large, and its extent size
 * (the same report as pv_read's). */
static gboolean pv_free_after(QgLvm *lvm, const char *pv, uint64_t pv_bytes,
                              uint64_t *free_bytes, uint64_t *count_now, GError **error)
{
    g_autoptr(GPtrArray) rows = pv_rows(lvm, pv, error);
    GHashTable *row = rows ? rows->pdata[0] : NULL;
    uint64_t count, alloc, extent;
    if (!row || !qg_lvm_field_u64(row, "pv_pe_count", &count, error) ||
        !qg_lvm_field_u64(row, "pv_pe_alloc_count", &alloc, error) ||
        !qg_lvm_field_u64(row, "vg_extent_size", &extent, error) || !extent)
        return FALSE;
    uint64_t after = MAX(count, pv_bytes / extent);
    *free_bytes = after > alloc ? (after - alloc) * extent : 0;
    *count_now = count > alloc ? count - alloc : 0;
    return TRUE;
}

static gboolean lv_plan(QgStep *step, const QgStepCtx *ctx, GError **error)
{
    LvmPriv *l = g_new0(LvmPriv, 1);
    const QgLayer *pv = ctx->below_layer;
    uint64_t size, free_bytes, now;

    step->priv = l;
    l->lvm = qg_lvm_ref(ctx->lvm);
    if (!pv || pv->kind != QG_LAYER_LVM_PV) {
        g_set_error(error, QG_ERROR, QG_ERROR_FAILED, "%s: an LV must rest on a PV layer",
                    ctx->above->node);
        return FALSE;
    }
    l->pv = g_strdup(pv->device);
    g_autoptr(GHashTable) row = lv_row(l->lvm, l->pv, pv->type, ctx->above->dev, error);
    if (!row)
        return FALSE;
    l->lv = g_strdup(g_hash_table_lookup(row, "lv_full_name"));
    const char *why = lv_refusal(row);
    if (why) {
        g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                    "logical volume %s %s; qga-grow does not grow it, nothing was changed",
                    l->lv, why);
        return FALSE;
    }
    if (!qg_lvm_field_u64(row, "lv_size", &size, error) ||
        !pv_free_after(l->lvm, l->pv, pv->size, &free_bytes, &now, error))
        return FALSE;
    const char *path = g_hash_table_lookup(row, "lv_path");
    QgLayer *layer = qg_layer_new(QG_LAYER_LVM_LV, path && *path ? path : ctx->above->node,
                                  "linear");
    step->layer = layer;
    layer->old_size = size;
    /* the free extents of this PV, its new ones with them: never space the
     * volume group has on other disks, which may be kept free on purpose */
    layer->size = size + free_bytes;
    layer->changed = layer->size > size;
    if (layer->changed)
        qg_lvm_dsync_warn(ctx->warnings);
    return TRUE;
}

static gboolean lv_read(LvmPriv *l, uint64_t *size, GError **error)
{
    g_autoptr(GHashTable) row = qg_lvm_report_one(l->lvm, "lvs", "lv_size", l->lv, error);
    return row && qg_lvm_field_u64(row, "lv_size", size, error);
}

static gboolean lv_apply(QgStep *step, GError **error)
{
    LvmPriv *l = step->priv;
    uint64_t free_bytes, free_count;

    if (!pv_free_after(l->lvm, l->pv, 0, &free_bytes, &free_count, error))
        return FALSE;
    qg_fault_point("lv-extending");
    if (free_count > 0) {
        /* from this PV only (the PV named last): its free extents */
        g_autofree char *extents = g_strdup_printf("+%" G_GUINT64_FORMAT, free_count);
        const char *const args[] = { "lvextend", "-l", extents, l->lv, l->pv, NULL };
        if (!qg_lvm_run(l->lvm, args, error))
            return FALSE;
    }
    if (!lv_read(l, &step->layer->size, error))
        return FALSE;
    step->layer->changed = step->layer->size != step->layer->old_size;
    return TRUE;
}

const QgStepOps qg_step_lvm_lv = {
    .kind = QG_LAYER_LVM_LV,
    .plan = lv_plan,
    .apply = lv_apply,
    .free_priv = lvm_priv_free,
};

/* A thin pool: its data grows into the volume group's free extents, and its
 * metadata to what the new data size wants (LVM keeps a spare of the same
 * size, which grows with it), up to LVM's limit for thin metadata.  The thin volumes in it
 * keep their virtual sizes: those are their owners' choice. */
#define THIN_META_MAX (UINT64_C(16) * 1024 * 1024 * 1024 - UINT64_C(196) * 1024 * 1024)
#define POOL_FIELDS "lv_size,lv_metadata_size,chunk_size,vg_free,vg_extent_size"

typedef struct {
    QgLvm *lvm;
    char *pool;       /* "VG/POOL" */
    gboolean spare;   /* the VG has a pool metadata spare */
} PoolPriv;

/* Each extent of metadata growth costs one more for the spare, if any. */
static uint64_t pool_meta_copies(const PoolPriv *l)
{
    return l->spare ? 2 : 1;
}

static void pool_priv_free(void *p)
{
    PoolPriv *l = p;
    if (!l)
        return;
    if (l->lvm)
        qg_lvm_unref(l->lvm);
    g_free(l->pool);
    g_free(l);
}

typedef struct {
    uint64_t data, meta, free_bytes, extent, chunk;
} PoolSizes;

static gboolean pool_read(PoolPriv *l, PoolSizes *z, GError **error)
{
    g_autoptr(GHashTable) row = qg_lvm_report_one(l->lvm, "lvs", POOL_FIELDS, l->pool, error);
    return row && qg_lvm_field_u64(row, "lv_size", &z->data, error) &&
           qg_lvm_field_u64(row, "lv_metadata_size", &z->meta, error) &&
           qg_lvm_field_u64(row, "vg_free", &z->free_bytes, error) &&
           qg_lvm_field_u64(row, "vg_extent_size", &z->extent, error) &&
           qg_lvm_field_u64(row, "chunk_size", &z->chunk, error);
}

/* Thin metadata a pool of @data bytes wants: LVM's estimate (64 bytes per
 * data chunk) twice over, in whole extents, within LVM's limit. */
static uint64_t pool_meta_for(uint64_t data, const PoolSizes *z)
{
    uint64_t chunk = z->chunk ? z->chunk : 64 * 1024;
    uint64_t want = data / chunk * 64 * 2;
    want = (want + z->extent - 1) / z->extent * z->extent;
    return MIN(want, THIN_META_MAX);
}

/* How much the metadata grows: a function of the data's final size only,
 * so that a rerun after a crash between the two lvextends finds the
 * metadata done and gives the data the rest. */
static uint64_t pool_meta_gain(const PoolPriv *l, const PoolSizes *z)
{
    uint64_t per = pool_meta_copies(l);
    if (!z->extent || z->free_bytes < z->extent)
        return 0;
    uint64_t target = pool_meta_for(z->data + z->free_bytes, z);
    if (target <= z->meta)
        return 0;
    uint64_t gain = target - z->meta;
    while (gain && gain * per >= z->free_bytes)
        gain -= z->extent;
    return gain;
}

static gboolean pool_plan(QgStep *step, const QgStepCtx *ctx, GError **error)
{
    PoolPriv *l = g_new0(PoolPriv, 1);
    const QgLayer *pv = ctx->below_layer;
    PoolSizes z;

    step->priv = l;
    l->lvm = qg_lvm_ref(ctx->lvm);
    /* the pool's data and metadata volumes are hidden LVs, named by LVM as
     * POOL_tdata and POOL_tmeta; the one on this PV names the pool */
    g_autoptr(GPtrArray) rows = qg_lvm_report_all(l->lvm, "lvs", "lv_full_name,lv_role,"
                                                  "lv_kernel_major,lv_kernel_minor",
                                                  pv->type, error);
    if (!rows)
        return FALSE;
    for (guint i = 0; i < rows->len; i++) {
        GHashTable *r = rows->pdata[i];
        uint64_t ma, mi;
        const char *name = g_hash_table_lookup(r, "lv_full_name");
        const char *role = g_hash_table_lookup(r, "lv_role");
        if (role && strstr(role, "spare"))
            l->spare = TRUE;
        if (!l->pool && name && qg_lvm_field_u64(r, "lv_kernel_major", &ma, NULL) &&
            qg_lvm_field_u64(r, "lv_kernel_minor", &mi, NULL) && ma == major(ctx->thin_part) &&
            mi == minor(ctx->thin_part) &&
            (g_str_has_suffix(name, "_tdata") || g_str_has_suffix(name, "_tmeta")))
            l->pool = g_strndup(name, strlen(name) - strlen("_tdata"));
    }
    if (!l->pool) {
        g_set_error(error, QG_ERROR, QG_ERROR_FAILED,
                    "lvm lvs does not list the thin pool on %s", ctx->below->node);
        return FALSE;
    }
    if (!pool_read(l, &z, error))
        return FALSE;
    /* the space the PV below gains joins what is free now */
    z.free_bytes += pv->size - pv->old_size;
    uint64_t meta_gain = pool_meta_gain(l, &z);
    g_autofree char *dev = g_strdup_printf("/dev/%s", l->pool);
    QgLayer *layer = qg_layer_new(QG_LAYER_LVM_LV, dev, "thin-pool");
    step->layer = layer;
    layer->old_size = z.data;
    layer->size = z.data + (z.free_bytes - meta_gain * pool_meta_copies(l)) / z.extent * z.extent;
    layer->changed = layer->size > layer->old_size;
    if (layer->changed)
        qg_lvm_dsync_warn(ctx->warnings);
    return TRUE;
}

static gboolean pool_apply(QgStep *step, GError **error)
{
    PoolPriv *l = step->priv;
    PoolSizes z;

    if (!pool_read(l, &z, error))
        return FALSE;
    qg_fault_point("lv-extending");
    uint64_t meta_gain = pool_meta_gain(l, &z);
    if (meta_gain) {
        g_autofree char *by = g_strdup_printf("+%" G_GUINT64_FORMAT "b", meta_gain);
        const char *const args[] = { "lvextend", "--poolmetadatasize", by, l->pool, NULL };
        if (!qg_lvm_run(l->lvm, args, error))
            return FALSE;
        if (!pool_read(l, &z, error))
            return FALSE;
    }
    if (z.extent && z.free_bytes >= z.extent) {
        g_autofree char *extents = g_strdup_printf("+%" G_GUINT64_FORMAT,
                                                   z.free_bytes / z.extent);
        const char *const args[] = { "lvextend", "-l", extents, l->pool, NULL };
        if (!qg_lvm_run(l->lvm, args, error))
            return FALSE;
        if (!pool_read(l, &z, error))
            return FALSE;
    }
    step->layer->size = z.data;
    step->layer->changed = step->layer->size != step->layer->old_size;
    return TRUE;
}

const QgStepOps qg_step_lvm_pool = {
    .kind = QG_LAYER_LVM_LV,
    .plan = pool_plan,
    .apply = pool_apply,
    .free_priv = pool_priv_free,
};
