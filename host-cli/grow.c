/* The host side: find the domain and disk, refuse what is unsafe, resize
 * with libvirt, then hand over to the guest side. */
#include "grow.h"
#include "guest-side.h"
#include "plan.h"
#include "size.h"

#include <libvirt/virterror.h>
#include <string.h>

const char *vg_libvirt_error(void)
{
    const char *m = virGetLastErrorMessage();
    return m ? m : "unknown libvirt error";
}

static gboolean fail(GError **error, VgErrorCode code, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static gboolean fail(GError **error, VgErrorCode code, const char *fmt, ...)
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

/* By name, else (when it looks like one) by UUID. */
static virDomainPtr find_domain(virConnectPtr conn, const char *name, GError **error)
{
    virDomainPtr dom = virDomainLookupByName(conn, name);
    if (!dom && virGetLastErrorCode() == VIR_ERR_NO_DOMAIN && looks_like_uuid(name))
        dom = virDomainLookupByUUIDString(conn, name);
    if (!dom)
        fail(error, virGetLastErrorCode() == VIR_ERR_NO_DOMAIN ? VG_ERROR_NOT_FOUND
                                                               : VG_ERROR_LIBVIRT,
             "domain %s: %s", name, vg_libvirt_error());
    return dom;
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

static gboolean check_running(virDomainPtr dom, const char *name, GError **error)
{
    int state = VIR_DOMAIN_NOSTATE, reason;
    if (virDomainGetState(dom, &state, &reason, 0) < 0)
        return fail(error, VG_ERROR_LIBVIRT, "domain %s: %s", name, vg_libvirt_error());
    if (state == VIR_DOMAIN_RUNNING)
        return TRUE;
    return fail(error, VG_ERROR_REFUSED,
                "refusing: domain %s is %s; virt-grow grows the disks of running domains "
                "(for a stopped one, resize its image with virsh vol-resize or qemu-img)",
                name, state_name(state));
}

static VgDisk *find_disk(virDomainPtr dom, const VgRequest *req, GError **error)
{
    g_autofree char *xml = virDomainGetXMLDesc(dom, 0);
    g_autoptr(GPtrArray) disks = NULL;
    VgDisk *d;

    if (!xml) {
        fail(error, VG_ERROR_LIBVIRT, "domain %s: %s", req->domain, vg_libvirt_error());
        return NULL;
    }
    if (!(disks = vg_domain_disks_parse(xml, error)) || !(d = vg_disk_select(disks, req->disk, error)))
        return NULL;
    if (!vg_disk_check_resizable(d, error))
        return NULL;
    return vg_disk_copy(d);
}

static gboolean capacity(virDomainPtr dom, const VgDisk *d, uint64_t *out, GError **error)
{
    virDomainBlockInfo info;
    if (virDomainGetBlockInfo(dom, d->target, &info, 0) < 0)
        return fail(error, VG_ERROR_LIBVIRT, "disk %s: %s", d->target, vg_libvirt_error());
    *out = info.capacity;
    return TRUE;
}

/* Everything that can refuse, before anything changes. */
static gboolean plan(virDomainPtr dom, VgOutcome *o, VgPlan *p, GError **error)
{
    uint64_t now;

    if (!check_running(dom, o->req->domain, error) ||
        !(o->disk = find_disk(dom, o->req, error)) || !capacity(dom, o->disk, &now, error) ||
        !vg_plan_make(o->disk->target, now, &o->req->size, p, error))
        return FALSE;
    o->size_before = o->size_after = now;
    o->size_target = p->target;
    if (p->rounded)
        vg_outcome_warn(o, "SIZE %s rounded up to %" G_GUINT64_FORMAT " bytes (a multiple of 512)",
                        o->req->size_text, p->target);
    return TRUE;
}

/* The block resize.  libvirt does not refuse to shrink, and time passed
 * since the plan (the guest probe): check the size again right before. */
static gboolean resize(virDomainPtr dom, VgOutcome *o, GError **error)
{
    uint64_t now;

    if (!capacity(dom, o->disk, &now, error))
        return FALSE;
    if (now > o->size_target)
        return fail(error, VG_ERROR_REFUSED,
                    "refusing: disk %s grew to %" G_GUINT64_FORMAT " bytes meanwhile, more than "
                    "the %" G_GUINT64_FORMAT " asked for; virt-grow never shrinks a disk",
                    o->disk->target, now, o->size_target);
    if (now < o->size_target &&
        virDomainBlockResize(dom, o->disk->target, o->size_target,
                             VIR_DOMAIN_BLOCK_RESIZE_BYTES) < 0) {
        gboolean block = !strcmp(o->disk->type, "block");
        return fail(error, VG_ERROR_LIBVIRT, "libvirt could not resize disk %s: %s%s",
                    o->disk->target, vg_libvirt_error(),
                    block ? " (a host block device must be enlarged on the host first, e.g. "
                            "with lvextend; then run virt-grow again)" : "");
    }
    if (!capacity(dom, o->disk, &o->size_after, error))
        return FALSE;
    o->disk_resized = o->size_after > o->size_before;
    if (o->size_after < o->size_target)
        vg_outcome_warn(o, "disk %s is %" G_GUINT64_FORMAT " bytes after the resize, not %"
                        G_GUINT64_FORMAT, o->disk->target, o->size_after, o->size_target);
    return TRUE;
}

VgOutcome *vg_grow_one(virConnectPtr conn, const VgRequest *req, const VgSettings *set)
{
    VgOutcome *o = vg_outcome_new(req, set->dry_run);
    VgGuest g = { 0 };
    g_autoptr(GError) e = NULL;
    VgPlan p;

    if (!(g.dom = find_domain(conn, req->domain, &e)) || !plan(g.dom, o, &p, &e)) {
        vg_outcome_set(o, VG_EXIT_ERROR, e);
        goto out;
    }
    g.deadline = g_get_monotonic_time() + (gint64)set->timeout_s * G_USEC_PER_SEC;
    g.qga_grow = set->qga_grow;
    vg_guest_probe(&g, o);

    if (set->dry_run) {
        vg_guest_preview(&g, o);
        o->size_after = p.target;
        /* a disk already at its size may still have a partition or a
         * filesystem to grow: the real run would grow them */
        o->exit = p.grow_disk || (o->guest && o->guest->changed) ? VG_EXIT_GROWN
                                                                 : VG_EXIT_NOTHING;
        goto out;
    }
    if (!resize(g.dom, o, &e)) {
        vg_outcome_set(o, VG_EXIT_ERROR, e);
        goto out;
    }
    vg_guest_grow(&g, o);
out:
    if (g.dom)
        virDomainFree(g.dom);
    vg_guest_clear(&g);
    return o;
}
