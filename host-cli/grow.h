/* One request from start to end: libvirt checks, the plan, the block
 * resize, the guest side. */
#ifndef VG_GROW_H
#define VG_GROW_H

#include "libvirt-error.h"
#include "outcome.h"
#include "progress.h"

#include <libvirt/libvirt.h>

typedef struct {
    gboolean dry_run;
    unsigned timeout_s;  /* for the guest side */
    const char *qga_grow;  /* qga-grow in the guest (guest-exec) */
    VgProgress *progress;  /* the progress line on a terminal, or NULL */
    gboolean no_preflight; /* resize without asking the guest first */
    /* virt-growd: the domain by this UUID (the one its rules were checked
     * on), not by the request's name; NULL: by the request's name or UUID */
    const char *domain_uuid;
    /* virt-growd: unix seconds past which the disk is not resized (checked
     * right before the resize: the guest's answer can take a while); 0: none */
    gint64 not_after;
} VgSettings;

/* The domain @name names: by name, else (when it looks like one) by UUID;
 * VG_ERROR_NOT_FOUND when libvirt has no such domain. */
virDomainPtr vg_find_domain(virConnectPtr conn, const char *name, GError **error);

/* Never NULL: failures are in the outcome (exit code and message). */
VgOutcome *vg_grow_one(virConnectPtr conn, const VgRequest *req, const VgSettings *set);

/* Set @error (VG_ERROR, @code, the message); FALSE, for "return vg_fail(...)". */
gboolean vg_fail(GError **error, VgErrorCode code, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

/* Right before a resize, the disk's size @now read again: refuse (FALSE)
 * when it grew past the target meanwhile: virt-grow never shrinks. */
gboolean vg_check_not_past(const VgOutcome *o, uint64_t now, GError **error);
/* After a resize, o->size_after read: whether it grew, and a warning when
 * it fell short of the target. */
void vg_outcome_resized(VgOutcome *o);


#endif
