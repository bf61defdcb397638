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

/* --key-file, --lv, --lvm: checked, kept for every request. */
static void test_guest_opts(void)
{
    g_auto(VgOptions) o = { 0 };
    g_autoptr(GError) e = NULL;

    g_assert_true(parse(&o, &e, "--key-file", "/etc/luks/data.key", "--lv=vg0/srv", "web1",
                        "vdb", "+10G", NULL));
    g_assert_no_error(e);
    g_assert_cmpstr(o.guest.key_file, ==, "/etc/luks/data.key");
    g_assert_cmpstr(o.guest.lv, ==, "vg0/srv");
    g_assert_cmpint(o.guest.lvm, ==, VG_LVM_UNSET);
    vg_options_clear(&o);

    g_assert_true(parse(&o, &e, "--lvm", "pv", "d", "vdb", "1G", NULL));
    g_assert_cmpint(o.guest.lvm, ==, VG_LVM_PV);
    g_assert_null(o.guest.lv);
    g_assert_null(o.guest.key_file);
    vg_options_clear(&o);
    g_assert_true(parse(&o, &e, "--lvm=lv", "--lv", "VG_1.x+/lv-2_a.b", "d", "vdb", "1G", NULL));
    g_assert_cmpint(o.guest.lvm, ==, VG_LVM_LV);
    g_assert_cmpstr(o.guest.lv, ==, "VG_1.x+/lv-2_a.b");
    vg_options_clear(&o);
    g_assert_true(parse(&o, &e, "--lvm", "auto", "--batch", "-", NULL));
    g_assert_cmpint(o.guest.lvm, ==, VG_LVM_AUTO);
    g_assert_cmpstr(vg_lvm_mode_name(o.guest.lvm), ==, "auto");
    g_assert_null(vg_lvm_mode_name(VG_LVM_UNSET));
    vg_options_clear(&o);

    /* the longest names LVM allows */
    g_autofree char *n127 = g_strnfill(127, 'a');
    g_autofree char *lv = g_strdup_printf("%s/%s", n127, n127);
    g_assert_true(parse(&o, &e, "--lv", lv, "d", "vdb", "1G", NULL));
    g_assert_no_error(e);
}

/* Each refused with a message holding the option and why, escaped. */
static void test_guest_opts_bad(void)
{
    g_autofree char *n128 = g_strnfill(128, 'a');
    g_autofree char *lv128 = g_strdup_printf("vg/%s", n128);
    g_autofree char *path4096 = g_strnfill(4096, 'k');
    static const char *const cases[][3] = {
        /* option, value, part of the message */
        { "--key-file", "etc/luks.key", "not an absolute path" },
        { "--key-file", "./luks.key", "not an absolute path" },
        { "--key-file", "/etc/luks\n.key", "holds control characters" },
        { "--key-file", "/etc/\xc2\x9bluks.key", "holds control characters" },
        { "--key-file", "/etc/luks/", "names a directory" },
        { "--key-file", "/etc/\xff.key", "not UTF-8" },
        { "--lv", "vg0", "not VG/LV" },
        { "--lv", "vg0/srv/x", "not VG/LV" },
        { "--lv", "/srv", "both names not empty" },
        { "--lv", "vg0/", "both names not empty" },
        { "--lv", "-vg/srv", "cannot start with '-'" },
        { "--lv", "vg/-srv", "cannot start with '-'" },
        { "--lv", "./srv", "cannot be" },
        { "--lv", "vg/..", "cannot be" },
        { "--lv", "vg 0/srv", "only a-z A-Z 0-9" },
        { "--lv", "vg0/sr$v", "only a-z A-Z 0-9" },
        { "--lv", "vg0/s\u00e9rv", "only a-z A-Z 0-9" },
        { "--lvm", "PV", "not pv, lv or auto" },
        { "--lvm", "both", "not pv, lv or auto" },
    };
    path4096[0] = '/';
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_auto(VgOptions) o = { 0 };
        g_autoptr(GError) e = NULL;
        g_assert_false(parse(&o, &e, cases[i][0], cases[i][1], "d", "vdb", "1G", NULL));
        g_assert_error(e, VG_ERROR, VG_ERROR_INVALID);
        if (!strstr(e->message, cases[i][0]) || !strstr(e->message, cases[i][2]))
            g_error("%s %s: \"%s\" lacks \"%s\"", cases[i][0], cases[i][1], e->message,
                    cases[i][2]);
        g_assert_null(strchr(e->message, '\n'));  /* escaped for the terminal */
    }
    static const char *const more[][3] = {
        { "--lv", NULL, "longer than LVM's 127" },
        { "--key-file", NULL, "longer than a path" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(more); i++) {
        g_auto(VgOptions) o = { 0 };
        g_autoptr(GError) e = NULL;
        g_assert_false(parse(&o, &e, more[i][0], i ? path4096 : lv128, "d", "vdb", "1G", NULL));
        g_assert_nonnull(strstr(e->message, more[i][2]));
    }

    /* no value, an empty value, and lv with lvm pv */
    g_auto(VgOptions) o = { 0 };
    g_autoptr(GError) e = NULL;
    g_assert_false(parse(&o, &e, "d", "vdb", "1G", "--key-file", NULL));
    g_assert_nonnull(strstr(e->message, "--key-file needs a value"));
    g_clear_error(&e);
    g_assert_false(parse(&o, &e, "--lv=", "d", "vdb", "1G", NULL));
    g_assert_nonnull(strstr(e->message, "needs a value"));
    g_clear_error(&e);
    g_assert_false(parse(&o, &e, "--lv", "vg0/srv", "--lvm", "pv", "d", "vdb", "1G", NULL));
    g_assert_nonnull(strstr(e->message, "--lv vg0/srv and --lvm pv contradict"));
}

/* --move-swap: a flag, kept for every request; no value. */
static void test_move_swap_opt(void)
{
    g_auto(VgOptions) o = { 0 };
    g_autoptr(GError) e = NULL;

    g_assert_true(parse(&o, &e, "d", "vdb", "+1G", NULL));
    g_assert_false(o.guest.move_swap);
    g_assert_false(o.guest.move_swap_set);
    vg_options_clear(&o);

    g_assert_true(parse(&o, &e, "--move-swap", "web1", "vda", "+10G", NULL));
    g_assert_no_error(e);
    g_assert_true(o.guest.move_swap);
    g_assert_true(o.guest.move_swap_set);
    g_assert_cmpstr(o.domain, ==, "web1");
    g_assert_cmpstr(o.size, ==, "+10G");
    vg_options_clear(&o);

    /* anywhere, with the other guest options, and twice is once */
    g_assert_true(parse(&o, &e, "d", "vda", "1G", "--lvm", "pv", "--move-swap", "--key-file",
                        "/k", "--move-swap", NULL));
    g_assert_true(o.guest.move_swap);
    g_assert_cmpint(o.guest.lvm, ==, VG_LVM_PV);
    g_assert_cmpstr(o.guest.key_file, ==, "/k");
    vg_options_clear(&o);
    g_assert_true(parse(&o, &e, "--batch", "-", "--move-swap", NULL));
    g_assert_true(o.guest.move_swap);
    vg_options_clear(&o);

    /* after "--" it is a word, not the option */
    g_assert_false(parse(&o, &e, "--", "--move-swap", "d", "vda", "1G", NULL));
    g_assert_nonnull(strstr(e->message, "unexpected argument"));
    g_clear_error(&e);
    vg_options_clear(&o);
    /* a flag: no value, and no other spelling */
    static const char *const bad[] = { "--move-swap=true", "--move-swap=", "--moveswap",
                                       "--move_swap", "--no-move-swap" };
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_assert_false(parse(&o, &e, bad[i], "d", "vda", "1G", NULL));
        g_assert_error(e, VG_ERROR, VG_ERROR_INVALID);
        g_autofree char *want = g_strdup_printf("unknown option \"%s\"", bad[i]);
        g_assert_cmpstr(e->message, ==, want);
        g_clear_error(&e);
        vg_options_clear(&o);
    }
    g_assert_nonnull(strstr(vg_usage_text, "      --move-swap "));
    g_assert_nonnull(strstr(vg_usage_text, "lvm,\n                      move-swap, "));
}

/* --lock-timeout SEC (0 to a day) and --force: kept for every request; not
 * given, neither is set (the guest's defaults hold). */
static void test_lock_timeout_force_opts(void)
{
    g_auto(VgOptions) o = { 0 };
    g_autoptr(GError) e = NULL;

    g_assert_true(parse(&o, &e, "d", "vdb", "+1G", NULL));
    g_assert_false(o.guest.lock_timeout_set || o.guest.force || o.guest.force_set);
    vg_options_clear(&o);

    g_assert_true(parse(&o, &e, "--lock-timeout", "0", "--force", "d", "vdb", "+1G", NULL));
    g_assert_no_error(e);
    g_assert_true(o.guest.lock_timeout_set);
    g_assert_cmpuint(o.guest.lock_timeout_s, ==, 0);
    g_assert_true(o.guest.force && o.guest.force_set);
    vg_options_clear(&o);

    g_assert_true(parse(&o, &e, "d", "vdb", "+1G", "--lock-timeout=86400", NULL));
    g_assert_cmpuint(o.guest.lock_timeout_s, ==, 86400);
    vg_options_clear(&o);
    g_assert_true(parse(&o, &e, "--batch", "-", "--lock-timeout", "30", "--force", NULL));
    g_assert_cmpuint(o.guest.lock_timeout_s, ==, 30);
    g_assert_true(o.guest.force);
    vg_options_clear(&o);

    static const struct {
        const char *arg, *value, *message;
    } bad[] = {
        { "--lock-timeout", "86401", "--lock-timeout needs a whole number from 0 to 86400" },
        { "--lock-timeout", "-1", "--lock-timeout needs a whole number from 0 to 86400" },
        { "--lock-timeout", "10s", "--lock-timeout needs a whole number" },
        { "--lock-timeout", "1.5", "--lock-timeout needs a whole number" },
        { "--lock-timeout", "", "--lock-timeout needs a whole number" },
        { "--force=yes", NULL, "unknown option \"--force=yes\"" },
        { "--no-force", NULL, "unknown option \"--no-force\"" },
        { "--lock_timeout", "5", "unknown option \"--lock_timeout\"" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        if (bad[i].value)
            g_assert_false(parse(&o, &e, bad[i].arg, bad[i].value, "d", "vda", "1G", NULL));
        else
            g_assert_false(parse(&o, &e, bad[i].arg, "d", "vda", "1G", NULL));
        g_assert_error(e, VG_ERROR, VG_ERROR_INVALID);
        if (!strstr(e->message, bad[i].message))
            g_error("%s %s: \"%s\" lacks \"%s\"", bad[i].arg, bad[i].value, e->message,
                    bad[i].message);
        g_clear_error(&e);
        vg_options_clear(&o);
    }
    g_assert_false(parse(&o, &e, "d", "vda", "1G", "--lock-timeout", NULL));
    g_assert_nonnull(strstr(e->message, "--lock-timeout needs"));
    g_clear_error(&e);
    g_assert_nonnull(strstr(vg_usage_text, "      --lock-timeout SEC\n"));
    g_assert_nonnull(strstr(vg_usage_text, "      --force "));
    g_assert_nonnull(strstr(vg_usage_text, "move-swap, lock-timeout, force\n"));
}

/* --no-preflight: off by default, on when given, takes no value */
static void test_no_preflight_opt(void)
{
    g_auto(VgOptions) o = { 0 };
    g_autoptr(GError) e = NULL;
    g_assert_true(parse(&o, &e, "d", "vdb", "+1G", NULL));
    g_assert_false(o.no_preflight);
    vg_options_clear(&o);
    g_assert_true(parse(&o, &e, "--no-preflight", "d", "vdb", "+1G", NULL));
    g_assert_true(o.no_preflight);
    g_assert_cmpstr(o.size, ==, "+1G");
    vg_options_clear(&o);
    g_assert_false(parse(&o, &e, "--no-preflight=yes", "d", "vdb", "+1G", NULL));
    g_assert_error(e, VG_ERROR, VG_ERROR_INVALID);
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

/* key-file, lv and lvm per batch line, the command line's for the rest. */
static void test_batch_guest(void)
{
    static const char text[] =
        "web1 vdb +10G\n"
        "{\"domain\": \"web2\", \"disk\": \"vdb\", \"size\": \"+1G\", \"key-file\": \"/k2\","
        " \"lv\": \"vg2/data\"}\n"
        "{\"domain\": \"web3\", \"disk\": \"vdb\", \"size\": \"+1G\", \"lvm\": \"auto\"}\n"
        "{\"domain\": \"web4\", \"disk\": \"vdb\", \"size\": \"+1G\", \"lvm\": \"lv\"}\n";
    g_autoptr(GError) e = NULL;
    g_autoptr(GPtrArray) reqs = vg_batch_parse(text, strlen(text), &e);
    g_assert_no_error(e);
    g_assert_cmpuint(reqs->len, ==, 4);
    VgRequest *a = reqs->pdata[0], *b = reqs->pdata[1], *c = reqs->pdata[2], *d = reqs->pdata[3];
    g_assert_null(a->guest.key_file);
    g_assert_cmpstr(b->guest.key_file, ==, "/k2");
    g_assert_cmpstr(b->guest.lv, ==, "vg2/data");
    g_assert_cmpint(b->guest.lvm, ==, VG_LVM_UNSET);
    g_assert_cmpint(c->guest.lvm, ==, VG_LVM_AUTO);

    /* the command line's --key-file --lvm pv, for what a line leaves out */
    VgGuestOpts cli = { .key_file = (char *)"/k1", .lvm = VG_LVM_PV };
    for (guint i = 0; i < reqs->len; i++)
        vg_request_inherit(reqs->pdata[i], &cli);
    g_assert_cmpstr(a->guest.key_file, ==, "/k1");
    g_assert_cmpint(a->guest.lvm, ==, VG_LVM_PV);
    g_assert_null(a->guest.lv);
    g_assert_cmpstr(b->guest.key_file, ==, "/k2");
    /* a line's own lv or lvm replaces both: never lv with pv */
    g_assert_cmpstr(b->guest.lv, ==, "vg2/data");
    g_assert_cmpint(b->guest.lvm, ==, VG_LVM_UNSET);
    g_assert_cmpint(c->guest.lvm, ==, VG_LVM_AUTO);
    g_assert_cmpint(d->guest.lvm, ==, VG_LVM_LV);
    g_assert_cmpstr(d->guest.key_file, ==, "/k1");
    /* the defaults are copied, not shared */
    g_assert_true(a->guest.key_file != cli.key_file);
}

/* "move-swap" per batch line: true or false holds for that line, the
 * command line's --move-swap for lines without one. */
static void test_batch_move_swap(void)
{
    static const char text[] =
        "web1 vda +10G\n"
        "{\"domain\": \"web2\", \"disk\": \"vda\", \"size\": \"+1G\", \"move-swap\": true}\n"
        "{\"domain\": \"web3\", \"disk\": \"vda\", \"size\": \"+1G\", \"move-swap\": false}\n"
        "{\"domain\": \"web4\", \"disk\": \"vda\", \"size\": \"+1G\", \"lvm\": \"pv\"}\n";
    g_autoptr(GError) e = NULL;
    g_autoptr(GPtrArray) reqs = vg_batch_parse(text, strlen(text), &e);
    g_assert_no_error(e);
    g_assert_cmpuint(reqs->len, ==, 4);
    VgRequest *a = reqs->pdata[0], *b = reqs->pdata[1], *c = reqs->pdata[2], *d = reqs->pdata[3];
    g_assert_false(a->guest.move_swap || a->guest.move_swap_set);
    g_assert_true(b->guest.move_swap && b->guest.move_swap_set);
    g_assert_false(c->guest.move_swap);
    g_assert_true(c->guest.move_swap_set);
    g_assert_false(d->guest.move_swap || d->guest.move_swap_set);

    /* without --move-swap on the command line: as the lines say */
    VgGuestOpts none = { 0 };
    for (guint i = 0; i < reqs->len; i++)
        vg_request_inherit(reqs->pdata[i], &none);
    g_assert_false(a->guest.move_swap);
    g_assert_true(b->guest.move_swap);
    g_assert_false(c->guest.move_swap);
    g_assert_false(d->guest.move_swap);

    /* with it: for the lines without "move-swap"; "move-swap": false stays */
    VgGuestOpts cli = { .move_swap = TRUE, .move_swap_set = TRUE };
    for (guint i = 0; i < reqs->len; i++)
        vg_request_inherit(reqs->pdata[i], &cli);
    g_assert_true(a->guest.move_swap);
    g_assert_true(b->guest.move_swap);
    g_assert_false(c->guest.move_swap);
    g_assert_true(d->guest.move_swap);
    g_assert_cmpint(d->guest.lvm, ==, VG_LVM_PV);  /* the rest untouched */
}

/* "lock-timeout" and "force" per batch line: the line's own, else the
 * command line's. */
static void test_batch_lock_timeout_force(void)
{
    static const char text[] =
        "web1 vda +10G\n"
        "{\"domain\": \"web2\", \"disk\": \"vda\", \"size\": \"+1G\", \"lock-timeout\": 0}\n"
        "{\"domain\": \"web3\", \"disk\": \"vda\", \"size\": \"+1G\", \"force\": false}\n"
        "{\"domain\": \"web4\", \"disk\": \"vda\", \"size\": \"+1G\", \"force\": true,"
        " \"lock-timeout\": 600}\n";
    g_autoptr(GError) e = NULL;
    g_autoptr(GPtrArray) reqs = vg_batch_parse(text, strlen(text), &e);
    g_assert_no_error(e);
    VgRequest *a = reqs->pdata[0], *b = reqs->pdata[1], *c = reqs->pdata[2], *d = reqs->pdata[3];
    g_assert_false(a->guest.lock_timeout_set || a->guest.force_set);
    g_assert_true(b->guest.lock_timeout_set);
    g_assert_cmpuint(b->guest.lock_timeout_s, ==, 0);
    g_assert_true(c->guest.force_set && !c->guest.force);
    g_assert_true(d->guest.force && d->guest.lock_timeout_s == 600);

    VgGuestOpts cli = { .lock_timeout_s = 5, .lock_timeout_set = TRUE, .force = TRUE,
                        .force_set = TRUE };
    for (guint i = 0; i < reqs->len; i++)
        vg_request_inherit(reqs->pdata[i], &cli);
    g_assert_true(a->guest.force && a->guest.lock_timeout_s == 5 && a->guest.lock_timeout_set);
    g_assert_true(b->guest.force && b->guest.lock_timeout_s == 0);   /* its own 0 stays */
    g_assert_false(c->guest.force);                                  /* its own false stays */
    g_assert_cmpuint(c->guest.lock_timeout_s, ==, 5);
    g_assert_cmpuint(d->guest.lock_timeout_s, ==, 600);
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
        { "{\"domain\": \"d\", \"disk\": \"vdb\", \"size\": \"1G\", \"key-file\": \"k\"}",
          "line 1: \"key-file\" \"k\": not an absolute path" },
        { "{\"domain\": \"d\", \"disk\": \"vdb\", \"size\": \"1G\", \"key-file\": \"/k\\u001b\"}",
          "\"key-file\" \"/k\\033\": holds control characters" },
        { "{\"domain\": \"d\", \"disk\": \"vdb\", \"size\": \"1G\", \"key-file\": 5}",
          "\"key-file\" is not a string" },
        { "{\"domain\": \"d\", \"disk\": \"vdb\", \"size\": \"1G\", \"lv\": \"srv\"}",
          "\"lv\" \"srv\": not VG/LV" },
        { "{\"domain\": \"d\", \"disk\": \"vdb\", \"size\": \"1G\", \"lvm\": \"pvs\"}",
          "\"lvm\" \"pvs\": not pv, lv or auto" },
        { "{\"domain\": \"d\", \"disk\": \"vdb\", \"size\": \"1G\", \"lvm\": \"pv\","
          " \"lv\": \"a/b\"}", "\"lv\" a/b and \"lvm\" pv contradict" },
        { "{\"domain\": \"d\", \"disk\": \"vdb\", \"size\": \"1G\", \"key_file\": \"/k\"}",
          "unknown member \"key_file\"" },
        { "{\"domain\": \"d\", \"disk\": \"vdb\", \"size\": \"1G\", \"move-swap\": \"true\"}",
          "line 1: \"move-swap\" is not true or false" },
        { "{\"domain\": \"d\", \"disk\": \"vdb\", \"size\": \"1G\", \"move-swap\": 1}",
          "\"move-swap\" is not true or false" },
        { "{\"domain\": \"d\", \"disk\": \"vdb\", \"size\": \"1G\", \"move-swap\": null}",
          "\"move-swap\" is not true or false" },
        { "{\"domain\": \"d\", \"disk\": \"vdb\", \"size\": \"1G\", \"move-swap\": [true]}",
          "\"move-swap\" is not true or false" },
        { "{\"domain\": \"d\", \"disk\": \"vdb\", \"size\": \"1G\", \"move_swap\": true}",
          "unknown member \"move_swap\" (known: domain, disk, size, uri, key-file, lv, lvm, "
          "move-swap, lock-timeout, force)" },
        { "{\"domain\": \"d\", \"disk\": \"vdb\", \"size\": \"1G\", \"lock-timeout\": -1}",
          "\"lock-timeout\" is not a whole number of seconds from 0 to 86400" },
        { "{\"domain\": \"d\", \"disk\": \"vdb\", \"size\": \"1G\", \"lock-timeout\": 86401}",
          "\"lock-timeout\" is not a whole number" },
        { "{\"domain\": \"d\", \"disk\": \"vdb\", \"size\": \"1G\", \"lock-timeout\": \"5\"}",
          "\"lock-timeout\" is not a whole number" },
        { "{\"domain\": \"d\", \"disk\": \"vdb\", \"size\": \"1G\", \"lock-timeout\": 2.5}",
          "\"lock-timeout\" is not a whole number" },
        { "{\"domain\": \"d\", \"disk\": \"vdb\", \"size\": \"1G\", \"force\": \"yes\"}",
          "\"force\" is not true or false" },
        { "{\"domain\": \"d\", \"disk\": \"vdb\", \"size\": \"1G\", \"lock_timeout\": 1}",
          "unknown member \"lock_timeout\"" },
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
    g_test_add_func("/options/guest", test_guest_opts);
    g_test_add_func("/options/guest-bad", test_guest_opts_bad);
    g_test_add_func("/options/move-swap", test_move_swap_opt);
    g_test_add_func("/options/lock-timeout-force", test_lock_timeout_force_opts);
    g_test_add_func("/options/bad", test_bad);
    g_test_add_func("/options/no-preflight", test_no_preflight_opt);
    g_test_add_func("/options/help", test_help_wins);
    g_test_add_func("/request/new", test_request);
    g_test_add_func("/batch/good", test_batch);
    g_test_add_func("/batch/guest", test_batch_guest);
    g_test_add_func("/batch/move-swap", test_batch_move_swap);
    g_test_add_func("/batch/lock-timeout-force", test_batch_lock_timeout_force);
    g_test_add_func("/batch/bad", test_batch_bad);
    g_test_add_func("/batch/duplicates", test_batch_duplicates);
    return g_test_run();
}
