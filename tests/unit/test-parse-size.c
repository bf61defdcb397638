/* qg_parse_size(): units, limits and junk. */
#include "qga-grow.h"

#include <string.h>

typedef struct {
    const char *text;
    guint64 want;
} Good;

static void test_good(void)
{
    static const Good cases[] = {
        { "0", 0 },
        { "512", 512 },
        { "512B", 512 },
        { "1K", 1024 },
        { "1k", 1024 },
        { "1KiB", 1024 },
        { "1KB", 1000 },
        { "20G", 20ULL << 30 },
        { "20GiB", 20ULL << 30 },
        { "20GB", 20000000000ULL },
        { "2T", 2ULL << 40 },
        { "15E", 15ULL << 60 },
        { "18446744073709551615", G_MAXUINT64 },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) e = NULL;
        guint64 v = 1;
        g_assert_true(qg_parse_size(cases[i].text, &v, &e));
        g_assert_no_error(e);
        g_assert_cmpuint(v, ==, cases[i].want);
    }
}

static void test_bad(void)
{
    static const struct {
        const char *text;
        const char *message_part;
    } cases[] = {
        { "", "empty" },
        { "-1", "does not start with a digit" },
        { "+1G", "does not start with a digit" },
        { " 1", "does not start with a digit" },
        { "G", "does not start with a digit" },
        { "1.5G", "unknown unit" },
        { "1Q", "unknown unit" },
        { "1GiBx", "unknown unit" },
        { "1 G", "unknown unit" },
        { "1Gi", "unknown unit" },
        { "18446744073709551616", "too large" },
        { "16E", "too large" },
        { "99999999999999999999999", "too large" },
        { "20000000000000000000KB", "too large" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) e = NULL;
        guint64 v = 42;
        g_assert_false(qg_parse_size(cases[i].text, &v, &e));
        g_assert_error(e, QG_ERROR, QG_ERROR_INVALID);
        g_assert_nonnull(strstr(e->message, cases[i].message_part));
        g_assert_cmpuint(v, ==, 42);  /* untouched on error */
    }
    g_autoptr(GError) e = NULL;
    guint64 v;
    g_assert_false(qg_parse_size(NULL, &v, &e));
}

static void test_format(void)
{
    g_autofree char *a = qg_format_bytes(512);
    g_autofree char *b = qg_format_bytes(2ULL << 30);
    g_autofree char *c = qg_format_bytes(1536ULL << 20);
    g_assert_cmpstr(a, ==, "512 B");
    g_assert_cmpstr(b, ==, "2.0 GiB");
    g_assert_cmpstr(c, ==, "1.5 GiB");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/parse-size/good", test_good);
    g_test_add_func("/parse-size/bad", test_bad);
    g_test_add_func("/format-bytes", test_format);
    return g_test_run();
}
