#include "report-json.h"

void qg_json_add_int(JsonBuilder *b, const char *name, uint64_t value)
{
    json_builder_set_member_name(b, name);
    json_builder_add_int_value(b, (gint64)value);
}

void qg_json_add_bool(JsonBuilder *b, const char *name, gboolean value)
{
    json_builder_set_member_name(b, name);
    json_builder_add_boolean_value(b, value);
}

void qg_json_add_string(JsonBuilder *b, const char *name, const char *value)
{
    json_builder_set_member_name(b, name);
    if (value)
        json_builder_add_string_value(b, value);
    else
        json_builder_add_null_value(b);
}

void qg_json_add_strings(JsonBuilder *b, const char *name, GPtrArray *strings)
{
    json_builder_set_member_name(b, name);
    json_builder_begin_array(b);
    for (guint i = 0; strings && i < strings->len; i++)
        json_builder_add_string_value(b, strings->pdata[i]);
    json_builder_end_array(b);
}

void qg_report_json_add(JsonBuilder *b, const QgReport *r)
{
    json_builder_begin_object(b);
    qg_json_add_string(b, "disk", r->disk);
    qg_json_add_int(b, "disk-size", r->disk_size);
    if (r->sector_size)
        qg_json_add_int(b, "sector-size", r->sector_size);
    qg_json_add_bool(b, "changed", r->changed);
    qg_json_add_bool(b, "dry-run", r->dry_run);
    json_builder_set_member_name(b, "layers");
    json_builder_begin_array(b);
    for (guint i = 0; i < r->n_layers; i++) {
        const QgReportLayer *l = &r->layers[i];
        json_builder_begin_object(b);
        qg_json_add_string(b, "kind", l->kind);
        qg_json_add_string(b, "device", l->device);
        qg_json_add_string(b, "type", l->type);
        if (l->mountpoint)
            qg_json_add_string(b, "mountpoint", l->mountpoint);
        if (l->has_partno)
            qg_json_add_int(b, "partno", l->partno);
        qg_json_add_int(b, "old-size", l->old_size);
        qg_json_add_int(b, "size", l->size);
        qg_json_add_bool(b, "changed", l->changed);
        if (l->state)
            qg_json_add_string(b, "state", l->state);
        if (l->error)
            qg_json_add_string(b, "error", l->error);
        if (l->limit)
            qg_json_add_string(b, "limit", l->limit);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    qg_json_add_strings(b, "warnings", r->warnings);
    if (r->error)
        qg_json_add_string(b, "error", r->error);
    json_builder_end_object(b);
}

char *qg_json_builder_text(JsonBuilder *b, gboolean pretty)
{
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    json_generator_set_pretty(gen, pretty);
    return json_generator_to_data(gen, NULL);
}
