/* A JSON report back into an outcome.  See report-parse.h. */
#include "report-parse.h"
#include "vg-error.h"

#include <string.h>

#define MAX_TEXT 4096
#define MAX_WARNINGS 64

gboolean vg_method_parse(const char *name, VgMethod *out)
{
    static const VgMethod all[] = { VG_METHOD_NONE, VG_METHOD_GROW_DISK, VG_METHOD_EXEC,
                                    VG_METHOD_UDEV, VG_METHOD_NEXT_BOOT };
    for (size_t i = 0; name && i < G_N_ELEMENTS(all); i++)
        if (!strcmp(name, vg_method_name(all[i]))) {
            *out = all[i];
            return TRUE;
        }
    return FALSE;
}

gboolean vg_match_parse(const char *name, VgMatch *out)
{
    static const VgMatch all[] = { VG_MATCH_NONE, VG_MATCH_SERIAL, VG_MATCH_PCI, VG_MATCH_NAME };
    for (size_t i = 0; name && i < G_N_ELEMENTS(all); i++)
        if (!strcmp(name, vg_match_name(all[i]))) {
            *out = all[i];
            return TRUE;
        }
    return FALSE;
}

gboolean vg_preflight_parse(const char *name, VgPreflight *out)
{
    static const VgPreflight all[] = { VG_PREFLIGHT_AGREED, VG_PREFLIGHT_REFUSED,
                                       VG_PREFLIGHT_NOT_ASKED, VG_PREFLIGHT_SKIPPED };
    for (size_t i = 0; name && i < G_N_ELEMENTS(all); i++)
        if (!strcmp(name, vg_preflight_name(all[i]))) {
            *out = all[i];
            return TRUE;
        }
    return FALSE;
}

static gboolean G_GNUC_PRINTF(3, 4) bad(GError **error, const char *member, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(error, VG_ERROR, VG_ERROR_REPLY, "the node's report: %s: %s", member, msg);
    return FALSE;
}

/* A string member (absent or null: NULL), bounded. */
static gboolean text(JsonObject *o, const char *name, gboolean required, char **out,
                     GError **error)
{
    JsonNode *n = json_object_get_member(o, name);
    *out = NULL;
    if (!n || JSON_NODE_HOLDS_NULL(n))
        return required ? bad(error, name, "missing") : TRUE;
    if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
        return bad(error, name, "not a string");
    const char *s = json_node_get_string(n);
    if (strlen(s) > MAX_TEXT || !g_utf8_validate(s, -1, NULL))
        return bad(error, name, "too long or not UTF-8");
    *out = g_strdup(s);
    return TRUE;
}

static gboolean number(JsonObject *o, const char *name, uint64_t *out, GError **error)
{
    JsonNode *n = json_object_get_member(o, name);
    *out = 0;
    if (!n)
        return TRUE;
    if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64 ||
        json_node_get_int(n) < 0)
        return bad(error, name, "not a whole number");
    *out = (uint64_t)json_node_get_int(n);
    return TRUE;
}

static gboolean boolean(JsonObject *o, const char *name, gboolean *out, GError **error)
{
    JsonNode *n = json_object_get_member(o, name);
    *out = FALSE;
    if (!n)
        return TRUE;
    if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_BOOLEAN)
        return bad(error, name, "not true or false");
    *out = json_node_get_boolean(n);
    return TRUE;
}

/* disk-resized: true or false, or null when the connection went during
 * the resize and it is not known */
static gboolean resized(JsonObject *o, VgOutcome *out, GError **error)
{
    JsonNode *n = json_object_get_member(o, "disk-resized");
    out->resize_unknown = n && JSON_NODE_HOLDS_NULL(n);
    return out->resize_unknown || boolean(o, "disk-resized", &out->disk_resized, error);
}

static gboolean guest(JsonObject *o, VgOutcome *out, GError **error)
{
    JsonNode *n = json_object_get_member(o, "guest");
    g_autoptr(GError) e = NULL;
    if (!n || JSON_NODE_HOLDS_NULL(n))
        return TRUE;
    g_autofree char *t = json_to_string(n, FALSE);
    if (!(out->guest = vg_grow_report_parse(t, strlen(t), &e)))
        return bad(error, "guest", "%s", e->message);
    return TRUE;
}

VgOutcome *vg_report_parse(JsonNode *report, VgRequest **req_out, GError **error)
{
    g_autoptr(VgRequest) req = g_new0(VgRequest, 1);
    g_autoptr(VgOutcome) o = NULL;
    g_autofree char *method = NULL, *match = NULL, *target = NULL, *format = NULL;
    g_autofree char *preflight = NULL;
    uint64_t exit_code = 0, line = 0;
    gboolean dry_run = FALSE;

    *req_out = NULL;
    if (!report || !JSON_NODE_HOLDS_OBJECT(report)) {
        bad(error, "report", "not an object");
        return NULL;
    }
    JsonObject *r = json_node_get_object(report);
    if (!text(r, "domain", TRUE, &req->domain, error) ||
        !text(r, "requested-disk", TRUE, &req->disk, error) ||
        !text(r, "requested-size", TRUE, &req->size_text, error) ||
        !boolean(r, "dry-run", &dry_run, error) || !number(r, "exit-code", &exit_code, error) ||
        !number(r, "line", &line, error))
        return NULL;
    if (exit_code > VG_EXIT_GUEST_FAILED) {
        bad(error, "exit-code", "not one of virt-grow's (0 to 4)");
        return NULL;
    }
    req->line = (unsigned)MIN(line, G_MAXUINT);
    o = vg_outcome_new(req, dry_run);
    o->exit = (VgExit)exit_code;
    if (!text(r, "message", FALSE, &o->message, error) ||
        !text(r, "disk", FALSE, &target, error))
        return NULL;
    if (json_object_has_member(r, "disk-size-before")) {
        o->disk = g_new0(VgDisk, 1);
        o->disk->target = g_steal_pointer(&target);
        if (!text(r, "source", FALSE, &o->disk->source, error) ||
            !text(r, "serial", FALSE, &o->disk->serial, error) ||
            !text(r, "disk-format", FALSE, &format, error) ||
            !number(r, "disk-size-before", &o->size_before, error) ||
            !number(r, "disk-size-target", &o->size_target, error) ||
            !number(r, "disk-size-after", &o->size_after, error) ||
            !resized(r, o, error) ||
            !text(r, "guest-method", FALSE, &method, error) ||
            !text(r, "guest-method-note", FALSE, &o->method_note, error) ||
            !text(r, "guest-preflight", FALSE, &preflight, error) ||
            !text(r, "guest-preflight-note", FALSE, &o->preflight_note, error) ||
            !text(r, "guest-disk", FALSE, &o->guest_disk, error) ||
            !text(r, "guest-match", FALSE, &match, error) || !guest(r, o, error))
            return NULL;
        o->disk->format = g_steal_pointer(&format);
        o->disk->type = g_strdup("-");
        if (method && !vg_method_parse(method, &o->method)) {
            bad(error, "guest-method", "unknown");
            return NULL;
        }
        if (match && !vg_match_parse(match, &o->match)) {
            bad(error, "guest-match", "unknown");
            return NULL;
        }
        if (preflight && !vg_preflight_parse(preflight, &o->preflight)) {
            bad(error, "guest-preflight", "unknown");
            return NULL;
        }
    }
    if (!boolean(r, "connection-lost", &o->connection_lost, error))
        return NULL;
    JsonNode *w = json_object_get_member(r, "warnings");
    if (w && JSON_NODE_HOLDS_ARRAY(w)) {
        JsonArray *a = json_node_get_array(w);
        for (guint i = 0; i < json_array_get_length(a) && i < MAX_WARNINGS; i++) {
            JsonNode *e = json_array_get_element(a, i);
            if (JSON_NODE_HOLDS_VALUE(e) && json_node_get_value_type(e) == G_TYPE_STRING &&
                strlen(json_node_get_string(e)) <= MAX_TEXT)
                vg_outcome_warn(o, "%s", json_node_get_string(e));
        }
    }
    *req_out = g_steal_pointer(&req);
    return g_steal_pointer(&o);
}
