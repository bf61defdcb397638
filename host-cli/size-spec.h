/* SIZE as the operator writes it: absolute ("20G") or relative ("+10G"). */
#ifndef VG_SIZE_SPEC_H
#define VG_SIZE_SPEC_H

#include <glib.h>
#include <stdint.h>

typedef struct {
    gboolean relative;  /* "+N": add N to the current size */
    uint64_t bytes;     /* never 0 */
} VgSizeSpec;

/* Parse "20G", "20GiB", "21474836480", "+10G" (units as qg_size_parse).
 * Zero, a missing number, bad units and overflow are VG_ERROR_INVALID. */
gboolean vg_size_spec_parse(const char *text, VgSizeSpec *out, GError **error);

/* The size the disk should reach from @current, rounded up to a multiple of
 * 512 bytes (QEMU's granularity).  FALSE with VG_ERROR_INVALID on overflow. */
gboolean vg_size_spec_resolve(const VgSizeSpec *spec, uint64_t current, uint64_t *target,
                              GError **error);

#endif
