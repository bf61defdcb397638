/* xfs's secondary superblocks after a power cut (TORTURE.md, "Power cuts").
 *
 * The kernel's growfs commits the new geometry through its log, then
 * rewrites the secondary superblocks (one at the start of each allocation
 * group) outside the log, with no cache flush after them.  A power cut
 * before they reach the disk leaves a filesystem that mounts and holds its
 * data, but whose secondaries all still carry the old geometry:
 * `xfs_repair` then takes their word over the grown primary and would
 * "mend" the primary back.  Nothing in the kernel rewrites them later, and
 * a rerun finds the filesystem already full.
 *
 * So the xfs layer reads them (from the device, past any cache) and, when
 * one disagrees with the mounted geometry, calls XFS_IOC_FSGROWFSDATA with
 * the current size: the kernel rewrites every secondary on each call (Linux
 * 6.1's xfs_growfs_data() calls xfs_update_secondary_sbs() whatever the size;
 * where a kernel would not, the check after it says so).  A flush of the device then makes
 * them durable, after a real grow too. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <xfs/xfs.h>

/* In the on-disk superblock (struct xfs_dsb), big-endian. */
#define SB_MAGIC 0x58465342u  /* "XFSB" */
enum { SB_OFF_MAGIC = 0, SB_OFF_DBLOCKS = 8, SB_OFF_AGBLOCKS = 84, SB_OFF_AGCOUNT = 88 };

static uint32_t be32_at(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64_at(const unsigned char *p)
{
    return (uint64_t)be32_at(p) << 32 | be32_at(p + 4);
}

static gboolean mounted_geometry(const QgFsTarget *fs, struct xfs_fsop_geom *geo,
                                 GError **error)
{
    int fd = qg_open_mount(fs->mountpoint, error);
    if (fd < 0)
        return FALSE;
    memset(geo, 0, sizeof(*geo));
    gboolean ok = ioctl(fd, XFS_IOC_FSGEOMETRY, geo) == 0;
    if (!ok)
        qg_set_errno_error(error, errno, "%s: cannot read the xfs geometry on %s",
                           fs->device, fs->mountpoint);
    close(fd);
    return ok;
}

/* *stale: how many of the secondaries disagree with the geometry the
 * kernel has mounted (a wrong magic number counts too). */
static gboolean count_stale(const QgFsTarget *fs, const struct xfs_fsop_geom *geo,
                            guint *stale, GError **error)
{
    size_t len = MAX(geo->sectsize, 512u);
    unsigned char *buf = NULL;
    gboolean ok = TRUE;

    *stale = 0;
    /* O_DIRECT: the device's page cache may hold what was there before the
     * kernel's xfs (which bypasses it) wrote them */
    int fd = open(fs->device, O_RDONLY | O_DIRECT | O_CLOEXEC);
    if (fd < 0)
        return qg_set_errno_error(error, errno, "cannot open %s", fs->device);
    if (posix_memalign((void **)&buf, 4096, len) != 0) {
        close(fd);
        return qg_set_errno_error(error, ENOMEM, "%s: no memory to read a superblock",
                                  fs->device);
    }
    for (uint32_t ag = 1; ag < geo->agcount && ok; ag++) {
        off_t at = (off_t)ag * geo->agblocks * geo->blocksize;
        ssize_t n = pread(fd, buf, len, at);
        if (n != (ssize_t)len) {
            ok = qg_set_errno_error(error, n < 0 ? errno : EIO,
                                    "%s: cannot read the superblock of allocation group %u",
                                    fs->device, ag);
            break;
        }
        if (be32_at(buf + SB_OFF_MAGIC) != SB_MAGIC ||
            be64_at(buf + SB_OFF_DBLOCKS) != geo->datablocks ||
            be32_at(buf + SB_OFF_AGBLOCKS) != geo->agblocks ||
            be32_at(buf + SB_OFF_AGCOUNT) != geo->agcount)
            (*stale)++;
    }
    free(buf);
    close(fd);
    return ok;
}

gboolean qg_xfs_sb_check(const QgFsTarget *fs, char **note, GError **error)
{
    struct xfs_fsop_geom geo;
    guint stale;

    *note = NULL;
    if (!mounted_geometry(fs, &geo, error) || !count_stale(fs, &geo, &stale, error))
        return FALSE;
    if (stale)
        *note = g_strdup_printf("%s: %u of the %u secondary superblocks of xfs on %s are "
                                "older than its primary (a grow cut short by a crash); "
                                "the grow rewrites them from it",
                                fs->device, stale, geo.agcount - 1, fs->mountpoint);
    return TRUE;
}

/* Flush the device's volatile cache (fsync on a block device does). */
static gboolean flush_device(const QgFsTarget *fs, GError **error)
{
    int fd = open(fs->device, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return qg_set_errno_error(error, errno, "cannot open %s", fs->device);
    gboolean ok = fsync(fd) == 0;
    if (!ok)
        qg_set_errno_error(error, errno, "%s: cannot flush the device's cache", fs->device);
    close(fd);
    return ok;
}

typedef struct {
    const QgFsTarget *fs;
    const struct xfs_fsop_geom *geo;
} Rewrite;

/* The growfs call with the current size: the kernel rewrites every
 * secondary.  It waits for the filesystem like any write (behind fsfreeze),
 * so it runs in a process of its own (qg_bounded_run). */
static gboolean rewrite_call(void *data, GError **error)
{
    const Rewrite *r = data;
    int fd = qg_open_mount(r->fs->mountpoint, error);
    if (fd < 0)
        return FALSE;
    xfs_growfs_data_t in;
    memset(&in, 0, sizeof(in));  /* the padding goes to the kernel too */
    in.newblocks = r->geo->datablocks;
    in.imaxpct = r->geo->imaxpct;
    gboolean ok = ioctl(fd, XFS_IOC_FSGROWFSDATA, &in) == 0;
    if (!ok)
        qg_set_errno_error(error, errno, "%s: the kernel refused to rewrite the "
                           "secondary superblocks of xfs on %s",
                           r->fs->device, r->fs->mountpoint);
    close(fd);
    return ok;
}

gboolean qg_xfs_sb_settle(const QgFsTarget *fs, gboolean grew, const QgFsWait *wait,
                          gboolean *mended, GError **error)
{
    struct xfs_fsop_geom geo;
    guint stale;

    *mended = FALSE;
    if (!mounted_geometry(fs, &geo, error) || !count_stale(fs, &geo, &stale, error))
        return FALSE;
    if (stale) {
        Rewrite r = { fs, &geo };
        g_autofree char *doing = g_strdup_printf(
            "rewriting the secondary superblocks of xfs on %s", fs->mountpoint);
        if (!qg_fs_call_bounded(rewrite_call, &r, fs, wait, NULL, NULL, doing, error) ||
            !count_stale(fs, &geo, &stale, error))
            return FALSE;
        if (stale) {
            g_set_error(error, QG_ERROR, QG_ERROR_FAILED,
                        "%s: %u secondary superblocks of xfs on %s are still older than "
                        "its primary after the kernel rewrote them; check it with "
                        "xfs_repair -n before anything else", fs->device, stale,
                        fs->mountpoint);
            return FALSE;
        }
        *mended = TRUE;
    }
    return (grew || *mended) ? flush_device(fs, error) : TRUE;
}
