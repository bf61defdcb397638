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

/* A run's progress reports (QgRequest.progress), and which of the layers
 * that change it is at. */
typedef struct {
    const QgRequest *req;
    const QgLayer *layer;  /* the one being applied */
    unsigned index, count;
} Run;

static void report(const QgRequest *req, QgPhase phase)
{
    if (!req->progress)
        return;
    QgProgress p = { .phase = phase, .fraction = -1 };
    req->progress(&p, req->progress_data);
}

static void report_layer(const Run *run, double fraction)
{
    if (!run->req->progress)
        return;
    QgProgress p = { .phase = QG_PHASE_GROWING, .layer = run->layer, .index = run->index,
                     .count = run->count, .fraction = fraction };
    run->req->progress(&p, run->req->progress_data);
}

static void fs_progress(double fraction, void *data)
{
    report_layer(data, fraction);
}

/* Before a layer is applied: nothing of it is known to be done yet (its
 * apply says what it reached); a layer that is to change is announced. */
static void begin_layer(Run *run, QgLayer *l)
{
    if (l->changed) {
        run->layer = l;
        run->index++;
        report_layer(run, -1);
    }
    l->size = l->old_size;
    l->changed = FALSE;
}

static void end_layer(QgLayer *l)
{
    l->state = !l->changed                  ? QG_LAYER_UNCHANGED
               : l->kind == QG_LAYER_SWAP ? QG_LAYER_MOVED
                                          : QG_LAYER_GROWN;
}

/* The run stopped at @failed (NULL: at none of the layers): it failed, or
 * the kernel is still at work on it; the layers not applied yet are left
 * as they were. */
static void stop_at(QgResult *res, QgLayer *failed, const GError *e)
{
    if (failed) {
        failed->state = g_error_matches(e, QG_ERROR, QG_ERROR_BUSY) ? QG_LAYER_BUSY
                                                                   : QG_LAYER_FAILED;
        g_free(failed->error);
        failed->error = g_strdup(e->message);
    }
    for (guint i = 0; i < res->layers->len; i++) {
        QgLayer *l = res->layers->pdata[i];
        if (l->state == QG_LAYER_NOT_REACHED) {
            l->size = l->old_size;
            l->changed = FALSE;
        }
    }
    res->error = g_strdup(e->message);
    res->error_code = (QgErrorCode)e->code;
}

/* Something was written: a layer changed, or the kernel is still writing. */
static gboolean result_changed(const QgResult *res)
{
    for (guint i = 0; i < res->layers->len; i++) {
        const QgLayer *l = res->layers->pdata[i];
        if (l->changed || l->state == QG_LAYER_BUSY)
            return TRUE;
    }
    return FALSE;
}

/* An md array the target sits on, walked down through its first member:
 * the other members' partitions grow too, each under its own disk's lock.
 * Planned first as dry runs (their layers join the result, their sizes go
 * into @planned), and grown for real (grow_members) only once the whole
 * stack is planned, right before it is applied.  Locks: the members' disks
 * are only ever taken after the first member's, which every grower through
 * the array takes first, so none waits in a circle. */
static gboolean plan_other_members(const QgTarget *t, const QgRequest *req, GPtrArray *layers,
                                   GHashTable *planned, GPtrArray *warnings, GError **error)
{
    for (guint i = 0; t->md_members && i < t->md_members->len; i++) {
        const char *m = t->md_members->pdata[i];
        g_autoptr(QgNode) n = qg_node_new(m, error);
        if (!n)
            return FALSE;
        if (n->kind != QG_NODE_PART)
            continue;  /* a whole-disk member grows with its disk */
        QgRequest sub = { .device = n->node, .dry_run = TRUE, .min_gain = req->min_gain,
                          .partition_only = TRUE, .lock_timeout_ms = req->lock_timeout_ms };
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

/* The members' grows for real: what each did goes into its planned layers
 * in @res.  A member that fails stops the run there (*failed: its layer). */
static gboolean grow_members(const QgTarget *t, const QgRequest *req, Run *run, QgResult *res,
                             QgLayer **failed, GError **error)
{
    for (guint i = 0; t->md_members && i < t->md_members->len; i++) {
        const char *m = t->md_members->pdata[i];
        g_autoptr(QgNode) n = qg_node_new(m, error);
        if (!n)
            return FALSE;
        if (n->kind != QG_NODE_PART)
            continue;
        g_autoptr(GPtrArray) mine = g_ptr_array_new();  /* its layers in @res */
        for (guint k = 0; k < res->layers->len; k++) {
            QgLayer *l = res->layers->pdata[k];
            if (!g_strcmp0(l->device, n->node) && l->state == QG_LAYER_NOT_REACHED) {
                g_ptr_array_add(mine, l);
                begin_layer(run, l);
            }
        }
        QgRequest sub = { .device = n->node, .min_gain = req->min_gain, .partition_only = TRUE,
                          .lock_timeout_ms = req->lock_timeout_ms,
                          .busy_timeout_ms = req->busy_timeout_ms };
        g_autoptr(GError) e = NULL;
        g_autoptr(QgResult) partial = NULL;
        g_autoptr(QgResult) r = qg_grow_full(&sub, &partial, &e);
        const QgResult *got = r ? r : partial;
        for (guint j = 0; got && j < got->layers->len; j++) {
            const QgLayer *g = got->layers->pdata[j];
            for (guint k = 0; k < mine->len; k++) {
                QgLayer *l = mine->pdata[k];
                if (l->kind != g->kind || g_strcmp0(l->device, g->device))
                    continue;
                l->size = g->size;
                l->changed = g->changed;
                l->state = g->state;
                g_free(l->error);
                l->error = g_strdup(g->error);
            }
        }
        if (r) {
            for (guint k = 0; k < mine->len; k++)
                end_layer(mine->pdata[k]);
            continue;
        }
        if (!partial && g_error_matches(e, QG_ERROR, QG_ERROR_REFUSED)) {
            /* refused as a whole, nothing written: the array waits for it */
            for (guint k = 0; k < mine->len; k++)
                end_layer(mine->pdata[k]);
            g_ptr_array_add(res->warnings, g_strdup(e->message));
            continue;
        }
        /* where it stopped: its layer that failed (or is busy), else its
         * first one */
        for (guint k = 0; k < mine->len && !*failed; k++) {
            QgLayer *l = mine->pdata[k];
            if (l->state == QG_LAYER_FAILED || l->state == QG_LAYER_BUSY)
                *failed = l;
        }
        if (!*failed && mine->len)
            *failed = mine->pdata[0];
        g_propagate_error(error, g_steal_pointer(&e));
        return FALSE;
    }
    return TRUE;
}

/* A frozen filesystem on the stack would hold the grow up in the kernel,
 * unkillable, from the first write on: refused before anything is written,
 * by a dry run too (it says what the real run would do). */
static gboolean check_thawed(QgResult *res, GError **error)
{
    for (guint i = 0; i < res->layers->len; i++) {
        const QgLayer *l = res->layers->pdata[i];
        gboolean frozen = FALSE;
        if (l->kind != QG_LAYER_FILESYSTEM || !l->mountpoint)
            continue;
        if (!qg_fs_frozen(l->mountpoint, &frozen, error))
            return FALSE;
        if (!frozen)
            continue;
        g_autofree char *why = qg_frozen_message(l->device, l->mountpoint);
        g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                    "%s; thaw it (fsfreeze -u %s, or the agent's guest-fsfreeze-thaw) and "
                    "run again; nothing was changed", why, l->mountpoint);
        return FALSE;
    }
    return TRUE;
}

/* A dry run for a size the disk does not have yet is the host's question
 * before it enlarges the disk: a plan under which the new space would stay
 * unused is a refusal then, although the same stack on a disk already
 * grown only grows as far as it can.  An md array that waits for its
 * other members is fine: they grow next. */
static gboolean check_new_space_used(const QgRequest *req, const QgPartPlan *part_plan,
                                     const QgChain *chain, const QgLayer *fs,
                                     const char *disk, GError **error)
{
    g_autofree char *short_of_end = qg_part_plan_short_of_end(part_plan, disk);
    g_autofree char *size = qg_format_bytes(req->assume_size);
    g_autofree char *why = NULL;

    if (short_of_end)
        why = g_steal_pointer(&short_of_end);
    else if (qg_part_plan_at_limit(part_plan))  /* although what is above may grow */
        why = g_strdup(qg_part_plan_at_limit(part_plan));
    else if (chain->pv_on_top && chain->lvs_undecided)
        why = g_strdup(chain->pv_note);
    else if (fs && !fs->changed && fs->limit)
        why = g_strdup_printf("filesystem %s (%s) cannot grow: %s", fs->device, fs->type,
                              fs->limit);
    if (!why)
        return TRUE;
    g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                "%s; grown to %s, the disk's new space would stay unused; nothing was changed",
                why, size);
    return FALSE;
}

/* Apply the plan, bottom-up; each layer re-reads what is below it now.
 * FALSE with @error and *failed when the run stops at a layer. */
static gboolean apply_plan(const QgRequest *req, const QgTarget *t, int fd, QgPartPlan *part_plan,
                           QgLayer *part, GPtrArray *steps, QgLayer *fs, const QgNode *top,
                           QgResult *res, QgLayer **failed, GError **error)
{
    Run run = { .req = req };
    for (guint i = 0; i < res->layers->len; i++) {
        QgLayer *l = res->layers->pdata[i];
        run.count += l->changed;
        l->state = QG_LAYER_NOT_REACHED;  /* until it is applied */
    }

    if (t->md_members && !grow_members(t, req, &run, res, failed, error))
        return FALSE;
    if (part) {
        /* --move-swap's swap layers move with the partition's table write */
        g_autoptr(GPtrArray) swaps = g_ptr_array_new();
        for (guint i = 0; i < res->layers->len; i++) {
            QgLayer *l = res->layers->pdata[i];
            if (l->kind == QG_LAYER_SWAP)
                g_ptr_array_add(swaps, l);
        }
        begin_layer(&run, part);
        for (guint i = 0; i < swaps->len; i++)
            begin_layer(&run, swaps->pdata[i]);
        gboolean ok = qg_part_apply(fd, part_plan, t, part, error);
        *failed = part;
        for (guint i = 0; i < swaps->len; i++) {
            QgLayer *l = swaps->pdata[i];
            if (l->state == QG_LAYER_FAILED) {
                *failed = l;  /* moved, but not on again: the rest was done */
                end_layer(part);
            } else if (l->changed) {
                end_layer(l);
            }
        }
        if (!ok)
            return FALSE;
        end_layer(part);
    }
    for (guint i = 0; i < steps->len; i++) {
        QgStep *s = steps->pdata[i];
        begin_layer(&run, s->layer);
        if (!s->ops->apply(s, error)) {
            *failed = s->layer;
            return FALSE;
        }
        end_layer(s->layer);
    }
    if (fs) {
        uint64_t container;
        QgFsWait wait = { .busy_timeout_ms = req->busy_timeout_ms, .lock_fd = fd,
                          .progress = fs_progress, .progress_data = &run };
        begin_layer(&run, fs);
        if (!qg_block_size_bytes(top->name, &container, error) ||
            !qg_fs_apply(fs, top->dev, container, &wait, error)) {
            *failed = fs;
            return FALSE;
        }
        end_layer(fs);
    }
    return TRUE;
}

static QgResult *grow_run(const QgRequest *asked, QgResult **partial, GError **error)
{
    QgRequest local = *asked;  /* assume_size: 0 once it is the disk's size */
    const QgRequest *req = &local;
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

    if (req->assume_size && !req->dry_run) {
        g_set_error(error, QG_ERROR, QG_ERROR_INVALID,
                    "assume-size goes with a dry run: a real run grows what the disk has");
        return NULL;
    }
    if (req->lv && !qg_lv_name_valid(req->lv)) {
        g_set_error(error, QG_ERROR, QG_ERROR_INVALID,
                    "\"%s\" is no logical volume name: give it as VG/LV", req->lv);
        return NULL;
    }
    if (!qg_resolve_target(req, &t, error))
        return NULL;
    if (!plan_other_members(&t, req, member_layers, planned, member_warnings, error))
        return NULL;
    if (req->expect_size && !req->assume_size) {
        report(req, QG_PHASE_WAITING_SIZE);
        if (!qg_wait_disk_size(&t, req->expect_size,
                               req->expect_timeout_ms ? req->expect_timeout_ms
                                                      : QG_DEFAULT_EXPECT_TIMEOUT_MS,
                               error))
            return NULL;
    }
    report(req, QG_PHASE_LOCKING);
    if ((fd = qg_lock_disk_wait(t.disk_node, !req->dry_run, req->lock_timeout_ms, error)) < 0)
        return NULL;
    qg_fault_point("locked");
    report(req, QG_PHASE_PLANNING);

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
        goto out;
    if (req->assume_size && req->assume_size < res->disk_size) {
        g_set_error(error, QG_ERROR, QG_ERROR_INVALID,
                    "assume-size %" G_GUINT64_FORMAT " bytes is less than %s's %"
                    G_GUINT64_FORMAT ": qga-grow never shrinks", req->assume_size, t.disk_node,
                    res->disk_size);
        goto out;
    }
    if (req->assume_size == res->disk_size)
        local.assume_size = 0;  /* the plan of a plain dry run */
    else if (req->assume_size)
        res->disk_size = req->assume_size;

    /* Plan, bottom-up: the partition, the layers above it, the filesystem. */
    if (!qg_part_plan(fd, &t, req, &part_plan, &part, res->warnings, &e)) {
        if (e) {
            g_propagate_error(error, e);
            goto out;
        }
        if (req->partition_only) {
            g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                        "%s has no partition table; nothing was changed", t.disk_node);
            goto out;
        }
    }
    if (part)
        g_ptr_array_add(res->layers, part);
    if (!qg_chain_build(&t, req, &chain, error))
        goto out;
    /* a suspended device would hold every read of the planning up too */
    for (guint i = 0; i < chain.nodes->len; i++)
        if (!qg_node_check_resumed(chain.nodes->pdata[i], error))
            goto out;

    QgStepCtx ctx = {
        .req = req,
        .below_bytes = part ? part->size : res->disk_size,
        .below_layer = part,
        .warnings = res->warnings,
        .planned = planned,
        .lvm = chain.lvm,
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
            if (!qg_fs_plan(top->node, top->dev, ctx.below_bytes, req, res->warnings, &fs,
                            error))
                goto out;
            g_ptr_array_add(res->layers, fs);
        }
    }
    /* last, beside the stack: the swap partitions --move-swap moves */
    qg_part_plan_take_swap_layers(part_plan, res->layers);

    /* At MBR's limit with every layer already grown: the disk's new space
     * is out of reach, which is an error, not "nothing to do". */
    gboolean any = FALSE;
    for (guint i = 0; i < res->layers->len; i++) {
        QgLayer *l = res->layers->pdata[i];
        any |= l->changed;
        l->state = l->changed ? QG_LAYER_PLANNED : QG_LAYER_UNCHANGED;
    }
    if (qg_part_plan_at_limit(part_plan) && !any) {
        g_set_error(error, QG_ERROR, QG_ERROR_REFUSED, "%s, nothing was changed",
                    qg_part_plan_at_limit(part_plan));
        goto out;
    }
    if (any && !check_thawed(res, error))
        goto out;
    if (req->assume_size &&
        !check_new_space_used(req, part_plan, &chain, fs, t.disk_node, error))
        goto out;
    if (req->dry_run) {
        ok = TRUE;
        goto out;
    }

    qg_fault_point("planned");
    QgLayer *failed = NULL;
    if (!apply_plan(req, &t, fd, part_plan, part, steps, fs, top, res, &failed, &e)) {
        if (!e)  /* every apply says why; should one not, the run still stops */
            g_set_error(&e, QG_ERROR, QG_ERROR_FAILED, "the grow stopped for no reason given");
        stop_at(res, failed, e);
        res->changed = result_changed(res);
        g_propagate_error(error, e);
        if (partial)
            *partial = g_steal_pointer(&res);
        goto out;
    }
    ok = TRUE;
out:
    qg_part_plan_free(part_plan);
    if (!ok)
        return NULL;
    res->changed = result_changed(res);
    return g_steal_pointer(&res);
}

QgResult *qg_grow_full(const QgRequest *req, QgResult **partial, GError **error)
{
    if (partial)
        *partial = NULL;
    QgResult *res = grow_run(req, partial, error);
    report(req, QG_PHASE_DONE);
    return res;
}

QgResult *qg_grow(const QgRequest *req, GError **error)
{
    return qg_grow_full(req, NULL, error);
}
