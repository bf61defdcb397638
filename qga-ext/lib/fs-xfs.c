/* xfs: grows only while mounted, with XFS_IOC_FSGROWFSDATA.  The kernel
 * leaves out a tail too small for an allocation group (XFS_MIN_AG_BLOCKS);
 * the plan does the same.  Growing far past the size it was made for
 * multiplies small allocation groups: the guard warns, and refuses without
 * --force past a hard count (qga-grow(8) says why these figures). */
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

/* Allocation-group counts: a warning above QG_XFS_AG_WARN, a refusal
 * without force above QG_XFS_AG_REFUSE, either raised to the count
 * mkfs.xfs itself would give the grown size (one 1 TiB group per TiB).
 * mkfs.xfs makes 4 groups on one disk, at most 32 on striped storage, below
 * 4 TiB (32 TiB striped). */
#define QG_XFS_AG_WARN 64
#define QG_XFS_AG_REFUSE 1024

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

/* The group count mkfs.xfs would give a filesystem of @bytes: at most one
 * per TiB (its largest group) once past a few. */
static uint64_t mkfs_agcount(uint64_t bytes)
{
    return (bytes + XFS_MAX_AG_BYTES - 1) / XFS_MAX_AG_BYTES;
}

static gboolean xfs_guard(const QgFsTarget *fs, uint64_t size, uint64_t bytes, gboolean force,
                          GPtrArray *warnings, GError **error)
{
    struct xfs_fsop_geom geo = { 0 };
    uint64_t agcount;
    (void)size;
    if (!read_geometry(fs, &geo, error))
        return FALSE;
    ag_round(&geo, bytes / geo.blocksize, &agcount);
    if (agcount <= geo.agcount)
        return TRUE;
    uint64_t warn = MAX(QG_XFS_AG_WARN, mkfs_agcount(bytes));
    uint64_t hard = MAX(QG_XFS_AG_REFUSE, mkfs_agcount(bytes));
    g_autofree char *ag = qg_format_bytes((uint64_t)geo.agblocks * geo.blocksize);
    if (agcount > hard && !force) {
        g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                    "growing the xfs on %s would take it from %u to %" G_GUINT64_FORMAT
                    " allocation groups of %s, past the limit of %" G_GUINT64_FORMAT
                    " (many small groups make xfs slow; a new filesystem of that size would "
                    "have far fewer); --force grows it anyway, nothing was changed",
                    fs->mountpoint, geo.agcount, agcount, ag, hard);
        return FALSE;
    }
    if (agcount > warn)
        g_ptr_array_add(warnings, g_strdup_printf(
            "the xfs on %s grows from %u to %" G_GUINT64_FORMAT " allocation groups of %s, "
            "more than %" G_GUINT64_FORMAT "%s (many small groups make xfs slow; a new "
            "filesystem of that size would have far fewer)",
            fs->mountpoint, geo.agcount, agcount, ag, agcount > hard ? hard : warn,
            agcount > hard ? ", the limit --force lifts" : ""));
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
    .guard = xfs_guard,
    .grow = xfs_grow,
    .check = qg_xfs_sb_check,    /* fs-xfs-sb.c */
    .settle = qg_xfs_sb_settle,
};
