/* Resolve what the caller named (device, mountpoint or serial) to the whole
 * disk and, where there is one, the partition, through sysfs and udev. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <libudev.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

void qg_target_clear(QgTarget *t)
{
    g_clear_pointer(&t->disk_name, g_free);
    g_clear_pointer(&t->disk_node, g_free);
    g_clear_pointer(&t->part_name, g_free);
    g_clear_pointer(&t->part_node, g_free);
    g_clear_pointer(&t->upper, g_ptr_array_unref);
    g_clear_pointer(&t->md_members, g_ptr_array_unref);
    memset(t, 0, sizeof(*t));
}

static char *sysfs_of_dev(dev_t dev)
{
    return g_strdup_printf("/sys/dev/block/%u:%u", major(dev), minor(dev));
}

gboolean qg_dev_of_name(const char *name, dev_t *dev, GError **error)
{
    g_autofree char *path = g_strdup_printf("/sys/class/block/%s/dev", name);
    g_autofree char *text = qg_sysfs_read_str(path);
    unsigned ma, mi;

    if (!text || sscanf(text, "%u:%u", &ma, &mi) != 2) {
        g_set_error(error, QG_ERROR, QG_ERROR_NOT_FOUND,
                    "block device %s has no device number in sysfs", name);
        return FALSE;
    }
    *dev = makedev(ma, mi);
    return TRUE;
}

gboolean qg_block_size_bytes(const char *name, uint64_t *out, GError **error)
{
    g_autofree char *path = g_strdup_printf("/sys/class/block/%s/size", name);
    uint64_t sectors;
    if (!qg_sysfs_read_u64(path, &sectors, error))
        return FALSE;
    *out = sectors * 512;  /* sysfs counts 512-byte units on every disk */
    return TRUE;
}

/* Fill t from a block device number: whole disk, partition, or a device
 * stacked on one (whose chain down to it goes into t->upper). */
static gboolean target_from_dev(dev_t dev, const char *what, QgTarget *t, GError **error)
{
    g_autofree char *link = sysfs_of_dev(dev);
    g_autofree char *real = realpath(link, NULL);
    g_autofree char *name = NULL, *base = NULL;
    g_autofree char *partfile = NULL;

    if (!real) {
        g_set_error(error, QG_ERROR, QG_ERROR_NOT_FOUND,
                    "%s: block device %u:%u is not in sysfs", what, major(dev), minor(dev));
        return FALSE;
    }
    name = g_path_get_basename(real);
    if (!qg_stack_down(name, &base, &t->upper, &t->md_members, error))
        return FALSE;
    if (t->upper->len) {
        /* the partition or disk the stack rests on */
        g_free(real);
        g_autofree char *cls = g_strdup_printf("/sys/class/block/%s", base);
        if (!(real = realpath(cls, NULL))) {
            g_set_error(error, QG_ERROR, QG_ERROR_NOT_FOUND, "%s: %s is not in sysfs",
                        what, base);
            return FALSE;
        }
        if (!qg_dev_of_name(base, &dev, error))
            return FALSE;
    }
    partfile = g_build_filename(real, "partition", NULL);
    if (access(partfile, F_OK) == 0) {
        g_autofree char *parent = g_path_get_dirname(real);
        uint64_t partno;
        if (!qg_sysfs_read_u64(partfile, &partno, error))
            return FALSE;
        t->part_name = g_path_get_basename(real);
        t->part_node = g_strdup_printf("/dev/%s", t->part_name);
        t->part_dev = dev;
        t->partno = (uint32_t)partno;
        t->disk_name = g_path_get_basename(parent);
        if (!qg_dev_of_name(t->disk_name, &t->disk_dev, error))
            return FALSE;
    } else {
        t->disk_name = g_path_get_basename(real);
        t->disk_dev = dev;
    }
    t->disk_node = g_strdup_printf("/dev/%s", t->disk_name);
    return TRUE;
}

gboolean qg_target_set_partition(QgTarget *t, uint32_t partno, GError **error)
{
    g_autofree char *dir = g_strdup_printf("/sys/class/block/%s", t->disk_name);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;

    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *pf = g_strdup_printf("%s/%s/partition", dir, name);
        uint64_t n;
        if (access(pf, F_OK) != 0 || !qg_sysfs_read_u64(pf, &n, NULL) || n != partno)
            continue;
        g_free(t->part_name);
        g_free(t->part_node);
        t->part_name = g_strdup(name);
        t->part_node = g_strdup_printf("/dev/%s", name);
        t->partno = partno;
        return qg_dev_of_name(name, &t->part_dev, error);
    }
    g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                "%s: the kernel does not know partition %u (table not re-read?); "
                "nothing was changed", t->disk_node, partno);
    return FALSE;
}

static gboolean serial_matches(struct udev *udev, const char *name, const char *serial)
{
    g_autofree char *syspath = g_strdup_printf("/sys/class/block/%s", name);
    struct udev_device *ud = udev ? udev_device_new_from_syspath(udev, syspath) : NULL;
    gboolean hit = FALSE;

    if (ud) {
        const char *keys[] = { "ID_SERIAL_SHORT", "ID_SERIAL", "ID_SCSI_SERIAL" };
        for (size_t i = 0; i < G_N_ELEMENTS(keys) && !hit; i++) {
            const char *v = udev_device_get_property_value(ud, keys[i]);
            hit = v && strcmp(v, serial) == 0;
        }
        udev_device_unref(ud);
    }
    /* Without a udev database (no udevd), sysfs still has the serial for
     * virtio-blk ("serial") and NVMe ("device/serial"). */
    const char *attrs[] = { "serial", "device/serial" };
    for (size_t i = 0; i < G_N_ELEMENTS(attrs) && !hit; i++) {
        g_autofree char *p = g_strdup_printf("%s/%s", syspath, attrs[i]);
        g_autofree char *v = qg_sysfs_read_str(p);
        hit = v && strcmp(v, serial) == 0;
    }
    return hit;
}

static gboolean find_by_serial(const char *serial, QgTarget *t, GError **error)
{
    g_autoptr(GDir) d = g_dir_open("/sys/block", 0, NULL);
    struct udev *udev = udev_new();
    g_autofree char *found = NULL;
    const char *name;
    gboolean ok = FALSE;

    if (!*serial) {
        g_set_error(error, QG_ERROR, QG_ERROR_INVALID, "empty disk serial");
        goto out;
    }
    while (d && (name = g_dir_read_name(d))) {
        if (!serial_matches(udev, name, serial))
            continue;
        if (found) {
            g_set_error(error, QG_ERROR, QG_ERROR_INVALID,
                        "serial %s is ambiguous: both /dev/%s and /dev/%s have it",
                        serial, found, name);
            goto out;
        }
        found = g_strdup(name);
    }
    if (!found) {
        g_set_error(error, QG_ERROR, QG_ERROR_NOT_FOUND,
                    "no disk has serial %s", serial);
        goto out;
    }
    dev_t dev;
    ok = qg_dev_of_name(found, &dev, error) &&
         target_from_dev(dev, serial, t, error);
out:
    if (udev)
        udev_unref(udev);
    return ok;
}

gboolean qg_resolve_target(const QgRequest *req, QgTarget *t, GError **error)
{
    int n = !!req->device + !!req->serial + !!req->mountpoint;
    struct stat st;
    dev_t dev;

    memset(t, 0, sizeof(*t));
    if (n != 1) {
        g_set_error(error, QG_ERROR, QG_ERROR_INVALID,
                    n ? "name only one target: a device, a serial or a mountpoint"
                      : "no target: name a device, a serial or a mountpoint");
        return FALSE;
    }
    if (req->serial)
        return find_by_serial(req->serial, t, error);
    if (req->mountpoint)
        return qg_mount_dev_of(req->mountpoint, &dev, error) &&
               target_from_dev(dev, req->mountpoint, t, error);

    if (stat(req->device, &st) != 0) {
        g_set_error(error, QG_ERROR, QG_ERROR_NOT_FOUND, "%s: %s",
                    req->device, g_strerror(errno));
        return FALSE;
    }
    if (!S_ISBLK(st.st_mode)) {
        g_set_error(error, QG_ERROR, QG_ERROR_INVALID,
                    "%s is not a block device", req->device);
        return FALSE;
    }
    return target_from_dev(st.st_rdev, req->device, t, error);
}

/* The sysfs files whose write makes the kernel read the disk's capacity
 * again: a SCSI device's "rescan"; an NVMe namespace's controller's
 * "rescan_controller" (with native multipath the namespace's device is its
 * subsystem, which links each of its controllers).  Disks that tell the
 * kernel themselves (virtio-blk) have none. */
static GPtrArray *rescan_files(const char *disk_name)
{
    GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *dev = g_strdup_printf("/sys/class/block/%s/device", disk_name);
    g_autofree char *scsi = g_build_filename(dev, "rescan", NULL);
    g_autofree char *nvme = g_build_filename(dev, "rescan_controller", NULL);

    if (access(scsi, W_OK) == 0) {
        g_ptr_array_add(files, g_steal_pointer(&scsi));
    } else if (access(nvme, W_OK) == 0) {
        g_ptr_array_add(files, g_steal_pointer(&nvme));
    } else {
        g_autoptr(GDir) d = g_dir_open(dev, 0, NULL);
        const char *name;
        while (d && (name = g_dir_read_name(d))) {
            g_autofree char *f = g_build_filename(dev, name, "rescan_controller", NULL);
            if (g_str_has_prefix(name, "nvme") && access(f, W_OK) == 0)
                g_ptr_array_add(files, g_steal_pointer(&f));
        }
    }
    return files;
}

gboolean qg_wait_disk_size(const QgTarget *t, uint64_t want, unsigned timeout_ms,
                           GError **error)
{
    g_autoptr(GPtrArray) rescan = rescan_files(t->disk_name);
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    gint64 next_rescan = 0;
    uint64_t now = 0;

    for (;;) {
        gint64 clock = g_get_monotonic_time();
        /* SCSI disks learn of a capacity change only on a rescan, NVMe
         * namespaces on a rescan or an event the device may never send. */
        if (rescan->len && clock >= next_rescan) {
            for (guint i = 0; i < rescan->len; i++) {
                int fd = open(rescan->pdata[i], O_WRONLY | O_CLOEXEC);
                if (fd >= 0) {
                    /* a failed rescan shows up as the timeout below */
                    if (write(fd, "1", 1) < 0) { }
                    close(fd);
                }
            }
            next_rescan = clock + G_USEC_PER_SEC;
        }
        if (!qg_block_size_bytes(t->disk_name, &now, error))
            return FALSE;
        if (now >= want)
            return TRUE;
        if (clock >= deadline)
            break;
        g_usleep(20 * 1000);
    }
    g_set_error(error, QG_ERROR, QG_ERROR_TIMEOUT,
                "%s: the kernel still sees %" G_GUINT64_FORMAT " bytes after %u ms, "
                "expected at least %" G_GUINT64_FORMAT, t->disk_node, now, timeout_ms, want);
    return FALSE;
}

char *qg_target_disk(const QgRequest *req, GError **error)
{
    __attribute__((cleanup(qg_target_clear))) QgTarget t = { 0 };
    if (!qg_resolve_target(req, &t, error))
        return NULL;
    return g_steal_pointer(&t.disk_node);
}
