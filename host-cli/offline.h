/* A shut-off domain's disk, grown through libvirt's storage API: the volume
 * behind the disk, in its pool.  The guest follows at its next boot
 * (qga-grow-boot.service), so the guest side is "next-boot". */
#ifndef VG_OFFLINE_H
#define VG_OFFLINE_H

#include "outcome.h"

#include <libvirt/libvirt.h>

/* The volume behind @o->disk (*vol, virStorageVolFree it) and its size
 * now (*now), refusing a disk that is no pool volume; @o's guest side
 * becomes next-boot. */
gboolean vg_offline_find(virConnectPtr conn, VgOutcome *o, virStorageVolPtr *vol, uint64_t *now,
                         GError **error);

/* Grow the volume to @o->size_target, checking its size again right
 * before (never shrinking) and after. */
gboolean vg_offline_resize(virDomainPtr dom, virStorageVolPtr vol, VgOutcome *o,
                           GError **error);

#endif
