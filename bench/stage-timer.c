/* qg-stage-timer.so: where a qga-grow run spends its time, measured inside
 * the real binary.  LD_PRELOADed, it wraps the few library calls that do the
 * heavy work (libfdisk, libblkid, libext2fs, fsync, ioctl), adds up their
 * durations (CLOCK_MONOTONIC), and at exit appends to $QG_STAGES_OUT one
 * line a stage:
 *     STAGE CALLS MICROSECONDS
 * "startup" is from $QG_BENCH_START_NS (set by qg-bench-exec just before it
 * forks) to main(): fork, exec, dynamic linking and library constructors;
 * "main" is from main() to exit.  Only the outermost wrapped
 * call is counted, so nested ones (libfdisk's own fsyncs inside
 * fdisk_write_disklabel, libext2fs's) are not counted twice; nested fsyncs
 * show apart as "fsync-nested".  Processes that make none of these calls write
 * nothing.  A benchmark tool, never installed. */
#include <blkid.h>
#include <dlfcn.h>
#include <ext2fs/ext2fs.h>
#include <libfdisk/libfdisk.h>
#include <linux/blkpg.h>
#include <linux/btrfs.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xfs/xfs.h>

enum stage {
    ST_FDISK_ASSIGN, ST_FDISK_WRITE, ST_FDISK_DEASSIGN, ST_BLKID_OPEN, ST_BLKID_PROBE,
    ST_EXT2FS_OPEN, ST_FSYNC, ST_FSYNC_NESTED, ST_BLKPG, ST_FS_RESIZE, ST_IOCTL_OTHER,
    N_STAGES
};
static const char *const stage_name[N_STAGES] = {
    "fdisk_assign_device_by_fd", "fdisk_write_disklabel", "fdisk_deassign_device",
    "blkid_new_probe_from_filename", "blkid_do_safeprobe", "ext2fs_open2", "fsync",
    "fsync-nested", "ioctl-BLKPG", "ioctl-fs-resize", "ioctl-other",
};
static uint64_t total_ns[N_STAGES], calls[N_STAGES], main_ns;
static int depth;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void *real(const char *name)
{
    void *f = dlsym(RTLD_NEXT, name);
    if (!f) {
        fprintf(stderr, "qg-stage-timer: no %s\n", name);
        abort();
    }
    return f;
}

/* r = the real NAME ARGS, timed into STAGE (outermost calls only). */
#define TIMED(stage, name, args)                                        \
    do {                                                                \
        static __typeof__(&name) fn;                                    \
        if (!fn)                                                        \
            fn = (__typeof__(&name))real(#name);                        \
        if (depth++ > 0) {                                              \
            r = fn args;                                                \
        } else {                                                        \
            uint64_t t = now_ns();                                      \
            r = fn args;                                                \
            total_ns[stage] += now_ns() - t;                            \
            calls[stage]++;                                             \
        }                                                               \
        depth--;                                                        \
    } while (0)

int fdisk_assign_device_by_fd(struct fdisk_context *cxt, int fd, const char *fname,
                              int readonly)
{
    int r;
    TIMED(ST_FDISK_ASSIGN, fdisk_assign_device_by_fd, (cxt, fd, fname, readonly));
    return r;
}

int fdisk_write_disklabel(struct fdisk_context *cxt)
{
    int r;
    TIMED(ST_FDISK_WRITE, fdisk_write_disklabel, (cxt));
    return r;
}

int fdisk_deassign_device(struct fdisk_context *cxt, int nosync)
{
    int r;
    TIMED(ST_FDISK_DEASSIGN, fdisk_deassign_device, (cxt, nosync));
    return r;
}

blkid_probe blkid_new_probe_from_filename(const char *filename)
{
    blkid_probe r;
    TIMED(ST_BLKID_OPEN, blkid_new_probe_from_filename, (filename));
    return r;
}

int blkid_do_safeprobe(blkid_probe pr)
{
    int r;
    TIMED(ST_BLKID_PROBE, blkid_do_safeprobe, (pr));
    return r;
}

errcode_t ext2fs_open2(const char *name, const char *io_options, int flags, int superblock,
                       unsigned int block_size, io_manager manager, ext2_filsys *ret_fs)
{
    errcode_t r;
    TIMED(ST_EXT2FS_OPEN, ext2fs_open2,
          (name, io_options, flags, superblock, block_size, manager, ret_fs));
    return r;
}

int fsync(int fd)
{
    static int (*fn)(int);
    if (!fn)
        fn = (int (*)(int))real("fsync");
    /* Nested ones (libfdisk's, libext2fs's) are shown apart: they are
     * already part of the library call around them. */
    enum stage s = depth > 0 ? ST_FSYNC_NESTED : ST_FSYNC;
    uint64_t t = now_ns();
    int r = fn(fd);
    total_ns[s] += now_ns() - t;
    calls[s]++;
    return r;
}

static enum stage ioctl_stage(unsigned long req)
{
    switch (req) {
    case BLKPG:
        return ST_BLKPG;
    case EXT4_IOC_RESIZE_FS:
    case XFS_IOC_FSGROWFSDATA:
    case BTRFS_IOC_RESIZE:
        return ST_FS_RESIZE;
    default:
        return ST_IOCTL_OTHER;
    }
}

int ioctl(int fd, unsigned long req, ...)
{
    static int (*fn)(int, unsigned long, void *);
    va_list ap;
    va_start(ap, req);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    if (!fn)
        fn = (int (*)(int, unsigned long, void *))real("ioctl");
    if (depth > 0)
        return fn(fd, req, arg);
    uint64_t t = now_ns();
    int r = fn(fd, req, arg);
    total_ns[ioctl_stage(req)] += now_ns() - t;
    calls[ioctl_stage(req)]++;
    return r;
}

/* main() starts after the dynamic linker and every library constructor. */
typedef int (*main_fn)(int, char **, char **);
static main_fn real_main;

static int timed_main(int argc, char **argv, char **envp)
{
    main_ns = now_ns();
    return real_main(argc, argv, envp);
}

int __libc_start_main(main_fn main, int argc, char **argv, void (*init)(void),
                      void (*fini)(void), void (*rtld_fini)(void), void *stack_end)
{
    int (*fn)(main_fn, int, char **, void (*)(void), void (*)(void), void (*)(void), void *) =
        (int (*)(main_fn, int, char **, void (*)(void), void (*)(void), void (*)(void),
                 void *))real("__libc_start_main");
    real_main = main;
    return fn(timed_main, argc, argv, init, fini, rtld_fini, stack_end);
}

__attribute__((destructor)) static void report(void)
{
    uint64_t end = now_ns();
    const char *path = getenv("QG_STAGES_OUT");
    const char *t0 = getenv("QG_BENCH_START_NS");
    uint64_t any = 0;
    for (int s = 0; s < N_STAGES; s++)
        any += calls[s];
    /* Not a grower (e.g. qg-bench-exec itself, which passes LD_PRELOAD on). */
    if (!any || !path)
        return;
    FILE *f = fopen(path, "a");
    if (!f)
        return;
    if (t0)
        fprintf(f, "startup 1 %.1f\n", (double)(main_ns - strtoull(t0, NULL, 10)) / 1e3);
    fprintf(f, "main 1 %.1f\n", (double)(end - main_ns) / 1e3);
    for (int s = 0; s < N_STAGES; s++)
        fprintf(f, "%s %llu %.1f\n", stage_name[s], (unsigned long long)calls[s],
                (double)total_ns[s] / 1e3);
    fclose(f);
}
