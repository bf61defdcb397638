/* Running requests: one, or a batch of them concurrently. */
#ifndef VG_RUN_H
#define VG_RUN_H

#include "grow.h"

/* Run @requests (VgRequest*), at most @jobs at once, each against its own
 * URI or @default_uri (NULL: libvirt's default).  One libvirt connection per
 * URI, shared by the threads.  Returns the VgOutcome*s in request order. */
GPtrArray *vg_run_all(GPtrArray *requests, const char *default_uri, const VgSettings *set,
                      unsigned jobs);

/* A batch's exit code: 0 when every request ended 0 or 1 and one grew,
 * 1 when all had nothing to do, else the highest code among them. */
VgExit vg_run_exit_code(GPtrArray *outcomes);

#endif
