/* xfs: grows only while mounted, with XFS_IOC_FSGROWFSDATA.  The kernel
 * leaves out a tail too small for an allocation group (XFS_MIN_AG_BLOCKS);
 * the plan does the same. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <xfs/xfs.h>

static gboolean xfs_geometry(const QgFsTarget *fs, int fd, struct xfs_fsop_geom *geo,
                             GError **error)
{
    if (ioctl(fd, XFS_IOC_FSGEOMETRY, geo) != 0)
        return qg_set_errno_error(error, errno, "%s: cannot read the xfs geometry on %s",
                                  fs->device, fs->mountpoint);
    return TRUE;
}

static gboolean xfs_probe(const QgFsTarget *fs, uint64_t *size, uint64_t *block,
                          GError **error)
{
    struct xfs_fsop_geom geo = { 0 };
    int fd = qg_open_mount(fs->mountpoint, error);
    if (fd < 0)
        return FALSE;
    gboolean ok = xfs_geometry(fs, fd, &geo, error);
    close(fd);
    if (ok) {
        *block = geo.blocksize;
        *size = geo.datablocks * geo.blocksize;
    }
    return ok;
}

static gboolean read_geometry(const QgFsTarget *fs, struct xfs_fsop_geom *geo, GError **error)
{
    int fd = qg_open_mount(fs->mountpoint, error);
    if (fd < 0)
        return FALSE;
    gboolean ok = xfs_geometry(fs, fd, geo, error);
    close(fd);
    return ok;
}

/* What the kernel's growfs makes of @blocks: a last group of fewer than
 * XFS_MIN_AG_BLOCKS is left out, the group count is capped. */
static uint64_t ag_round(const struct xfs_fsop_geom *geo, uint64_t blocks, uint64_t *agcount)
{
    uint64_t n = blocks / geo->agblocks, rest = blocks % geo->agblocks;
    if (rest >= XFS_MIN_AG_BLOCKS)
        n++;
    else
        blocks -= rest;
    if (n > (uint64_t)UINT32_MAX) {  /* XFS_MAX_AGNUMBER + 1 */
        n = UINT32_MAX;
        blocks = n * geo->agblocks;
    }
    *agcount = n;
    return blocks;
}

static gboolean xfs_reach(const QgFsTarget *fs, uint64_t size, uint64_t block,
                          uint64_t container, uint64_t *bytes, char **limit, GError **error)
{
    struct xfs_fsop_geom geo = { 0 };
    uint64_t agcount;
    (void)size;
    (void)block;
    if (!read_geometry(fs, &geo, error))
        return FALSE;
    uint64_t whole = container / geo.blocksize;
    uint64_t blocks = ag_round(&geo, whole, &agcount);
    *bytes = blocks * geo.blocksize;
    if (blocks < whole) {
        g_autofree char *tail = qg_format_bytes((whole - blocks) * geo.blocksize);
        *limit = g_strdup_printf("xfs leaves out a last allocation group of fewer than %u "
                                 "blocks (the last %s)", XFS_MIN_AG_BLOCKS, tail);
    }
    return TRUE;
}

static gboolean xfs_grow(const QgFsTarget *fs, uint64_t bytes, uint64_t block, GError **error)
{
    (void)block;  /* the geometry read below has it too */
    struct xfs_fsop_geom geo = { 0 };
    int fd = qg_open_mount(fs->mountpoint, error);
    if (fd < 0)
        return FALSE;
    gboolean ok = xfs_geometry(fs, fd, &geo, error);
    if (ok) {
        xfs_growfs_data_t in;
        memset(&in, 0, sizeof(in));  /* the padding goes to the kernel too */
        in.newblocks = bytes / geo.blocksize;
        in.imaxpct = geo.imaxpct;
        if (ioctl(fd, XFS_IOC_FSGROWFSDATA, &in) != 0)
            ok = qg_set_errno_error(error, errno, "%s: the kernel refused to grow xfs on %s",
                                    fs->device, fs->mountpoint);
    }
    close(fd);
    return ok;
}

static const char *const xfs_types[] = { "xfs", NULL };

const QgFsOps qg_fs_xfs = {
    .types = xfs_types,
    .grows_unmounted = FALSE,
    .probe = xfs_probe,
    .reach = xfs_reach,
    .grow = xfs_grow,
};
