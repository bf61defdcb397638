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
} VgGuest;

/* Say on the progress line what the request waits for (NULL: done). */
void vg_guest_progress(VgGuest *g, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

void vg_guest_clear(VgGuest *g);

/* Before anything changes: guest-info, then the method (o->method and
 * o->method_note) and the guest's name for the disk (o->guest_disk,
 * o->match).  Problems only lower the method, with a note or a warning. */
void vg_guest_probe(VgGuest *g, VgOutcome *o);

/* Dry run: the guest's layers as they are, when the method can say so
 * without changing anything (guest-grow-disk or qga-grow, both dry-run). */
void vg_guest_preview(VgGuest *g, VgOutcome *o);

/* After the disk reached o->size_after: have the guest grow, and set
 * o->guest, o->exit and o->message. */
void vg_guest_grow(VgGuest *g, VgOutcome *o);

#endif
