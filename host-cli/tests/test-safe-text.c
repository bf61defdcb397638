/* vg_safe_text(): what a guest string looks like on the operator's
 * terminal.  One row per kind of character; the input as bytes. */
#include "safe-text.h"

#include <string.h>

static const struct {
    const char *what;
    const char *in;
    gssize len;           /* -1: strlen */
    const char *out;
} cases[] = {
    { "plain ASCII", "/dev/vdc1", -1, "/dev/vdc1" },
    { "a space", "/mnt/my data", -1, "/mnt/my data" },
    { "empty", "", -1, "" },
    { "letters of other scripts stay", "/mnt/donn\xc3\xa9" "es/\xe6\x95\xb0\xe6\x8d\xae", -1,
      "/mnt/donn\xc3\xa9" "es/\xe6\x95\xb0\xe6\x8d\xae" },
    { "combining accent stays", "e\xcc\x81", -1, "e\xcc\x81" },
    { "emoji stays", "\xf0\x9f\x92\xbe", -1, "\xf0\x9f\x92\xbe" },
    { "backslash stays (escaping twice changes nothing)", "a\\x1b\\u202e", -1,
      "a\\x1b\\u202e" },
    /* C0, DEL */
    { "ESC (colours, cursor moves)", "/dev/\x1b[31mvdc", -1, "/dev/\\x1b[31mvdc" },
    { "newline (a fake line)", "vdc\nvirt-grow: grown", -1, "vdc\\nvirt-grow: grown" },
    { "tab", "a\tb", -1, "a\\tb" },
    { "carriage return (overwrites the line)", "bad\rgood", -1, "bad\\rgood" },
    { "BEL", "\x07", -1, "\\x07" },
    { "backspace", "x\x08", -1, "x\\x08" },
    { "NUL inside", "a\0b", 3, "a\\x00b" },
    { "DEL", "a\x7f", -1, "a\\x7f" },
    /* C1 as UTF-8 code points */
    { "C1 CSI U+009B", "\xc2\x9b" "31m", -1, "\\u009b31m" },
    { "C1 NEL U+0085", "\xc2\x85", -1, "\\u0085" },
    { "C1 OSC U+009D", "\xc2\x9d", -1, "\\u009d" },
    /* bidi */
    { "RLO U+202E", "/mnt/\xe2\x80\xae" "gpj.exe", -1, "/mnt/\\u202egpj.exe" },
    { "LRE U+202A", "\xe2\x80\xaa", -1, "\\u202a" },
    { "PDF U+202C", "\xe2\x80\xac", -1, "\\u202c" },
    { "LRI U+2066", "\xe2\x81\xa6", -1, "\\u2066" },
    { "RLI U+2067", "\xe2\x81\xa7", -1, "\\u2067" },
    { "FSI U+2068", "\xe2\x81\xa8", -1, "\\u2068" },
    { "PDI U+2069", "\xe2\x81\xa9", -1, "\\u2069" },
    { "LRM U+200E", "\xe2\x80\x8e", -1, "\\u200e" },
    { "RLM U+200F", "\xe2\x80\x8f", -1, "\\u200f" },
    { "ALM U+061C", "\xd8\x9c", -1, "\\u061c" },
    /* invisible */
    { "ZWSP U+200B", "vd\xe2\x80\x8b" "c", -1, "vd\\u200bc" },
    { "ZWNJ U+200C", "\xe2\x80\x8c", -1, "\\u200c" },
    { "ZWJ U+200D", "\xe2\x80\x8d", -1, "\\u200d" },
    { "word joiner U+2060", "\xe2\x81\xa0", -1, "\\u2060" },
    { "invisible plus U+2064", "\xe2\x81\xa4", -1, "\\u2064" },
    { "BOM U+FEFF", "\xef\xbb\xbf" "x", -1, "\\ufeffx" },
    { "soft hyphen U+00AD", "a\xc2\xad" "b", -1, "a\\u00adb" },
    { "line separator U+2028", "a\xe2\x80\xa8" "b", -1, "a\\u2028b" },
    { "paragraph separator U+2029", "\xe2\x80\xa9", -1, "\\u2029" },
    { "no-break space U+00A0", "a\xc2\xa0" "b", -1, "a\\u00a0b" },
    { "em space U+2003", "\xe2\x80\x83", -1, "\\u2003" },
    { "ideographic space U+3000", "\xe3\x80\x80", -1, "\\u3000" },
    { "Hangul filler U+3164", "\xe3\x85\xa4", -1, "\\u3164" },
    { "variation selector U+FE0F", "\xef\xb8\x8f", -1, "\\ufe0f" },
    { "grapheme joiner U+034F", "\xcd\x8f", -1, "\\u034f" },
    { "Mongolian vowel separator U+180E", "\xe1\xa0\x8e", -1, "\\u180e" },
    { "interlinear annotation U+FFF9", "\xef\xbf\xb9", -1, "\\ufff9" },
    { "tag U+E0041", "\xf3\xa0\x81\x81", -1, "\\U000e0041" },
    { "private use U+E000", "\xee\x80\x80", -1, "\\ue000" },
    { "noncharacter U+FFFF", "\xef\xbf\xbf", -1, "\\uffff" },
    { "noncharacter U+10FFFF", "\xf4\x8f\xbf\xbf", -1, "\\U0010ffff" },
    /* invalid UTF-8: each byte */
    { "a stray byte", "a\xff" "b", -1, "a\\xffb" },
    { "a lone continuation byte", "\x80", -1, "\\x80" },
    { "a sequence cut short at the end", "ok\xe2\x80", -1, "ok\\xe2\\x80" },
    { "an overlong slash", "\xc0\xaf", -1, "\\xc0\\xaf" },
    { "an encoded surrogate", "\xed\xa0\x80", -1, "\\xed\\xa0\\x80" },
    { "past U+10FFFF", "\xf4\x90\x80\x80", -1, "\\xf4\\x90\\x80\\x80" },
    { "len cuts a character", "\xc3\xa9", 1, "\\xc3" },
};

static void test_table(void)
{
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *got = vg_safe_text(cases[i].in, cases[i].len);
        if (strcmp(got, cases[i].out))
            g_error("%s: got \"%s\", want \"%s\"", cases[i].what, got, cases[i].out);
        /* escaping what is escaped changes nothing */
        g_autofree char *again = vg_safe_text(got, -1);
        g_assert_cmpstr(again, ==, got);
    }
    g_assert_null(vg_safe_text(NULL, -1));
}

/* Whatever comes in, what goes out is valid UTF-8 holding no character
 * vg_safe_text_escapes() names: every code point, and random bytes. */
static void test_every_code_point(void)
{
    for (gunichar c = 1; c <= 0x10FFFF; c++) {
        if (c >= 0xD800 && c <= 0xDFFF)
            continue;
        char buf[8];
        int n = g_unichar_to_utf8(c, buf);
        g_autofree char *got = vg_safe_text(buf, n);
        g_assert_true(g_utf8_validate(got, -1, NULL));
        for (const char *p = got; *p; p = g_utf8_next_char(p))
            g_assert_false(vg_safe_text_escapes(g_utf8_get_char(p)));
        if (vg_safe_text_escapes(c))
            g_assert_true(got[0] == '\\');
        else
            g_assert_cmpstr(got, ==, (buf[n] = 0, buf));
    }
    GRand *r = g_rand_new_with_seed(11);
    for (int i = 0; i < 20000; i++) {
        guchar bytes[16];
        for (gsize j = 0; j < sizeof(bytes); j++)
            bytes[j] = (guchar)g_rand_int_range(r, 0, 256);
        g_autofree char *got = vg_safe_text((const char *)bytes, sizeof(bytes));
        g_assert_true(g_utf8_validate(got, -1, NULL));
        for (const char *p = got; *p; p = g_utf8_next_char(p))
            g_assert_false(vg_safe_text_escapes(g_utf8_get_char(p)));
    }
    g_rand_free(r);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/safe-text/table", test_table);
    g_test_add_func("/safe-text/every-code-point", test_every_code_point);
    return g_test_run();
}
