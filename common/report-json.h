/* The growth report as JSON: the one shape that qga-grow --json prints,
 * the guest-grow-disk agent command returns, and virt-grow passes on (its
 * "guest" member).  Each tool fills these views from its own structures. */
#ifndef QG_COMMON_REPORT_JSON_H
#define QG_COMMON_REPORT_JSON_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdint.h>

typedef struct {
    const char *kind;        /* "partition", "filesystem", ..., "swap" */
    const char *device;
    const char *type;
    const char *mountpoint;  /* NULL: left out */
    gboolean has_partno;     /* partitions, moved swap partitions */
    uint32_t partno;
    uint64_t old_size;
    uint64_t size;
    gboolean changed;
    const char *state;       /* "grown", "moved", "unchanged", "planned", "failed",
                              * "busy", "not-reached"; NULL: left out */
    const char *error;       /* failed/busy: why; NULL: left out */
    const char *limit;       /* why it stops short of what is below; NULL:
                              * left out */
} QgReportLayer;

typedef struct {
    const char *disk;
    uint64_t disk_size;
    uint32_t sector_size;    /* 0: unknown, left out */
    gboolean changed;
    gboolean dry_run;
    const QgReportLayer *layers;
    guint n_layers;
    GPtrArray *warnings;     /* char* */
    const char *error;       /* the run stopped after it began to write (a
                              * layer failed or is still busy): why; NULL:
                              * left out */
} QgReport;

/* Members of the object being built ("name": value; a NULL string: null). */
void qg_json_add_int(JsonBuilder *b, const char *name, uint64_t value);
void qg_json_add_bool(JsonBuilder *b, const char *name, gboolean value);
void qg_json_add_string(JsonBuilder *b, const char *name, const char *value);
void qg_json_add_strings(JsonBuilder *b, const char *name, GPtrArray *strings);

/* Add the report as one JSON object (as a value: after a member name or in
 * an array). */
void qg_report_json_add(JsonBuilder *b, const QgReport *r);

/* What @b built, as text (g_free it). */
char *qg_json_builder_text(JsonBuilder *b, gboolean pretty);

#endif
