#include "table.h"
#include "size.h"

#include <string.h>

enum { LAYER_NCOL = 8, LAYER_FIRST_SIZE = 4 };

GPtrArray *qg_layer_table_new(void)
{
    static const char *const head[LAYER_NCOL] = { "LAYER", "DEVICE", "TYPE", "MOUNTPOINT",
                                                  "BEFORE", "AFTER", "BEFORE-BYTES",
                                                  "AFTER-BYTES" };
    GPtrArray *cells = g_ptr_array_new_with_free_func(g_free);
    for (guint c = 0; c < LAYER_NCOL; c++)
        g_ptr_array_add(cells, g_strdup(head[c]));
    return cells;
}

void qg_layer_table_add(GPtrArray *cells, const char *layer, const char *device,
                        const char *type, const char *mountpoint, guint64 before,
                        const char *after_text, guint64 after)
{
    g_ptr_array_add(cells, g_strdup(layer));
    g_ptr_array_add(cells, g_strdup(device ? device : "-"));
    g_ptr_array_add(cells, g_strdup(type ? type : "-"));
    g_ptr_array_add(cells, g_strdup(mountpoint ? mountpoint : "-"));
    g_ptr_array_add(cells, qg_size_format(before));
    g_ptr_array_add(cells, after_text ? g_strdup(after_text) : qg_size_format(after));
    g_ptr_array_add(cells, g_strdup_printf("%" G_GUINT64_FORMAT, before));
    g_ptr_array_add(cells, after_text ? g_strdup("-") : g_strdup_printf("%" G_GUINT64_FORMAT, after));
}

void qg_layer_table_print(FILE *out, GPtrArray *cells)
{
    qg_table_print(out, cells, LAYER_NCOL, LAYER_FIRST_SIZE);
}

void qg_table_print(FILE *out, GPtrArray *cells, guint ncol, guint first_right)
{
    g_autofree int *width = g_new0(int, ncol);
    guint rows = cells->len / ncol;

    for (guint c = 0; c < ncol; c++)
        for (guint r = 0; r < rows; r++)
            width[c] = MAX(width[c], (int)g_utf8_strlen(cells->pdata[r * ncol + c], -1));
    for (guint r = 0; r < rows; r++) {
        for (guint c = 0; c < ncol; c++) {
            const char *cell = cells->pdata[r * ncol + c];
            /* printf pads bytes; pad by characters for non-ASCII cells */
            int pad = width[c] - (int)g_utf8_strlen(cell, -1);
            if (c)
                fputs("  ", out);
            if (c >= first_right)
                fprintf(out, "%*s%s", pad, "", cell);
            else if (c + 1 < ncol)
                fprintf(out, "%s%*s", cell, pad, "");
            else
                fputs(cell, out);
        }
        fputc('\n', out);
    }
}
