/* qg_grow(): resolve the target to its stack, plan every layer bottom-up,
 * then apply them bottom-up under the whole-disk lock.  Every refusal
 * happens while planning, before anything is written. */
#include "internal.h"

#include <string.h>
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

static void step_free(QgStep *s)
{
    if (s->ops && s->ops->free_priv)
        s->ops->free_priv(s->priv);
    g_free(s);
}

/* Plan one step; its layer joins the result, and the next one rests on it. */
static gboolean plan_step(const QgStepOps *ops, QgStepCtx *ctx, GPtrArray *steps, QgResult *res,
                          GError **error)
{
    QgStep *s = g_new0(QgStep, 1);
    s->ops = ops;
    g_ptr_array_add(steps, s);
    if (!ops->plan(s, ctx, error)) {
        if (s->layer)
            qg_layer_free(g_steal_pointer(&s->layer));
        return FALSE;
    }
    g_ptr_array_add(res->layers, s->layer);
    ctx->below_layer = s->layer;
    ctx->below_bytes = s->layer->size;
    return TRUE;
}

/* The layers between the base and the filesystem, one or two per device
 * above the base (an LV brings its PV). */
static gboolean plan_steps(const QgChain *chain, QgStepCtx *ctx, GPtrArray *steps,
                           QgResult *res, GError **error)
{
    for (guint i = 1; i < chain->nodes->len; i++) {
        const QgNode *n = chain->nodes->pdata[i];
        const char *why = qg_node_refusal(n);
        ctx->below = chain->nodes->pdata[i - 1];
        ctx->above = n;
        if (why) {
            g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                        "%s is %s, which qga-grow does not grow; nothing was changed",
                        n->node, why);
            return FALSE;
        }
        if (n->kind == QG_NODE_MD) {
            if (!plan_step(&qg_step_md, ctx, steps, res, error))
                return FALSE;
        } else if (g_str_has_prefix(n->dm_uuid, "CRYPT-")) {
            if (!plan_step(&qg_step_crypt, ctx, steps, res, error))
                return FALSE;
        } else {
            const QgNode *above = ctx->above;
            ctx->above = NULL;
            if (!plan_step(&qg_step_lvm_pv, ctx, steps, res, error))
                return FALSE;
            ctx->above = above;
            if (!plan_step(&qg_step_lvm_lv, ctx, steps, res, error))
                return FALSE;
        }
    }
    return TRUE;
}

/* Is the top of the chain an LVM PV with no active LV on it? */
static gboolean holds_idle_pv(const QgNode *top)
{
    __attribute__((cleanup(qg_mount_clear))) QgMount m = { 0 };
    g_autofree char *type = NULL;
    if (qg_mount_find_by_dev(top->dev, &m, NULL))
        return FALSE;
    type = qg_fs_probe_type(top->node, NULL);
    return type && !strcmp(type, "LVM2_member");
}

/* A PV on the top device whose LVs are left alone (or that holds none). */
static gboolean plan_top_pv(const QgChain *chain, QgStepCtx *ctx, GPtrArray *steps,
                            QgResult *res, GError **error)
{
    ctx->below = chain->nodes->pdata[chain->nodes->len - 1];
    ctx->above = NULL;
    if (!plan_step(&qg_step_lvm_pv, ctx, steps, res, error))
        return FALSE;
    if (chain->thin_part) {
        ctx->thin_part = chain->thin_part;
        return plan_step(&qg_step_lvm_pool, ctx, steps, res, error);
    }
    if (chain->pv_note)
        g_ptr_array_add(res->warnings, g_strdup(chain->pv_note));
    return TRUE;
}

/* An md array the target sits on, walked down through its first member:
 * the other members' partitions grow too, each under its own disk's lock.
 * Planned first as dry runs (@dry_run: their layers join the result, their
 * sizes go into @planned), and grown for real (@layers then updated) only
 * once the whole stack is planned, right before it is applied.  Locks: the
 * members' disks are only ever taken after the first member's, which every
 * grower through the array takes first, so none waits in a circle. */
static gboolean grow_other_members(const QgTarget *t, const QgRequest *req, gboolean dry_run,
                                   GPtrArray *layers, GHashTable *planned, GPtrArray *warnings,
                                   GError **error)
{
    for (guint i = 0; t->md_members && i < t->md_members->len; i++) {
        const char *m = t->md_members->pdata[i];
        g_autoptr(QgNode) n = qg_node_new(m, error);
        if (!n)
            return FALSE;
        if (n->kind != QG_NODE_PART)
            continue;  /* a whole-disk member grows with its disk */
        QgRequest sub = { .device = n->node, .dry_run = dry_run,
                          .min_gain = req->min_gain, .partition_only = TRUE };
        g_autoptr(GError) e = NULL;
        g_autoptr(QgResult) r = qg_grow(&sub, &e);
        if (!r) {
            if (!g_error_matches(e, QG_ERROR, QG_ERROR_REFUSED)) {
                g_propagate_error(error, g_steal_pointer(&e));
                return FALSE;
            }
            /* the array waits for this one; its planning says so */
            g_ptr_array_add(warnings, g_strdup(e->message));
            continue;
        }
        if (!dry_run) {
            /* the real grow: what the plan's layers of it say now */
            for (guint j = 0; j < r->layers->len; j++) {
                const QgLayer *got = r->layers->pdata[j];
                for (guint k = 0; k < layers->len; k++) {
                    QgLayer *l = layers->pdata[k];
                    if (l->kind == got->kind && !g_strcmp0(l->device, got->device)) {
                        l->size = got->size;
                        l->changed = got->size != l->old_size;
                    }
                }
            }
            continue;
        }
        for (guint j = 0; j < r->layers->len; j++) {
            QgLayer *l = r->layers->pdata[j];
            if (l->kind == QG_LAYER_PARTITION)
                g_hash_table_insert(planned, g_strdup(m), g_memdup2(&l->size, sizeof(l->size)));
        }
        while (r->layers->len)
            g_ptr_array_add(layers, g_ptr_array_steal_index(r->layers, 0));
        for (guint j = 0; j < r->warnings->len; j++)
            g_ptr_array_add(warnings, g_strdup(r->warnings->pdata[j]));
    }
    return TRUE;
}

QgResult *qg_grow_full(const QgRequest *req, QgResult **partial, GError **error)
{
    if (partial)
        *partial = NULL;  /* filled in by the apply phase (issue 11, in progress) */
    __attribute__((cleanup(qg_target_clear))) QgTarget t = { 0 };
    __attribute__((cleanup(close_fd))) int fd = -1;
    __attribute__((cleanup(qg_chain_clear))) QgChain chain = { 0 };
    g_autoptr(QgResult) res = NULL;
    g_autoptr(GPtrArray) steps = g_ptr_array_new_with_free_func((GDestroyNotify)step_free);
    QgPartPlan *part_plan = NULL;
    QgLayer *part = NULL, *fs = NULL;
    GError *e = NULL;
    gboolean ok = FALSE;

    g_autoptr(GHashTable) planned = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_autoptr(GPtrArray) member_layers = g_ptr_array_new_with_free_func((GDestroyNotify)qg_layer_free);
    g_autoptr(GPtrArray) member_warnings = g_ptr_array_new_with_free_func(g_free);

    if (req->lv && !qg_lv_name_valid(req->lv)) {
        g_set_error(error, QG_ERROR, QG_ERROR_INVALID,
                    "\"%s\" is no logical volume name: give it as VG/LV", req->lv);
        return NULL;
    }
    if (!qg_resolve_target(req, &t, error))
        return NULL;
    if (!grow_other_members(&t, req, TRUE, member_layers, planned, member_warnings, error))
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
    while (member_layers->len)
        g_ptr_array_add(res->layers, g_ptr_array_steal_index(member_layers, 0));
    while (member_warnings->len)
        g_ptr_array_add(res->warnings, g_ptr_array_steal_index(member_warnings, 0));
    g_autofree char *lbs = g_strdup_printf("/sys/class/block/%s/queue/logical_block_size",
                                           t.disk_name);
    uint64_t sector = 512;
    if (!qg_sysfs_read_u64(lbs, &sector, NULL))
        sector = 512;
    res->sector_size = (unsigned)sector;
    if (!qg_block_size_bytes(t.disk_name, &res->disk_size, error))
        return NULL;

    /* Plan, bottom-up: the partition, the layers above it, the filesystem. */
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
    if (!qg_chain_build(&t, req, &chain, error))
        goto out;

    QgStepCtx ctx = {
        .req = req,
        .below_bytes = part ? part->size : res->disk_size,
        .below_layer = part,
        .warnings = res->warnings,
        .planned = planned,
    };
    const QgNode *top = chain.nodes->pdata[0];
    if (req->partition_only) {
        /* growpart: a PV right on the partition follows (pvresize), no more */
        gboolean pv = chain.nodes->len > 1 ? qg_node_is_lv(chain.nodes->pdata[1])
                                           : holds_idle_pv(top);
        if (pv) {
            g_ptr_array_set_size(chain.nodes, 1);
            g_clear_pointer(&chain.pv_note, g_free);
            chain.thin_part = 0;  /* growpart resizes the PV, no LV on it */
            if (!plan_top_pv(&chain, &ctx, steps, res, error))
                goto out;
        }
    } else {
        if (!plan_steps(&chain, &ctx, steps, res, error))
            goto out;
        top = chain.nodes->pdata[chain.nodes->len - 1];
        /* a PV with no active LV on it grows alone */
        if (!chain.pv_on_top && chain.nodes->len == 1 && holds_idle_pv(top))
            chain.pv_on_top = TRUE;
        if (chain.pv_on_top) {
            if (!plan_top_pv(&chain, &ctx, steps, res, error))
                goto out;
        } else {
            if (!qg_fs_plan(top->node, top->dev, ctx.below_bytes, &fs, res->warnings,
                            error))
                goto out;
            g_ptr_array_add(res->layers, fs);
        }
    }

    /* At MBR's limit with every layer already grown: the disk's new space
     * is out of reach, which is an error, not "nothing to do". */
    gboolean any = FALSE;
    for (guint i = 0; i < res->layers->len; i++)
        any |= ((QgLayer *)res->layers->pdata[i])->changed;
    if (qg_part_plan_at_limit(part_plan) && !any) {
        g_set_error(error, QG_ERROR, QG_ERROR_REFUSED, "%s, nothing was changed",
                    qg_part_plan_at_limit(part_plan));
        goto out;
    }
    if (req->dry_run) {
        ok = TRUE;
        goto out;
    }

    /* Apply, bottom-up; each layer re-reads what is below it now. */
    qg_fault_point("planned");
    if (t.md_members &&
        !grow_other_members(&t, req, FALSE, res->layers, planned, res->warnings, error))
        goto out;
    if (part && !qg_part_apply(fd, part_plan, &t, part, error))
        goto out;
    for (guint i = 0; i < steps->len; i++) {
        QgStep *s = steps->pdata[i];
        if (!s->ops->apply(s, error))
            goto out;
    }
    if (fs) {
        uint64_t container;
        if (!qg_block_size_bytes(top->name, &container, error) ||
            !qg_fs_apply(fs, top->dev, container, error))
            goto out;
    }
    ok = TRUE;
out:
    qg_part_plan_free(part_plan);
    if (!ok)
        return NULL;
    for (guint i = 0; i < res->layers->len; i++)
        res->changed |= ((QgLayer *)res->layers->pdata[i])->changed;
    return g_steal_pointer(&res);
}

QgResult *qg_grow(const QgRequest *req, GError **error)
{
    return qg_grow_full(req, NULL, error);
}

/* Placeholder until the [agent] section is read (issue 11, in progress):
 * everything is allowed, as with no section. */
gboolean qg_agent_allows(const char *config, const QgRequest *req, GError **error)
{
    (void)config;
    (void)req;
    (void)error;
    return TRUE;
}
