/* The guest side of a growth: which way the guest can be reached, and
 * making it grow its partition and filesystem, confirmed. */
#ifndef VG_GUEST_SIDE_H
#define VG_GUEST_SIDE_H

#include "outcome.h"
#include "progress.h"

#include <libvirt/libvirt.h>

typedef struct {
    virDomainPtr dom;     /* borrowed */
    const char *qga_grow; /* qga-grow's path in the guest (borrowed) */
    gint64 deadline;      /* g_get_monotonic_time() limit for the guest side */
    VgGuestInfo *info;    /* NULL: no usable agent */
    GPtrArray *disks;     /* guest-get-disks before the change, or NULL */
    GPtrArray *fsinfo;    /* guest-get-fsinfo before the change, or NULL */
    char *serial;         /* the disk's serial as the guest sees it ... */
    char *device;         /* ... or its guest device, to name it to the guest */
    VgProgress *progress; /* the progress line, or NULL (borrowed) */
    const char *label;    /* this request on the progress line: "web1/vdb" */
    gboolean frozen;      /* the agent froze the guest's filesystems
                           * (guest-fsfreeze-freeze: a backup, a snapshot) */
} VgGuest;

/* Say on the progress line what the request waits for (NULL: done). */
void vg_guest_progress(VgGuest *g, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

void vg_guest_clear(VgGuest *g);

/* Before anything changes: guest-info, then the method (o->method and
 * o->method_note) and the guest's name for the disk (o->guest_disk,
 * o->match).  Problems only lower the method, with a note or a warning. */
void vg_guest_probe(VgGuest *g, VgOutcome *o);

/* Before the resize (and in a dry run): ask the guest for its plan at
 * o->size_target, a size the disk does not have yet (guest-grow-disk's
 * assume-size, qga-grow --dry-run --assume-size).  Sets o->preflight and
 * o->preflight_note; with @dry_run the plan becomes o->guest.  FALSE when
 * the grow must not go on: VG_ERROR_REFUSED (the guest would refuse; its
 * words in the message) or VG_ERROR_CONNECTION.  A guest that cannot
 * answer (no agent, an agent or qga-grow older than the question, no
 * answer in time) is TRUE, not asked, with a warning. */
gboolean vg_guest_preflight(VgGuest *g, VgOutcome *o, gboolean dry_run, GError **error);

/* After the disk reached o->size_after: have the guest grow, and set
 * o->guest, o->exit and o->message. */
void vg_guest_grow(VgGuest *g, VgOutcome *o);

#endif
