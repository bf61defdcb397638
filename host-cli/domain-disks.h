/* The disks of a domain, from its libvirt XML, and which of them may grow. */
#ifndef VG_DOMAIN_DISKS_H
#define VG_DOMAIN_DISKS_H

#include <glib.h>

typedef struct {
    guint domain, bus, slot, function;
} VgPciAddr;

typedef struct {
    char *target;    /* <target dev>: "vdb" */
    char *bus;       /* <target bus>: "virtio", "scsi", "sata", ... */
    char *device;    /* <disk device>: "disk", "cdrom", "floppy", "lun" */
    char *type;      /* <disk type>: "file", "block", "network", "volume", ... */
    char *format;    /* <driver type>: "raw", "qcow2", ...; NULL if not given */
    char *source;    /* file or device path, "pool/volume", or "protocol:name" */
    char *protocol;  /* network disks only: "rbd", "nbd", "iscsi", ... */
    char *serial;    /* <serial>, NULL if none */
    gboolean readonly;
    gboolean shareable;
    gboolean has_pci;
    VgPciAddr pci;   /* <address type='pci'> of the disk itself (virtio-blk) */
} VgDisk;

void vg_disk_free(VgDisk *d);
VgDisk *vg_disk_copy(const VgDisk *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VgDisk, vg_disk_free)

/* The <devices><disk> elements of a domain XML, in order; an array of
 * VgDisk*.  NULL with VG_ERROR_INVALID when the XML does not parse. */
GPtrArray *vg_domain_disks_parse(const char *xml, GError **error);

/* Select by DISK as the operator wrote it: "serial:XYZ", a path (has a '/'),
 * or a target name.  Returns a disk of @disks (not a copy), or NULL with
 * VG_ERROR_NOT_FOUND (listing the disks there are) or VG_ERROR_INVALID when
 * two disks match. */
VgDisk *vg_disk_select(GPtrArray *disks, const char *spec, GError **error);

/* Can the host grow this disk under a running guest?  FALSE with
 * VG_ERROR_REFUSED naming the disk and why (cdrom, read-only, shared, a
 * network protocol QEMU cannot grow, ...). */
gboolean vg_disk_check_resizable(const VgDisk *d, GError **error);

/* "vdb (serial data01, /images/d.qcow2)": for messages. */
char *vg_disk_describe(const VgDisk *d);

#endif
