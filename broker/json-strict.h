/* JSON text from the queue, parsed strictly (RFC 8259 and no more): every
 * message on the queue is untrusted.  json-glib's own parser is not used:
 * it lets a repeated member silently win ({"size":1,"size":9}: which one
 * did the sender mean?), accepts what is not JSON, and recurses without
 * bound.  This one refuses a repeated member, a lone surrogate or a NUL in
 * a string, integers past 64 bits, nesting deeper than @max_depth and
 * anything after the value; it builds json-glib nodes so that the schema
 * and the rest read the result with json-glib's API.
 *   integers (no fraction, no exponent): G_TYPE_INT64 values
 *   other numbers: G_TYPE_DOUBLE values */
#ifndef VG_JSON_STRICT_H
#define VG_JSON_STRICT_H

#include <glib.h>
#include <json-glib/json-glib.h>

#define VG_JSON_ERROR (vg_json_error_quark())
GQuark vg_json_error_quark(void);

typedef enum {
    VG_JSON_ERROR_SYNTAX,  /* not JSON; the message names the byte offset */
    VG_JSON_ERROR_LIMIT,   /* too big, too deep */
} VgJsonErrorCode;

/* @text need not be NUL-terminated.  NULL with VG_JSON_ERROR on failure. */
JsonNode *vg_json_parse_strict(const char *text, gsize len, unsigned max_depth,
                               GError **error);

#endif
