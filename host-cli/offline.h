/* A shut-off domain's disk, grown through libvirt's storage API: the volume
 * behind the disk, in its pool.  The guest follows at its next boot
 * (qga-grow-boot.service), so the guest side is "next-boot". */
#ifndef VG_OFFLINE_H
#define VG_OFFLINE_H

#include "outcome.h"
#include "plan.h"

#include <libvirt/libvirt.h>

/* The volume behind @o->disk and its plan (@o's sizes, @p), refusing before
 * anything changes: a disk that is no pool volume, a size below now.
 * *vol is for vg_offline_resize() (virStorageVolFree it). */
gboolean vg_offline_plan(virConnectPtr conn, VgOutcome *o, VgPlan *p, virStorageVolPtr *vol,
                         GError **error);

/* Grow the volume to @o->size_target, checking its size again right
 * before (never shrinking) and after. */
gboolean vg_offline_resize(virDomainPtr dom, virStorageVolPtr vol, VgOutcome *o,
                           GError **error);

#endif
