/* Matching the host's disk to the guest's. */
#include "guest-match.h"
#include "vg-error.h"

#include <string.h>

#define VIRTIO_BLK_SERIAL_MAX 20

const char *vg_match_name(VgMatch how)
{
    switch (how) {
    case VG_MATCH_SERIAL: return "serial";
    case VG_MATCH_PCI: return "pci";
    case VG_MATCH_NAME: return "name";
    default: return "none";
    }
}

char *vg_guest_visible_serial(const VgDisk *host)
{
    if (!host->serial || !*host->serial)
        return NULL;
    if (!g_strcmp0(host->bus, "virtio"))
        return g_strndup(host->serial, VIRTIO_BLK_SERIAL_MAX);
    return g_strdup(host->serial);
}

/* What udev's ID_SERIAL makes of @raw: blanks trimmed at both ends, each
 * run of them one "_", and characters outside its safe set "_" too (as
 * udev_replace_whitespace() and udev_replace_chars() do). */
static char *udev_serial(const char *raw)
{
    GString *out = g_string_new(NULL);
    const char *p = raw;
    while (g_ascii_isspace(*p))
        p++;
    while (*p) {
        if (g_ascii_isspace(*p)) {
            while (g_ascii_isspace(*p))
                p++;
            if (*p)
                g_string_append_c(out, '_');
            continue;
        }
        g_string_append_c(out, g_ascii_isalnum(*p) || strchr("#+-.:=@_", *p) ? *p : '_');
        p++;
    }
    return g_string_free(out, FALSE);
}

/* qemu-ga reports udev's ID_SERIAL: the serial itself for virtio-blk (cut
 * to 20 bytes); for QEMU's SCSI disk (scsi-hd) scsi_id's "0" (a vendor
 * specific VPD 0x83 designator, which QEMU fills with the serial), the
 * vendor "QEMU" and the model "QEMU HARDDISK" before it; for its ATA disk
 * (ide-hd) ata_id's model "QEMU HARDDISK" before it.  Exactly those, or
 * the serial alone (ID_SERIAL_SHORT): never any name ending in it. */
static gboolean serial_matches(const VgDisk *host, const char *guest)
{
    g_autofree char *visible = vg_guest_visible_serial(host);

    if (!visible || !guest || !*guest)
        return FALSE;
    if (!strcmp(visible, guest))
        return TRUE;
    /* the vendor and model, as the kernel pads them (8 and 16 bytes) */
    const char *prefix = NULL;
    if (!g_strcmp0(host->bus, "scsi"))
        prefix = "0QEMU    QEMU HARDDISK   ";
    else if (!g_strcmp0(host->bus, "sata") || !g_strcmp0(host->bus, "ide"))
        prefix = "QEMU HARDDISK ";
    if (!prefix)
        return FALSE;
    g_autofree char *raw = g_strconcat(prefix, host->serial, NULL);
    g_autofree char *want = udev_serial(raw);
    return !strcmp(want, guest);
}

VgMatch vg_guest_addr_matches(const VgDisk *host, const VgGuestDiskAddr *a)
{
    if (!a)
        return VG_MATCH_NONE;
    if (serial_matches(host, a->serial))
        return VG_MATCH_SERIAL;
    /* A virtio-blk disk is its own PCI function; other buses share their
     * controller's address among several disks. */
    if (host->has_pci && a->has_pci && !g_strcmp0(host->bus, "virtio") &&
        (!a->bus_type || !strcmp(a->bus_type, "virtio")) &&
        !memcmp(&host->pci, &a->pci, sizeof(host->pci)))
        return VG_MATCH_PCI;
    return VG_MATCH_NONE;
}

typedef struct {
    const char *dev;
    const VgGuestDiskAddr *addr;
} Candidate;

/* guest-get-disks' whole disks; only without it, the devices under
 * guest-get-fsinfo's filesystems, which qemu-ga names by their partition
 * ("dev": "/dev/vdc1"). */
static GArray *candidates(GPtrArray *disks, GPtrArray *fsinfo)
{
    GArray *c = g_array_new(FALSE, FALSE, sizeof(Candidate));
    for (guint i = 0; disks && i < disks->len; i++) {
        const VgGuestDisk *d = disks->pdata[i];
        if (!d->partition)
            g_array_append_val(c, ((Candidate){ d->name, d->addr }));
    }
    for (guint i = 0; !disks && fsinfo && i < fsinfo->len; i++) {
        const VgGuestFs *fs = fsinfo->pdata[i];
        for (guint j = 0; j < fs->disks->len; j++) {
            const VgGuestDiskAddr *a = fs->disks->pdata[j];
            if (a->dev)
                g_array_append_val(c, ((Candidate){ a->dev, a }));
        }
    }
    return c;
}

/* The disk a guest device node belongs to, by the kernel's naming: a
 * partition of a disk whose name ends in a digit is that name, "p" and a
 * number (nvme0n1p2, loop0p1, mmcblk0p1); of sdX, vdX, hdX and xvdX, just
 * a number (vdc1).  Any other name is a whole disk: nvme0n1 and nvme0n2
 * (two namespaces, one serial) stay two disks. */
static char *disk_of(const char *dev)
{
    const char *base = strrchr(dev, '/');
    size_t len = strlen(dev), n = len, prefix = 0;

    base = base ? base + 1 : dev;
    while (n && g_ascii_isdigit(dev[n - 1]))
        n--;
    if (n == len)
        return g_strdup(dev);
    if (n > 1 && dev[n - 1] == 'p' && g_ascii_isdigit(dev[n - 2]))
        return g_strndup(dev, n - 1);
    if (g_str_has_prefix(base, "xvd"))
        prefix = 3;
    else if (g_str_has_prefix(base, "sd") || g_str_has_prefix(base, "vd") ||
             g_str_has_prefix(base, "hd"))
        prefix = 2;
    const char *letters = base + prefix, *end = dev + n;
    if (!prefix || letters == end)
        return g_strdup(dev);
    for (const char *q = letters; q < end; q++)
        if (!g_ascii_islower(*q))
            return g_strdup(dev);
    return g_strndup(dev, n);
}

static gboolean same_disk(const char *a, const char *b)
{
    g_autofree char *da = disk_of(a);
    g_autofree char *db = disk_of(b);
    return !strcmp(da, db);
}

gboolean vg_dev_is_partition_of(const char *dev, const char *disk)
{
    size_t n = strlen(disk);
    const char *rest = dev + n;

    if (strncmp(dev, disk, n) || !*rest)
        return FALSE;
    if (g_ascii_isdigit(disk[n - 1]) && *rest++ != 'p')
        return FALSE;  /* nvme0n1p1, loop0p1: a 'p' after a digit */
    if (!*rest)
        return FALSE;
    for (; *rest; rest++)
        if (!g_ascii_isdigit(*rest))
            return FALSE;
    return TRUE;
}

char *vg_guest_disk_find(const VgDisk *host, GPtrArray *disks, GPtrArray *fsinfo,
                         VgMatch *how, char **serial, GError **error)
{
    g_autoptr(GArray) c = candidates(disks, fsinfo);
    g_autofree char *by_name = g_strdup_printf("/dev/%s", host->target);
    static const VgMatch order[] = { VG_MATCH_SERIAL, VG_MATCH_PCI, VG_MATCH_NAME };

    *how = VG_MATCH_NONE;
    *serial = NULL;
    for (size_t k = 0; k < G_N_ELEMENTS(order); k++) {
        const Candidate *found = NULL;
        for (guint i = 0; i < c->len; i++) {
            const Candidate *cand = &g_array_index(c, Candidate, i);
            gboolean hit = order[k] == VG_MATCH_NAME
                               ? !strcmp(cand->dev, by_name)
                               : vg_guest_addr_matches(host, cand->addr) == order[k];
            if (!hit || (found && !strcmp(found->dev, cand->dev)))
                continue;
            /* two partitions of one disk, from guest-get-fsinfo: one match */
            if (found && !disks && same_disk(found->dev, cand->dev))
                continue;
            if (found) {
                g_set_error(error, VG_ERROR, VG_ERROR_INVALID,
                            "both guest disks %s and %s match host disk %s by %s", found->dev,
                            cand->dev, host->target, vg_match_name(order[k]));
                return NULL;
            }
            found = cand;
        }
        if (found) {
            *how = order[k];
            if (found->addr && found->addr->serial && *found->addr->serial)
                *serial = g_strdup(found->addr->serial);
            return g_strdup(found->dev);
        }
    }
    g_set_error(error, VG_ERROR, VG_ERROR_NOT_FOUND,
                "the guest reports no disk matching host disk %s (by serial, PCI address "
                "or name)", host->target);
    return NULL;
}
