/* Result printing: a table for people, JSON for programs. */
#include "output.h"
#include "report-json.h"
#include "size.h"
#include "table.h"

#include <json-glib/json-glib.h>
#include <string.h>

enum { NCOL = 9, FIRST_SIZE = 5 };

/* The layer table (as common/table.c's, with each layer's state). */
static void add_row(GPtrArray *cells, const QgLayer *l)
{
    /* the size a busy layer reaches is the kernel's to tell */
    gboolean known = l->state != QG_LAYER_BUSY;
    g_ptr_array_add(cells, g_strdup(qg_layer_kind_name(l->kind)));
    g_ptr_array_add(cells, g_strdup(l->device ? l->device : "-"));
    g_ptr_array_add(cells, g_strdup(l->type ? l->type : "-"));
    g_ptr_array_add(cells, g_strdup(l->mountpoint ? l->mountpoint : "-"));
    g_ptr_array_add(cells, g_strdup(qg_layer_state_name(l->state)));
    g_ptr_array_add(cells, qg_size_format(l->old_size));
    g_ptr_array_add(cells, known ? qg_size_format(l->size) : g_strdup("?"));
    g_ptr_array_add(cells, g_strdup_printf("%" G_GUINT64_FORMAT, (guint64)l->old_size));
    g_ptr_array_add(cells, known ? g_strdup_printf("%" G_GUINT64_FORMAT, (guint64)l->size)
                                 : g_strdup("?"));
}

static const char *summary(const QgResult *res)
{
    if (res->error)
        return res->changed ? "partly grown: the run stopped (see above); run it again to "
                              "resume"
                            : "not grown: the run stopped before it changed anything";
    if (res->dry_run)
        return res->changed ? "dry run: would grow" : "dry run: nothing to do";
    return res->changed ? "grown" : "nothing to do";
}

void qg_print_table(FILE *out, const QgResult *res)
{
    static const char *const head[NCOL] = { "LAYER", "DEVICE", "TYPE", "MOUNTPOINT", "STATE",
                                            "BEFORE", "AFTER", "BEFORE-BYTES", "AFTER-BYTES" };
    g_autoptr(GPtrArray) cells = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *disk = qg_format_bytes(res->disk_size);

    for (guint c = 0; c < NCOL; c++)
        g_ptr_array_add(cells, g_strdup(head[c]));
    for (guint i = 0; i < res->layers->len; i++)
        add_row(cells, res->layers->pdata[i]);

    fprintf(out, "disk %s: %s (%" G_GUINT64_FORMAT " bytes, %u-byte sectors)\n",
            res->disk, disk, (guint64)res->disk_size, res->sector_size);
    qg_table_print(out, cells, NCOL, FIRST_SIZE);
    /* below the table: why a layer stopped, failed or is still busy */
    for (guint i = 0; i < res->layers->len; i++) {
        const QgLayer *l = res->layers->pdata[i];
        if (l->limit)
            fprintf(out, "%s %s stops short: %s\n", qg_layer_kind_name(l->kind), l->device,
                    l->limit);
        if (l->error)
            fprintf(out, "%s %s %s: %s\n", qg_layer_kind_name(l->kind), l->device,
                    qg_layer_state_name(l->state), l->error);
    }
    fprintf(out, "%s\n", summary(res));
}

char *qg_result_to_json(const QgResult *res)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autofree QgReportLayer *layers = g_new0(QgReportLayer, res->layers->len);

    for (guint i = 0; i < res->layers->len; i++) {
        const QgLayer *l = res->layers->pdata[i];
        layers[i] = (QgReportLayer){
            .kind = qg_layer_kind_name(l->kind), .device = l->device, .type = l->type,
            .mountpoint = l->mountpoint,
            .has_partno = l->kind == QG_LAYER_PARTITION || l->kind == QG_LAYER_SWAP,
            .partno = l->partno, .old_size = l->old_size, .size = l->size,
            .changed = l->changed, .state = qg_layer_state_name(l->state),
            .error = l->error, .limit = l->limit,
        };
    }
    QgReport report = {
        .disk = res->disk, .disk_size = res->disk_size, .sector_size = res->sector_size,
        .changed = res->changed, .dry_run = res->dry_run,
        .layers = layers, .n_layers = res->layers->len, .warnings = res->warnings,
        .error = res->error,
    };
    qg_report_json_add(b, &report);

    return qg_json_builder_text(b, TRUE);
}
