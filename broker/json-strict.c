/* A strict JSON reader.  See json-strict.h. */
#include "json-strict.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

G_DEFINE_QUARK(vg-json-error-quark, vg_json_error)

typedef struct {
    const char *p, *start, *end;
    unsigned depth, max_depth;
    GError **error;
} Reader;

static gboolean G_GNUC_PRINTF(2, 3) bad(Reader *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (r->error && !*r->error)
        g_set_error(r->error, VG_JSON_ERROR, VG_JSON_ERROR_SYNTAX, "not JSON at byte %td: %s",
                    r->p - r->start, msg);
    return FALSE;
}

static void skip_space(Reader *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
        r->p++;
}

static gboolean literal(Reader *r, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n))
        return bad(r, "unknown word");
    r->p += n;
    return TRUE;
}

static int hex4(const char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        int d = g_ascii_xdigit_value(p[i]);
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* A string after its opening quote; *out is NUL-free UTF-8. */
static gboolean string(Reader *r, char **out)
{
    g_autoptr(GString) s = g_string_new(NULL);

    for (;;) {
        if (r->p >= r->end)
            return bad(r, "a string is not closed");
        unsigned char c = (unsigned char)*r->p;
        if (c == '"') {
            r->p++;
            break;
        }
        if (c < 0x20)
            return bad(r, "a control character in a string (escape it)");
        if (c != '\\') {
            /* one whole UTF-8 character, checked */
            const char *next = g_utf8_find_next_char(r->p, r->end);
            if (!next)
                next = r->end;
            gunichar u = g_utf8_get_char_validated(r->p, next - r->p);
            if (u == (gunichar)-1 || u == (gunichar)-2)
                return bad(r, "not UTF-8");
            g_string_append_len(s, r->p, next - r->p);
            r->p = next;
            continue;
        }
        if (r->end - r->p < 2)
            return bad(r, "a string is not closed");
        char e = r->p[1];
        r->p += 2;
        switch (e) {
        case '"': g_string_append_c(s, '"'); break;
        case '\\': g_string_append_c(s, '\\'); break;
        case '/': g_string_append_c(s, '/'); break;
        case 'b': g_string_append_c(s, '\b'); break;
        case 'f': g_string_append_c(s, '\f'); break;
        case 'n': g_string_append_c(s, '\n'); break;
        case 'r': g_string_append_c(s, '\r'); break;
        case 't': g_string_append_c(s, '\t'); break;
        case 'u': {
            int hi = r->end - r->p >= 4 ? hex4(r->p) : -1;
            if (hi < 0)
                return bad(r, "\\u needs four hex digits");
            r->p += 4;
            gunichar u = (gunichar)hi;
            if (hi >= 0xD800 && hi <= 0xDBFF) {
                int lo = r->end - r->p >= 6 && r->p[0] == '\\' && r->p[1] == 'u' ? hex4(r->p + 2)
                                                                                  : -1;
                if (lo < 0xDC00 || lo > 0xDFFF)
                    return bad(r, "a lone surrogate (\\u%04X)", (unsigned)hi);
                r->p += 6;
                u = 0x10000 + (((gunichar)hi - 0xD800) << 10) + ((gunichar)lo - 0xDC00);
            } else if (hi >= 0xDC00 && hi <= 0xDFFF) {
                return bad(r, "a lone surrogate (\\u%04X)", (unsigned)hi);
            } else if (hi == 0) {
                return bad(r, "\\u0000 in a string");
            }
            g_string_append_unichar(s, u);
            break;
        }
        default:
            return bad(r, "unknown escape \\%c", g_ascii_isprint(e) ? e : '?');
        }
    }
    *out = g_string_free(g_steal_pointer(&s), FALSE);
    return TRUE;
}

static gboolean number(Reader *r, JsonNode **out)
{
    const char *s = r->p;
    gboolean integer = TRUE;

    if (r->p < r->end && *r->p == '-')
        r->p++;
    if (r->p >= r->end || !g_ascii_isdigit(*r->p))
        return bad(r, "a number needs digits");
    if (*r->p == '0' && r->p + 1 < r->end && g_ascii_isdigit(r->p[1]))
        return bad(r, "a number with a leading zero");
    while (r->p < r->end && g_ascii_isdigit(*r->p))
        r->p++;
    if (r->p < r->end && *r->p == '.') {
        integer = FALSE;
        r->p++;
        if (r->p >= r->end || !g_ascii_isdigit(*r->p))
            return bad(r, "a number needs digits after its point");
        while (r->p < r->end && g_ascii_isdigit(*r->p))
            r->p++;
    }
    if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
        integer = FALSE;
        r->p++;
        if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
            r->p++;
        if (r->p >= r->end || !g_ascii_isdigit(*r->p))
            return bad(r, "a number needs digits in its exponent");
        while (r->p < r->end && g_ascii_isdigit(*r->p))
            r->p++;
    }
    g_autofree char *text = g_strndup(s, r->p - s);
    char *end = NULL;
    errno = 0;
    *out = json_node_new(JSON_NODE_VALUE);
    if (integer) {
        gint64 v = g_ascii_strtoll(text, &end, 10);
        if (errno || *end) {
            json_node_unref(*out);
            *out = NULL;
            r->p = s;
            return bad(r, "the integer %.40s is out of range (64 bits)", text);
        }
        json_node_set_int(*out, v);
    } else {
        double v = g_ascii_strtod(text, &end);
        if (errno || *end) {
            json_node_unref(*out);
            *out = NULL;
            r->p = s;
            return bad(r, "the number %.40s is out of range", text);
        }
        json_node_set_double(*out, v);
    }
    return TRUE;
}

static gboolean value(Reader *r, JsonNode **out);

static gboolean object(Reader *r, JsonNode **out)
{
    g_autoptr(JsonObject) obj = json_object_new();

    r->p++;  /* '{' */
    skip_space(r);
    if (r->p < r->end && *r->p == '}') {
        r->p++;
        goto done;
    }
    for (;;) {
        g_autofree char *name = NULL;
        JsonNode *member = NULL;

        skip_space(r);
        if (r->p >= r->end || *r->p != '"')
            return bad(r, "a member name (a string) expected");
        const char *at = r->p++;
        if (!string(r, &name))
            return FALSE;
        if (json_object_has_member(obj, name)) {
            r->p = at;
            return bad(r, "the member \"%.64s\" is given twice", name);
        }
        skip_space(r);
        if (r->p >= r->end || *r->p != ':')
            return bad(r, "':' expected after a member name");
        r->p++;
        if (!value(r, &member))
            return FALSE;
        json_object_set_member(obj, name, member);
        skip_space(r);
        if (r->p < r->end && *r->p == ',') {
            r->p++;
            continue;
        }
        if (r->p < r->end && *r->p == '}') {
            r->p++;
            break;
        }
        return bad(r, "',' or '}' expected");
    }
done:
    *out = json_node_new(JSON_NODE_OBJECT);
    json_node_set_object(*out, obj);
    return TRUE;
}

static gboolean array(Reader *r, JsonNode **out)
{
    g_autoptr(JsonArray) arr = json_array_new();

    r->p++;  /* '[' */
    skip_space(r);
    if (r->p < r->end && *r->p == ']') {
        r->p++;
        goto done;
    }
    for (;;) {
        JsonNode *element = NULL;
        if (!value(r, &element))
            return FALSE;
        json_array_add_element(arr, element);
        skip_space(r);
        if (r->p < r->end && *r->p == ',') {
            r->p++;
            continue;
        }
        if (r->p < r->end && *r->p == ']') {
            r->p++;
            break;
        }
        return bad(r, "',' or ']' expected");
    }
done:
    *out = json_node_new(JSON_NODE_ARRAY);
    json_node_set_array(*out, arr);
    return TRUE;
}

static gboolean value(Reader *r, JsonNode **out)
{
    gboolean ok;

    *out = NULL;
    skip_space(r);
    if (r->p >= r->end)
        return bad(r, "a value expected");
    switch (*r->p) {
    case '{':
    case '[':
        if (++r->depth > r->max_depth) {
            if (r->error && !*r->error)
                g_set_error(r->error, VG_JSON_ERROR, VG_JSON_ERROR_LIMIT,
                            "nested more than %u levels deep", r->max_depth);
            return FALSE;
        }
        ok = *r->p == '{' ? object(r, out) : array(r, out);
        r->depth--;
        return ok;
    case '"': {
        char *s = NULL;
        r->p++;
        if (!string(r, &s))
            return FALSE;
        *out = json_node_new(JSON_NODE_VALUE);
        json_node_set_string(*out, s);
        g_free(s);
        return TRUE;
    }
    case 't':
    case 'f': {
        gboolean truth = *r->p == 't';
        if (!literal(r, truth ? "true" : "false"))
            return FALSE;
        *out = json_node_new(JSON_NODE_VALUE);
        json_node_set_boolean(*out, truth);
        return TRUE;
    }
    case 'n':
        if (!literal(r, "null"))
            return FALSE;
        *out = json_node_new(JSON_NODE_NULL);
        return TRUE;
    default:
        if (*r->p == '-' || g_ascii_isdigit(*r->p))
            return number(r, out);
        return bad(r, "a value expected");
    }
}

JsonNode *vg_json_parse_strict(const char *text, gsize len, unsigned max_depth, GError **error)
{
    Reader r = { .p = text, .start = text, .end = text + len, .max_depth = max_depth,
                 .error = error };
    JsonNode *root = NULL;

    if (!text)
        r.p = r.start = r.end = "";
    if (!value(&r, &root))
        return NULL;
    skip_space(&r);
    if (r.p != r.end) {
        json_node_unref(root);
        bad(&r, "something after the value");
        return NULL;
    }
    return root;
}
