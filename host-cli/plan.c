/* Growing only: the one rule libvirt does not enforce. */
#include "plan.h"
#include "size.h"
#include "vg-error.h"

gboolean vg_plan_make(const char *disk, uint64_t current, const VgSizeSpec *spec, VgPlan *plan,
                      GError **error)
{
    VgPlan p = { .current = current };

    if (!vg_size_spec_resolve(spec, current, &p.target, error))
        return FALSE;
    p.rounded = !spec->relative ? p.target != spec->bytes : p.target != current + spec->bytes;
    if (p.target < current) {
        g_autofree char *now = qg_size_format(current);
        g_autofree char *want = qg_size_format(p.target);
        g_set_error(error, VG_ERROR, VG_ERROR_REFUSED,
                    "refusing to shrink disk %s from %s (%" G_GUINT64_FORMAT " bytes) to %s "
                    "(%" G_GUINT64_FORMAT " bytes): virt-grow never shrinks a disk", disk, now,
                    current, want, p.target);
        return FALSE;
    }
    p.grow_disk = p.target > current;
    *plan = p;
    return TRUE;
}
