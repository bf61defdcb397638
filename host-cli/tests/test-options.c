/* Command line and batch input parsing. */
#include "options.h"
#include "request.h"
#include "vg-error.h"

#include <string.h>

static gboolean parse(VgOptions *o, GError **e, ...)
{
    va_list ap;
    const char *argv[32] = { "virt-grow" };
    int argc = 1;
    va_start(ap, e);
    for (const char *a; (a = va_arg(ap, const char *)) && argc < 31;)
        argv[argc++] = a;
    va_end(ap);
    return vg_options_parse(argc, (char **)argv, o, e);
}

static void test_single(void)
{
    g_auto(VgOptions) o = { 0 };
    g_autoptr(GError) e = NULL;

    g_assert_true(parse(&o, &e, "-c", "qemu+ssh://h/system", "web1", "vdb", "+10G", "--dry-run",
                        "--json", "--timeout=30", "--qga-grow", "/opt/qg/qga-grow", NULL));
    g_assert_cmpstr(o.qga_grow, ==, "/opt/qg/qga-grow");
    g_assert_cmpstr(o.uri, ==, "qemu+ssh://h/system");
    g_assert_cmpstr(o.domain, ==, "web1");
    g_assert_cmpstr(o.disk, ==, "vdb");
    g_assert_cmpstr(o.size, ==, "+10G");
    g_assert_true(o.dry_run && o.json);
    g_assert_cmpuint(o.timeout_s, ==, 30);
    g_assert_cmpuint(o.jobs, ==, VG_DEFAULT_JOBS);
    vg_options_clear(&o);

    /* "--" ends the options; "-10G" is a SIZE (refused later), not an option */
    g_assert_true(parse(&o, &e, "--", "-dom", "vdb", "1G", NULL));
    g_assert_cmpstr(o.domain, ==, "-dom");
    vg_options_clear(&o);
    g_assert_true(parse(&o, &e, "d", "vdb", "-10G", NULL));
    g_assert_cmpstr(o.size, ==, "-10G");
}

static void test_batch_opts(void)
{
    g_auto(VgOptions) o = { 0 };
    g_autoptr(GError) e = NULL;

    g_assert_true(parse(&o, &e, "--batch", "-", "-J", "8", NULL));
    g_assert_cmpstr(o.batch, ==, "-");
    g_assert_cmpuint(o.jobs, ==, 8);
    g_assert_null(o.domain);
}

static void test_bad(void)
{
    static const char *const cases[][6] = {
        { "d", "vdb", NULL },                       /* missing SIZE */
        { NULL },                                    /* missing everything */
        { "d", "vdb", "1G", "extra", NULL },
        { "--frobnicate", "d", "vdb", "1G", NULL },
        { "--timeout", "0", "d", "vdb", "1G", NULL },
        { "--timeout", "abc", "d", "vdb", "1G", NULL },
        { "--timeout", "-5", "d", "vdb", "1G", NULL },
        { "--jobs", "65", "--batch", "f", NULL },
        { "--jobs", NULL },
        { "-c", NULL },
        { "--connect=", "d", "vdb", "1G", NULL },
        { "--batch", "f", "d", "vdb", "1G", NULL },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_auto(VgOptions) o = { 0 };
        g_autoptr(GError) e = NULL;
        const char *argv[8] = { "virt-grow" };
        int argc = 1;
        for (int j = 0; cases[i][j]; j++)
            argv[argc++] = cases[i][j];
        g_assert_false(vg_options_parse(argc, (char **)argv, &o, &e));
        g_assert_error(e, VG_ERROR, VG_ERROR_INVALID);
    }
}

static void test_help_wins(void)
{
    g_auto(VgOptions) o = { 0 };
    g_autoptr(GError) e = NULL;
    g_assert_true(parse(&o, &e, "--bogus-later-ignored", NULL) == FALSE);
    g_clear_error(&e);
    g_assert_true(parse(&o, &e, "--help", "--bogus", NULL));
    g_assert_true(o.help);
    g_assert_nonnull(strstr(vg_usage_text, "Exit status"));
}

static void test_request(void)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(VgRequest) r = vg_request_new(NULL, "web1", "serial:data01", "+1G", &e);
    g_assert_nonnull(r);
    g_assert_true(r->size.relative);

    g_assert_null(vg_request_new(NULL, "", "vdb", "1G", &e));
    g_clear_error(&e);
    g_assert_null(vg_request_new(NULL, "d", "serial:", "1G", &e));
    g_clear_error(&e);
    g_assert_null(vg_request_new(NULL, "d", "vdb", "0", &e));
    g_assert_error(e, VG_ERROR, VG_ERROR_INVALID);
}

static void test_batch(void)
{
    static const char text[] =
        "# comment\n"
        "\n"
        "web1 vdb +10G\n"
        "  {\"domain\": \"web2\", \"disk\": \"serial:d1\", \"size\": 21474836480, "
        "\"uri\": \"qemu+ssh://h2/system\"}  \n"
        "web3\t/images/w3.qcow2\t20G";
    g_autoptr(GError) e = NULL;
    g_autoptr(GPtrArray) reqs = vg_batch_parse(text, strlen(text), &e);
    g_assert_no_error(e);
    g_assert_cmpuint(reqs->len, ==, 3);
    VgRequest *a = reqs->pdata[0], *b = reqs->pdata[1], *c = reqs->pdata[2];
    g_assert_cmpuint(a->line, ==, 3);
    g_assert_cmpstr(a->domain, ==, "web1");
    g_assert_true(a->size.relative);
    g_assert_cmpstr(b->uri, ==, "qemu+ssh://h2/system");
    g_assert_cmpstr(b->disk, ==, "serial:d1");
    g_assert_cmpuint(b->size.bytes, ==, 21474836480ULL);
    g_assert_cmpuint(b->line, ==, 4);
    g_assert_cmpstr(c->disk, ==, "/images/w3.qcow2");
    g_assert_true(vg_batch_check_duplicates(reqs, &e));
}

static void test_batch_bad(void)
{
    static const struct {
        const char *text;
        const char *message_part;
    } cases[] = {
        { "", "no requests" },
        { "# only a comment\n", "no requests" },
        { "web1 vdb\n", "line 1: expected DOMAIN DISK SIZE" },
        { "ok vdb 1G\nweb1 vdb 1G extra\n", "line 2: more than three words" },
        { "{\"domain\": \"d\", \"disk\": \"vdb\"}", "no \"size\"" },
        { "{\"domain\": \"d\", \"disk\": \"vdb\", \"size\": -5}", "negative" },
        { "{\"domain\": \"d\", \"disk\": \"vdb\", \"size\": 1.5}", "not a string" },
        { "{\"domain\": 5, \"disk\": \"vdb\", \"size\": \"1G\"}", "\"domain\" is not a string" },
        { "{\"domain\": \"d\", \"disk\": \"vdb\", \"size\": \"1G\", \"sise\": 1}", "unknown member" },
        { "{\"domain\": \"d\",", "line 1" },
        { "[1, 2]", "line 1" },
        { "d vdb 0\n", "is zero" },
        { "d vdb \xff\xfe\n", "not UTF-8" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) e = NULL;
        g_autoptr(GPtrArray) reqs = vg_batch_parse(cases[i].text, strlen(cases[i].text), &e);
        g_assert_null(reqs);
        g_assert_error(e, VG_ERROR, VG_ERROR_INVALID);
        if (!strstr(e->message, cases[i].message_part))
            g_error("case %" G_GSIZE_FORMAT ": \"%s\" lacks \"%s\"", i, e->message,
                    cases[i].message_part);
    }

    /* a line too long */
    g_autofree char *longline = g_strnfill(5000, 'x');
    g_autoptr(GError) e = NULL;
    g_assert_null(vg_batch_parse(longline, strlen(longline), &e));
    g_assert_nonnull(strstr(e->message, "longer than"));
}

static void test_batch_duplicates(void)
{
    static const char text[] = "a vdb 1G\nb vdb 1G\na vdc 1G\na vdb +1G\n";
    g_autoptr(GError) e = NULL;
    g_autoptr(GPtrArray) reqs = vg_batch_parse(text, strlen(text), &e);
    g_assert_nonnull(reqs);
    g_assert_false(vg_batch_check_duplicates(reqs, &e));
    g_assert_nonnull(strstr(e->message, "lines 1 and 4"));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/options/single", test_single);
    g_test_add_func("/options/batch", test_batch_opts);
    g_test_add_func("/options/bad", test_bad);
    g_test_add_func("/options/help", test_help_wins);
    g_test_add_func("/request/new", test_request);
    g_test_add_func("/batch/good", test_batch);
    g_test_add_func("/batch/bad", test_batch_bad);
    g_test_add_func("/batch/duplicates", test_batch_duplicates);
    return g_test_run();
}
