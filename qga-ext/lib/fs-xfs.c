/* xfs: grows only while mounted, with XFS_IOC_FSGROWFSDATA.  The kernel may
 * leave out a tail too small for an allocation group; then nothing changes. */
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
    .grow = xfs_grow,
    .check = qg_xfs_sb_check,    /* fs-xfs-sb.c */
    .settle = qg_xfs_sb_settle,
};
