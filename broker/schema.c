/* The JSON Schema subset.  See schema.h. */
#include "schema.h"
#include "json-strict.h"

#include <string.h>

G_DEFINE_QUARK(vg-schema-error-quark, vg_schema_error)

#define SCHEMA_MAX_BYTES (1u << 20)
#define SCHEMA_MAX_DEPTH 64

struct VgSchema {
    char *path;
    JsonNode *root;
    JsonObject *defs;
    GHashTable *regexes;  /* pattern text -> GRegex* */
};

static const char *const annotations[] = {
    "$schema", "$id", "$comment", "title", "description", "examples", "default", "$defs",
};
static const char *const keywords[] = {
    "type", "properties", "required", "additionalProperties", "enum", "const", "minimum",
    "maximum", "minLength", "maxLength", "pattern", "items", "maxItems", "$ref",
};
static const char *const type_names[] = {
    "object", "array", "string", "integer", "number", "boolean", "null",
};

static gboolean in_list(const char *word, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(word, list[i]))
            return TRUE;
    return FALSE;
}

static gboolean G_GNUC_PRINTF(4, 5) load_bad(const VgSchema *s, const char *where, GError **error,
                                             const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(error, VG_SCHEMA_ERROR, VG_SCHEMA_ERROR_LOAD, "schema %s: %s: %s", s->path,
                *where ? where : "/", msg);
    return FALSE;
}

static gboolean is_int(JsonNode *n)
{
    return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_INT64;
}

static gboolean is_number(JsonNode *n)
{
    return n && JSON_NODE_HOLDS_VALUE(n) && (json_node_get_value_type(n) == G_TYPE_INT64 ||
                                             json_node_get_value_type(n) == G_TYPE_DOUBLE);
}

static gboolean is_string(JsonNode *n)
{
    return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING;
}

static gboolean check_schema(VgSchema *s, JsonNode *node, const char *where, GError **error);

static gboolean check_type(VgSchema *s, JsonNode *t, const char *where, GError **error)
{
    if (is_string(t)) {
        if (!in_list(json_node_get_string(t), type_names, G_N_ELEMENTS(type_names)))
            return load_bad(s, where, error, "unknown type \"%s\"", json_node_get_string(t));
        return TRUE;
    }
    if (!JSON_NODE_HOLDS_ARRAY(t) || !json_array_get_length(json_node_get_array(t)))
        return load_bad(s, where, error, "type is a name or a list of names");
    JsonArray *a = json_node_get_array(t);
    for (guint i = 0; i < json_array_get_length(a); i++)
        if (!check_type(s, json_array_get_element(a, i), where, error))
            return FALSE;
    return TRUE;
}

/* Every keyword known and well-formed, every $ref resolvable, every
 * pattern compiled: validation then never meets a surprise. */
static gboolean check_schema(VgSchema *s, JsonNode *node, const char *where, GError **error)
{
    if (!JSON_NODE_HOLDS_OBJECT(node))
        return load_bad(s, where, error, "a schema is an object");
    JsonObject *o = json_node_get_object(node);
    g_autoptr(GList) members = json_object_get_members(o);

    for (GList *l = members; l; l = l->next) {
        const char *k = l->data;
        JsonNode *v = json_object_get_member(o, k);
        g_autofree char *at = g_strdup_printf("%s/%s", where, k);

        if (in_list(k, annotations, G_N_ELEMENTS(annotations)))
            continue;
        if (!in_list(k, keywords, G_N_ELEMENTS(keywords)))
            return load_bad(s, at, error, "keyword \"%s\" is not one this validator knows", k);
        if (!strcmp(k, "type")) {
            if (!check_type(s, v, at, error))
                return FALSE;
        } else if (!strcmp(k, "properties")) {
            if (!JSON_NODE_HOLDS_OBJECT(v))
                return load_bad(s, at, error, "properties is an object");
            JsonObject *props = json_node_get_object(v);
            g_autoptr(GList) names = json_object_get_members(props);
            for (GList *p = names; p; p = p->next) {
                g_autofree char *pat = g_strdup_printf("%s/%s", at, (char *)p->data);
                if (!check_schema(s, json_object_get_member(props, p->data), pat, error))
                    return FALSE;
            }
        } else if (!strcmp(k, "required") || !strcmp(k, "enum")) {
            if (!JSON_NODE_HOLDS_ARRAY(v))
                return load_bad(s, at, error, "%s is a list", k);
            JsonArray *a = json_node_get_array(v);
            for (guint i = 0; i < json_array_get_length(a); i++) {
                JsonNode *e = json_array_get_element(a, i);
                if (!strcmp(k, "required") ? !is_string(e) : !JSON_NODE_HOLDS_VALUE(e))
                    return load_bad(s, at, error, "%s lists %s", k,
                                    !strcmp(k, "required") ? "names" : "scalars");
            }
        } else if (!strcmp(k, "additionalProperties")) {
            if (!JSON_NODE_HOLDS_VALUE(v) || json_node_get_value_type(v) != G_TYPE_BOOLEAN)
                return load_bad(s, at, error, "additionalProperties is true or false here");
        } else if (!strcmp(k, "const")) {
            if (!JSON_NODE_HOLDS_VALUE(v))
                return load_bad(s, at, error, "const is a scalar here");
        } else if (!strcmp(k, "minimum") || !strcmp(k, "maximum")) {
            if (!is_number(v))
                return load_bad(s, at, error, "%s is a number", k);
        } else if (!strcmp(k, "minLength") || !strcmp(k, "maxLength") ||
                   !strcmp(k, "maxItems")) {
            if (!is_int(v) || json_node_get_int(v) < 0)
                return load_bad(s, at, error, "%s is a whole number", k);
        } else if (!strcmp(k, "pattern")) {
            g_autoptr(GError) e = NULL;
            if (!is_string(v))
                return load_bad(s, at, error, "pattern is a string");
            const char *text = json_node_get_string(v);
            /* $ at the very end only, as ECMA-262 reads it (PCRE's $ also
             * matches before a final newline) */
            GRegex *re = g_regex_new(text, G_REGEX_OPTIMIZE | G_REGEX_DOLLAR_ENDONLY, 0, &e);
            if (!re)
                return load_bad(s, at, error, "pattern does not compile: %s", e->message);
            g_hash_table_replace(s->regexes, g_strdup(text), re);
        } else if (!strcmp(k, "items")) {
            if (!check_schema(s, v, at, error))
                return FALSE;
        } else if (!strcmp(k, "$ref")) {
            const char *ref = is_string(v) ? json_node_get_string(v) : "";
            if (!g_str_has_prefix(ref, "#/$defs/") || !s->defs ||
                !json_object_has_member(s->defs, ref + strlen("#/$defs/")))
                return load_bad(s, at, error, "$ref \"%s\" is not one of #/$defs/NAME", ref);
        }
    }
    return TRUE;
}

VgSchema *vg_schema_parse(const char *name, const char *text, gsize len, GError **error)
{
    g_autoptr(VgSchema) s = g_new0(VgSchema, 1);
    g_autoptr(GError) e = NULL;

    s->path = g_strdup(name);
    s->regexes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                       (GDestroyNotify)g_regex_unref);
    if (!(s->root = vg_json_parse_strict(text, len, SCHEMA_MAX_DEPTH, &e))) {
        load_bad(s, "", error, "%s", e->message);
        return NULL;
    }
    if (!JSON_NODE_HOLDS_OBJECT(s->root)) {
        load_bad(s, "", error, "a schema is an object");
        return NULL;
    }
    JsonNode *defs = json_object_get_member(json_node_get_object(s->root), "$defs");
    if (!defs || !JSON_NODE_HOLDS_OBJECT(defs)) {
        load_bad(s, "", error, "no $defs object");
        return NULL;
    }
    s->defs = json_node_get_object(defs);
    if (!check_schema(s, s->root, "", error))
        return NULL;
    g_autoptr(GList) names = json_object_get_members(s->defs);
    for (GList *l = names; l; l = l->next) {
        g_autofree char *at = g_strdup_printf("/$defs/%s", (char *)l->data);
        if (!check_schema(s, json_object_get_member(s->defs, l->data), at, error))
            return NULL;
    }
    return g_steal_pointer(&s);
}

VgSchema *vg_schema_load(const char *path, GError **error)
{
    g_autofree char *text = NULL;
    gsize len = 0;
    g_autoptr(GError) e = NULL;

    if (!g_file_get_contents(path, &text, &len, &e)) {
        g_set_error(error, VG_SCHEMA_ERROR, VG_SCHEMA_ERROR_LOAD, "schema %s: %s", path,
                    e->message);
        return NULL;
    }
    if (len > SCHEMA_MAX_BYTES) {
        g_set_error(error, VG_SCHEMA_ERROR, VG_SCHEMA_ERROR_LOAD,
                    "schema %s: larger than %u bytes", path, SCHEMA_MAX_BYTES);
        return NULL;
    }
    return vg_schema_parse(path, text, len, error);
}

void vg_schema_free(VgSchema *s)
{
    if (!s)
        return;
    g_free(s->path);
    if (s->root)
        json_node_unref(s->root);
    if (s->regexes)
        g_hash_table_unref(s->regexes);
    g_free(s);
}

const char *vg_schema_path(const VgSchema *s)
{
    return s->path;
}

/* ---- validation ---- */

static gboolean G_GNUC_PRINTF(3, 4) invalid(GError **error, const char *where, const char *fmt,
                                            ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(error, VG_SCHEMA_ERROR, VG_SCHEMA_ERROR_INVALID, "%s%s%s", where,
                *where ? ": " : "", msg);
    return FALSE;
}

static const char *node_type(JsonNode *n)
{
    if (JSON_NODE_HOLDS_OBJECT(n))
        return "object";
    if (JSON_NODE_HOLDS_ARRAY(n))
        return "array";
    if (JSON_NODE_HOLDS_NULL(n))
        return "null";
    switch (json_node_get_value_type(n)) {
    case G_TYPE_STRING: return "string";
    case G_TYPE_INT64: return "integer";
    case G_TYPE_DOUBLE: return "number";
    case G_TYPE_BOOLEAN: return "boolean";
    default: return "value";
    }
}

static gboolean type_matches(const char *want, JsonNode *n)
{
    const char *have = node_type(n);
    /* an integer is a number too */
    return !strcmp(want, have) || (!strcmp(want, "number") && !strcmp(have, "integer"));
}

static gboolean scalar_equal(JsonNode *a, JsonNode *b)
{
    if (!JSON_NODE_HOLDS_VALUE(a) || !JSON_NODE_HOLDS_VALUE(b))
        return JSON_NODE_HOLDS_NULL(a) && JSON_NODE_HOLDS_NULL(b);
    if (json_node_get_value_type(a) != json_node_get_value_type(b))
        return FALSE;
    switch (json_node_get_value_type(a)) {
    case G_TYPE_STRING: return !strcmp(json_node_get_string(a), json_node_get_string(b));
    case G_TYPE_INT64: return json_node_get_int(a) == json_node_get_int(b);
    case G_TYPE_DOUBLE: return json_node_get_double(a) == json_node_get_double(b);
    case G_TYPE_BOOLEAN: return json_node_get_boolean(a) == json_node_get_boolean(b);
    default: return FALSE;
    }
}

static double as_double(JsonNode *n)
{
    return json_node_get_value_type(n) == G_TYPE_INT64 ? (double)json_node_get_int(n)
                                                        : json_node_get_double(n);
}

static gboolean below(JsonNode *v, JsonNode *limit)
{
    if (json_node_get_value_type(v) == G_TYPE_INT64 &&
        json_node_get_value_type(limit) == G_TYPE_INT64)
        return json_node_get_int(v) < json_node_get_int(limit);
    return as_double(v) < as_double(limit);
}

static char *scalar_text(JsonNode *n)
{
    g_autoptr(JsonGenerator) g = json_generator_new();
    json_generator_set_root(g, n);
    return json_generator_to_data(g, NULL);
}

static gboolean validate(const VgSchema *s, JsonObject *sch, JsonNode *v, const char *where,
                         unsigned depth, GError **error);

static gboolean validate_object(const VgSchema *s, JsonObject *sch, JsonObject *o,
                                const char *where, unsigned depth, GError **error)
{
    JsonNode *props_node = json_object_get_member(sch, "properties");
    JsonObject *props = props_node ? json_node_get_object(props_node) : NULL;
    JsonNode *req = json_object_get_member(sch, "required");
    JsonNode *extra = json_object_get_member(sch, "additionalProperties");

    if (req) {
        JsonArray *a = json_node_get_array(req);
        for (guint i = 0; i < json_array_get_length(a); i++) {
            const char *name = json_array_get_string_element(a, i);
            if (!json_object_has_member(o, name))
                return invalid(error, where, "the member \"%s\" is missing", name);
        }
    }
    g_autoptr(GList) members = json_object_get_members(o);
    members = g_list_sort(members, (GCompareFunc)strcmp);  /* the same first error every time */
    for (GList *l = members; l; l = l->next) {
        const char *name = l->data;
        g_autofree char *at = g_strdup_printf("%s/%s", where, name);
        JsonNode *sub = props ? json_object_get_member(props, name) : NULL;
        if (!sub) {
            if (extra && !json_node_get_boolean(extra))
                return invalid(error, where, "unknown member \"%s\"", name);
            continue;
        }
        if (!validate(s, json_node_get_object(sub), json_object_get_member(o, name), at,
                      depth + 1, error))
            return FALSE;
    }
    return TRUE;
}

static gboolean validate(const VgSchema *s, JsonObject *sch, JsonNode *v, const char *where,
                         unsigned depth, GError **error)
{
    JsonNode *k;

    if (depth > SCHEMA_MAX_DEPTH)
        return invalid(error, where, "nested too deeply");
    if ((k = json_object_get_member(sch, "$ref"))) {
        const char *name = json_node_get_string(k) + strlen("#/$defs/");
        JsonNode *def = json_object_get_member(s->defs, name);
        if (!validate(s, json_node_get_object(def), v, where, depth + 1, error))
            return FALSE;
    }
    if ((k = json_object_get_member(sch, "type"))) {
        gboolean ok = FALSE;
        g_autoptr(GString) names = g_string_new(NULL);
        if (JSON_NODE_HOLDS_ARRAY(k)) {
            JsonArray *a = json_node_get_array(k);
            for (guint i = 0; i < json_array_get_length(a); i++) {
                const char *t = json_array_get_string_element(a, i);
                ok |= type_matches(t, v);
                g_string_append_printf(names, "%s%s", i ? " or " : "", t);
            }
        } else {
            ok = type_matches(json_node_get_string(k), v);
            g_string_append(names, json_node_get_string(k));
        }
        if (!ok)
            return invalid(error, where, "must be %s %s, not %s",
                           strchr("aeiou", names->str[0]) ? "an" : "a", names->str,
                           node_type(v));
    }
    if ((k = json_object_get_member(sch, "const")) && !scalar_equal(k, v)) {
        g_autofree char *want = scalar_text(k);
        return invalid(error, where, "must be %s", want);
    }
    if ((k = json_object_get_member(sch, "enum"))) {
        JsonArray *a = json_node_get_array(k);
        gboolean ok = FALSE;
        g_autoptr(GString) list = g_string_new(NULL);
        for (guint i = 0; i < json_array_get_length(a); i++) {
            g_autofree char *t = scalar_text(json_array_get_element(a, i));
            ok |= scalar_equal(json_array_get_element(a, i), v);
            g_string_append_printf(list, "%s%s", i ? ", " : "", t);
        }
        if (!ok)
            return invalid(error, where, "must be one of %s", list->str);
    }
    if (is_number(v)) {
        if ((k = json_object_get_member(sch, "minimum")) && below(v, k)) {
            g_autofree char *t = scalar_text(k);
            return invalid(error, where, "must be at least %s", t);
        }
        if ((k = json_object_get_member(sch, "maximum")) && below(k, v)) {
            g_autofree char *t = scalar_text(k);
            return invalid(error, where, "must be at most %s", t);
        }
    }
    if (is_string(v)) {
        const char *str = json_node_get_string(v);
        glong chars = g_utf8_strlen(str, -1);
        if ((k = json_object_get_member(sch, "minLength")) && chars < json_node_get_int(k))
            return invalid(error, where, "must be at least %" G_GINT64_FORMAT " characters",
                           json_node_get_int(k));
        if ((k = json_object_get_member(sch, "maxLength")) && chars > json_node_get_int(k))
            return invalid(error, where, "must be at most %" G_GINT64_FORMAT " characters",
                           json_node_get_int(k));
        if ((k = json_object_get_member(sch, "pattern"))) {
            GRegex *re = g_hash_table_lookup(s->regexes, json_node_get_string(k));
            if (!g_regex_match(re, str, 0, NULL))
                return invalid(error, where, "does not match %s", json_node_get_string(k));
        }
    }
    if (JSON_NODE_HOLDS_ARRAY(v)) {
        JsonArray *a = json_node_get_array(v);
        if ((k = json_object_get_member(sch, "maxItems")) &&
            json_array_get_length(a) > (guint64)json_node_get_int(k))
            return invalid(error, where, "must have at most %" G_GINT64_FORMAT " items",
                           json_node_get_int(k));
        if ((k = json_object_get_member(sch, "items"))) {
            for (guint i = 0; i < json_array_get_length(a); i++) {
                g_autofree char *at = g_strdup_printf("%s/%u", where, i);
                if (!validate(s, json_node_get_object(k), json_array_get_element(a, i), at,
                              depth + 1, error))
                    return FALSE;
            }
        }
    }
    if (JSON_NODE_HOLDS_OBJECT(v))
        return validate_object(s, sch, json_node_get_object(v), where, depth, error);
    return TRUE;
}

gboolean vg_schema_validate(const VgSchema *s, const char *def, JsonNode *value, GError **error)
{
    JsonNode *d = json_object_get_member(s->defs, def);
    if (!d) {
        g_set_error(error, VG_SCHEMA_ERROR, VG_SCHEMA_ERROR_LOAD,
                    "schema %s: no definition \"%s\"", s->path, def);
        return FALSE;
    }
    return validate(s, json_node_get_object(d), value, "", 0, error);
}

char **vg_schema_properties(const VgSchema *s, const char *def)
{
    JsonNode *d = json_object_get_member(s->defs, def);
    JsonNode *p = d ? json_object_get_member(json_node_get_object(d), "properties") : NULL;
    if (!p)
        return NULL;
    g_autoptr(GList) names = json_object_get_members(json_node_get_object(p));
    GPtrArray *out = g_ptr_array_new();
    for (GList *l = names; l; l = l->next)
        g_ptr_array_add(out, g_strdup(l->data));
    g_ptr_array_add(out, NULL);
    return (char **)g_ptr_array_free(out, FALSE);
}
