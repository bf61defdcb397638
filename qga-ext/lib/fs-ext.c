/* ext2/3/4: sizes from the superblock via libext2fs; online growth with the
 * kernel's EXT4_IOC_RESIZE_FS, offline growth with e2fsck + resize2fs. */
#include "internal.h"

#include <errno.h>
#include <ext2fs/ext2fs.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

static gboolean ext_probe(const QgFsTarget *fs, uint64_t *size, uint64_t *block,
                          GError **error)
{
    ext2_filsys e2;
    /* Buffered reads of the device share the page cache with the mounted
     * filesystem's metadata, so a mounted filesystem's superblock reads
     * current.  Only the superblock is needed. */
    errcode_t r = ext2fs_open2(fs->device, NULL,
                               EXT2_FLAG_64BITS | EXT2_FLAG_SUPER_ONLY | EXT2_FLAG_SKIP_MMP,
                               0, 0, unix_io_manager, &e2);
    if (r) {
        g_set_error(error, QG_ERROR, QG_ERROR_FAILED, "%s: cannot read the %s superblock: %s",
                    fs->device, fs->type, error_message(r));
        return FALSE;
    }
    *block = EXT2_BLOCK_SIZE(e2->super);
    *size = ext2fs_blocks_count(e2->super) * *block;
    ext2fs_close_free(&e2);
    return TRUE;
}

static gboolean ext_grow_online(const QgFsTarget *fs, uint64_t blocks, GError **error)
{
    int fd = qg_open_mount(fs->mountpoint, error);
    if (fd < 0)
        return FALSE;
    __u64 count = blocks;
    int r = ioctl(fd, EXT4_IOC_RESIZE_FS, &count);
    int err = errno;
    close(fd);
    if (r != 0)
        return qg_set_errno_error(error, err, "%s: the kernel refused to grow %s on %s",
                                  fs->device, fs->type, fs->mountpoint);
    return TRUE;
}

static gboolean ext_grow_offline(const QgFsTarget *fs, GError **error)
{
    /* resize2fs wants a freshly checked filesystem; preen mode fixes only
     * what is safe to fix unattended and fails on anything else. */
    const char *const fsck[] = { "e2fsck", "-f", "-p", fs->device, NULL };
    const char *const resize[] = { "resize2fs", fs->device, NULL };
    static const int fsck_ok[] = { 0, 1, -1 }, resize_ok[] = { 0, -1 };
    return qg_run_tool(fsck, fsck_ok, error) && qg_run_tool(resize, resize_ok, error);
}

static gboolean ext_grow(const QgFsTarget *fs, uint64_t bytes, uint64_t block,
                         GError **error)
{
    if (fs->mountpoint)
        return ext_grow_online(fs, bytes / block, error);
    return ext_grow_offline(fs, error);
}

static const char *const ext_types[] = { "ext2", "ext3", "ext4", NULL };

const QgFsOps qg_fs_ext = {
    .types = ext_types,
    .grows_unmounted = TRUE,
    .probe = ext_probe,
    .grow = ext_grow,
};
