/* The storage stack as the kernel links it: every block device in
 * /sys/class/block, its slaves/ (what it sits on) and holders/ (what sits on
 * it), and what device-mapper and md say of themselves in dm/ and md/.
 * Nothing here parses a tool's output. */
#include "internal.h"

#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

void qg_node_free(QgNode *n)
{
    if (!n)
        return;
    g_free(n->name);
    g_free(n->node);
    g_free(n->dm_uuid);
    g_free(n->dm_name);
    g_free(n);
}

static gboolean sysfs_exists(const char *name, const char *what)
{
    g_autofree char *p = g_strdup_printf("/sys/class/block/%s/%s", name, what);
    return access(p, F_OK) == 0;
}

QgNode *qg_node_new(const char *name, GError **error)
{
    g_autoptr(QgNode) n = g_new0(QgNode, 1);

    if (!qg_dev_of_name(name, &n->dev, error))
        return NULL;
    n->name = g_strdup(name);
    if (sysfs_exists(name, "dm")) {
        g_autofree char *u = g_strdup_printf("/sys/class/block/%s/dm/uuid", name);
        g_autofree char *nm = g_strdup_printf("/sys/class/block/%s/dm/name", name);
        n->kind = QG_NODE_DM;
        n->dm_uuid = qg_sysfs_read_str(u);
        n->dm_name = qg_sysfs_read_str(nm);
        if (!n->dm_uuid)
            n->dm_uuid = g_strdup("");
        /* the name people know it by; the kernel name works everywhere too */
        n->node = n->dm_name ? g_strdup_printf("/dev/mapper/%s", n->dm_name)
                             : g_strdup_printf("/dev/%s", name);
        if (access(n->node, F_OK) != 0) {
            g_free(n->node);
            n->node = g_strdup_printf("/dev/%s", name);
        }
    } else {
        n->kind = sysfs_exists(name, "md")          ? QG_NODE_MD
                  : sysfs_exists(name, "partition") ? QG_NODE_PART
                                                    : QG_NODE_DISK;
        n->node = g_strdup_printf("/dev/%s", name);
    }
    return g_steal_pointer(&n);
}

GPtrArray *qg_node_links(const char *name, const char *dir)
{
    g_autofree char *path = g_strdup_printf("/sys/class/block/%s/%s", name, dir);
    g_autoptr(GDir) d = g_dir_open(path, 0, NULL);
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    const char *e;

    while (d && (e = g_dir_read_name(d)))
        g_ptr_array_add(out, g_strdup(e));
    g_ptr_array_sort(out, (GCompareFunc)g_strcmp0);  /* the same order every run */
    return out;
}

gboolean qg_node_is_lv(const QgNode *n)
{
    return n->kind == QG_NODE_DM && g_str_has_prefix(n->dm_uuid, "LVM-");
}

const char *qg_node_refusal(const QgNode *n)
{
    const char *u = n->dm_uuid;
    if (n->kind != QG_NODE_DM)
        return NULL;
    if (g_str_has_prefix(u, "mpath-"))
        return "a multipath mapping";
    if (g_str_has_prefix(u, "LVM-") && strchr(u + 4, '-')) {
        const char *sfx = strrchr(u, '-') + 1;
        if (!strcmp(sfx, "cow") || !strcmp(sfx, "real"))
            return "part of an LVM snapshot";
        if (!strcmp(sfx, "cdata") || !strcmp(sfx, "cmeta") || !strcmp(sfx, "cpool"))
            return "part of an LVM cache";
        if (!strcmp(sfx, "tpool") || !strcmp(sfx, "tdata") || !strcmp(sfx, "tmeta") ||
            !strcmp(sfx, "pool"))
            return "an LVM thin pool under a thin volume (thin volumes keep the size "
                   "their owner gave them; name the disk or the PV to grow the pool)";
        return "an LVM-internal volume";
    }
    if (g_str_has_prefix(u, "LVM-") || g_str_has_prefix(u, "CRYPT-"))
        return NULL;
    return "a device-mapper device of a kind qga-grow does not know";
}

gboolean qg_stack_down(const char *name, char **base, GPtrArray **upper, GPtrArray **others,
                          GError **error)
{
    g_autoptr(GPtrArray) chain = g_ptr_array_new_with_free_func((GDestroyNotify)qg_node_free);
    g_autofree char *cur = g_strdup(name);

    for (int depth = 0;; depth++) {
        g_autoptr(QgNode) n = qg_node_new(cur, error);
        if (!n)
            return FALSE;
        if (n->kind == QG_NODE_PART || n->kind == QG_NODE_DISK) {
            *base = g_steal_pointer(&cur);
            /* walked top-down; the callers want bottom-up */
            *upper = g_ptr_array_new_full(chain->len, (GDestroyNotify)qg_node_free);
            for (guint i = chain->len; i-- > 0;)
                g_ptr_array_add(*upper, g_ptr_array_steal_index(chain, i));
            return TRUE;
        }
        if (depth > 16) {  /* stacks are a few layers deep; a loop is damage */
            g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                        "%s: the device stack below it is deeper than 16 layers; "
                        "nothing was changed", name);
            return FALSE;
        }
        const char *why = qg_node_refusal(n);
        if (why) {
            g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                        "%s is %s, which qga-grow does not grow; nothing was changed",
                        n->node, why);
            return FALSE;
        }
        g_autoptr(GPtrArray) slaves = qg_node_links(cur, "slaves");
        if (n->kind == QG_NODE_MD && slaves->len > 1 && others) {
            /* down through the first member; the others grow on their own */
            if (!*others)
                *others = g_ptr_array_new_with_free_func(g_free);
            for (guint i = 1; i < slaves->len; i++)
                g_ptr_array_add(*others, g_strdup(slaves->pdata[i]));
            g_ptr_array_set_size(slaves, 1);
        } else if (n->kind == QG_NODE_MD && slaves->len > 1) {
            g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                        "%s is an md array of %u members; name the array or its "
                        "mountpoint, nothing was changed", n->node, slaves->len);
            return FALSE;
        }
        if (slaves->len != 1) {
            g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                        slaves->len ? "%s spans %u devices; qga-grow grows a stack that "
                                      "rests on one disk, nothing was changed"
                                    : "%s rests on no device (%u)? nothing was changed",
                        n->node, slaves->len);
            return FALSE;
        }
        g_free(cur);
        cur = g_strdup(slaves->pdata[0]);
        g_ptr_array_add(chain, g_steal_pointer(&n));
    }
}
