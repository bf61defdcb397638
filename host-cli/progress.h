/* The progress line on the operator's terminal (stderr): what each running
 * request is waiting for, redrawn in place, cleared when it ends.  One line
 * for all: a single request's text, or for a batch the count and each
 * running request's text, cut to the terminal's width. */
#ifndef VG_PROGRESS_H
#define VG_PROGRESS_H

#include <glib.h>
#include <stdio.h>

typedef struct VgProgress VgProgress;

/* NULL when @tty is not a terminal: every call below takes NULL and does
 * nothing then. */
VgProgress *vg_progress_new(FILE *tty);
/* Clears the line. */
void vg_progress_free(VgProgress *p);

/* Request @key's (a pointer that identifies it) progress: @label
 * ("web1/vdb") and @text, both escaped here for the terminal; @text NULL
 * removes the request from the line.  Thread-safe. */
void vg_progress_set(VgProgress *p, gconstpointer key, const char *label, const char *text);

/* The line for @n entries (labels and texts, already safe), at most
 * @columns wide: exposed for the unit test. */
char *vg_progress_line(const char *const *labels, const char *const *texts, guint n,
                       guint columns);

#endif
