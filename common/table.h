/* Column-aligned text tables, for the reports of qga-grow and virt-grow. */
#ifndef QG_COMMON_TABLE_H
#define QG_COMMON_TABLE_H

#include <glib.h>
#include <stdio.h>

/* @cells: row-major strings, @ncol per row, the first row the header.
 * Each column is as wide as its longest cell; columns from @first_right
 * on (sizes) are right-aligned. */
void qg_table_print(FILE *out, GPtrArray *cells, guint ncol, guint first_right);

#endif
