/* The md RAID layer (levels 1, 4, 5, 6 and 10): once every member's device
 * has grown, the array grows to its new maximum ("mdadm --grow --size=max",
 * which moves the members' superblocks where they sit at the end and starts
 * the resync of the new space).  Each virtual disk of an array is grown on
 * its own, one call each: until the last member has grown, the array cannot
 * grow, and the report says which members it waits for. */
#include "internal.h"

#include <string.h>
#include <unistd.h>

typedef struct {
    char *name;    /* kernel name, "md0" */
    char *node;
} MdPriv;

static void md_priv_free(void *p)
{
    MdPriv *m = p;
    if (!m)
        return;
    g_free(m->name);
    g_free(m->node);
    g_free(m);
}

static gboolean md_u64(const char *md, const char *attr, uint64_t *out, GError **error)
{
    g_autofree char *p = g_strdup_printf("/sys/class/block/%s/md/%s", md, attr);
    return qg_sysfs_read_u64(p, out, error);
}

static char *md_str(const char *md, const char *attr)
{
    g_autofree char *p = g_strdup_printf("/sys/class/block/%s/md/%s", md, attr);
    return qg_sysfs_read_str(p);
}

/* The data each member can hold, in KiB, once it has @bytes: its data
 * offset off, and with the superblock at the end (0.90, 1.0) room for it. */
static uint64_t member_avail_kib(const char *md, const char *member, uint64_t bytes,
                                 gboolean sb_at_end)
{
    g_autofree char *attr = g_strdup_printf("dev-%s/offset", member);
    uint64_t offset = 0;
    md_u64(md, attr, &offset, NULL);
    uint64_t kib = bytes / 1024, off_kib = offset / 2;
    if (kib <= off_kib)
        return 0;
    kib -= off_kib;
    if (sb_at_end)  /* superblock, bitmap and alignment: 128 KiB at most */
        kib = kib > 128 ? (kib - 128) / 64 * 64 : 0;
    return kib;
}

/* The component size every member can give now (or, for @planned_member,
 * once it has @planned_bytes); the members that hold it back go into
 * @short_of.  @planned: sizes other members will have (kernel name ->
 * uint64_t bytes), for a dry run. */
static uint64_t reachable_kib(const char *md, const char *planned_member, uint64_t planned_bytes,
                              GHashTable *planned, uint64_t component, GString *short_of)
{
    g_autofree char *meta = md_str(md, "metadata_version");
    gboolean at_end = meta && (g_str_has_prefix(meta, "0.") || !strcmp(meta, "1.0"));
    g_autoptr(GPtrArray) members = qg_node_links(md, "slaves");
    uint64_t reach = G_MAXUINT64;

    for (guint i = 0; i < members->len; i++) {
        const char *m = members->pdata[i];
        uint64_t bytes = 0;
        uint64_t *other = planned ? g_hash_table_lookup(planned, m) : NULL;
        if (planned_member && !strcmp(m, planned_member))
            bytes = planned_bytes;
        else if (other)
            bytes = *other;
        else if (!qg_block_size_bytes(m, &bytes, NULL))
            continue;
        uint64_t avail = member_avail_kib(md, m, bytes, at_end);
        reach = MIN(reach, avail);
        if (avail <= component)
            g_string_append_printf(short_of, "%s/dev/%s", short_of->len ? ", " : "", m);
    }
    return reach == G_MAXUINT64 ? component : reach;
}

/* The component size (KiB) the array can grow to, or @component when it
 * should not grow now: a gain under 1 MiB (or a chunk) is not worth a
 * reshape (it also absorbs the estimate of where mdadm puts an end
 * superblock), and a resync or reshape in progress (*busy then names it)
 * must end first.  Members as in reachable_kib(). */
static uint64_t md_target_kib(const char *md, const char *planned_member, uint64_t planned_bytes,
                              GHashTable *planned, uint64_t component, GString *short_of,
                              char **busy)
{
    uint64_t chunk = 0;
    md_u64(md, "chunk_size", &chunk, NULL);
    uint64_t reach = reachable_kib(md, planned_member, planned_bytes, planned, component,
                                   short_of);
    if (chunk >= 1024)
        reach = reach / (chunk / 1024) * (chunk / 1024);
    if (reach < component + MAX(1024, chunk / 1024))
        return component;
    g_autofree char *sync = md_str(md, "sync_action");
    if (sync && !g_str_equal(sync, "idle")) {
        *busy = g_steal_pointer(&sync);
        return component;
    }
    return reach;
}

static gboolean md_plan(QgStep *step, const QgStepCtx *ctx, GError **error)
{
    MdPriv *m = g_new0(MdPriv, 1);
    g_autofree char *level = NULL;
    uint64_t component, bytes;

    step->priv = m;
    m->name = g_strdup(ctx->above->name);
    m->node = g_strdup(ctx->above->node);
    level = md_str(m->name, "level");
    if (!level || !(g_str_equal(level, "raid1") || g_str_equal(level, "raid4") ||
                    g_str_equal(level, "raid5") || g_str_equal(level, "raid6") ||
                    g_str_equal(level, "raid10"))) {
        g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                    "%s is an md array of level %s; qga-grow grows levels 1, 4, 5, 6 and "
                    "10, nothing was changed", m->node, level ? level : "unknown");
        return FALSE;
    }
    g_autofree char *state = md_str(m->name, "array_state");
    if (state && (g_str_equal(state, "readonly") || g_str_equal(state, "read-auto") ||
                  g_str_equal(state, "inactive"))) {
        g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                    "%s is %s; nothing was changed", m->node, state);
        return FALSE;
    }
    if (!md_u64(m->name, "component_size", &component, error) ||
        !qg_block_size_bytes(m->name, &bytes, error))
        return FALSE;

    g_autoptr(GString) short_of = g_string_new(NULL);
    g_autofree char *busy = NULL;
    uint64_t reach = md_target_kib(m->name, ctx->below->name, ctx->below_bytes, ctx->planned,
                                   component, short_of, &busy);
    if (busy)
        g_ptr_array_add(ctx->warnings, g_strdup_printf(
            "%s is busy (%s): it grows once that is done, when this is run again",
            m->node, busy));

    QgLayer *layer = qg_layer_new(QG_LAYER_MD, m->node, level);
    step->layer = layer;
    layer->old_size = bytes;
    /* the array holds a fixed number of components' worth of data */
    if (reach > component && component)
        layer->size = layer->old_size / component * reach;
    else
        layer->size = layer->old_size;
    layer->changed = layer->size > layer->old_size;
    if (!layer->changed && short_of->len)
        g_ptr_array_add(ctx->warnings, g_strdup_printf(
            "%s waits for the rest of its members to grow: %s (enlarge their disks too; "
            "the array grows when the last one has)", m->node, short_of->str));
    return TRUE;
}

static gboolean md_apply_locked(QgStep *step, GError **error)
{
    MdPriv *m = step->priv;
    uint64_t component;

    if (!md_u64(m->name, "component_size", &component, error))
        return FALSE;
    g_autoptr(GString) short_of = g_string_new(NULL);
    g_autofree char *busy = NULL;
    /* from the sizes now, not the plan's: a grower of another member's
     * disk may have planned "wait" while this one's partition grew */
    if (md_target_kib(m->name, NULL, 0, NULL, component, short_of, &busy) > component) {
        const char *argv[] = { "mdadm", "--grow", m->node, "--size=max", NULL };
        static const int ok[] = { 0, -1 };
        qg_fault_point("md-growing");
        if (!qg_run_tool(argv, ok, error))
            return FALSE;
    }
    if (!qg_block_size_bytes(m->name, &step->layer->size, error))
        return FALSE;
    step->layer->changed = step->layer->size != step->layer->old_size;
    return TRUE;
}

static gboolean md_apply(QgStep *step, GError **error)
{
    MdPriv *m = step->priv;
    /* growers of several members' disks hold different disk locks: the
     * array's own node serialises them here */
    int lock = qg_lock_disk(m->node, TRUE, error);
    if (lock < 0)
        return FALSE;
    gboolean ok = md_apply_locked(step, error);
    close(lock);
    return ok;
}

const QgStepOps qg_step_md = {
    .kind = QG_LAYER_MD,
    .plan = md_plan,
    .apply = md_apply,
    .free_priv = md_priv_free,
};
