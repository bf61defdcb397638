/* The chain of block devices to grow, from the partition (or whole disk) up:
 * the devices stacked on it as the kernel links them (holders/), or, when
 * the target named a device higher up, the chain down to it.  Where the
 * stack forks (a PV holding several LVs), the request chooses the LV; with
 * no choice the chain ends at the PV and its new space stays free. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

void qg_chain_clear(QgChain *c)
{
    g_clear_pointer(&c->nodes, g_ptr_array_unref);
    g_clear_pointer(&c->pv_note, g_free);
    g_clear_pointer(&c->lvm, qg_lvm_unref);
}

/* Are all of @holders a thin pool's data or metadata volumes?  Then the
 * pool is what grows on this PV (never a thin volume in it).  *one gets
 * one of them. */
static gboolean thin_pool_parts(GPtrArray *holders, dev_t *one)
{
    for (guint i = 0; i < holders->len; i++) {
        g_autoptr(QgNode) h = qg_node_new(holders->pdata[i], NULL);
        if (!h || !qg_node_is_lv(h) ||
            !(g_str_has_suffix(h->dm_uuid, "-tdata") || g_str_has_suffix(h->dm_uuid, "-tmeta")))
            return FALSE;
        *one = h->dev;
    }
    return holders->len > 0;
}

/* The LV "VG/LV" that --lv names: its dm device and its layout. */
typedef struct {
    const char *name;
    dev_t dev;
    char *layout;
} NamedLv;

static gboolean named_lv_find(QgLvm *lvm, const char *lv, NamedLv *out, GError **error)
{
    g_autoptr(GHashTable) row = qg_lvm_report_one(lvm, "lvs", "lv_kernel_major,lv_kernel_minor,"
                                                  "lv_layout", lv, error);
    uint64_t ma, mi;
    if (!row)
        return FALSE;
    if (!qg_lvm_field_u64(row, "lv_kernel_major", &ma, NULL) ||
        !qg_lvm_field_u64(row, "lv_kernel_minor", &mi, NULL)) {
        g_set_error(error, QG_ERROR, QG_ERROR_NOT_FOUND,
                    "logical volume %s is not active; nothing was changed", lv);
        return FALSE;
    }
    out->name = lv;
    out->dev = makedev(ma, mi);
    out->layout = g_strdup(g_hash_table_lookup(row, "lv_layout"));
    return TRUE;
}

static void named_lv_clear(NamedLv *l)
{
    g_clear_pointer(&l->layout, g_free);
}

/* The holder of @name that is the named LV's dm device. */
static char *holder_of_lv(const char *name, GPtrArray *holders, const NamedLv *lv,
                          GError **error)
{
    for (guint i = 0; i < holders->len; i++) {
        g_autoptr(QgNode) h = qg_node_new(holders->pdata[i], NULL);
        if (h && h->dev == lv->dev)
            return g_strdup(h->name);
    }
    g_set_error(error, QG_ERROR, QG_ERROR_INVALID,
                "logical volume %s is not active on /dev/%s; nothing was changed", lv->name,
                name);
    return NULL;
}

/* Is the named LV the chain's LV, or the thin pool on its top PV? */
static gboolean lv_in_chain(const QgChain *c, const NamedLv *lv, GError **error)
{
    if (c->thin_part && lv->layout && strstr(lv->layout, "pool")) {
        /* the pool's device (its -tpool) holds the data volume on this PV */
        g_autofree char *link = g_strdup_printf("/sys/dev/block/%u:%u", major(c->thin_part),
                                                minor(c->thin_part));
        g_autofree char *real = realpath(link, NULL);
        g_autofree char *part = real ? g_path_get_basename(real) : NULL;
        g_autoptr(GPtrArray) up = part ? qg_node_links(part, "holders") : NULL;
        for (guint i = 0; up && i < up->len; i++) {
            g_autoptr(QgNode) h = qg_node_new(up->pdata[i], NULL);
            if (h && h->dev == lv->dev)
                return TRUE;
        }
    }
    for (guint i = 1; i < c->nodes->len; i++)
        if (((const QgNode *)c->nodes->pdata[i])->dev == lv->dev)
            return TRUE;
    const QgNode *base = c->nodes->pdata[0];
    for (guint i = 1; i < c->nodes->len; i++) {
        const QgNode *n = c->nodes->pdata[i];
        if (qg_node_is_lv(n)) {
            g_set_error(error, QG_ERROR, QG_ERROR_INVALID,
                        "--lv %s: the stack on %s holds %s, not that LV; nothing was "
                        "changed", lv->name, base->node, n->node);
            return FALSE;
        }
    }
    g_set_error(error, QG_ERROR, QG_ERROR_INVALID,
                "--lv %s: that LV does not rest on %s; nothing was changed", lv->name,
                base->node);
    return FALSE;
}

gboolean qg_chain_build(const QgTarget *t, const QgRequest *req, QgChain *c, GError **error)
{
    const char *base = t->part_name ? t->part_name : t->disk_name;
    __attribute__((cleanup(named_lv_clear))) NamedLv lv = { 0 };
    gboolean use_lv = req->lv && req->lvm != QG_LVM_PV;
    QgNode *n;

    memset(c, 0, sizeof(*c));
    c->lvm = qg_lvm_new();  /* no process until LVM is asked something */
    if (use_lv && !named_lv_find(c->lvm, req->lv, &lv, error))
        return FALSE;
    c->nodes = g_ptr_array_new_with_free_func((GDestroyNotify)qg_node_free);
    if (!(n = qg_node_new(base, error)))
        return FALSE;
    g_ptr_array_add(c->nodes, n);

    if (t->upper && t->upper->len) {
        /* the target named a device above: exactly its chain down */
        for (guint i = 0; i < t->upper->len; i++) {
            const QgNode *u = t->upper->pdata[i];
            if (!(n = qg_node_new(u->name, error)))
                return FALSE;
            g_ptr_array_add(c->nodes, n);
        }
    } else {
        g_autofree char *cur = g_strdup(base);
        for (int depth = 0; depth < 16; depth++) {
            g_autoptr(GPtrArray) holders = qg_node_links(cur, "holders");
            g_autofree char *next = NULL;
            if (holders->len == 0)
                break;
            if (req->lvm != QG_LVM_PV && thin_pool_parts(holders, &c->thin_part)) {
                c->pv_on_top = TRUE;
                break;
            }
            if (holders->len == 1) {
                next = g_strdup(holders->pdata[0]);
            } else if (use_lv) {
                if (!(next = holder_of_lv(cur, holders, &lv, error)))
                    return FALSE;
            } else {
                /* several LVs on one PV (or a device held twice): the PV
                 * grows, the choice of LV is the user's */
                g_autoptr(QgNode) h = qg_node_new(holders->pdata[0], error);
                if (!h)
                    return FALSE;
                if (!qg_node_is_lv(h)) {
                    g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                                "/dev/%s is held by %u devices (%s, ...); qga-grow cannot "
                                "tell which to grow, nothing was changed", cur,
                                holders->len, h->node);
                    return FALSE;
                }
                c->pv_on_top = TRUE;
                c->lvs_undecided = req->lvm != QG_LVM_PV;  /* pv: decided */
                c->pv_note = g_strdup_printf(
                    "/dev/%s holds %u logical volumes: the physical volume grows and its "
                    "new space stays free in the volume group; name the one to grow with "
                    "--lv VG/LV (the agent command's \"lv\", lvm=lv with lv= in auto.conf)",
                    cur, holders->len);
                break;
            }
            if (!(n = qg_node_new(next, error)))
                return FALSE;
            g_ptr_array_add(c->nodes, n);
            g_free(cur);
            cur = g_strdup(next);
        }
    }

    /* --lv names the LV to grow: it must be the one in this chain (or the
     * thin pool on it), never another one quietly */
    if (use_lv && !lv_in_chain(c, &lv, error))
        return FALSE;

    /* lvm=pv: the chain ends at the first PV, whatever LV sits on it */
    if (req->lvm == QG_LVM_PV) {
        for (guint i = 1; i < c->nodes->len; i++) {
            if (qg_node_is_lv(c->nodes->pdata[i])) {
                g_ptr_array_set_size(c->nodes, i);
                c->pv_on_top = TRUE;
                c->thin_part = 0;
                c->lvs_undecided = FALSE;
                g_clear_pointer(&c->pv_note, g_free);
                c->pv_note = g_strdup_printf(
                    "%s: only the physical volume grows (LVM mode pv); its new space "
                    "stays free in the volume group",
                    ((QgNode *)c->nodes->pdata[i - 1])->node);
                break;
            }
        }
    }
    return TRUE;
}
