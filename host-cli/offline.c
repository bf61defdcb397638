/* Disks of shut-off domains: no block job and no agent, only the image.
 * libvirt's storage API owns the image (its pool knows the format, the
 * allocation, the locking), so a disk grows offline only as a volume of a
 * pool; any other image is refused with the way to make it one. */
#include "offline.h"
#include "grow.h"

#include <libvirt/virterror.h>
#include <string.h>

static gboolean volume_capacity(virStorageVolPtr vol, const char *target, uint64_t *out,
                                GError **error)
{
    virStorageVolInfo info;
    if (virStorageVolGetInfo(vol, &info) < 0)
        return vg_fail(error, VG_ERROR_LIBVIRT, "disk %s: its storage volume: %s", target,
                    vg_libvirt_error());
    *out = info.capacity;
    return TRUE;
}

gboolean vg_offline_find(virConnectPtr conn, VgOutcome *o, virStorageVolPtr *vol, uint64_t *now,
                         GError **error)
{
    const VgDisk *d = o->disk;

    *vol = NULL;
    if (!strcmp(d->type, "volume")) {
        /* <source pool='P' volume='V'/>, read as "P/V" */
        g_auto(GStrv) pv = g_strsplit(d->source, "/", 2);
        virStoragePoolPtr pool = pv[0] && pv[1] ? virStoragePoolLookupByName(conn, pv[0]) : NULL;
        if (pool) {
            *vol = virStorageVolLookupByName(pool, pv[1]);
            virStoragePoolFree(pool);
        }
        if (!*vol)
            return vg_fail(error, VG_ERROR_NOT_FOUND, "disk %s: storage volume %s: %s", d->target,
                        d->source, vg_libvirt_error());
    } else if (strcmp(d->type, "file") && strcmp(d->type, "block")) {
        return vg_fail(error, VG_ERROR_REFUSED,
                    "refusing: domain %s is shut off, and its disk %s is a %s disk, which "
                    "virt-grow grows only while the domain runs; start it and run virt-grow "
                    "again", o->req->domain, d->target, d->type);
    } else if (!(*vol = virStorageVolLookupByPath(conn, d->source))) {
        if (virGetLastErrorCode() != VIR_ERR_NO_STORAGE_VOL)
            return vg_fail(error, VG_ERROR_LIBVIRT, "disk %s (%s): %s", d->target, d->source,
                        vg_libvirt_error());
        g_autofree char *dir = g_path_get_dirname(d->source);
        return vg_fail(error, VG_ERROR_REFUSED,
                    "refusing: domain %s is shut off, and its disk %s (%s) is no volume of an "
                    "active libvirt storage pool, which is how virt-grow grows a disk offline; "
                    "make it one (virsh pool-define-as NAME dir --target %s && virsh "
                    "pool-start NAME, or virsh pool-refresh the pool of %s if it has one), "
                    "or start the domain and run virt-grow again",
                    o->req->domain, d->target, d->source, dir, dir);
    }
    if (!volume_capacity(*vol, d->target, now, error))
        return FALSE;
    o->method = VG_METHOD_NEXT_BOOT;
    o->method_note = g_strdup("the domain is shut off: its disk grows through its storage "
                              "volume, and the guest grows what is on it at its next boot "
                              "(qga-grow-boot.service, as its auto.conf allows)");
    return TRUE;
}

gboolean vg_offline_resize(virDomainPtr dom, virStorageVolPtr vol, VgOutcome *o, GError **error)
{
    const char *target = o->disk->target;
    int state = VIR_DOMAIN_NOSTATE, reason;
    uint64_t now = 0;

    /* started meanwhile: its image is in use, the block resize's business */
    if (virDomainGetState(dom, &state, &reason, 0) < 0)
        return vg_fail(error, VG_ERROR_LIBVIRT, "domain %s: %s", o->req->domain,
                    vg_libvirt_error());
    if (state != VIR_DOMAIN_SHUTOFF)
        return vg_fail(error, VG_ERROR_REFUSED,
                    "refusing: domain %s was started meanwhile; run virt-grow again",
                    o->req->domain);
    if (!volume_capacity(vol, target, &now, error) || !vg_check_not_past(o, now, error))
        return FALSE;
    /* no VIR_STORAGE_VOL_RESIZE_SHRINK: libvirt itself refuses to shrink */
    if (now < o->size_target && virStorageVolResize(vol, o->size_target, 0) < 0) {
        g_autofree char *why = g_strdup(vg_libvirt_error());  /* before the check below */
        if (vg_connection_lost(virDomainGetConnect(dom))) {
            /* the call may have reached libvirtd before the link went */
            o->resize_unknown = TRUE;
            return vg_fail(error, VG_ERROR_CONNECTION, "the connection to libvirt was lost "
                           "during the resize of the volume of disk %s (%s): whether it grew "
                           "is not known; run virt-grow again once connected (it never "
                           "shrinks)", target, why);
        }
        return vg_fail(error, VG_ERROR_LIBVIRT, "libvirt could not resize the volume of disk %s: %s",
                    target, why);
    }
    if (!volume_capacity(vol, target, &o->size_after, error)) {
        if (now < o->size_target) {  /* libvirt said it resized */
            o->disk_resized = TRUE;
            o->size_after = o->size_target;
            g_prefix_error(error, "the volume of disk %s was resized, but its size could not "
                           "be read back: ", target);
        }
        return FALSE;
    }
    vg_outcome_resized(o);
    return TRUE;
}
