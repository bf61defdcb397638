/* Parsing and formatting byte sizes. */
#include "size.h"

#include <string.h>

G_DEFINE_QUARK(qg-size-error-quark, qg_size_error)

char *qg_size_format(uint64_t bytes)
{
    static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
    double v = (double)bytes;
    unsigned i = 0;
    while (v >= 1024 && i < G_N_ELEMENTS(unit) - 1) {
        v /= 1024;
        i++;
    }
    return i ? g_strdup_printf("%.1f %s", v, unit[i])
             : g_strdup_printf("%" G_GUINT64_FORMAT " B", bytes);
}

gboolean qg_size_parse(const char *text, uint64_t *out, GError **error)
{
    static const char units[] = "KMGTPE";
    const char *p = text;
    uint64_t value = 0;

    if (!text || !*text) {
        g_set_error(error, QG_SIZE_ERROR, QG_SIZE_ERROR_EMPTY, "empty size");
        return FALSE;
    }
    if (!g_ascii_isdigit(*p)) {
        g_set_error(error, QG_SIZE_ERROR, QG_SIZE_ERROR_SYNTAX,
                    "size \"%s\" does not start with a digit", text);
        return FALSE;
    }
    for (; g_ascii_isdigit(*p); p++) {
        unsigned d = (unsigned)(*p - '0');
        if (value > (UINT64_MAX - d) / 10)
            goto overflow;
        value = value * 10 + d;
    }
    if ((*p == 'B' || *p == 'b') && p[1] == '\0')
        p++;  /* plain bytes with a "B" */
    if (*p) {
        const char *u = strchr(units, g_ascii_toupper(*p));
        uint64_t base = 1024;
        if (!u)
            goto bad_unit;
        p++;
        if (g_ascii_strcasecmp(p, "iB") == 0 || *p == '\0')
            base = 1024;
        else if (g_ascii_strcasecmp(p, "B") == 0)
            base = 1000;
        else
            goto bad_unit;
        for (const char *k = units; k <= u; k++) {
            if (value > UINT64_MAX / base)
                goto overflow;
            value *= base;
        }
    }
    *out = value;
    return TRUE;

bad_unit:
    g_set_error(error, QG_SIZE_ERROR, QG_SIZE_ERROR_UNIT,
                "size \"%s\" has an unknown unit (use bytes, K, M, G, T, P, E, "
                "with optional iB, or KB, MB, GB... for powers of 1000)", text);
    return FALSE;
overflow:
    g_set_error(error, QG_SIZE_ERROR, QG_SIZE_ERROR_OVERFLOW,
                "size \"%s\" is too large (more than 16 EiB)", text);
    return FALSE;
}
