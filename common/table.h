/* Column-aligned text tables, for the reports of qga-grow and virt-grow. */
#ifndef QG_COMMON_TABLE_H
#define QG_COMMON_TABLE_H

#include <glib.h>
#include <stdio.h>

/* @cells: row-major strings, @ncol per row, the first row the header.
 * Each column is as wide as its longest cell; columns from @first_right
 * on (sizes) are right-aligned. */
void qg_table_print(FILE *out, GPtrArray *cells, guint ncol, guint first_right);

/* The layer table of both tools' reports (LAYER DEVICE TYPE MOUNTPOINT,
 * then the sizes before and after, for people and in bytes): its header
 * row, one row per layer (NULL texts print as "-"; @after_text, when not
 * NULL, stands for the size after, which is then not known), and the
 * table printed. */
GPtrArray *qg_layer_table_new(void);
void qg_layer_table_add(GPtrArray *cells, const char *layer, const char *device,
                        const char *type, const char *mountpoint, guint64 before,
                        const char *after_text, guint64 after);
void qg_layer_table_print(FILE *out, GPtrArray *cells);

#endif
