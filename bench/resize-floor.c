/* qg-resize-floor: the kernel floor of an online filesystem grow.  It does
 * nothing but the filesystem's own resize ioctl on a mounted filesystem whose
 * partition was already grown, so that its run time is what any grower must
 * pay at the least.  It prints how long the open and the ioctls took
 * in-process (CLOCK_MONOTONIC), to compare with qg-lib-grow's qg_grow():
 *     inproc-ns NANOSECONDS
 *   qg-resize-floor ext4|xfs|btrfs MOUNTPOINT NEW-SIZE-BYTES
 * btrfs grows device 1 (the only device of the benchmark's filesystems).
 * A benchmark tool, never installed. */
#include <errno.h>
#include <ext2fs/ext2_fs.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/btrfs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>
#include <xfs/xfs.h>

static int fail(const char *what, const char *mnt)
{
    fprintf(stderr, "qg-resize-floor: %s on %s: %s\n", what, mnt, strerror(errno));
    return 1;
}

static int grow_ext4(int fd, const char *mnt, uint64_t bytes)
{
    struct statfs st;
    if (fstatfs(fd, &st) != 0)
        return fail("statfs", mnt);
    __u64 blocks = bytes / (uint64_t)st.f_bsize;  /* ext4's f_bsize is its block size */
    if (ioctl(fd, EXT4_IOC_RESIZE_FS, &blocks) != 0)
        return fail("EXT4_IOC_RESIZE_FS", mnt);
    return 0;
}

static int grow_xfs(int fd, const char *mnt, uint64_t bytes)
{
    struct xfs_fsop_geom geo;
    xfs_growfs_data_t in;
    memset(&geo, 0, sizeof(geo));
    if (ioctl(fd, XFS_IOC_FSGEOMETRY, &geo) != 0)
        return fail("XFS_IOC_FSGEOMETRY", mnt);
    memset(&in, 0, sizeof(in));
    in.newblocks = bytes / geo.blocksize;
    in.imaxpct = geo.imaxpct;  /* the kernel would change it otherwise */
    if (ioctl(fd, XFS_IOC_FSGROWFSDATA, &in) != 0)
        return fail("XFS_IOC_FSGROWFSDATA", mnt);
    return 0;
}

static int grow_btrfs(int fd, const char *mnt, uint64_t bytes)
{
    struct btrfs_ioctl_vol_args args;
    memset(&args, 0, sizeof(args));
    snprintf(args.name, sizeof(args.name), "1:%" PRIu64, bytes);
    if (ioctl(fd, BTRFS_IOC_RESIZE, &args) != 0)
        return fail("BTRFS_IOC_RESIZE", mnt);
    return 0;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int grow(const char *type, const char *mnt, uint64_t bytes)
{
    int fd = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return fail("open", mnt);
    if (strcmp(type, "ext4") == 0)
        return grow_ext4(fd, mnt, bytes);
    if (strcmp(type, "xfs") == 0)
        return grow_xfs(fd, mnt, bytes);
    return grow_btrfs(fd, mnt, bytes);
}

int main(int argc, char **argv)
{
    char *end;
    if (argc != 4) {
        fprintf(stderr, "usage: qg-resize-floor ext4|xfs|btrfs MOUNTPOINT NEW-SIZE-BYTES\n");
        return 2;
    }
    errno = 0;
    uint64_t bytes = strtoull(argv[3], &end, 10);
    if (errno || end == argv[3] || *end || bytes == 0) {
        fprintf(stderr, "qg-resize-floor: bad size \"%s\" (bytes)\n", argv[3]);
        return 2;
    }
    if (strcmp(argv[1], "ext4") != 0 && strcmp(argv[1], "xfs") != 0 &&
        strcmp(argv[1], "btrfs") != 0) {
        fprintf(stderr, "qg-resize-floor: unknown filesystem type \"%s\"\n", argv[1]);
        return 2;
    }
    uint64_t start = now_ns();
    int rc = grow(argv[1], argv[2], bytes);
    uint64_t elapsed = now_ns() - start;
    if (rc == 0)
        printf("inproc-ns %" PRIu64 "\n", elapsed);
    return rc;
}
