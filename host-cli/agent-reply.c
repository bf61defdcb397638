/* Untrusted agent replies -> checked structures.  See agent-reply.h. */
#include "agent-reply.h"
#include "safe-text.h"
#include "vg-error.h"

#include <json-glib/json-glib.h>
#include <string.h>

/* ---- helpers: every one names the offending member in its error ---- */

static gboolean fail(GError **error, const char *where, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static gboolean fail(GError **error, const char *where, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(error, VG_ERROR, VG_ERROR_REPLY, "malformed reply from the guest: %s%s%s",
                where ? where : "", where && *where ? ": " : "", msg);
    return FALSE;
}

/* json-glib's parser recurses once per nesting level and overflows the stack
 * on deep input (100000 '[' crash it), so count the depth first. */
static gboolean check_shape(const char *text, gsize len, GError **error)
{
    gboolean in_string = FALSE, escaped = FALSE;
    unsigned depth = 0;

    if (!text || len == 0)
        return fail(error, NULL, "empty");
    if (len > VG_REPLY_MAX_BYTES)
        return fail(error, NULL, "%" G_GSIZE_FORMAT " bytes, more than the %u allowed", len,
                    VG_REPLY_MAX_BYTES);
    if (memchr(text, '\0', len) || !g_utf8_validate(text, (gssize)len, NULL))
        return fail(error, NULL, "not UTF-8 text");
    for (gsize i = 0; i < len; i++) {
        char c = text[i];
        if (in_string) {
            if (escaped)
                escaped = FALSE;
            else if (c == '\\')
                escaped = TRUE;
            else if (c == '"')
                in_string = FALSE;
        } else if (c == '"') {
            in_string = TRUE;
        } else if (c == '[' || c == '{') {
            if (++depth > VG_REPLY_MAX_DEPTH)
                return fail(error, NULL, "nested more than %d levels deep", VG_REPLY_MAX_DEPTH);
        } else if ((c == ']' || c == '}') && depth) {
            depth--;
        }
    }
    return TRUE;
}

static JsonNode *parse_root(const char *text, gsize len, GError **error)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) e = NULL;

    if (!check_shape(text, len, error))
        return NULL;
    if (!json_parser_load_from_data(parser, text, (gssize)len, &e)) {
        fail(error, NULL, "not JSON (%s)", e->message);
        return NULL;
    }
    JsonNode *root = json_parser_get_root(parser);
    if (!root) {
        fail(error, NULL, "empty");
        return NULL;
    }
    return json_node_copy(root);
}

static JsonObject *as_object(JsonNode *n, const char *where, GError **error)
{
    if (!n || !JSON_NODE_HOLDS_OBJECT(n)) {
        fail(error, where, "not an object");
        return NULL;
    }
    return json_node_get_object(n);
}

/* The agent's {"return": X}: X. */
static JsonNode *return_value(JsonNode *root, GError **error)
{
    JsonObject *o = as_object(root, "reply", error);
    if (!o)
        return NULL;
    JsonNode *ret = json_object_get_member(o, "return");
    if (!ret)
        fail(error, "reply", "no \"return\" member");
    return ret;
}

/* A string member of at most @max bytes, as the guest sent it (any UTF-8:
 * printers escape it).  Absent (or null) and @optional: *out = NULL. */
static gboolean get_string(JsonObject *o, const char *name, gboolean optional, gsize max,
                           char **out, const char *where, GError **error)
{
    JsonNode *n = json_object_get_member(o, name);
    g_autofree char *at = g_strdup_printf("%s%s%s", where, *where ? "." : "", name);

    *out = NULL;
    if (!n || JSON_NODE_HOLDS_NULL(n))
        return optional ? TRUE : fail(error, at, "missing");
    if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
        return fail(error, at, "not a string");
    const char *s = json_node_get_string(n);
    if (strlen(s) > max)
        return fail(error, at, "longer than %" G_GSIZE_FORMAT " bytes", max);
    if (!g_utf8_validate(s, -1, NULL))  /* e.g. a lone surrogate, escaped in JSON */
        return fail(error, at, "not UTF-8 text");
    *out = g_strdup(s);
    return TRUE;
}

/* qemu-ga writes -1 for address fields it could not find. */
#define VG_UNKNOWN_FIELD G_MAXUINT64

/* An integer member in [0, max] (or -1 when @minus_one_ok: VG_UNKNOWN_FIELD). */
static gboolean get_int(JsonObject *o, const char *name, gboolean optional, uint64_t max,
                        gboolean minus_one_ok, uint64_t *out, gboolean *present,
                        const char *where, GError **error);

/* An integer member in [0, max]. */
static gboolean get_uint(JsonObject *o, const char *name, gboolean optional, uint64_t max,
                         uint64_t *out, gboolean *present, const char *where, GError **error)
{
    return get_int(o, name, optional, max, FALSE, out, present, where, error);
}

static gboolean get_int(JsonObject *o, const char *name, gboolean optional, uint64_t max,
                        gboolean minus_one_ok, uint64_t *out, gboolean *present,
                        const char *where, GError **error)
{
    JsonNode *n = json_object_get_member(o, name);
    g_autofree char *at = g_strdup_printf("%s%s%s", where, *where ? "." : "", name);

    if (present)
        *present = FALSE;
    if (!n)
        return optional ? TRUE : fail(error, at, "missing");
    /* json-glib turns integers beyond int64 into negative ones: caught here */
    if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64)
        return fail(error, at, "not an integer");
    gint64 v = json_node_get_int(n);
    if (v == -1 && minus_one_ok) {
        *out = VG_UNKNOWN_FIELD;
        if (present)
            *present = TRUE;
        return TRUE;
    }
    if (v < 0 || (uint64_t)v > max)
        return fail(error, at, "%" G_GINT64_FORMAT " is out of range (0 to %" G_GUINT64_FORMAT ")",
                    v, max);
    *out = (uint64_t)v;
    if (present)
        *present = TRUE;
    return TRUE;
}

static gboolean get_bool(JsonObject *o, const char *name, gboolean optional, gboolean *out,
                         const char *where, GError **error)
{
    JsonNode *n = json_object_get_member(o, name);
    g_autofree char *at = g_strdup_printf("%s%s%s", where, *where ? "." : "", name);

    *out = FALSE;
    if (!n)
        return optional ? TRUE : fail(error, at, "missing");
    if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_BOOLEAN)
        return fail(error, at, "not a boolean");
    *out = json_node_get_boolean(n);
    return TRUE;
}

/* An array of at most @max elements; absent and @optional gives an empty one. */
static gboolean get_array(JsonNode *n, guint max, JsonArray **out, const char *at,
                          gboolean optional, GError **error)
{
    *out = NULL;
    if (!n)
        return optional ? TRUE : fail(error, at, "missing");
    if (!JSON_NODE_HOLDS_ARRAY(n))
        return fail(error, at, "not an array");
    if (json_array_get_length(json_node_get_array(n)) > max)
        return fail(error, at, "more than %u elements", max);
    *out = json_node_get_array(n);
    return TRUE;
}

static guint array_len(JsonArray *a)
{
    return a ? json_array_get_length(a) : 0;
}

/* ---- guest-grow-disk / qga-grow --json ---- */

void vg_guest_layer_free(VgGuestLayer *l)
{
    if (!l)
        return;
    g_free(l->kind);
    g_free(l->device);
    g_free(l->type);
    g_free(l->mountpoint);
    g_free(l->state);
    g_free(l->error);
    g_free(l->limit);
    g_free(l);
}

VgGrowReport *vg_grow_report_new(void)
{
    VgGrowReport *r = g_new0(VgGrowReport, 1);
    r->layers = g_ptr_array_new_with_free_func((GDestroyNotify)vg_guest_layer_free);
    r->warnings = g_ptr_array_new_with_free_func(g_free);
    return r;
}

void vg_grow_report_free(VgGrowReport *r)
{
    if (!r)
        return;
    g_free(r->disk);
    g_free(r->error);
    if (r->layers)
        g_ptr_array_unref(r->layers);
    if (r->warnings)
        g_ptr_array_unref(r->warnings);
    g_free(r);
}

static gboolean is_name(const char *s)
{
    if (!*s)
        return FALSE;
    for (const char *p = s; *p; p++)
        if (!g_ascii_islower(*p) && !g_ascii_isdigit(*p) && *p != '-' && *p != '_')
            return FALSE;
    return TRUE;
}

static VgGuestLayer *parse_layer(JsonNode *n, const char *where, GError **error)
{
    g_autoptr(GError) e = NULL;
    JsonObject *o = as_object(n, where, error);
    VgGuestLayer *l;
    uint64_t partno = 0;

    if (!o)
        return NULL;
    l = g_new0(VgGuestLayer, 1);
    if (!get_string(o, "kind", FALSE, VG_REPLY_MAX_NAME, &l->kind, where, error) ||
        !get_string(o, "device", FALSE, VG_REPLY_MAX_STRING, &l->device, where, error) ||
        !get_string(o, "type", FALSE, VG_REPLY_MAX_TYPE, &l->type, where, error) ||
        !get_string(o, "mountpoint", TRUE, VG_REPLY_MAX_STRING, &l->mountpoint, where, error) ||
        !get_uint(o, "partno", TRUE, 65535, &partno, &l->has_partno, where, error) ||
        !get_uint(o, "old-size", FALSE, G_MAXINT64, &l->old_size, NULL, where, error) ||
        !get_uint(o, "size", FALSE, G_MAXINT64, &l->size, NULL, where, error) ||
        !get_bool(o, "changed", FALSE, &l->changed, where, error) ||
        !get_string(o, "state", TRUE, VG_REPLY_MAX_NAME, &l->state, where, error) ||
        !get_string(o, "error", TRUE, VG_REPLY_MAX_STRING, &l->error, where, error) ||
        !get_string(o, "limit", TRUE, VG_REPLY_MAX_STRING, &l->limit, where, error))
        goto bad;
    if (!is_name(l->kind)) {
        fail(error, where, "kind is not a lower-case word");
        goto bad;
    }
    if (l->state && !is_name(l->state)) {
        fail(error, where, "state is not a lower-case word");
        goto bad;
    }
    l->partno = (uint32_t)partno;
    return l;
bad:
    vg_guest_layer_free(l);
    return NULL;
}

static VgGrowReport *grow_report_from_node(JsonNode *n, GError **error)
{
    g_autoptr(VgGrowReport) r = vg_grow_report_new();
    JsonObject *o = as_object(n, "result", error);
    JsonArray *layers, *warnings;
    uint64_t sector = 0;

    if (!o)
        return NULL;
    if (!get_string(o, "disk", FALSE, VG_REPLY_MAX_STRING, &r->disk, "", error) ||
        !get_uint(o, "disk-size", FALSE, G_MAXINT64, &r->disk_size, NULL, "", error) ||
        !get_uint(o, "sector-size", FALSE, 65536, &sector, NULL, "", error) ||
        !get_bool(o, "changed", FALSE, &r->changed, "", error) ||
        !get_bool(o, "dry-run", FALSE, &r->dry_run, "", error) ||
        !get_array(json_object_get_member(o, "layers"), VG_REPLY_MAX_LAYERS, &layers, "layers",
                   FALSE, error) ||
        !get_array(json_object_get_member(o, "warnings"), VG_REPLY_MAX_WARNINGS, &warnings,
                   "warnings", TRUE, error) ||
        !get_string(o, "error", TRUE, VG_REPLY_MAX_STRING, &r->error, "", error))
        return NULL;
    if (sector < 512 || (sector & (sector - 1)))
        {
        fail(error, "sector-size", "%" G_GUINT64_FORMAT " is not a power of two from 512",
                    sector);
        return NULL;
    }
    r->sector_size = (uint32_t)sector;
    for (guint i = 0; i < array_len(layers); i++) {
        g_autofree char *where = g_strdup_printf("layers[%u]", i);
        VgGuestLayer *l = parse_layer(json_array_get_element(layers, i), where, error);
        if (!l)
            return NULL;
        g_ptr_array_add(r->layers, l);
    }
    for (guint i = 0; i < array_len(warnings); i++) {
        JsonNode *w = json_array_get_element(warnings, i);
        g_autofree char *where = g_strdup_printf("warnings[%u]", i);
        if (!JSON_NODE_HOLDS_VALUE(w) || json_node_get_value_type(w) != G_TYPE_STRING)
            {
        fail(error, where, "not a string");
        return NULL;
    }
        const char *s = json_node_get_string(w);
        if (strlen(s) > VG_REPLY_MAX_STRING || !g_utf8_validate(s, -1, NULL))
            {
        fail(error, where, "too long or not UTF-8 text");
        return NULL;
    }
        g_ptr_array_add(r->warnings, g_strdup(s));
    }
    return g_steal_pointer(&r);
}

VgGrowReport *vg_reply_grow_disk(const char *text, gsize len, GError **error)
{
    g_autoptr(JsonNode) root = parse_root(text, len, error);
    JsonNode *ret = root ? return_value(root, error) : NULL;
    return ret ? grow_report_from_node(ret, error) : NULL;
}

VgGrowReport *vg_grow_report_parse(const char *text, gsize len, GError **error)
{
    g_autoptr(JsonNode) root = parse_root(text, len, error);
    return root ? grow_report_from_node(root, error) : NULL;
}

void vg_grow_report_check(const VgGrowReport *r, uint64_t host_size, GPtrArray *warnings)
{
    if (host_size && r->disk_size < host_size)
        g_ptr_array_add(warnings,
                        g_strdup_printf("the guest sees %s at %" G_GUINT64_FORMAT
                                        " bytes, less than the %" G_GUINT64_FORMAT
                                        " the host gave it", r->disk, r->disk_size, host_size));
    /* bottom-up: from an LV or md array on, a layer may also lie on other
     * disks and be larger than this one */
    gboolean spans = FALSE;
    for (guint i = 0; i < r->layers->len; i++) {
        const VgGuestLayer *l = r->layers->pdata[i];
        spans |= !strcmp(l->kind, "lvm-lv") || !strcmp(l->kind, "md");
        if (!spans && (l->size > r->disk_size || l->old_size > r->disk_size))
            g_ptr_array_add(warnings,
                            g_strdup_printf("the guest reports %s %s larger than its disk",
                                            l->kind, l->device));
        if (l->size < l->old_size)
            g_ptr_array_add(warnings, g_strdup_printf("the guest reports %s %s smaller than "
                                                      "before", l->kind, l->device));
    }
}

gboolean vg_guest_layer_failed(const VgGuestLayer *l)
{
    return l->state && (!strcmp(l->state, "failed") || !strcmp(l->state, "busy"));
}

gboolean vg_grow_report_partial(const VgGrowReport *r)
{
    for (guint i = 0; i < r->layers->len; i++)
        if (vg_guest_layer_failed(r->layers->pdata[i]))
            return TRUE;
    return r->error != NULL;
}

/* ---- guest-grow-disk's asynchronous form ---- */

gboolean vg_reply_grow_disk_job(const char *text, gsize len, int64_t *job, GError **error)
{
    g_autoptr(JsonNode) root = parse_root(text, len, error);
    JsonNode *ret = root ? return_value(root, error) : NULL;
    JsonObject *o = ret ? as_object(ret, "return", error) : NULL;
    uint64_t v;

    if (!o || !get_uint(o, "job", FALSE, G_MAXINT64, &v, NULL, "return", error))
        return FALSE;
    if (v == 0)
        return fail(error, "return.job", "0 is not a job");
    *job = (int64_t)v;
    return TRUE;
}

void vg_grow_status_free(VgGrowStatus *st)
{
    if (!st)
        return;
    g_free(st->phase);
    g_free(st->layer_kind);
    g_free(st->layer_device);
    vg_grow_report_free(st->result);
    g_free(st->error);
    g_free(st);
}

/* A number member in [0, 1] (JSON may write 0 and 1 as integers). */
static gboolean get_fraction(JsonObject *o, const char *name, gboolean *present, double *out,
                             const char *where, GError **error)
{
    JsonNode *n = json_object_get_member(o, name);
    g_autofree char *at = g_strdup_printf("%s.%s", where, name);

    *present = FALSE;
    if (!n)
        return TRUE;
    if (!JSON_NODE_HOLDS_VALUE(n) || (json_node_get_value_type(n) != G_TYPE_DOUBLE &&
                                      json_node_get_value_type(n) != G_TYPE_INT64))
        return fail(error, at, "not a number");
    double v = json_node_get_value_type(n) == G_TYPE_DOUBLE ? json_node_get_double(n)
                                                            : (double)json_node_get_int(n);
    if (!(v >= 0.0 && v <= 1.0))  /* NaN fails too */
        return fail(error, at, "not from 0 to 1");
    *out = v;
    *present = TRUE;
    return TRUE;
}

VgGrowStatus *vg_reply_grow_disk_status(const char *text, gsize len, GError **error)
{
    g_autoptr(JsonNode) root = parse_root(text, len, error);
    JsonNode *ret = root ? return_value(root, error) : NULL;
    JsonObject *o = ret ? as_object(ret, "return", error) : NULL;
    g_autoptr(VgGrowStatus) st = g_new0(VgGrowStatus, 1);
    uint64_t job = 0, index = 0, count = 0;

    if (!o)
        return NULL;
    if (!get_uint(o, "job", FALSE, G_MAXINT64, &job, NULL, "return", error) ||
        !get_bool(o, "done", FALSE, &st->done, "return", error) ||
        !get_string(o, "phase", FALSE, VG_REPLY_MAX_NAME, &st->phase, "return", error) ||
        !get_uint(o, "index", TRUE, VG_REPLY_MAX_LAYERS, &index, NULL, "return", error) ||
        !get_uint(o, "count", TRUE, VG_REPLY_MAX_LAYERS, &count, NULL, "return", error) ||
        !get_fraction(o, "fraction", &st->has_fraction, &st->fraction, "return", error) ||
        !get_string(o, "error", TRUE, VG_REPLY_MAX_STRING, &st->error, "return", error))
        return NULL;
    if (job == 0) {
        fail(error, "return.job", "0 is not a job");
        return NULL;
    }
    if (!is_name(st->phase)) {
        fail(error, "return.phase", "not a lower-case word");
        return NULL;
    }
    if (index > count) {
        fail(error, "return.index", "%" G_GUINT64_FORMAT " is past count %" G_GUINT64_FORMAT,
             index, count);
        return NULL;
    }
    st->job = (int64_t)job;
    st->index = (guint)index;
    st->count = (guint)count;
    JsonNode *ln = json_object_get_member(o, "layer");
    if (ln) {
        JsonObject *l = as_object(ln, "return.layer", error);
        if (!l || !get_string(l, "kind", FALSE, VG_REPLY_MAX_NAME, &st->layer_kind,
                              "return.layer", error) ||
            !get_string(l, "device", FALSE, VG_REPLY_MAX_STRING, &st->layer_device,
                        "return.layer", error))
            return NULL;
        if (!is_name(st->layer_kind)) {
            fail(error, "return.layer.kind", "not a lower-case word");
            return NULL;
        }
    }
    JsonNode *rn = json_object_get_member(o, "result");
    if (rn && !(st->result = grow_report_from_node(rn, error)))
        return NULL;
    /* done: a result or an error, one of them; running: neither */
    if (st->done && !st->result == !st->error) {
        fail(error, "return", st->error ? "done with both a result and an error"
                                        : "done with neither a result nor an error");
        return NULL;
    }
    if (!st->done && (st->result || st->error)) {
        fail(error, "return", "a result or an error, but not done");
        return NULL;
    }
    return g_steal_pointer(&st);
}

/* ---- guest-info ---- */

void vg_guest_info_free(VgGuestInfo *gi)
{
    if (!gi)
        return;
    g_free(gi->version);
    if (gi->enabled)
        g_ptr_array_unref(gi->enabled);
    g_free(gi);
}

VgGuestInfo *vg_reply_guest_info(const char *text, gsize len, GError **error)
{
    g_autoptr(JsonNode) root = parse_root(text, len, error);
    JsonNode *ret = root ? return_value(root, error) : NULL;
    JsonObject *o = ret ? as_object(ret, "return", error) : NULL;
    g_autoptr(VgGuestInfo) gi = g_new0(VgGuestInfo, 1);
    JsonArray *cmds;

    if (!o)
        return NULL;
    gi->enabled = g_ptr_array_new_with_free_func(g_free);
    if (!get_string(o, "version", TRUE, VG_REPLY_MAX_NAME, &gi->version, "", error) ||
        !get_array(json_object_get_member(o, "supported_commands"), VG_REPLY_MAX_ITEMS, &cmds,
                   "supported_commands", FALSE, error))
        return NULL;
    for (guint i = 0; i < array_len(cmds); i++) {
        g_autofree char *where = g_strdup_printf("supported_commands[%u]", i);
        JsonObject *c = as_object(json_array_get_element(cmds, i), where, error);
        g_autofree char *name = NULL;
        gboolean enabled;
        if (!c || !get_string(c, "name", FALSE, VG_REPLY_MAX_NAME, &name, where, error) ||
            !get_bool(c, "enabled", FALSE, &enabled, where, error))
            return NULL;
        if (enabled)
            g_ptr_array_add(gi->enabled, g_steal_pointer(&name));
    }
    return g_steal_pointer(&gi);
}

gboolean vg_guest_info_enabled(const VgGuestInfo *gi, const char *command)
{
    for (guint i = 0; gi && i < gi->enabled->len; i++)
        if (!strcmp(gi->enabled->pdata[i], command))
            return TRUE;
    return FALSE;
}

/* ---- disk addresses, guest-get-disks, guest-get-fsinfo ---- */

void vg_guest_disk_addr_free(VgGuestDiskAddr *a)
{
    if (!a)
        return;
    g_free(a->dev);
    g_free(a->serial);
    g_free(a->bus_type);
    g_free(a);
}

static VgGuestDiskAddr *parse_disk_addr(JsonNode *n, const char *where, GError **error)
{
    JsonObject *o = as_object(n, where, error);
    VgGuestDiskAddr *a;
    uint64_t bus = 0, target = 0, unit = 0;

    if (!o)
        return NULL;
    a = g_new0(VgGuestDiskAddr, 1);
    if (!get_string(o, "dev", TRUE, VG_REPLY_MAX_STRING, &a->dev, where, error) ||
        !get_string(o, "serial", TRUE, VG_REPLY_MAX_STRING, &a->serial, where, error) ||
        !get_string(o, "bus-type", TRUE, VG_REPLY_MAX_NAME, &a->bus_type, where, error) ||
        !get_int(o, "bus", TRUE, G_MAXINT32, TRUE, &bus, NULL, where, error) ||
        !get_int(o, "target", TRUE, G_MAXINT32, TRUE, &target, NULL, where, error) ||
        !get_int(o, "unit", TRUE, G_MAXINT32, TRUE, &unit, NULL, where, error))
        goto bad;
    a->bus = (uint32_t)bus;  /* -1 (unknown) becomes G_MAXUINT32 */
    a->target = (uint32_t)target;
    a->unit = (uint32_t)unit;
    JsonNode *pn = json_object_get_member(o, "pci-controller");
    if (pn) {
        g_autofree char *at = g_strdup_printf("%s.pci-controller", where);
        JsonObject *p = as_object(pn, at, error);
        uint64_t dom, b, slot, fn;
        if (!p || !get_int(p, "domain", FALSE, 0xffff, TRUE, &dom, NULL, at, error) ||
            !get_int(p, "bus", FALSE, 0xff, TRUE, &b, NULL, at, error) ||
            !get_int(p, "slot", FALSE, 0x1f, TRUE, &slot, NULL, at, error) ||
            !get_int(p, "function", FALSE, 0x7, TRUE, &fn, NULL, at, error))
            goto bad;
        a->has_pci = dom != VG_UNKNOWN_FIELD && b != VG_UNKNOWN_FIELD &&
                     slot != VG_UNKNOWN_FIELD && fn != VG_UNKNOWN_FIELD;
        if (a->has_pci)
            a->pci = (VgPciAddr){ (guint)dom, (guint)b, (guint)slot, (guint)fn };
    }
    return a;
bad:
    vg_guest_disk_addr_free(a);
    return NULL;
}

void vg_guest_disk_free(VgGuestDisk *d)
{
    if (!d)
        return;
    g_free(d->name);
    vg_guest_disk_addr_free(d->addr);
    g_free(d);
}

GPtrArray *vg_reply_get_disks(const char *text, gsize len, GError **error)
{
    g_autoptr(JsonNode) root = parse_root(text, len, error);
    JsonNode *ret = root ? return_value(root, error) : NULL;
    g_autoptr(GPtrArray) disks = g_ptr_array_new_with_free_func((GDestroyNotify)vg_guest_disk_free);
    JsonArray *arr;

    if (!ret || !get_array(ret, VG_REPLY_MAX_ITEMS, &arr, "return", FALSE, error))
        return NULL;
    for (guint i = 0; i < array_len(arr); i++) {
        g_autofree char *where = g_strdup_printf("return[%u]", i);
        JsonObject *o = as_object(json_array_get_element(arr, i), where, error);
        VgGuestDisk *d;
        if (!o)
            return NULL;
        d = g_new0(VgGuestDisk, 1);
        g_ptr_array_add(disks, d);
        if (!get_string(o, "name", FALSE, VG_REPLY_MAX_STRING, &d->name, where, error) ||
            !get_bool(o, "partition", FALSE, &d->partition, where, error))
            return NULL;
        JsonNode *an = json_object_get_member(o, "address");
        if (an) {
            g_autofree char *at = g_strdup_printf("%s.address", where);
            if (!(d->addr = parse_disk_addr(an, at, error)))
                return NULL;
        }
    }
    return g_steal_pointer(&disks);
}

void vg_guest_fs_free(VgGuestFs *fs)
{
    if (!fs)
        return;
    g_free(fs->name);
    g_free(fs->mountpoint);
    g_free(fs->type);
    if (fs->disks)
        g_ptr_array_unref(fs->disks);
    g_free(fs);
}

GPtrArray *vg_reply_get_fsinfo(const char *text, gsize len, GError **error)
{
    g_autoptr(JsonNode) root = parse_root(text, len, error);
    JsonNode *ret = root ? return_value(root, error) : NULL;
    g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func((GDestroyNotify)vg_guest_fs_free);
    JsonArray *arr, *disks;

    if (!ret || !get_array(ret, VG_REPLY_MAX_ITEMS, &arr, "return", FALSE, error))
        return NULL;
    for (guint i = 0; i < array_len(arr); i++) {
        g_autofree char *where = g_strdup_printf("return[%u]", i);
        g_autofree char *dwhere = g_strdup_printf("return[%u].disk", i);
        JsonObject *o = as_object(json_array_get_element(arr, i), where, error);
        VgGuestFs *fs;
        if (!o)
            return NULL;
        fs = g_new0(VgGuestFs, 1);
        fs->disks = g_ptr_array_new_with_free_func((GDestroyNotify)vg_guest_disk_addr_free);
        g_ptr_array_add(list, fs);
        if (!get_string(o, "name", FALSE, VG_REPLY_MAX_STRING, &fs->name, where, error) ||
            !get_string(o, "mountpoint", FALSE, VG_REPLY_MAX_STRING, &fs->mountpoint, where,
                        error) ||
            !get_string(o, "type", FALSE, VG_REPLY_MAX_NAME, &fs->type, where, error) ||
            !get_uint(o, "total-bytes", TRUE, G_MAXINT64, &fs->total_bytes, &fs->has_total,
                      where, error) ||
            !get_array(json_object_get_member(o, "disk"), VG_REPLY_MAX_ITEMS, &disks, dwhere,
                       FALSE, error))
            return NULL;
        for (guint j = 0; j < array_len(disks); j++) {
            g_autofree char *at = g_strdup_printf("%s[%u]", dwhere, j);
            VgGuestDiskAddr *a = parse_disk_addr(json_array_get_element(disks, j), at, error);
            if (!a)
                return NULL;
            g_ptr_array_add(fs->disks, a);
        }
    }
    return g_steal_pointer(&list);
}

/* ---- guest-exec, guest-exec-status ---- */

gboolean vg_reply_fsfreeze_status(const char *text, gsize len, gboolean *frozen, GError **error)
{
    g_autoptr(JsonNode) root = parse_root(text, len, error);
    JsonNode *ret = root ? return_value(root, error) : NULL;
    if (!ret)
        return FALSE;
    const char *s = JSON_NODE_HOLDS_VALUE(ret) && json_node_get_value_type(ret) == G_TYPE_STRING
                        ? json_node_get_string(ret)
                        : NULL;
    if (!s || (strcmp(s, "frozen") && strcmp(s, "thawed")))
        return fail(error, "return", "neither \"frozen\" nor \"thawed\"");
    *frozen = !strcmp(s, "frozen");
    return TRUE;
}

gboolean vg_reply_exec(const char *text, gsize len, int64_t *pid, GError **error)
{
    g_autoptr(JsonNode) root = parse_root(text, len, error);
    JsonNode *ret = root ? return_value(root, error) : NULL;
    JsonObject *o = ret ? as_object(ret, "return", error) : NULL;
    uint64_t v;

    if (!o || !get_uint(o, "pid", FALSE, G_MAXINT64, &v, NULL, "return", error))
        return FALSE;
    *pid = (int64_t)v;
    return TRUE;
}

void vg_exec_status_free(VgExecStatus *st)
{
    if (!st)
        return;
    if (st->out)
        g_bytes_unref(st->out);
    if (st->err)
        g_bytes_unref(st->err);
    g_free(st);
}

/* Strict base64: g_base64_decode() skips junk silently. */
static gboolean decode_base64(JsonObject *o, const char *name, GBytes **out, GError **error)
{
    g_autofree char *text = NULL;
    gsize n, len = 0;

    if (!get_string(o, name, TRUE, (VG_REPLY_MAX_EXEC_OUTPUT / 3 + 1) * 4, &text, "return",
                    error))
        return FALSE;
    if (!text) {
        *out = g_bytes_new(NULL, 0);
        return TRUE;
    }
    n = strlen(text);
    if (n % 4)
        return fail(error, name, "not base64 (length)");
    for (gsize i = 0; i < n; i++) {
        char c = text[i];
        gboolean pad_ok = c == '=' && (i == n - 1 || (i == n - 2 && text[n - 1] == '='));
        if (!g_ascii_isalnum(c) && c != '+' && c != '/' && !pad_ok)
            return fail(error, name, "not base64");
    }
    guchar *data = n ? g_base64_decode(text, &len) : NULL;
    *out = g_bytes_new_take(data, len);
    return TRUE;
}

VgExecStatus *vg_reply_exec_status(const char *text, gsize len, GError **error)
{
    g_autoptr(JsonNode) root = parse_root(text, len, error);
    JsonNode *ret = root ? return_value(root, error) : NULL;
    JsonObject *o = ret ? as_object(ret, "return", error) : NULL;
    g_autoptr(VgExecStatus) st = g_new0(VgExecStatus, 1);
    gboolean out_trunc, err_trunc;
    uint64_t code = 0, sig = 0;

    if (!o)
        return NULL;
    if (!get_bool(o, "exited", FALSE, &st->exited, "return", error) ||
        !get_uint(o, "exitcode", TRUE, 255, &code, &st->has_exitcode, "return", error) ||
        !get_uint(o, "signal", TRUE, 255, &sig, &st->has_signal, "return", error) ||
        !get_bool(o, "out-truncated", TRUE, &out_trunc, "return", error) ||
        !get_bool(o, "err-truncated", TRUE, &err_trunc, "return", error) ||
        !decode_base64(o, "out-data", &st->out, error) ||
        !decode_base64(o, "err-data", &st->err, error))
        return NULL;
    st->exitcode = (int)code;
    st->signal = (int)sig;
    st->truncated = out_trunc || err_trunc;
    return g_steal_pointer(&st);
}

char *vg_sanitize_guest_text(const char *data, gsize len, gsize max)
{
    GString *s = g_string_new(NULL);
    const char *p = data, *end = data + len;

    while (end > p && end[-1] == '\n')
        end--;
    while (p < end && s->len < max) {
        gunichar c = g_utf8_get_char_validated(p, end - p);
        if (c == (gunichar)-1 || c == (gunichar)-2 || c == 0) {
            g_string_append_printf(s, "\\x%02x", (guchar)*p);
            p++;
            continue;
        }
        if (c == '\n')
            g_string_append(s, " / ");
        else
            g_string_append_unichar(s, c);
        p = g_utf8_next_char(p);
    }
    if (p < end)
        g_string_append(s, "...");
    return g_string_free(s, FALSE);
}
