/* LVM through its own tool, "lvm".  Its library interface (lvm2cmd) would run
 * LVM inside our process, qemu-ga included, with LVM's global state and its
 * memory locking during device suspends; the tool keeps all of that in a
 * child, and takes LVM's own VG locks and writes its metadata archive as it
 * always does.  One such child serves a whole grow (lvm-shell.c); this file
 * is its environment, a command as a process of its own where the shell
 * cannot be used, and the reports, read as JSON with byte units, so no
 * locale or human wording is ever parsed. */
#include "internal.h"

#include <json-glib/json-glib.h>
#include <string.h>
#include <unistd.h>

#ifndef QG_LVM_DSYNC
#define QG_LVM_DSYNC "/usr/local/lib/qga-grow/lvm-dsync.so"
#endif

static const char *dsync_module(void)
{
    const char *mod = g_getenv("QG_LVM_DSYNC");
    return mod && *mod ? mod : QG_LVM_DSYNC;
}

void qg_lvm_dsync_warn(GPtrArray *warnings)
{
    const char *mod = dsync_module();
    if (access(mod, R_OK) == 0)
        return;
    g_autofree char *w = g_strdup_printf(
        "%s is missing (a build run before installing?): LVM writes its metadata "
        "without a flush between the new text and the header that points at it, so a "
        "power cut during this grow could leave the volume group unable to activate", mod);
    for (guint i = 0; i < warnings->len; i++)
        if (g_str_equal(warnings->pdata[i], w))
            return;
    g_ptr_array_add(warnings, g_steal_pointer(&w));
}

/* LD_PRELOAD for the lvm commands: lvm-dsync.so (its comment says why),
 * before whatever the caller preloads; unchanged when the module is not
 * there (a build run before installing, without QG_LVM_DSYNC: the plan
 * warns, qg_lvm_dsync_warn).  NULL: none. */
static char *preload_value(void)
{
    const char *mod = dsync_module();
    const char *had = g_getenv("LD_PRELOAD");
    if (access(mod, R_OK) != 0)
        return g_strdup(had);
    return g_strconcat(mod, had && *had ? ":" : "", had ? had : "", NULL);
}

/* Our environment as LVM gets it: the preload, LC_ALL=C, and without udevd
 * (early boot, minimal guests) DM_DISABLE_UDEV, or LVM would wait for udev
 * to create nodes that never come; it then manages /dev itself. */
GStrv qg_lvm_env(void)
{
    g_auto(GStrv) env = g_get_environ();
    g_autofree char *preload = preload_value();
    env = g_environ_setenv(env, "LC_ALL", "C", TRUE);
    env = g_environ_setenv(env, "LVM_SUPPRESS_FD_WARNINGS", "1", TRUE);
    if (access("/run/udev/control", F_OK) != 0)
        env = g_environ_setenv(env, "DM_DISABLE_UDEV", "1", TRUE);
    if (preload)
        env = g_environ_setenv(env, "LD_PRELOAD", preload, TRUE);
    return g_steal_pointer(&env);
}

char *qg_lvm_exec(const char *const *args, GError **error)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    static const int ok[] = { 0, -1 };
    char *out = NULL;

    g_ptr_array_add(argv, (char *)"lvm");
    for (const char *const *a = args; *a; a++)
        g_ptr_array_add(argv, (char *)*a);
    g_ptr_array_add(argv, NULL);
    g_auto(GStrv) env = qg_lvm_env();  /* (qg_run_tool_env sets it over ours) */
    if (!qg_run_tool_env((const char *const *)argv->pdata, (const char *const *)env, ok, &out,
                         error))
        return NULL;
    return out;
}

gboolean qg_lvm_run(QgLvm *lvm, const char *const *args, GError **error)
{
    g_autofree char *out = qg_lvm_call(lvm, args, TRUE, error);
    return out != NULL;
}

static GHashTable *row_from_object(JsonObject *o)
{
    GHashTable *row = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_autoptr(GList) members = json_object_get_members(o);
    for (GList *m = members; m; m = m->next) {
        JsonNode *v = json_object_get_member(o, m->data);
        if (JSON_NODE_HOLDS_VALUE(v) && json_node_get_value_type(v) == G_TYPE_STRING)
            g_hash_table_insert(row, g_strdup(m->data), g_strdup(json_node_get_string(v)));
    }
    return row;
}

static GPtrArray *report(QgLvm *lvm, const char *cmd, gboolean all, const char *fields,
                         const char *name, GError **error)
{
    const char *args[] = { cmd, "--reportformat", "json", "--units", "b", "--nosuffix",
                           "-o", fields, name, all ? "-a" : NULL, NULL };
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) e = NULL;
    /* "pvs" reports "pv" rows, "lvs" "lv" rows */
    g_autofree char *key = g_strndup(cmd, strlen(cmd) - 1);

    g_autofree char *out = qg_lvm_call(lvm, args, FALSE, error);
    if (!out)
        return NULL;
    if (!json_parser_load_from_data(parser, out, -1, &e)) {
        g_set_error(error, QG_ERROR, QG_ERROR_FAILED, "lvm %s gave no JSON report: %s", cmd,
                    e->message);
        return NULL;
    }
    JsonNode *root = json_parser_get_root(parser);
    JsonObject *o = root && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
    JsonArray *report = o && json_object_has_member(o, "report")
                            ? json_object_get_array_member(o, "report") : NULL;
    JsonObject *first = report && json_array_get_length(report) > 0
                            ? json_array_get_object_element(report, 0) : NULL;
    JsonArray *rows = first && json_object_has_member(first, key)
                          ? json_object_get_array_member(first, key) : NULL;
    if (!rows) {
        g_set_error(error, QG_ERROR, QG_ERROR_FAILED,
                    "lvm %s's JSON report has no \"%s\" rows", cmd, key);
        return NULL;
    }
    GPtrArray *res = g_ptr_array_new_with_free_func((GDestroyNotify)g_hash_table_unref);
    for (guint i = 0; i < json_array_get_length(rows); i++) {
        JsonNode *r = json_array_get_element(rows, i);
        if (JSON_NODE_HOLDS_OBJECT(r))
            g_ptr_array_add(res, row_from_object(json_node_get_object(r)));
    }
    return res;
}

GPtrArray *qg_lvm_report(QgLvm *lvm, const char *cmd, const char *fields, const char *name,
                         GError **error)
{
    return report(lvm, cmd, FALSE, fields, name, error);
}

GHashTable *qg_lvm_report_one(QgLvm *lvm, const char *cmd, const char *fields,
                              const char *name, GError **error)
{
    g_autoptr(GPtrArray) rows = report(lvm, cmd, FALSE, fields, name, error);
    if (!rows)
        return NULL;
    if (rows->len != 1) {
        g_set_error(error, QG_ERROR, QG_ERROR_FAILED, "lvm %s reported %u rows for %s", cmd,
                    rows->len, name);
        return NULL;
    }
    return g_hash_table_ref(rows->pdata[0]);
}

GPtrArray *qg_lvm_report_all(QgLvm *lvm, const char *cmd, const char *fields,
                             const char *name, GError **error)
{
    return report(lvm, cmd, TRUE, fields, name, error);
}

gboolean qg_lvm_field_u64(GHashTable *row, const char *field, uint64_t *out, GError **error)
{
    const char *v = g_hash_table_lookup(row, field);
    guint64 n;
    if (!v || !g_ascii_string_to_unsigned(v, 10, 0, G_MAXUINT64, &n, NULL)) {
        g_set_error(error, QG_ERROR, QG_ERROR_FAILED,
                    "lvm reported \"%s\" for %s, not a number", v ? v : "nothing", field);
        return FALSE;
    }
    *out = n;
    return TRUE;
}
