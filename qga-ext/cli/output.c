/* Result printing: a table for people, JSON for programs. */
#include "output.h"
#include "report-json.h"
#include "table.h"

#include <json-glib/json-glib.h>
#include <string.h>

void qg_print_table(FILE *out, const QgResult *res)
{
    g_autoptr(GPtrArray) cells = qg_layer_table_new();
    g_autofree char *disk = qg_format_bytes(res->disk_size);

    for (guint i = 0; i < res->layers->len; i++) {
        const QgLayer *l = res->layers->pdata[i];
        qg_layer_table_add(cells, qg_layer_kind_name(l->kind), l->device, l->type, l->mountpoint,
                           l->old_size, NULL, l->size);
    }

    fprintf(out, "disk %s: %s (%" G_GUINT64_FORMAT " bytes, %u-byte sectors)\n",
            res->disk, disk, (guint64)res->disk_size, res->sector_size);
    qg_layer_table_print(out, cells);
    fprintf(out, "%s\n", res->dry_run ? (res->changed ? "dry run: would grow" : "dry run: nothing to do")
                                      : (res->changed ? "grown" : "nothing to do"));
}

char *qg_result_to_json(const QgResult *res)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autofree QgReportLayer *layers = g_new0(QgReportLayer, res->layers->len);

    for (guint i = 0; i < res->layers->len; i++) {
        const QgLayer *l = res->layers->pdata[i];
        layers[i] = (QgReportLayer){
            .kind = qg_layer_kind_name(l->kind), .device = l->device, .type = l->type,
            .mountpoint = l->mountpoint, .has_partno = l->kind == QG_LAYER_PARTITION,
            .partno = l->partno, .old_size = l->old_size, .size = l->size,
            .changed = l->changed, .limit = l->limit,
        };
    }
    QgReport report = {
        .disk = res->disk, .disk_size = res->disk_size, .sector_size = res->sector_size,
        .changed = res->changed, .dry_run = res->dry_run,
        .layers = layers, .n_layers = res->layers->len, .warnings = res->warnings,
    };
    qg_report_json_add(b, &report);

    return qg_json_builder_text(b, TRUE);
}
