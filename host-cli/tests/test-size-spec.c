/* SIZE parsing (absolute, relative) and the grow-only plan. */
#include "plan.h"
#include "size-spec.h"
#include "vg-error.h"

#include <string.h>

static void test_parse_good(void)
{
    static const struct {
        const char *text;
        gboolean relative;
        guint64 bytes;
    } cases[] = {
        { "20G", FALSE, 20ULL << 30 },
        { "20GiB", FALSE, 20ULL << 30 },
        { "20GB", FALSE, 20000000000ULL },
        { "21474836480", FALSE, 21474836480ULL },
        { "512B", FALSE, 512 },
        { "+10G", TRUE, 10ULL << 30 },
        { "+1", TRUE, 1 },
        { "+7E", TRUE, 7ULL << 60 },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) e = NULL;
        VgSizeSpec s;
        g_assert_true(vg_size_spec_parse(cases[i].text, &s, &e));
        g_assert_no_error(e);
        g_assert_cmpint(s.relative, ==, cases[i].relative);
        g_assert_cmpuint(s.bytes, ==, cases[i].bytes);
    }
}

static void test_parse_bad(void)
{
    static const struct {
        const char *text;
        const char *message_part;
    } cases[] = {
        { "", "empty" },
        { "+", "empty" },
        { "0", "is zero" },
        { "0G", "is zero" },
        { "+0", "adds nothing" },
        { "-10G", "never shrinks" },
        { "++1G", "does not start with a digit" },
        { "1.5G", "unknown unit" },
        { "10X", "unknown unit" },
        { "10 G", "unknown unit" },
        { "G", "does not start with a digit" },
        { "16E", "too large" },
        { "+99999999999999999999", "too large" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) e = NULL;
        VgSizeSpec s = { TRUE, 42 };
        g_assert_false(vg_size_spec_parse(cases[i].text, &s, &e));
        g_assert_error(e, VG_ERROR, VG_ERROR_INVALID);
        if (!strstr(e->message, cases[i].message_part))
            g_error("\"%s\": message \"%s\" lacks \"%s\"", cases[i].text, e->message,
                    cases[i].message_part);
        g_assert_cmpuint(s.bytes, ==, 42);  /* untouched */
    }
}

static void test_plan(void)
{
    g_autoptr(GError) e = NULL;
    VgSizeSpec s;
    VgPlan p;

    /* relative: adds to the current size */
    g_assert_true(vg_size_spec_parse("+1G", &s, &e));
    g_assert_true(vg_plan_make("vdb", 1ULL << 30, &s, &p, &e));
    g_assert_cmpuint(p.target, ==, 2ULL << 30);
    g_assert_true(p.grow_disk);
    g_assert_false(p.rounded);

    /* absolute, equal: nothing to do at the disk level, not an error */
    g_assert_true(vg_size_spec_parse("1G", &s, &e));
    g_assert_true(vg_plan_make("vdb", 1ULL << 30, &s, &p, &e));
    g_assert_false(p.grow_disk);

    /* rounded up to 512 like QEMU would, and said so */
    g_assert_true(vg_size_spec_parse("1000000001", &s, &e));
    g_assert_true(vg_plan_make("vdb", 512, &s, &p, &e));
    g_assert_cmpuint(p.target, ==, 1000000512);
    g_assert_true(p.rounded);

    /* smaller: refused, whatever libvirt would do */
    g_assert_true(vg_size_spec_parse("512M", &s, &e));
    g_assert_false(vg_plan_make("vdb", 1ULL << 30, &s, &p, &e));
    g_assert_error(e, VG_ERROR, VG_ERROR_REFUSED);
    g_assert_nonnull(strstr(e->message, "refusing to shrink disk vdb"));
    g_clear_error(&e);

    /* relative overflow past what QEMU can hold */
    g_assert_true(vg_size_spec_parse("+7E", &s, &e));
    g_assert_false(vg_plan_make("vdb", 2ULL << 60, &s, &p, &e));
    g_assert_error(e, VG_ERROR, VG_ERROR_INVALID);
    g_clear_error(&e);
    g_assert_true(vg_size_spec_parse("+1", &s, &e));
    g_assert_false(vg_plan_make("vdb", G_MAXUINT64, &s, &p, &e));
    g_assert_error(e, VG_ERROR, VG_ERROR_INVALID);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/size-spec/good", test_parse_good);
    g_test_add_func("/size-spec/bad", test_parse_bad);
    g_test_add_func("/plan", test_plan);
    return g_test_run();
}
