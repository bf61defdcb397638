/* Absolute and relative disk sizes. */
#include "size-spec.h"
#include "size.h"
#include "vg-error.h"

gboolean vg_size_spec_parse(const char *text, VgSizeSpec *out, GError **error)
{
    g_autoptr(GError) e = NULL;
    VgSizeSpec spec = { 0 };
    const char *number = text;

    if (text && text[0] == '-') {
        g_set_error(error, VG_ERROR, VG_ERROR_INVALID,
                    "SIZE \"%s\" is negative: virt-grow never shrinks a disk", text);
        return FALSE;
    }
    if (text && text[0] == '+') {
        spec.relative = TRUE;
        number++;
    }
    if (!qg_size_parse(number, &spec.bytes, &e)) {
        g_set_error(error, VG_ERROR, VG_ERROR_INVALID, "SIZE: %s", e->message);
        return FALSE;
    }
    if (spec.bytes == 0) {
        g_set_error(error, VG_ERROR, VG_ERROR_INVALID,
                    spec.relative ? "SIZE \"%s\" adds nothing" : "SIZE \"%s\" is zero", text);
        return FALSE;
    }
    *out = spec;
    return TRUE;
}

gboolean vg_size_spec_resolve(const VgSizeSpec *spec, uint64_t current, uint64_t *target,
                              GError **error)
{
    uint64_t want = spec->bytes;

    if (spec->relative) {
        if (want > UINT64_MAX - current)
            goto overflow;
        want += current;
    }
    if (want % 512) {
        if (want > UINT64_MAX - 511)
            goto overflow;
        want += 512 - want % 512;
    }
    /* QEMU and libvirt keep sizes in signed 64-bit integers. */
    if (want > (uint64_t)G_MAXINT64)
        goto overflow;
    *target = want;
    return TRUE;

overflow:
    g_set_error(error, VG_ERROR, VG_ERROR_INVALID,
                "the new size is too large (more than 8 EiB)");
    return FALSE;
}
