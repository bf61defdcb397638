/* Result printing: a table for people, JSON for programs. */
#include "output.h"
#include "table.h"

#include <json-glib/json-glib.h>
#include <string.h>

void qg_print_table(FILE *out, const QgResult *res)
{
    static const char *const head[] = { "LAYER", "DEVICE", "TYPE", "MOUNTPOINT",
                                        "BEFORE", "AFTER", "BEFORE-BYTES", "AFTER-BYTES" };
    g_autoptr(GPtrArray) cells = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *disk = qg_format_bytes(res->disk_size);

    for (size_t c = 0; c < G_N_ELEMENTS(head); c++)
        g_ptr_array_add(cells, g_strdup(head[c]));
    for (guint i = 0; i < res->layers->len; i++) {
        const QgLayer *l = res->layers->pdata[i];
        g_ptr_array_add(cells, g_strdup(qg_layer_kind_name(l->kind)));
        g_ptr_array_add(cells, g_strdup(l->device));
        g_ptr_array_add(cells, g_strdup(l->type));
        g_ptr_array_add(cells, g_strdup(l->mountpoint ? l->mountpoint : "-"));
        g_ptr_array_add(cells, qg_format_bytes(l->old_size));
        g_ptr_array_add(cells, qg_format_bytes(l->size));
        g_ptr_array_add(cells, g_strdup_printf("%" G_GUINT64_FORMAT, (guint64)l->old_size));
        g_ptr_array_add(cells, g_strdup_printf("%" G_GUINT64_FORMAT, (guint64)l->size));
    }

    fprintf(out, "disk %s: %s (%" G_GUINT64_FORMAT " bytes, %u-byte sectors)\n",
            res->disk, disk, (guint64)res->disk_size, res->sector_size);
    qg_table_print(out, cells, G_N_ELEMENTS(head), 4 /* sizes, right-aligned */);
    fprintf(out, "%s\n", res->dry_run ? (res->changed ? "dry run: would grow" : "dry run: nothing to do")
                                      : (res->changed ? "grown" : "nothing to do"));
}

char *qg_result_to_json(const QgResult *res)
{
    g_autoptr(JsonBuilder) b = json_builder_new();

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "disk");
    json_builder_add_string_value(b, res->disk);
    json_builder_set_member_name(b, "disk-size");
    json_builder_add_int_value(b, (gint64)res->disk_size);
    json_builder_set_member_name(b, "sector-size");
    json_builder_add_int_value(b, res->sector_size);
    json_builder_set_member_name(b, "changed");
    json_builder_add_boolean_value(b, res->changed);
    json_builder_set_member_name(b, "dry-run");
    json_builder_add_boolean_value(b, res->dry_run);
    json_builder_set_member_name(b, "layers");
    json_builder_begin_array(b);
    for (guint i = 0; i < res->layers->len; i++) {
        const QgLayer *l = res->layers->pdata[i];
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "kind");
        json_builder_add_string_value(b, qg_layer_kind_name(l->kind));
        json_builder_set_member_name(b, "device");
        json_builder_add_string_value(b, l->device);
        json_builder_set_member_name(b, "type");
        json_builder_add_string_value(b, l->type);
        if (l->mountpoint) {
            json_builder_set_member_name(b, "mountpoint");
            json_builder_add_string_value(b, l->mountpoint);
        }
        if (l->kind == QG_LAYER_PARTITION) {
            json_builder_set_member_name(b, "partno");
            json_builder_add_int_value(b, l->partno);
        }
        json_builder_set_member_name(b, "old-size");
        json_builder_add_int_value(b, (gint64)l->old_size);
        json_builder_set_member_name(b, "size");
        json_builder_add_int_value(b, (gint64)l->size);
        json_builder_set_member_name(b, "changed");
        json_builder_add_boolean_value(b, l->changed);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_set_member_name(b, "warnings");
    json_builder_begin_array(b);
    for (guint i = 0; i < res->warnings->len; i++)
        json_builder_add_string_value(b, res->warnings->pdata[i]);
    json_builder_end_array(b);
    json_builder_end_object(b);

    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    json_generator_set_pretty(gen, TRUE);
    return json_generator_to_data(gen, NULL);
}
