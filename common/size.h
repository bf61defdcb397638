/* Byte sizes as people write them ("20G", "512MB", "4096"), shared by the
 * guest library (libqga-grow) and the host CLI (virt-grow), which must not
 * link each other. */
#ifndef QG_COMMON_SIZE_H
#define QG_COMMON_SIZE_H

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

#define QG_SIZE_ERROR (qg_size_error_quark())
GQuark qg_size_error_quark(void);

typedef enum {
    QG_SIZE_ERROR_EMPTY,
    QG_SIZE_ERROR_SYNTAX,    /* not starting with a digit */
    QG_SIZE_ERROR_UNIT,      /* unknown unit or trailing junk */
    QG_SIZE_ERROR_OVERFLOW,  /* more than 2^64 - 1 bytes */
} QgSizeErrorCode;

/* Plain bytes ("4096", "4096B"), or a number with K/M/G/T/P/E: powers of
 * 1024 alone or with "iB" ("20G", "20GiB"), powers of 1000 with "B"
 * ("20GB"), as virsh reads them.  Case-insensitive units.  On error *out is
 * untouched. */
gboolean qg_size_parse(const char *text, uint64_t *out, GError **error);

/* "2.0 GiB", "512 B": for people. */
char *qg_size_format(uint64_t bytes);

G_END_DECLS

#endif
