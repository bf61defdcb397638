/* Matching the host's disk to the guest's: serial, PCI address, name. */
#include "guest-match.h"
#include "vg-error.h"

#include <string.h>

static VgGuestDiskAddr *addr(const char *dev, const char *serial, const char *bus_type, int slot)
{
    VgGuestDiskAddr *a = g_new0(VgGuestDiskAddr, 1);
    a->dev = g_strdup(dev);
    a->serial = g_strdup(serial);
    a->bus_type = g_strdup(bus_type);
    if (slot >= 0) {
        a->has_pci = TRUE;
        a->pci.slot = (guint)slot;
    }
    return a;
}

static GPtrArray *guest_disks(void)
{
    GPtrArray *d = g_ptr_array_new_with_free_func((GDestroyNotify)vg_guest_disk_free);
    static const struct {
        const char *name, *serial, *bus;
        int slot;
        gboolean partition;
    } rows[] = {
        /* host vda is guest vda; host vdb (no serial) is guest vdc; the
         * guest's vdb is host vdc: names crossed */
        { "/dev/vda", "ROOT-0001", "virtio", 4, FALSE },
        { "/dev/vda1", "ROOT-0001", "virtio", 4, TRUE },
        { "/dev/vdb", "OTHER", "virtio", 6, FALSE },
        { "/dev/vdc", NULL, "virtio", 5, FALSE },
        { "/dev/sda", "0QEMU_QEMU_HARDDISK_scsi-data", "scsi", 7, FALSE },
        { "/dev/vdd", "a-serial-longer-than", "virtio", 8, FALSE },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
        VgGuestDisk *g = g_new0(VgGuestDisk, 1);
        g->name = g_strdup(rows[i].name);
        g->partition = rows[i].partition;
        g->addr = addr(rows[i].name, rows[i].serial, rows[i].bus, rows[i].slot);
        g_ptr_array_add(d, g);
    }
    return d;
}

static VgDisk host(const char *target, const char *bus, const char *serial, int slot)
{
    VgDisk d = { .target = (char *)target, .bus = (char *)bus, .serial = (char *)serial };
    if (slot >= 0) {
        d.has_pci = TRUE;
        d.pci.slot = (guint)slot;
    }
    return d;
}

static void expect(const VgDisk *h, GPtrArray *disks, GPtrArray *fsinfo, const char *dev,
                   VgMatch how, const char *serial)
{
    g_autoptr(GError) e = NULL;
    g_autofree char *s = NULL;
    VgMatch m;
    g_autofree char *got = vg_guest_disk_find(h, disks, fsinfo, &m, &s, &e);
    g_assert_no_error(e);
    g_assert_cmpstr(got, ==, dev);
    g_assert_cmpstr(vg_match_name(m), ==, vg_match_name(how));
    g_assert_cmpstr(s, ==, serial);
}

static void test_match(void)
{
    g_autoptr(GPtrArray) d = guest_disks();

    VgDisk vda = host("vda", "virtio", "ROOT-0001", 4);
    expect(&vda, d, NULL, "/dev/vda", VG_MATCH_SERIAL, "ROOT-0001");  /* not its partition */

    VgDisk vdb = host("vdb", "virtio", NULL, 5);  /* no serial: by PCI, not by name */
    expect(&vdb, d, NULL, "/dev/vdc", VG_MATCH_PCI, NULL);

    VgDisk longs = host("vde", "virtio", "a-serial-longer-than-twenty-bytes", -1);
    expect(&longs, d, NULL, "/dev/vdd", VG_MATCH_SERIAL, "a-serial-longer-than");
    g_autofree char *visible = vg_guest_visible_serial(&longs);
    g_assert_cmpstr(visible, ==, "a-serial-longer-than");

    VgDisk scsi = host("sdb", "scsi", "scsi-data", -1);
    expect(&scsi, d, NULL, "/dev/sda", VG_MATCH_SERIAL, "0QEMU_QEMU_HARDDISK_scsi-data");

    /* neither serial nor PCI address: by name, the last resort */
    VgDisk byname = host("vdb", "virtio", NULL, -1);
    expect(&byname, d, NULL, "/dev/vdb", VG_MATCH_NAME, "OTHER");
}

/* What qemu-ga 7.2 answered in the e2e guest (data/qemu-ga-7.2/): its
 * fsinfo names partitions ("dev": "/dev/vdc1"), its disks list whole disks. */
static GPtrArray *real_reply(const char *name, GPtrArray *(*parse)(const char *, gsize, GError **))
{
    g_autofree char *path = g_test_build_filename(G_TEST_DIST, "data", "qemu-ga-7.2", name, NULL);
    g_autofree char *text = NULL;
    gsize len;
    g_autoptr(GError) e = NULL;
    g_assert_true(g_file_get_contents(path, &text, &len, &e));
    GPtrArray *r = parse(text, len, &e);
    g_assert_no_error(e);
    return r;
}

static void test_real_agent(void)
{
    g_autoptr(GPtrArray) disks = real_reply("guest-get-disks.json", vg_reply_get_disks);
    g_autoptr(GPtrArray) fsinfo = real_reply("guest-get-fsinfo.json", vg_reply_get_fsinfo);

    /* host targets and PCI slots of e2e-libvirt.sh's domain */
    VgDisk ext4 = host("vdb", "virtio", "vg-ext4", 9);
    expect(&ext4, disks, fsinfo, "/dev/vdc", VG_MATCH_SERIAL, "vg-ext4");
    VgDisk noserial = host("vdc", "virtio", NULL, 8);
    expect(&noserial, disks, fsinfo, "/dev/vdb", VG_MATCH_PCI, NULL);
    VgDisk xfs = host("sda", "scsi", "vg-xfs", -1);
    expect(&xfs, disks, fsinfo, "/dev/sda", VG_MATCH_SERIAL, "0QEMU_QEMU_HARDDISK_vg-xfs");
    VgDisk root = host("vda", "virtio", "qg-root", 10);
    expect(&root, disks, fsinfo, "/dev/vdd", VG_MATCH_SERIAL, "qg-root");

    /* an agent without guest-get-disks: fsinfo's partition devices */
    expect(&ext4, NULL, fsinfo, "/dev/vdc1", VG_MATCH_SERIAL, "vg-ext4");
    expect(&root, NULL, fsinfo, "/dev/vdd2", VG_MATCH_SERIAL, "qg-root");
}

/* guest-get-fsinfo's view: one mounted filesystem on each of @devs, all
 * with the serial @serial. */
static GPtrArray *fsinfo_on(const char *const *devs, gsize n, const char *serial)
{
    GPtrArray *fsinfo = g_ptr_array_new_with_free_func((GDestroyNotify)vg_guest_fs_free);
    for (gsize i = 0; i < n; i++) {
        VgGuestFs *fs = g_new0(VgGuestFs, 1);
        fs->name = g_strdup(devs[i] + 5);
        fs->mountpoint = g_strdup_printf("/mnt/%zu", i);
        fs->type = g_strdup("ext4");
        fs->disks = g_ptr_array_new_with_free_func((GDestroyNotify)vg_guest_disk_addr_free);
        g_ptr_array_add(fs->disks, addr(devs[i], serial, "nvme", -1));
        g_ptr_array_add(fsinfo, fs);
    }
    return fsinfo;
}

static void test_fsinfo_partitions(void)
{
    /* two mounted partitions of one disk are one match, the disk's */
    static const char *const nvme_parts[] = { "/dev/nvme0n1p2", "/dev/nvme0n1p1" };
    g_autoptr(GPtrArray) fsinfo = fsinfo_on(nvme_parts, 2, "NVME1");
    VgDisk h = host("vda", "virtio", "NVME1", -1);
    expect(&h, NULL, fsinfo, "/dev/nvme0n1p2", VG_MATCH_SERIAL, "NVME1");
    static const char *const vd_parts[] = { "/dev/vdc1", "/dev/vdc2" };
    g_autoptr(GPtrArray) vd = fsinfo_on(vd_parts, 2, "V1");
    VgDisk hv = host("vdb", "virtio", "V1", -1);
    expect(&hv, NULL, vd, "/dev/vdc1", VG_MATCH_SERIAL, "V1");

    /* but two whole disks named alike (two namespaces of one controller,
     * one serial; two loop disks) are two disks: ambiguous */
    static const char *const twos[][2] = { { "/dev/nvme0n1", "/dev/nvme0n2" },
                                           { "/dev/loop0", "/dev/loop1" },
                                           { "/dev/vdc1", "/dev/vdd1" } };
    for (gsize i = 0; i < G_N_ELEMENTS(twos); i++) {
        g_autoptr(GPtrArray) two = fsinfo_on(twos[i], 2, "SAME");
        VgDisk hs = host("vdb", "virtio", "SAME", -1);
        g_autoptr(GError) e = NULL;
        g_autofree char *s = NULL;
        VgMatch m;
        g_assert_null(vg_guest_disk_find(&hs, NULL, two, &m, &s, &e));
        g_assert_error(e, VG_ERROR, VG_ERROR_INVALID);
    }

    g_assert_true(vg_dev_is_partition_of("/dev/vdc1", "/dev/vdc"));
    g_assert_true(vg_dev_is_partition_of("/dev/nvme0n1p12", "/dev/nvme0n1"));
    g_assert_false(vg_dev_is_partition_of("/dev/vdc", "/dev/vdc"));
    g_assert_false(vg_dev_is_partition_of("/dev/vdcd", "/dev/vdc"));
    g_assert_false(vg_dev_is_partition_of("/dev/nvme0n12", "/dev/nvme0n1"));
    g_assert_false(vg_dev_is_partition_of("/dev/vdc1", "/dev/vd"));
}

static void test_no_match(void)
{
    g_autoptr(GPtrArray) d = guest_disks();
    g_autoptr(GError) e = NULL;
    g_autofree char *s = NULL;
    VgMatch m;

    VgDisk none = host("vdq", "virtio", "MISSING", 30);
    g_assert_null(vg_guest_disk_find(&none, d, NULL, &m, &s, &e));
    g_assert_error(e, VG_ERROR, VG_ERROR_NOT_FOUND);
    g_assert_cmpint(m, ==, VG_MATCH_NONE);
    g_clear_error(&e);

    /* a non-virtio bus's PCI address is its controller's: never matched */
    VgDisk sata = host("sdq", "sata", NULL, 7);
    g_assert_null(vg_guest_disk_find(&sata, d, NULL, &m, &s, &e));
    g_clear_error(&e);

    /* two guest disks claim one serial */
    g_autoptr(GPtrArray) twice = guest_disks();
    VgGuestDisk *dup = g_new0(VgGuestDisk, 1);
    dup->name = g_strdup("/dev/vdz");
    dup->addr = addr("/dev/vdz", "ROOT-0001", "virtio", 9);
    g_ptr_array_add(twice, dup);
    VgDisk vda = host("vda", "virtio", "ROOT-0001", 4);
    g_assert_null(vg_guest_disk_find(&vda, twice, NULL, &m, &s, &e));
    g_assert_error(e, VG_ERROR, VG_ERROR_INVALID);
    g_assert_nonnull(strstr(e->message, "/dev/vda and /dev/vdz"));
}

/* A serial is the serial, or what udev makes of it on the disk's bus, never
 * any name that merely ends in "_SERIAL": a host disk "data" is not the
 * guest's "backup_data". */
static void test_serial_exact(void)
{
    g_autoptr(GPtrArray) d = g_ptr_array_new_with_free_func((GDestroyNotify)vg_guest_disk_free);
    static const struct {
        const char *name, *serial, *bus;
    } rows[] = {
        { "/dev/vdb", "backup_data", "virtio" },
        { "/dev/sda", "0QEMU_QEMU_HARDDISK_backup_data", "scsi" },
        { "/dev/sdb", "0QEMU_QEMU_HARDDISK_data", "scsi" },
        { "/dev/sdc", "QEMU_HARDDISK_ata_1", "sata" },
        { "/dev/sdd", "0QEMU_QEMU_HARDDISK_two_words", "scsi" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
        VgGuestDisk *g = g_new0(VgGuestDisk, 1);
        g->name = g_strdup(rows[i].name);
        g->addr = addr(rows[i].name, rows[i].serial, rows[i].bus, -1);
        g_ptr_array_add(d, g);
    }
    VgDisk scsi = host("sdb", "scsi", "data", -1);
    expect(&scsi, d, NULL, "/dev/sdb", VG_MATCH_SERIAL, "0QEMU_QEMU_HARDDISK_data");
    VgDisk sata = host("sdc", "sata", "ata_1", -1);
    expect(&sata, d, NULL, "/dev/sdc", VG_MATCH_SERIAL, "QEMU_HARDDISK_ata_1");
    /* udev's ID_SERIAL turns the blank into "_" */
    VgDisk blank = host("sdd", "scsi", "two words", -1);
    expect(&blank, d, NULL, "/dev/sdd", VG_MATCH_SERIAL, "0QEMU_QEMU_HARDDISK_two_words");

    /* ends in "_data", is not "data": no match at all */
    g_autoptr(GError) e = NULL;
    g_autofree char *s = NULL;
    VgMatch m;
    VgDisk virtio = host("vdq", "virtio", "data", -1);
    g_assert_null(vg_guest_disk_find(&virtio, d, NULL, &m, &s, &e));
    g_assert_error(e, VG_ERROR, VG_ERROR_NOT_FOUND);
    g_clear_error(&e);
    VgDisk words = host("sdq", "scsi", "words", -1);
    g_assert_null(vg_guest_disk_find(&words, d, NULL, &m, &s, &e));
    g_assert_error(e, VG_ERROR, VG_ERROR_NOT_FOUND);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/guest-match/match", test_match);
    g_test_add_func("/guest-match/real-agent", test_real_agent);
    g_test_add_func("/guest-match/fsinfo-partitions", test_fsinfo_partitions);
    g_test_add_func("/guest-match/no-match", test_no_match);
    g_test_add_func("/guest-match/serial-exact", test_serial_exact);
    return g_test_run();
}
