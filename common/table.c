#include "table.h"

#include <string.h>

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
