/* The host side: find the domain and disk, refuse what is unsafe, resize
 * with libvirt, then hand over to the guest side. */
#include "grow.h"
#include "guest-side.h"
#include "offline.h"
#include "plan.h"
#include "size.h"

#include <libvirt/virterror.h>
#include <string.h>

gboolean vg_fail(GError **error, VgErrorCode code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error_literal(error, VG_ERROR, code, msg);
    return FALSE;
}

static gboolean looks_like_uuid(const char *s)
{
    size_t n = strlen(s), hex = 0;
    for (const char *p = s; *p; p++)
        hex += g_ascii_isxdigit(*p) != 0;
    return (n == 36 && hex == 32) || (n == 32 && hex == 32);
}

virDomainPtr vg_find_domain(virConnectPtr conn, const char *name, GError **error)
{
    virDomainPtr dom = virDomainLookupByName(conn, name);
    if (!dom && virGetLastErrorCode() == VIR_ERR_NO_DOMAIN && looks_like_uuid(name))
        dom = virDomainLookupByUUIDString(conn, name);
    if (!dom)
        vg_fail(error, virGetLastErrorCode() == VIR_ERR_NO_DOMAIN ? VG_ERROR_NOT_FOUND
                                                               : VG_ERROR_LIBVIRT,
             "domain %s: %s", name, vg_libvirt_error());
    return dom;
}

static virDomainPtr find_domain_uuid(virConnectPtr conn, const char *uuid, GError **error)
{
    virDomainPtr dom = virDomainLookupByUUIDString(conn, uuid);
    if (!dom)
        vg_fail(error, virGetLastErrorCode() == VIR_ERR_NO_DOMAIN ? VG_ERROR_NOT_FOUND
                                                               : VG_ERROR_LIBVIRT,
             "domain %s: %s", uuid, vg_libvirt_error());
    return dom;
}

static gboolean connection_lost(virDomainPtr dom)
{
    return vg_connection_lost(virDomainGetConnect(dom));
}

static const char *state_name(int state)
{
    switch (state) {
    case VIR_DOMAIN_BLOCKED: return "blocked";
    case VIR_DOMAIN_PAUSED: return "paused";
    case VIR_DOMAIN_SHUTDOWN: return "shutting down";
    case VIR_DOMAIN_SHUTOFF: return "shut off";
    case VIR_DOMAIN_CRASHED: return "crashed";
    case VIR_DOMAIN_PMSUSPENDED: return "suspended";
    default: return "in no known state";
    }
}

/* Running: the block resize and the guest agent.  Shut off: the storage
 * volume, the guest at its next boot (*shut_off).  Anything else waits. */
static gboolean check_state(virDomainPtr dom, const char *name, gboolean *shut_off,
                            GError **error)
{
    int state = VIR_DOMAIN_NOSTATE, reason;
    if (virDomainGetState(dom, &state, &reason, 0) < 0)
        return vg_fail(error, VG_ERROR_LIBVIRT, "domain %s: %s", name, vg_libvirt_error());
    *shut_off = state == VIR_DOMAIN_SHUTOFF;
    if (state == VIR_DOMAIN_RUNNING || *shut_off)
        return TRUE;
    return vg_fail(error, VG_ERROR_REFUSED,
                "refusing: domain %s is %s; virt-grow grows the disks of running domains, "
                "and of shut-off ones through their storage volumes",
                name, state_name(state));
}

static VgDisk *find_disk(virDomainPtr dom, const VgRequest *req, GError **error)
{
    g_autofree char *xml = virDomainGetXMLDesc(dom, 0);
    g_autoptr(GPtrArray) disks = NULL;
    VgDisk *d;

    if (!xml) {
        vg_fail(error, VG_ERROR_LIBVIRT, "domain %s: %s", req->domain, vg_libvirt_error());
        return NULL;
    }
    if (!(disks = vg_domain_disks_parse(xml, error)) || !(d = vg_disk_select(disks, req->disk, error)))
        return NULL;
    if (!vg_disk_check_resizable(d, error))
        return NULL;
    return vg_disk_copy(d);
}

/* The disk's size as the guest sees it, and (@physical, may be NULL) what
 * holds it on the host: for a block device, the device's size. */
static gboolean capacity_physical(virDomainPtr dom, const VgDisk *d, uint64_t *out,
                                  uint64_t *physical, GError **error)
{
    virDomainBlockInfo info;
    if (virDomainGetBlockInfo(dom, d->target, &info, 0) < 0)
        return vg_fail(error, VG_ERROR_LIBVIRT, "disk %s: %s", d->target, vg_libvirt_error());
    *out = info.capacity;
    if (physical)
        *physical = info.physical;
    return TRUE;
}

static gboolean capacity(virDomainPtr dom, const VgDisk *d, uint64_t *out, GError **error)
{
    return capacity_physical(dom, d, out, NULL, error);
}

/* Everything that can refuse, before anything changes.  A shut-off
 * domain's disk is planned on its storage volume (*vol). */
static gboolean plan(virConnectPtr conn, virDomainPtr dom, VgOutcome *o, VgPlan *p,
                     virStorageVolPtr *vol, GError **error)
{
    uint64_t now;
    gboolean shut_off;

    if (!check_state(dom, o->req->domain, &shut_off, error) ||
        !(o->disk = find_disk(dom, o->req, error)))
        return FALSE;
    if (!(shut_off ? vg_offline_find(conn, o, vol, &now, error)
                   : capacity(dom, o->disk, &now, error)) ||
        !vg_plan_make(o->disk->target, now, &o->req->size, p, error))
        return FALSE;
    o->size_before = o->size_after = now;
    o->size_target = p->target;
    if (p->rounded)
        vg_outcome_warn(o, "SIZE %s rounded up to %" G_GUINT64_FORMAT " bytes (a multiple of 512)",
                        o->req->size_text, p->target);
    return TRUE;
}

/* libvirt's own guards, where the headers built against have them (a
 * compile-time choice; Debian 12's libvirt 9.0 has neither, and then they
 * are 0 and their branches fall away): EXTEND (libvirt 12.3) has the
 * hypervisor refuse to shrink too; CAPACITY (10.0) grows a raw disk on a
 * host block device to the device's whole size, libvirt checking that the
 * size asked for is that size.  Our own refusal to shrink stays in front of
 * both, whatever libvirt does. */
#if LIBVIR_CHECK_VERSION(12, 3, 0)
#define VG_RESIZE_EXTEND VIR_DOMAIN_BLOCK_RESIZE_EXTEND
#else
#define VG_RESIZE_EXTEND 0
#endif
#if LIBVIR_CHECK_VERSION(10, 0, 0)
#define VG_RESIZE_CAPACITY VIR_DOMAIN_BLOCK_RESIZE_CAPACITY
#else
#define VG_RESIZE_CAPACITY 0
#endif

/* A raw disk on a host block device, grown to exactly the device's size. */
static gboolean fills_block_device(const VgDisk *d, uint64_t target, uint64_t physical)
{
    return !strcmp(d->type, "block") && (!d->format || !strcmp(d->format, "raw")) &&
           physical && target == physical;
}

static int block_resize(virDomainPtr dom, VgOutcome *o, uint64_t physical)
{
    unsigned flags = VIR_DOMAIN_BLOCK_RESIZE_BYTES | VG_RESIZE_EXTEND;
    uint64_t now;

    if (VG_RESIZE_CAPACITY && fills_block_device(o->disk, o->size_target, physical))
        flags |= VG_RESIZE_CAPACITY;
    if (virDomainBlockResize(dom, o->disk->target, o->size_target, flags) == 0)
        return 0;
    if (flags == VIR_DOMAIN_BLOCK_RESIZE_BYTES)
        return -1;
    /* a daemon older than our headers refuses the flags it does not know
     * ("unsupported flags"), and only then is it asked again without them
     * (never after any other refusal: EXTEND's own may be a shrink), once
     * our own check has seen the size again */
    virErrorPtr e = virGetLastError();
    if (!e || e->code != VIR_ERR_INVALID_ARG || !e->message ||
        !strstr(e->message, "unsupported flags"))
        return -1;
    if (!capacity(dom, o->disk, &now, NULL) || now > o->size_target)
        return -1;
    vg_outcome_warn(o, "libvirt's daemon is older than the libvirt virt-grow was built with: "
                    "resized without the flags it does not know (EXTEND, its own shrink "
                    "guard; CAPACITY); virt-grow's own guard stands");
    return virDomainBlockResize(dom, o->disk->target, o->size_target,
                                VIR_DOMAIN_BLOCK_RESIZE_BYTES);
}

/* The block resize.  libvirt before 12.3 does not refuse to shrink, and
 * time passed since the plan (the guest probe): check the size again right
 * before. */
static gboolean resize(virDomainPtr dom, VgOutcome *o, GError **error)
{
    uint64_t now = 0, physical = 0;

    if (!capacity_physical(dom, o->disk, &now, &physical, error) ||
        !vg_check_not_past(o, now, error))
        return FALSE;
    if (now < o->size_target && block_resize(dom, o, physical) < 0) {
        gboolean block = !strcmp(o->disk->type, "block");
        g_autofree char *why = g_strdup(vg_libvirt_error());  /* before the check below */
        if (connection_lost(dom)) {
            /* the call may have reached the hypervisor before the link went */
            o->resize_unknown = TRUE;
            return vg_fail(error, VG_ERROR_CONNECTION, "the connection to libvirt was lost "
                           "during the resize of disk %s (%s): whether it grew to %"
                           G_GUINT64_FORMAT " bytes is not known; run virt-grow again once "
                           "connected (it never shrinks, and the guest side follows)",
                           o->disk->target, why, o->size_target);
        }
        return vg_fail(error, VG_ERROR_LIBVIRT, "libvirt could not resize disk %s: %s%s",
                    o->disk->target, why,
                    block ? " (a host block device must be enlarged on the host first, e.g. "
                            "with lvextend; then run virt-grow again)" : "");
    }
    if (!capacity(dom, o->disk, &o->size_after, error)) {
        if (now < o->size_target) {
            /* libvirt answered that it resized: the disk grew, only its new
             * size could not be read back (a connection lost after the
             * call, a failing query) */
            o->disk_resized = TRUE;
            o->size_after = o->size_target;
            g_prefix_error(error, "disk %s was resized to %" G_GUINT64_FORMAT " bytes, but "
                           "its size could not be read back: ", o->disk->target,
                           o->size_target);
        }
        return FALSE;
    }
    vg_outcome_resized(o);
    return TRUE;
}

gboolean vg_check_not_past(const VgOutcome *o, uint64_t now, GError **error)
{
    if (now <= o->size_target)
        return TRUE;
    return vg_fail(error, VG_ERROR_REFUSED,
                   "refusing: disk %s grew to %" G_GUINT64_FORMAT " bytes meanwhile, more than "
                   "the %" G_GUINT64_FORMAT " asked for; virt-grow never shrinks a disk",
                   o->disk->target, now, o->size_target);
}

void vg_outcome_resized(VgOutcome *o)
{
    o->disk_resized = o->size_after > o->size_before;
    if (o->size_after < o->size_target)
        vg_outcome_warn(o, "disk %s is %" G_GUINT64_FORMAT " bytes after the resize, not %"
                        G_GUINT64_FORMAT, o->disk->target, o->size_after, o->size_target);
}

static void fail_resize(virConnectPtr conn, VgOutcome *o, const GError *e);

/* A shut-off domain: the volume grows, the guest follows at next boot. */
static void grow_offline(virDomainPtr dom, virStorageVolPtr vol, VgOutcome *o, const VgPlan *p)
{
    g_autoptr(GError) e = NULL;

    if (o->dry_run) {
        o->size_after = p->target;
        o->exit = p->grow_disk ? VG_EXIT_GROWN : VG_EXIT_NOTHING;
        return;
    }
    if (!vg_offline_resize(dom, vol, o, &e)) {
        fail_resize(virDomainGetConnect(dom), o, e);
        return;
    }
    o->exit = o->disk_resized ? VG_EXIT_GROWN : VG_EXIT_NOTHING;
}

/* A failure before anything changed: exit 2, saying so when the
 * connection to libvirt is what went. */
static void fail_unchanged(virConnectPtr conn, VgOutcome *o, GError *e)
{
    if (vg_connection_lost(conn) || g_error_matches(e, VG_ERROR, VG_ERROR_CONNECTION)) {
        o->connection_lost = TRUE;
        g_prefix_error(&e, "the connection to libvirt was lost before the disk was resized, "
                           "nothing was changed: ");
        e->domain = VG_ERROR;
        e->code = VG_ERROR_CONNECTION;
    }
    vg_outcome_set(o, VG_EXIT_ERROR, e);
    g_error_free(e);
}

/* The resize failed, or its result could not be read back: exit 2, unless
 * libvirt said it resized (the disk grew: 3) or the connection went during
 * the call (the disk may well have grown: 3). */
static void fail_resize(virConnectPtr conn, VgOutcome *o, const GError *e)
{
    o->connection_lost = vg_connection_lost(conn) ||
                         g_error_matches(e, VG_ERROR, VG_ERROR_CONNECTION);
    vg_outcome_set(o, o->resize_unknown || o->disk_resized ? VG_EXIT_UNCONFIRMED : VG_EXIT_ERROR,
                   e);
}

VgOutcome *vg_grow_one(virConnectPtr conn, const VgRequest *req, const VgSettings *set)
{
    VgOutcome *o = vg_outcome_new(req, set->dry_run);
    VgGuest g = { 0 };
    g_autoptr(GError) e = NULL;
    g_autofree char *label = g_strdup_printf("%s/%s", req->domain, req->disk);
    virStorageVolPtr vol = NULL;
    VgPlan p;

    g.progress = set->progress;
    g.label = label;
    vg_guest_progress(&g, "checking the domain and disk");
    if (!(g.dom = set->domain_uuid ? find_domain_uuid(conn, set->domain_uuid, &e)
                                   : vg_find_domain(conn, req->domain, &e)) ||
        !plan(conn, g.dom, o, &p, &vol, &e)) {
        fail_unchanged(conn, o, g_steal_pointer(&e));
        goto out;
    }
    if (vol) {
        if (p.grow_disk) {  /* no agent runs in a shut-off domain */
            o->preflight = VG_PREFLIGHT_NOT_ASKED;
            o->preflight_note = g_strdup("the domain is shut off: the guest was not asked "
                                         "before the resize (it grows what it can at its next "
                                         "boot)");
            vg_outcome_warn(o, "%s", o->preflight_note);
        }
        vg_guest_progress(&g, "resizing the storage volume");
        grow_offline(g.dom, vol, o, &p);
        goto out;
    }
    g.deadline = g_get_monotonic_time() + (gint64)set->timeout_s * G_USEC_PER_SEC;
    g.qga_grow = set->qga_grow;
    vg_guest_progress(&g, "asking the guest agent");
    vg_guest_probe(&g, o);
    if (vg_connection_lost(conn)) {  /* the probe's failures only lower the method */
        fail_unchanged(conn, o, g_error_new_literal(VG_ERROR, VG_ERROR_CONNECTION,
                                                    "it went while the guest was probed"));
        goto out;
    }

    /* Nothing irreversible before the guest agrees: its plan for the new
     * size first (a dry run shows that very plan; with --no-preflight its
     * refusal is only a warning, as the real run would resize anyway). */
    if (set->dry_run || (p.grow_disk && !set->no_preflight)) {
        if (!vg_guest_preflight(&g, o, set->dry_run, &e)) {
            if (set->dry_run && set->no_preflight &&
                g_error_matches(e, VG_ERROR, VG_ERROR_REFUSED)) {
                vg_outcome_warn(o, "%s (--no-preflight: the disk would be resized all the "
                                "same, and the guest then refuse)", e->message);
                g_clear_error(&e);
            } else {
                fail_unchanged(conn, o, g_steal_pointer(&e));
                goto out;
            }
        }
    } else if (p.grow_disk) {
        o->preflight = VG_PREFLIGHT_SKIPPED;
    }
    if (set->dry_run) {
        o->size_after = p.target;
        /* a disk already at its size may still have a partition or a
         * filesystem to grow: the real run would grow them */
        o->exit = p.grow_disk || (o->guest && o->guest->changed) ? VG_EXIT_GROWN
                                                                 : VG_EXIT_NOTHING;
        goto out;
    }
    if (set->not_after && g_get_real_time() / G_USEC_PER_SEC > set->not_after) {
        fail_unchanged(conn, o, g_error_new(VG_ERROR, VG_ERROR_EXPIRED,
                                            "expired: not-after %" G_GINT64_FORMAT " passed "
                                            "(now %" G_GINT64_FORMAT ") before the disk was "
                                            "resized; nothing was changed", set->not_after,
                                            g_get_real_time() / G_USEC_PER_SEC));
        goto out;
    }
    vg_guest_progress(&g, "resizing the disk");
    if (!resize(g.dom, o, &e)) {
        fail_resize(conn, o, e);
        goto out;
    }
    vg_guest_grow(&g, o);
out:
    vg_guest_progress(&g, NULL);
    if (vol)
        virStorageVolFree(vol);
    if (g.dom)
        virDomainFree(g.dom);
    vg_guest_clear(&g);
    return o;
}
