/* Which guest disk is the host's disk?  Names differ across the boundary
 * (host vdb may be guest /dev/vdc): match by serial, then by PCI address,
 * and by name only when neither is available (with a warning). */
#ifndef VG_GUEST_MATCH_H
#define VG_GUEST_MATCH_H

#include "agent-reply.h"
#include "domain-disks.h"

typedef enum {
    VG_MATCH_NONE,
    VG_MATCH_SERIAL,
    VG_MATCH_PCI,
    VG_MATCH_NAME,
} VgMatch;

const char *vg_match_name(VgMatch how);  /* "serial", "pci", "name", "none" */

/* The serial as the guest sees it: virtio-blk keeps 20 bytes. */
char *vg_guest_visible_serial(const VgDisk *host);

/* Does a guest disk address (from guest-get-disks or guest-get-fsinfo)
 * belong to @host?  By serial, or by PCI address for virtio disks. */
VgMatch vg_guest_addr_matches(const VgDisk *host, const VgGuestDiskAddr *a);

/* Is @dev ("/dev/vdc1", "/dev/nvme0n1p2") a partition of @disk? */
gboolean vg_dev_is_partition_of(const char *dev, const char *disk);

/* Find @host among guest-get-disks' whole disks (@disks), or, when the agent
 * has no guest-get-disks (@disks NULL), among the devices under
 * guest-get-fsinfo's filesystems (@fsinfo; qemu-ga names them by partition,
 * so the result may be a partition of the disk).
 * Returns the guest device ("/dev/vdc") and how it matched, the guest's
 * serial for it in @serial when known; NULL with VG_ERROR_NOT_FOUND when
 * nothing matches, VG_ERROR_INVALID when two guest disks do. */
char *vg_guest_disk_find(const VgDisk *host, GPtrArray *disks, GPtrArray *fsinfo,
                         VgMatch *how, char **serial, GError **error);

#endif
