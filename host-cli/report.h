/* Printing an outcome: a table for people, JSON for programs. */
#ifndef VG_REPORT_H
#define VG_REPORT_H

#include "outcome.h"

#include <stdio.h>

/* The disk, partition and filesystem sizes before -> after, the warnings
 * and a last line saying what the exit code means.  Errors (exit code 2)
 * print only the message, on @err. */
void vg_report_table(FILE *out, FILE *err, const VgOutcome *o);

/* One JSON object (pretty, or on one line for JSON Lines). */
char *vg_report_json(const VgOutcome *o, gboolean pretty);

/* "grown", "nothing-to-do", "error", "unconfirmed", "guest-failed" */
const char *vg_exit_name(VgExit exit);

/* One request's outcome as virt-grow prints it: --json (@json) the report
 * (@json_text when given, e.g. a node's own, else vg_report_json(@o,
 * @pretty)) with an error's words on stderr; else the table, or with
 * @quiet only an error on stderr.  Guest text escaped for the terminal. */
void vg_report_print(const VgOutcome *o, gboolean json, gboolean quiet, gboolean pretty,
                     const char *json_text);

#endif
