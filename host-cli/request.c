/* Requests from the command line or a batch file. */
#include "request.h"
#include "vg-error.h"

#include <json-glib/json-glib.h>
#include <string.h>

#define VG_BATCH_MAX_LINE 4096
#define VG_BATCH_MAX_REQUESTS 10000
#define VG_KEY_FILE_MAX 4095  /* PATH_MAX less its NUL */
#define VG_LVM_NAME_MAX 127   /* LVM's NAME_LEN less its NUL */

/* ---- the guest's options ---- */

void vg_guest_opts_clear(VgGuestOpts *g)
{
    g_free(g->key_file);
    g_free(g->lv);
    memset(g, 0, sizeof(*g));
}

/* @text, quoted and escaped for a message (it may hold anything). */
static char *quoted(const char *text)
{
    g_autofree char *esc = g_strescape(text, NULL);
    return g_strdup_printf("\"%s\"", esc);
}

static gboolean invalid(GError **error, const char *what, const char *text, const char *why)
{
    g_autofree char *q = quoted(text);
    g_set_error(error, VG_ERROR, VG_ERROR_INVALID, "%s %s: %s", what, q, why);
    return FALSE;
}

gboolean vg_key_file_check(const char *what, const char *path, GError **error)
{
    const char *why = NULL;

    if (!g_utf8_validate(path, -1, NULL))
        why = "not UTF-8 text";
    else if (path[0] != '/')
        why = "not an absolute path (a key file's path inside the guest, never the key)";
    else if (strlen(path) > VG_KEY_FILE_MAX)
        why = "longer than a path can be";
    else if (path[strlen(path) - 1] == '/')
        why = "names a directory, not a key file";
    else
        for (const char *p = path; *p && !why; p = g_utf8_next_char(p))
            if (g_unichar_iscntrl(g_utf8_get_char(p)))
                why = "holds control characters";
    return why ? invalid(error, what, path, why) : TRUE;
}

/* A VG or LV name as LVM allows it (lvm(8), VALID NAMES). */
static const char *lvm_name_problem(const char *name, size_t len)
{
    if (len == 0)
        return "VG/LV with both names not empty";
    if (len > VG_LVM_NAME_MAX)
        return "a VG or LV name is longer than LVM's 127 characters";
    if (name[0] == '-')
        return "a VG or LV name cannot start with '-'";
    if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
        return "a VG or LV name cannot be \".\" or \"..\"";
    for (size_t i = 0; i < len; i++)
        if (!g_ascii_isalnum(name[i]) && !strchr("+_.-", name[i]))
            return "VG and LV names hold only a-z A-Z 0-9 + _ . -";
    return NULL;
}

gboolean vg_lv_check(const char *what, const char *lv, GError **error)
{
    const char *slash = strchr(lv, '/');
    const char *why;

    if (!slash || strchr(slash + 1, '/'))
        why = "not VG/LV (a volume group's name, '/', a logical volume's name)";
    else if (!(why = lvm_name_problem(lv, (size_t)(slash - lv))))
        why = lvm_name_problem(slash + 1, strlen(slash + 1));
    return why ? invalid(error, what, lv, why) : TRUE;
}

gboolean vg_lvm_mode_parse(const char *what, const char *text, VgLvmMode *out,
                           GError **error)
{
    if (!strcmp(text, "pv"))
        *out = VG_LVM_PV;
    else if (!strcmp(text, "lv"))
        *out = VG_LVM_LV;
    else if (!strcmp(text, "auto"))
        *out = VG_LVM_AUTO;
    else
        return invalid(error, what, text, "not pv, lv or auto");
    return TRUE;
}

const char *vg_lvm_mode_name(VgLvmMode mode)
{
    switch (mode) {
    case VG_LVM_AUTO: return "auto";
    case VG_LVM_PV: return "pv";
    case VG_LVM_LV: return "lv";
    default: return NULL;
    }
}

gboolean vg_guest_opts_check(const VgGuestOpts *g, const char *lv_what, const char *lvm_what,
                             GError **error)
{
    if (g->lv && g->lvm == VG_LVM_PV) {
        g_set_error(error, VG_ERROR, VG_ERROR_INVALID,
                    "%s %s and %s pv contradict each other: pv leaves the volume group's new "
                    "space free, %s names the logical volume to take it", lv_what, g->lv,
                    lvm_what, lv_what);
        return FALSE;
    }
    return TRUE;
}

/* ---- requests ---- */

void vg_request_free(VgRequest *req)
{
    if (!req)
        return;
    g_free(req->uri);
    g_free(req->domain);
    g_free(req->disk);
    g_free(req->size_text);
    vg_guest_opts_clear(&req->guest);
    g_free(req);
}

void vg_request_inherit(VgRequest *req, const VgGuestOpts *defaults)
{
    if (!req->guest.key_file)
        req->guest.key_file = g_strdup(defaults->key_file);
    if (!req->guest.lv && req->guest.lvm == VG_LVM_UNSET) {
        req->guest.lv = g_strdup(defaults->lv);
        req->guest.lvm = defaults->lvm;
    }
    if (!req->guest.move_swap_set) {
        req->guest.move_swap = defaults->move_swap;
        req->guest.move_swap_set = defaults->move_swap_set;
    }
    if (!req->guest.lock_timeout_set) {
        req->guest.lock_timeout_s = defaults->lock_timeout_s;
        req->guest.lock_timeout_set = defaults->lock_timeout_set;
    }
    if (!req->guest.force_set) {
        req->guest.force = defaults->force;
        req->guest.force_set = defaults->force_set;
    }
}

VgRequest *vg_request_new(const char *uri, const char *domain, const char *disk,
                          const char *size, GError **error)
{
    VgSizeSpec spec;

    if (!domain || !*domain) {
        g_set_error(error, VG_ERROR, VG_ERROR_INVALID, "no DOMAIN given");
        return NULL;
    }
    if (!disk || !*disk || !strcmp(disk, "serial:")) {
        g_set_error(error, VG_ERROR, VG_ERROR_INVALID,
                    "no DISK given (a target like vdb, a source path, or serial:SERIAL)");
        return NULL;
    }
    if (!size) {
        g_set_error(error, VG_ERROR, VG_ERROR_INVALID, "no SIZE given (e.g. 20G or +10G)");
        return NULL;
    }
    if (!vg_size_spec_parse(size, &spec, error))
        return NULL;

    VgRequest *req = g_new0(VgRequest, 1);
    req->uri = g_strdup(uri);
    req->domain = g_strdup(domain);
    req->disk = g_strdup(disk);
    req->size_text = g_strdup(size);
    req->size = spec;
    return req;
}

/* A member that must be a string, or absent when optional. */
static gboolean get_string(JsonObject *o, const char *name, gboolean optional,
                           const char **out, GError **error)
{
    JsonNode *n = json_object_get_member(o, name);
    *out = NULL;
    if (!n) {
        if (optional)
            return TRUE;
        g_set_error(error, VG_ERROR, VG_ERROR_INVALID, "no \"%s\"", name);
        return FALSE;
    }
    if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING) {
        g_set_error(error, VG_ERROR, VG_ERROR_INVALID, "\"%s\" is not a string", name);
        return FALSE;
    }
    *out = json_node_get_string(n);
    return TRUE;
}

/* An optional member that must be true or false; *set tells whether it is
 * there. */
static gboolean get_bool(JsonObject *o, const char *name, gboolean *out, gboolean *set,
                         GError **error)
{
    JsonNode *n = json_object_get_member(o, name);
    *out = *set = FALSE;
    if (!n)
        return TRUE;
    if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_BOOLEAN) {
        g_set_error(error, VG_ERROR, VG_ERROR_INVALID, "\"%s\" is not true or false", name);
        return FALSE;
    }
    *out = json_node_get_boolean(n);
    *set = TRUE;
    return TRUE;
}

/* An optional member that must be a whole number of seconds from 0 to @max. */
static gboolean get_seconds(JsonObject *o, const char *name, unsigned max, unsigned *out,
                            gboolean *set, GError **error)
{
    JsonNode *n = json_object_get_member(o, name);
    *out = 0;
    *set = FALSE;
    if (!n)
        return TRUE;
    if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64 ||
        json_node_get_int(n) < 0 || json_node_get_int(n) > max) {
        g_set_error(error, VG_ERROR, VG_ERROR_INVALID,
                    "\"%s\" is not a whole number of seconds from 0 to %u", name, max);
        return FALSE;
    }
    *out = (unsigned)json_node_get_int(n);
    *set = TRUE;
    return TRUE;
}

/* The optional members for the guest, checked as the options are. */
static gboolean guest_from_json(JsonObject *o, VgGuestOpts *g, GError **error)
{
    const char *key_file, *lv, *lvm;

    if (!get_string(o, "key-file", TRUE, &key_file, error) ||
        !get_string(o, "lv", TRUE, &lv, error) || !get_string(o, "lvm", TRUE, &lvm, error) ||
        !get_bool(o, "move-swap", &g->move_swap, &g->move_swap_set, error) ||
        !get_bool(o, "force", &g->force, &g->force_set, error) ||
        !get_seconds(o, "lock-timeout", VG_MAX_LOCK_TIMEOUT_S, &g->lock_timeout_s,
                     &g->lock_timeout_set, error))
        return FALSE;
    if ((key_file && !vg_key_file_check("\"key-file\"", key_file, error)) ||
        (lv && !vg_lv_check("\"lv\"", lv, error)) ||
        (lvm && !vg_lvm_mode_parse("\"lvm\"", lvm, &g->lvm, error)))
        return FALSE;
    g->key_file = g_strdup(key_file);
    g->lv = g_strdup(lv);
    return vg_guest_opts_check(g, "\"lv\"", "\"lvm\"", error);
}

static VgRequest *request_from_json(const char *line, GError **error)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    const char *uri, *domain, *disk, *size;
    g_autofree char *size_num = NULL;

    if (!json_parser_load_from_data(parser, line, -1, error))
        return NULL;
    JsonNode *root = json_parser_get_root(parser);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
        g_set_error(error, VG_ERROR, VG_ERROR_INVALID, "not a JSON object");
        return NULL;
    }
    JsonObject *o = json_node_get_object(root);
    g_autoptr(GList) members = json_object_get_members(o);
    for (GList *l = members; l; l = l->next) {
        const char *name = l->data;
        if (strcmp(name, "uri") && strcmp(name, "domain") && strcmp(name, "disk") &&
            strcmp(name, "size") && strcmp(name, "key-file") && strcmp(name, "lv") &&
            strcmp(name, "lvm") && strcmp(name, "move-swap") && strcmp(name, "force") &&
            strcmp(name, "lock-timeout")) {
            g_set_error(error, VG_ERROR, VG_ERROR_INVALID,
                        "unknown member \"%s\" (known: domain, disk, size, uri, key-file, lv, "
                        "lvm, move-swap, lock-timeout, force)", name);
            return NULL;
        }
    }
    if (!get_string(o, "uri", TRUE, &uri, error) || !get_string(o, "domain", FALSE, &domain, error) ||
        !get_string(o, "disk", FALSE, &disk, error))
        return NULL;
    JsonNode *sn = json_object_get_member(o, "size");
    if (sn && JSON_NODE_HOLDS_VALUE(sn) && json_node_get_value_type(sn) == G_TYPE_INT64) {
        gint64 v = json_node_get_int(sn);
        if (v < 0) {
            g_set_error(error, VG_ERROR, VG_ERROR_INVALID, "\"size\" is negative");
            return NULL;
        }
        size = size_num = g_strdup_printf("%" G_GINT64_FORMAT, v);
    } else if (!get_string(o, "size", FALSE, &size, error)) {
        return NULL;
    }
    g_autoptr(VgRequest) req = vg_request_new(uri, domain, disk, size, error);
    if (!req || !guest_from_json(o, &req->guest, error))
        return NULL;
    return g_steal_pointer(&req);
}

static VgRequest *request_from_words(const char *line, GError **error)
{
    g_auto(GStrv) words = g_strsplit_set(line, " \t", -1);
    const char *w[3];
    unsigned n = 0;

    for (char **p = words; *p; p++) {
        if (!**p)
            continue;
        if (n == 3) {
            g_set_error(error, VG_ERROR, VG_ERROR_INVALID,
                        "more than three words (DOMAIN DISK SIZE)");
            return NULL;
        }
        w[n++] = *p;
    }
    if (n != 3) {
        g_set_error(error, VG_ERROR, VG_ERROR_INVALID, "expected DOMAIN DISK SIZE");
        return NULL;
    }
    return vg_request_new(NULL, w[0], w[1], w[2], error);
}

GPtrArray *vg_batch_parse(const char *text, gsize len, GError **error)
{
    g_autoptr(GPtrArray) reqs = g_ptr_array_new_with_free_func((GDestroyNotify)vg_request_free);
    const char *p = text, *end = text + len;
    unsigned lineno = 0;

    if (!g_utf8_validate(text, (gssize)len, NULL)) {
        g_set_error(error, VG_ERROR, VG_ERROR_INVALID, "batch input is not UTF-8 text");
        return NULL;
    }
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        gsize n = (gsize)((nl ? nl : end) - p);
        g_autofree char *line = g_strstrip(g_strndup(p, n));
        g_autoptr(GError) e = NULL;
        VgRequest *req;

        lineno++;
        p = nl ? nl + 1 : end;
        if (!*line || line[0] == '#')
            continue;
        if (n > VG_BATCH_MAX_LINE) {
            g_set_error(error, VG_ERROR, VG_ERROR_INVALID,
                        "batch line %u: longer than %d bytes", lineno, VG_BATCH_MAX_LINE);
            return NULL;
        }
        if (reqs->len >= VG_BATCH_MAX_REQUESTS) {
            g_set_error(error, VG_ERROR, VG_ERROR_INVALID,
                        "batch: more than %d requests", VG_BATCH_MAX_REQUESTS);
            return NULL;
        }
        req = line[0] == '{' ? request_from_json(line, &e) : request_from_words(line, &e);
        if (!req) {
            g_set_error(error, VG_ERROR, VG_ERROR_INVALID, "batch line %u: %s", lineno,
                        e->message);
            return NULL;
        }
        req->line = lineno;
        g_ptr_array_add(reqs, req);
    }
    if (reqs->len == 0) {
        g_set_error(error, VG_ERROR, VG_ERROR_INVALID, "batch: no requests");
        return NULL;
    }
    return g_steal_pointer(&reqs);
}

gboolean vg_batch_check_duplicates(GPtrArray *requests, GError **error)
{
    for (guint i = 0; i < requests->len; i++) {
        const VgRequest *a = requests->pdata[i];
        for (guint j = i + 1; j < requests->len; j++) {
            const VgRequest *b = requests->pdata[j];
            if (g_strcmp0(a->uri, b->uri) == 0 && strcmp(a->domain, b->domain) == 0 &&
                strcmp(a->disk, b->disk) == 0) {
                g_set_error(error, VG_ERROR, VG_ERROR_INVALID,
                            "batch lines %u and %u both grow disk %s of domain %s",
                            a->line, b->line, a->disk, a->domain);
                return FALSE;
            }
        }
    }
    return TRUE;
}
