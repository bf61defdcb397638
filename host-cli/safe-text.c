/* Escaping guest text for the terminal.  See safe-text.h. */
#include "safe-text.h"

#include <string.h>

/* Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt)
 * outside the categories escaped anyway (Cf, Cn): characters a terminal
 * draws as nothing at all. */
static const struct { gunichar from, to; } ignorable[] = {
    { 0x034F, 0x034F },   /* combining grapheme joiner */
    { 0x115F, 0x1160 },   /* Hangul choseong/jungseong fillers */
    { 0x17B4, 0x17B5 },   /* Khmer inherent vowels */
    { 0x180B, 0x180F },   /* Mongolian free variation selectors, vowel separator */
    { 0x3164, 0x3164 },   /* Hangul filler */
    { 0xFE00, 0xFE0F },   /* variation selectors */
    { 0xFFA0, 0xFFA0 },   /* halfwidth Hangul filler */
    { 0xE0000, 0xE0FFF }, /* tags, variation selectors supplement */
};

gboolean vg_safe_text_escapes(gunichar c)
{
    if (c < 0x20 || c == 0x7F)
        return TRUE;
    if (c < 0x7F)
        return FALSE;
    switch (g_unichar_type(c)) {
    case G_UNICODE_CONTROL:       /* C1 */
    case G_UNICODE_FORMAT:        /* bidi controls, zero-width, BOM, soft hyphen */
    case G_UNICODE_UNASSIGNED:    /* noncharacters; what a newer Unicode may make Cf */
    case G_UNICODE_PRIVATE_USE:
    case G_UNICODE_SURROGATE:
    case G_UNICODE_LINE_SEPARATOR:
    case G_UNICODE_PARAGRAPH_SEPARATOR:
    case G_UNICODE_SPACE_SEPARATOR: /* NBSP, en/em/thin spaces: look like ' ' */
        return TRUE;
    default:
        break;
    }
    for (gsize i = 0; i < G_N_ELEMENTS(ignorable); i++)
        if (c >= ignorable[i].from && c <= ignorable[i].to)
            return TRUE;
    return FALSE;
}

char *vg_safe_text(const char *text, gssize len)
{
    if (!text)
        return NULL;
    gsize n = len < 0 ? strlen(text) : (gsize)len;
    const char *p = text, *end = text + n;
    GString *s = g_string_sized_new(n + 1);

    while (p < end) {
        guchar b = (guchar)*p;
        gunichar c = b < 0x80 ? b : g_utf8_get_char_validated(p, end - p);

        if (c == (gunichar)-1 || c == (gunichar)-2) {  /* invalid or cut short */
            g_string_append_printf(s, "\\x%02x", b);
            p++;
            continue;
        }
        if (c == '\n')
            g_string_append(s, "\\n");
        else if (c == '\t')
            g_string_append(s, "\\t");
        else if (c == '\r')
            g_string_append(s, "\\r");
        else if (c < 0x20 || c == 0x7F)
            g_string_append_printf(s, "\\x%02x", c);
        else if (vg_safe_text_escapes(c))
            g_string_append_printf(s, c > 0xFFFF ? "\\U%08x" : "\\u%04x", c);
        else
            g_string_append_unichar(s, c);
        p = c < 0x80 ? p + 1 : g_utf8_next_char(p);
    }
    return g_string_free(s, FALSE);
}
