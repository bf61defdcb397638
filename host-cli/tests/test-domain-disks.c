/* Reading disks from domain XML, choosing one, refusing the unresizable. */
#include "domain-disks.h"
#include "vg-error.h"

#include <string.h>

static GPtrArray *load(void)
{
    g_autofree char *path = g_test_build_filename(G_TEST_DIST, "data", "disks.xml", NULL);
    g_autofree char *xml = NULL;
    g_autoptr(GError) e = NULL;
    g_assert_true(g_file_get_contents(path, &xml, NULL, &e));
    GPtrArray *disks = vg_domain_disks_parse(xml, &e);
    g_assert_no_error(e);
    return disks;
}

static const VgDisk *select_ok(GPtrArray *disks, const char *spec)
{
    g_autoptr(GError) e = NULL;
    const VgDisk *d = vg_disk_select(disks, spec, &e);
    g_assert_no_error(e);
    return d;
}

static void test_parse(void)
{
    g_autoptr(GPtrArray) disks = load();
    g_assert_cmpuint(disks->len, ==, 11);

    const VgDisk *vda = disks->pdata[0];
    g_assert_cmpstr(vda->target, ==, "vda");
    g_assert_cmpstr(vda->bus, ==, "virtio");
    g_assert_cmpstr(vda->format, ==, "qcow2");
    /* the top image, not its backing file */
    g_assert_cmpstr(vda->source, ==, "/images/root.qcow2");
    g_assert_cmpstr(vda->serial, ==, "ROOT-0001");
    g_assert_true(vda->has_pci);
    g_assert_cmpuint(vda->pci.slot, ==, 4);
    g_assert_false(vda->readonly);

    const VgDisk *sda = disks->pdata[3];
    g_assert_cmpstr(sda->device, ==, "cdrom");
    g_assert_true(sda->readonly);
    g_assert_false(sda->has_pci);

    const VgDisk *vdf = disks->pdata[6];
    g_assert_cmpstr(vdf->type, ==, "network");
    g_assert_cmpstr(vdf->protocol, ==, "nbd");
    g_assert_cmpstr(vdf->source, ==, "nbd:export1");

    const VgDisk *vdh = disks->pdata[8];
    g_assert_cmpstr(vdh->source, ==, "default/vol1.qcow2");
}

static void test_select(void)
{
    g_autoptr(GPtrArray) disks = load();
    g_autoptr(GError) e = NULL;

    g_assert_cmpstr(select_ok(disks, "vdb")->target, ==, "vdb");
    g_assert_cmpstr(select_ok(disks, "/images/data.raw")->target, ==, "vdb");
    g_assert_cmpstr(select_ok(disks, "serial:ROOT-0001")->target, ==, "vda");
    g_assert_cmpstr(select_ok(disks, "/dev/vg0/nodata")->target, ==, "vdc");

    /* the backing file is not the disk's source */
    g_assert_null(vg_disk_select(disks, "/images/base.qcow2", &e));
    g_assert_error(e, VG_ERROR, VG_ERROR_NOT_FOUND);
    g_assert_nonnull(strstr(e->message, "its disks: vda (serial ROOT-0001, /images/root.qcow2)"));
    g_clear_error(&e);

    g_assert_null(vg_disk_select(disks, "vdz", &e));
    g_assert_error(e, VG_ERROR, VG_ERROR_NOT_FOUND);
    g_clear_error(&e);

    g_assert_null(vg_disk_select(disks, "serial:nope", &e));
    g_assert_nonnull(strstr(e->message, "no disk with serial nope"));
    g_clear_error(&e);

    /* two disks share a serial: name it by target instead */
    g_assert_null(vg_disk_select(disks, "serial:dup", &e));
    g_assert_error(e, VG_ERROR, VG_ERROR_INVALID);
    g_assert_nonnull(strstr(e->message, "vdh and sdb"));
}

static void test_resizable(void)
{
    static const struct {
        const char *target;
        const char *why;  /* NULL: resizable */
    } cases[] = {
        { "vda", NULL },
        { "vdb", NULL },
        { "vdc", NULL },   /* block: QEMU's block_resize decides (lvextend first) */
        { "sda", "is a cdrom" },
        { "vdd", "read-only" },
        { "vde", "shareable" },
        { "vdf", "cannot grow a \"nbd\" network disk" },
        { "vdg", NULL },   /* rbd can grow */
        { "vdh", NULL },
        { "sdb", NULL },
        { "sdc", "SCSI LUN" },
    };
    g_autoptr(GPtrArray) disks = load();
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) e = NULL;
        const VgDisk *d = select_ok(disks, cases[i].target);
        gboolean ok = vg_disk_check_resizable(d, &e);
        if (!cases[i].why) {
            g_assert_no_error(e);
            g_assert_true(ok);
            continue;
        }
        g_assert_false(ok);
        g_assert_error(e, VG_ERROR, VG_ERROR_REFUSED);
        if (!strstr(e->message, cases[i].why) || !strstr(e->message, cases[i].target))
            g_error("%s: \"%s\" lacks \"%s\"", cases[i].target, e->message, cases[i].why);
    }
}

static void test_bad_xml(void)
{
    static const char *const cases[] = { "", "<domain><devices><disk>", "not xml", "<a></b>" };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) e = NULL;
        g_assert_null(vg_domain_disks_parse(cases[i], &e));
        g_assert_error(e, VG_ERROR, VG_ERROR_INVALID);
    }
    /* a disk without a target is skipped, not a crash */
    g_autoptr(GError) e = NULL;
    g_autoptr(GPtrArray) d = vg_domain_disks_parse(
        "<domain><devices><disk type='file'><source file='/x'/></disk></devices></domain>", &e);
    g_assert_no_error(e);
    g_assert_cmpuint(d->len, ==, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/domain-disks/parse", test_parse);
    g_test_add_func("/domain-disks/select", test_select);
    g_test_add_func("/domain-disks/resizable", test_resizable);
    g_test_add_func("/domain-disks/bad-xml", test_bad_xml);
    return g_test_run();
}
