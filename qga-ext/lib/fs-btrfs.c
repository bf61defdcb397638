/* btrfs: grows only while mounted, one device at a time: find the devid of
 * our partition among the filesystem's devices, then BTRFS_IOC_RESIZE it.
 * A btrfs over several disks is mounted through one of them; the others
 * are found by the filesystem's UUID. */
#include "internal.h"

#include <blkid.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/btrfs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

/* The kernel's BTRFS_IOC_RESIZE refuses a device size below this (EINVAL). */
#define BTRFS_MIN_RESIZE (256ULL << 20)

/* Look up @fs->dev among the devices of the btrfs open as @fd. */
static gboolean dev_lookup(int fd, dev_t want, struct btrfs_ioctl_fs_info_args *info,
                           struct btrfs_ioctl_dev_info_args *out)
{
    for (uint64_t id = 1; id <= info->max_id; id++) {
        struct btrfs_ioctl_dev_info_args dev = { .devid = id };
        struct stat st;
        if (ioctl(fd, BTRFS_IOC_DEV_INFO, &dev) != 0)
            continue;  /* ids of removed devices leave gaps */
        if (stat((const char *)dev.path, &st) == 0 && S_ISBLK(st.st_mode) &&
            st.st_rdev == want) {
            *out = dev;
            return TRUE;
        }
    }
    return FALSE;
}

static gboolean find_device(const QgFsTarget *fs, int fd, struct btrfs_ioctl_dev_info_args *out,
                            uint64_t *sectorsize, GError **error)
{
    struct btrfs_ioctl_fs_info_args info = { 0 };

    if (ioctl(fd, BTRFS_IOC_FS_INFO, &info) != 0)
        return qg_set_errno_error(error, errno, "%s: cannot read btrfs info on %s",
                                  fs->device, fs->mountpoint);
    *sectorsize = info.sectorsize ? info.sectorsize : 4096;
    if (dev_lookup(fd, fs->dev, &info, out))
        return TRUE;
    g_set_error(error, QG_ERROR, QG_ERROR_NOT_FOUND,
                "%s is not among the devices of the btrfs mounted on %s",
                fs->device, fs->mountpoint);
    return FALSE;
}

typedef struct {
    uint8_t fsid[BTRFS_FSID_SIZE];
    dev_t dev;
} MemberOf;

/* Is the btrfs on @mountpoint the one with our fsid, and our device among
 * its devices? */
static gboolean mount_has_member(const char *mountpoint, void *data)
{
    const MemberOf *want = data;
    struct btrfs_ioctl_fs_info_args info = { 0 };
    struct btrfs_ioctl_dev_info_args dev;
    gboolean yes = FALSE;
    int fd = open(mountpoint, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0)
        return FALSE;
    if (ioctl(fd, BTRFS_IOC_FS_INFO, &info) == 0 &&
        memcmp(info.fsid, want->fsid, BTRFS_FSID_SIZE) == 0)
        yes = dev_lookup(fd, want->dev, &info, &dev);
    close(fd);
    return yes;
}

/* The filesystem UUID libblkid reads from @device's btrfs superblock. */
static gboolean device_fsid(const char *device, uint8_t fsid[BTRFS_FSID_SIZE])
{
    blkid_probe pr = blkid_new_probe_from_filename(device);
    const char *uuid = NULL;
    gboolean ok = FALSE;

    if (!pr)
        return FALSE;
    blkid_probe_enable_superblocks(pr, 1);
    blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_UUIDRAW);
    if (blkid_do_safeprobe(pr) == 0) {
        size_t len = 0;
        if (blkid_probe_lookup_value(pr, "UUID_RAW", &uuid, &len) == 0 &&
            len == BTRFS_FSID_SIZE) {
            memcpy(fsid, uuid, BTRFS_FSID_SIZE);
            ok = TRUE;
        }
    }
    blkid_free_probe(pr);
    return ok;
}

gboolean qg_btrfs_find_mount(const char *device, dev_t dev, QgMount *m, GError **error)
{
    MemberOf want = { .dev = dev };
    if (!device_fsid(device, want.fsid))
        return FALSE;
    return qg_mount_find_matching("btrfs", mount_has_member, &want, m, error);
}

static gboolean btrfs_probe(const QgFsTarget *fs, uint64_t *size, uint64_t *block,
                            GError **error)
{
    struct btrfs_ioctl_dev_info_args dev;
    int fd = qg_open_mount(fs->mountpoint, error);
    if (fd < 0)
        return FALSE;
    gboolean ok = find_device(fs, fd, &dev, block, error);
    close(fd);
    if (ok)
        *size = dev.total_bytes;
    return ok;
}

/* The kernel rounds the new size down to the sector size, and refuses one
 * under 256 MiB. */
static gboolean btrfs_reach(const QgFsTarget *fs, uint64_t size, uint64_t block,
                            uint64_t container, uint64_t *bytes, char **limit, GError **error)
{
    (void)fs;
    (void)error;
    *bytes = container / block * block;
    if (*bytes > size && *bytes < BTRFS_MIN_RESIZE) {
        *bytes = size;
        *limit = g_strdup("btrfs sizes a device to 256 MiB or more");
    }
    return TRUE;
}

static gboolean btrfs_grow(const QgFsTarget *fs, uint64_t bytes, uint64_t block,
                           GError **error)
{
    (void)block;  /* btrfs takes bytes */
    struct btrfs_ioctl_dev_info_args dev;
    struct btrfs_ioctl_vol_args args = { 0 };
    uint64_t sectorsize;
    int fd = qg_open_mount(fs->mountpoint, error);
    if (fd < 0)
        return FALSE;
    gboolean ok = find_device(fs, fd, &dev, &sectorsize, error);
    if (ok) {
        snprintf(args.name, sizeof(args.name), "%llu:%llu",
                 (unsigned long long)dev.devid, (unsigned long long)bytes);
        if (ioctl(fd, BTRFS_IOC_RESIZE, &args) != 0)
            ok = qg_set_errno_error(error, errno,
                                    "%s: the kernel refused to grow btrfs device %llu on %s",
                                    fs->device, (unsigned long long)dev.devid,
                                    fs->mountpoint);
    }
    close(fd);
    return ok;
}

static const char *const btrfs_types[] = { "btrfs", NULL };

const QgFsOps qg_fs_btrfs = {
    .types = btrfs_types,
    .grows_unmounted = FALSE,
    .probe = btrfs_probe,
    .reach = btrfs_reach,
    .grow = btrfs_grow,
};
