/* Requests and replies on the wire.  See wire.h. */
#include "wire.h"
#include "json-strict.h"
#include "report.h"
#include "vg-error.h"

#include <string.h>

G_DEFINE_QUARK(vg-wire-error-quark, vg_wire_error)

#ifndef VG_SCHEMA_PATH
#define VG_SCHEMA_PATH "/usr/share/virt-grow/wire.schema.json"
#endif

const char *vg_wire_schema_path(void)
{
    const char *env = g_getenv("VIRT_GROW_SCHEMA");
    return env && *env ? env : VG_SCHEMA_PATH;
}

const char *vg_wire_rule_name(VgWireErrorCode code)
{
    switch (code) {
    case VG_WIRE_OVERSIZED: return "oversized";
    case VG_WIRE_VERSION_UNKNOWN: return "version";
    case VG_WIRE_RELATIVE_SIZE: return "relative-size";
    default: return "malformed";
    }
}

static gboolean G_GNUC_PRINTF(3, 4) wire_fail(GError **error, VgWireErrorCode code,
                                              const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error_literal(error, VG_WIRE_ERROR, code, msg);
    return FALSE;
}

void vg_wire_request_free(VgWireRequest *r)
{
    if (!r)
        return;
    g_free(r->id);
    g_free(r->project);
    g_free(r->domain);
    g_free(r->disk);
    vg_guest_opts_clear(&r->guest);
    g_free(r);
}

static const char *member_string(JsonObject *o, const char *name)
{
    JsonNode *n = json_object_get_member(o, name);
    return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING
               ? json_node_get_string(n)
               : NULL;
}

static gboolean member_int(JsonObject *o, const char *name, gint64 *out)
{
    JsonNode *n = json_object_get_member(o, name);
    if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64)
        return FALSE;
    *out = json_node_get_int(n);
    return TRUE;
}

/* The guest's options, already checked by the schema; the host core's own
 * checks too (one contradiction the schema cannot say: lv with lvm pv). */
static gboolean guest_from_json(JsonObject *g, VgGuestOpts *out, GError **error)
{
    g_autoptr(GError) e = NULL;
    const char *s;
    gint64 v;

    if ((s = member_string(g, "key-file"))) {
        if (!vg_key_file_check("guest.key-file", s, &e))
            return wire_fail(error, VG_WIRE_MALFORMED, "malformed request: %s", e->message);
        out->key_file = g_strdup(s);
    }
    if ((s = member_string(g, "lv"))) {
        if (!vg_lv_check("guest.lv", s, &e))
            return wire_fail(error, VG_WIRE_MALFORMED, "malformed request: %s", e->message);
        out->lv = g_strdup(s);
    }
    if ((s = member_string(g, "lvm")) && !vg_lvm_mode_parse("guest.lvm", s, &out->lvm, &e))
        return wire_fail(error, VG_WIRE_MALFORMED, "malformed request: %s", e->message);
    if (json_object_has_member(g, "move-swap")) {
        out->move_swap = json_object_get_boolean_member(g, "move-swap");
        out->move_swap_set = TRUE;
    }
    if (json_object_has_member(g, "force")) {
        out->force = json_object_get_boolean_member(g, "force");
        out->force_set = TRUE;
    }
    if (member_int(g, "lock-timeout", &v)) {
        out->lock_timeout_s = (unsigned)v;
        out->lock_timeout_set = TRUE;
    }
    if (!vg_guest_opts_check(out, "guest.lv", "guest.lvm", &e))
        return wire_fail(error, VG_WIRE_MALFORMED, "malformed request: %s", e->message);
    return TRUE;
}

static gboolean is_uuid(const char *s)
{
    if (strlen(s) != 36)
        return FALSE;
    for (int i = 0; i < 36; i++)
        if ((i == 8 || i == 13 || i == 18 || i == 23) ? s[i] != '-' : !g_ascii_isxdigit(s[i]))
            return FALSE;
    return TRUE;
}

VgWireRequest *vg_wire_request_parse(const VgSchema *schema, const char *text, gsize len,
                                     char **id_out, GError **error)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(VgWireRequest) r = NULL;
    gint64 v;

    if (id_out)
        *id_out = NULL;
    if (len > VG_WIRE_MAX_BYTES) {
        wire_fail(error, VG_WIRE_OVERSIZED, "oversized request: %" G_GSIZE_FORMAT
                  " bytes, more than the %u allowed", len, VG_WIRE_MAX_BYTES);
        return NULL;
    }
    g_autoptr(JsonNode) root = vg_json_parse_strict(text, len, VG_WIRE_MAX_DEPTH, &e);
    if (!root) {
        wire_fail(error, VG_WIRE_MALFORMED, "malformed request: %s", e->message);
        return NULL;
    }
    if (!JSON_NODE_HOLDS_OBJECT(root)) {
        wire_fail(error, VG_WIRE_MALFORMED, "malformed request: not a JSON object");
        return NULL;
    }
    JsonObject *o = json_node_get_object(root);
    /* the id, for the reply, when it is one */
    const char *id = member_string(o, "id");
    if (id && id_out && is_uuid(id))
        *id_out = g_strdup(id);
    JsonNode *version = json_object_get_member(o, "version");
    if (version && JSON_NODE_HOLDS_VALUE(version) && member_int(o, "version", &v) &&
        v != VG_WIRE_VERSION) {
        wire_fail(error, VG_WIRE_VERSION_UNKNOWN, "request version %" G_GINT64_FORMAT
                  " is not known here (this node speaks version %d)", v, VG_WIRE_VERSION);
        return NULL;
    }
    const char *size_text = member_string(o, "size");
    if (size_text && size_text[0] == '+') {
        g_autofree char *esc = g_strescape(size_text, NULL);
        wire_fail(error, VG_WIRE_RELATIVE_SIZE,
                  "relative size \"%.64s\" refused: sizes on the wire are absolute bytes, so "
                  "that a request delivered twice can never grow twice", esc);
        return NULL;
    }
    if (!vg_schema_validate(schema, "request", root, &e)) {
        wire_fail(error, VG_WIRE_MALFORMED, "malformed request: %s", e->message);
        return NULL;
    }
    r = g_new0(VgWireRequest, 1);
    r->id = g_strdup(member_string(o, "id"));
    r->project = g_strdup(member_string(o, "project"));
    r->domain = g_strdup(member_string(o, "domain"));
    r->disk = g_strdup(member_string(o, "disk"));
    member_int(o, "size", &v);
    r->size = (uint64_t)v;
    member_int(o, "not-after", &r->not_after);
    if (member_int(o, "timeout", &v))
        r->timeout_s = (unsigned)v;
    JsonNode *guest = json_object_get_member(o, "guest");
    if (guest && !guest_from_json(json_node_get_object(guest), &r->guest, error))
        return NULL;
    return g_steal_pointer(&r);
}

char *vg_wire_request_text(const VgSchema *schema, const VgWireRequest *r, GError **error)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    const VgGuestOpts *g = &r->guest;

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "version");
    json_builder_add_int_value(b, VG_WIRE_VERSION);
    json_builder_set_member_name(b, "id");
    json_builder_add_string_value(b, r->id);
    json_builder_set_member_name(b, "project");
    json_builder_add_string_value(b, r->project);
    json_builder_set_member_name(b, "domain");
    json_builder_add_string_value(b, r->domain);
    json_builder_set_member_name(b, "disk");
    json_builder_add_string_value(b, r->disk);
    json_builder_set_member_name(b, "size");
    json_builder_add_int_value(b, (gint64)r->size);
    json_builder_set_member_name(b, "not-after");
    json_builder_add_int_value(b, r->not_after);
    if (r->timeout_s) {
        json_builder_set_member_name(b, "timeout");
        json_builder_add_int_value(b, r->timeout_s);
    }
    if (g->key_file || g->lv || g->lvm != VG_LVM_UNSET || g->move_swap_set || g->force_set ||
        g->lock_timeout_set) {
        json_builder_set_member_name(b, "guest");
        json_builder_begin_object(b);
        if (g->key_file) {
            json_builder_set_member_name(b, "key-file");
            json_builder_add_string_value(b, g->key_file);
        }
        if (g->lv) {
            json_builder_set_member_name(b, "lv");
            json_builder_add_string_value(b, g->lv);
        }
        if (g->lvm != VG_LVM_UNSET) {
            json_builder_set_member_name(b, "lvm");
            json_builder_add_string_value(b, vg_lvm_mode_name(g->lvm));
        }
        if (g->move_swap_set) {
            json_builder_set_member_name(b, "move-swap");
            json_builder_add_boolean_value(b, g->move_swap);
        }
        if (g->force_set) {
            json_builder_set_member_name(b, "force");
            json_builder_add_boolean_value(b, g->force);
        }
        if (g->lock_timeout_set) {
            json_builder_set_member_name(b, "lock-timeout");
            json_builder_add_int_value(b, g->lock_timeout_s);
        }
        json_builder_end_object(b);
    }
    json_builder_end_object(b);
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    if (!vg_schema_validate(schema, "request", root, error))
        return NULL;
    return json_to_string(root, FALSE);
}

VgRequest *vg_wire_request_to_core(const VgWireRequest *r, GError **error)
{
    g_autofree char *size = g_strdup_printf("%" G_GUINT64_FORMAT, r->size);
    VgRequest *req = vg_request_new(NULL, r->domain, r->disk, size, error);
    if (!req)
        return NULL;
    vg_request_inherit(req, &r->guest);
    return req;
}

/* ---- statuses ---- */

static const char *const status_names[] = {
    [VG_STATUS_GROWN] = "grown",
    [VG_STATUS_NOTHING] = "nothing-to-do",
    [VG_STATUS_REFUSED] = "refused",
    [VG_STATUS_FAILED] = "failed",
    [VG_STATUS_PARTIAL] = "partial",
    [VG_STATUS_UNCONFIRMED] = "unconfirmed",
    [VG_STATUS_EXPIRED] = "expired",
};

const char *vg_wire_status_name(VgWireStatus s)
{
    return (unsigned)s < G_N_ELEMENTS(status_names) ? status_names[s] : "failed";
}

gboolean vg_wire_status_parse(const char *name, VgWireStatus *out)
{
    for (size_t i = 0; i < G_N_ELEMENTS(status_names); i++) {
        if (!strcmp(name, status_names[i])) {
            *out = (VgWireStatus)i;
            return TRUE;
        }
    }
    return FALSE;
}

VgWireStatus vg_wire_status_from_outcome(const VgOutcome *o)
{
    if (o->exit == VG_EXIT_ERROR && o->has_error_code && o->error_code == VG_ERROR_EXPIRED)
        return VG_STATUS_EXPIRED;
    switch (o->exit) {
    case VG_EXIT_GROWN: return VG_STATUS_GROWN;
    case VG_EXIT_NOTHING: return VG_STATUS_NOTHING;
    case VG_EXIT_UNCONFIRMED: return VG_STATUS_UNCONFIRMED;
    case VG_EXIT_GUEST_FAILED:
        return o->guest && vg_grow_report_partial(o->guest) ? VG_STATUS_PARTIAL
                                                             : VG_STATUS_FAILED;
    default:
        /* exit 2 changed nothing; "refused" when on purpose: a refusal, or
         * a request that cannot be done as asked (no such domain or disk,
         * a size past what can be) */
        if (vg_outcome_refused(o) ||
            (o->has_error_code && (o->error_code == VG_ERROR_NOT_FOUND ||
                                   o->error_code == VG_ERROR_INVALID)))
            return VG_STATUS_REFUSED;
        return VG_STATUS_FAILED;
    }
}

/* ---- replies ---- */

void vg_wire_reply_free(VgWireReply *r)
{
    if (!r)
        return;
    g_free(r->id);
    g_free(r->node);
    g_free(r->error);
    if (r->report)
        json_node_unref(r->report);
    g_free(r);
}

VgWireReply *vg_wire_reply_new(const char *id, const char *node, VgWireStatus status,
                               const char *error)
{
    VgWireReply *r = g_new0(VgWireReply, 1);
    r->id = g_strdup(id);
    r->node = g_strdup(node);
    r->status = status;
    r->exit = VG_EXIT_ERROR;
    r->error = g_strdup(error);
    return r;
}

VgWireReply *vg_wire_reply_from_outcome(const char *id, const char *node, const VgOutcome *o)
{
    VgWireReply *r = vg_wire_reply_new(id, node, vg_wire_status_from_outcome(o),
                                       o->exit == VG_EXIT_GROWN || o->exit == VG_EXIT_NOTHING
                                           ? NULL
                                           : o->message);
    r->exit = o->exit;
    if (!r->error && o->exit != VG_EXIT_GROWN && o->exit != VG_EXIT_NOTHING)
        r->error = g_strdup(vg_exit_name(o->exit));
    g_autofree char *json = vg_report_json(o, FALSE);
    r->report = json_from_string(json, NULL);  /* our own output: well-formed */
    return r;
}

char *vg_wire_reply_text(const VgSchema *schema, const VgWireReply *r, GError **error)
{
    g_autoptr(JsonBuilder) b = json_builder_new();

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "version");
    json_builder_add_int_value(b, VG_WIRE_VERSION);
    json_builder_set_member_name(b, "id");
    if (r->id)
        json_builder_add_string_value(b, r->id);
    else
        json_builder_add_null_value(b);
    json_builder_set_member_name(b, "node");
    json_builder_add_string_value(b, r->node);
    json_builder_set_member_name(b, "status");
    json_builder_add_string_value(b, vg_wire_status_name(r->status));
    json_builder_set_member_name(b, "exit");
    json_builder_add_int_value(b, r->exit);
    json_builder_set_member_name(b, "error");
    if (r->error)
        json_builder_add_string_value(b, r->error);
    else
        json_builder_add_null_value(b);
    json_builder_set_member_name(b, "report");
    if (r->report)
        json_builder_add_value(b, json_node_copy(r->report));
    else
        json_builder_add_null_value(b);
    json_builder_end_object(b);
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    if (!vg_schema_validate(schema, "reply", root, error))
        return NULL;
    return json_to_string(root, FALSE);
}

VgWireReply *vg_wire_reply_parse(const VgSchema *schema, const char *text, gsize len,
                                 GError **error)
{
    g_autoptr(GError) e = NULL;

    if (len > VG_WIRE_MAX_REPLY_BYTES) {
        wire_fail(error, VG_WIRE_OVERSIZED, "oversized reply: %" G_GSIZE_FORMAT " bytes", len);
        return NULL;
    }
    /* the report nests the guest's layers: deeper than a request */
    g_autoptr(JsonNode) root = vg_json_parse_strict(text, len, 32, &e);
    if (!root || !vg_schema_validate(schema, "reply", root, &e)) {
        wire_fail(error, VG_WIRE_MALFORMED, "malformed reply: %s", e->message);
        return NULL;
    }
    JsonObject *o = json_node_get_object(root);
    VgWireReply *r = g_new0(VgWireReply, 1);
    gint64 v = 0;
    r->id = g_strdup(member_string(o, "id"));
    r->node = g_strdup(member_string(o, "node"));
    vg_wire_status_parse(member_string(o, "status"), &r->status);
    member_int(o, "exit", &v);
    r->exit = (int)v;
    r->error = g_strdup(member_string(o, "error"));
    JsonNode *report = json_object_get_member(o, "report");
    if (report && JSON_NODE_HOLDS_OBJECT(report))
        r->report = json_node_copy(report);
    return r;
}
