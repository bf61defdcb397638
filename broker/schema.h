/* A JSON Schema validator for the subset our wire schema uses, so that the
 * requester and virt-growd check messages against the one installed
 * description (wire.schema.json) and not against a copy of it in C.
 *
 * Keywords: type (a name or a list), properties, required,
 * additionalProperties (true or false), enum, const, minimum, maximum,
 * minLength, maxLength (characters), pattern (not anchored, as JSON Schema
 * says), items, maxItems, $ref ("#/$defs/NAME"); annotations ($schema,
 * $id, $comment, title, description, examples, default, $defs) are read
 * and ignored.  Any other keyword makes the schema fail to load: a
 * constraint the validator does not know is never silently skipped. */
#ifndef VG_SCHEMA_H
#define VG_SCHEMA_H

#include <glib.h>
#include <json-glib/json-glib.h>

#define VG_SCHEMA_ERROR (vg_schema_error_quark())
GQuark vg_schema_error_quark(void);

typedef enum {
    VG_SCHEMA_ERROR_LOAD,     /* the schema itself: unreadable, not JSON, unknown keyword */
    VG_SCHEMA_ERROR_INVALID,  /* a value does not match */
} VgSchemaErrorCode;

typedef struct VgSchema VgSchema;

/* The schema in @path, or the text itself (@path names it in messages). */
VgSchema *vg_schema_load(const char *path, GError **error);
VgSchema *vg_schema_parse(const char *name, const char *text, gsize len, GError **error);
void vg_schema_free(VgSchema *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VgSchema, vg_schema_free)

const char *vg_schema_path(const VgSchema *s);

/* Check @value against the definition $defs/@def.  The error names the
 * place ("/guest/lvm") and what is wrong. */
gboolean vg_schema_validate(const VgSchema *s, const char *def, JsonNode *value,
                            GError **error);

/* The member names $defs/@def's "properties" lists (for the man page
 * check), NULL-terminated; NULL when there is no such definition. */
char **vg_schema_properties(const VgSchema *s, const char *def);

#endif
