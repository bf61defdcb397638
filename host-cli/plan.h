/* The disk-level decision: from the current size and SIZE, the size to set. */
#ifndef VG_PLAN_H
#define VG_PLAN_H

#include "size-spec.h"

typedef struct {
    uint64_t current;    /* bytes the guest sees now (libvirt's capacity) */
    uint64_t target;     /* bytes to set, a multiple of 512 */
    gboolean grow_disk;  /* target > current; FALSE: already that size */
    gboolean rounded;    /* SIZE was rounded up to a multiple of 512 */
} VgPlan;

/* FALSE with VG_ERROR_REFUSED when SIZE is below the current size (virt-grow
 * never shrinks; libvirt would), VG_ERROR_INVALID on overflow.  @disk names
 * the disk in messages. */
gboolean vg_plan_make(const char *disk, uint64_t current, const VgSizeSpec *spec, VgPlan *plan,
                      GError **error);

#endif
