/* qg-stage-timer.so: where a qga-grow run spends its time, measured inside
 * the real binary.  LD_PRELOADed, it wraps the few library calls that do the
 * heavy work (libfdisk, libblkid, libext2fs, libcryptsetup, fsync, ioctl),
 * the tools the library runs (g_spawn_sync: "run lvm pvs", "run mdadm"),
 * the commands it sends its LVM shell (lvm-shell.c: the wait for each
 * answer, "lvm-shell pvs"; the first includes the shell's start) and the
 * child processes it forks (fork itself, and the wait for a child's answer,
 * numbered in the order they come: for a grow, 1 is the freeze probe, 2
 * the filesystem's grow; the LVM shell's start is "spawn"), adds up their durations (CLOCK_MONOTONIC), and at
 * exit appends to $QG_STAGES_OUT one line a stage:
 *     STAGE CALLS MICROSECONDS
 * (spaces in STAGE written as '~').
 * "startup" is from $QG_BENCH_START_NS (set by qg-bench-exec just before it
 * forks) to main(): fork, exec, dynamic linking and library constructors;
 * "main" is from main() to exit.  Only the outermost wrapped
 * call is counted, so nested ones (libfdisk's own fsyncs inside
 * fdisk_write_disklabel, libext2fs's) are not counted twice; nested fsyncs
 * show apart as "fsync-nested".  Processes that make none of these calls write
 * nothing.  A benchmark tool, never installed. */
#include <blkid.h>
#include <dlfcn.h>
#include <glib.h>
#include <libcryptsetup.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
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
    ST_CRYPT_INIT, ST_CRYPT_TOKEN, ST_CRYPT_KEYFILE, ST_CRYPT_RESIZE, ST_FORK,
    N_FIXED
};
#define MAX_STAGES 64
static const char *stage_name[MAX_STAGES] = {
    "fdisk_assign_device_by_fd", "fdisk_write_disklabel", "fdisk_deassign_device",
    "blkid_new_probe_from_filename", "blkid_do_safeprobe", "ext2fs_open2", "fsync",
    "fsync-nested", "ioctl-BLKPG", "ioctl-fs-resize", "ioctl-other",
    "crypt_init_by_name", "crypt_activate_by_token (unlock)",
    "crypt_activate_by_keyfile (unlock)", "crypt_resize", "fork (parent)",
};
static uint64_t total_ns[MAX_STAGES], calls[MAX_STAGES], main_ns;
static int n_stages = N_FIXED;
static int depth;

/* The stage named @name, added when new (names of tools, commands). */
static int named_stage(const char *name)
{
    for (int s = 0; s < n_stages; s++)
        if (!strcmp(stage_name[s], name))
            return s;
    if (n_stages == MAX_STAGES)
        return ST_IOCTL_OTHER;
    stage_name[n_stages] = strdup(name);
    return n_stages++;
}

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

int crypt_init_by_name(struct crypt_device **cd, const char *name)
{
    int r;
    TIMED(ST_CRYPT_INIT, crypt_init_by_name, (cd, name));
    return r;
}

int crypt_activate_by_token(struct crypt_device *cd, const char *name, int token,
                            void *usrptr, uint32_t flags)
{
    int r;
    TIMED(ST_CRYPT_TOKEN, crypt_activate_by_token, (cd, name, token, usrptr, flags));
    return r;
}

int crypt_activate_by_keyfile_device_offset(struct crypt_device *cd, const char *name,
                                            int keyslot, const char *keyfile,
                                            size_t keyfile_size, uint64_t keyfile_offset,
                                            uint32_t flags)
{
    int r;
    TIMED(ST_CRYPT_KEYFILE, crypt_activate_by_keyfile_device_offset,
          (cd, name, keyslot, keyfile, keyfile_size, keyfile_offset, flags));
    return r;
}

int crypt_resize(struct crypt_device *cd, const char *name, uint64_t new_size)
{
    int r;
    TIMED(ST_CRYPT_RESIZE, crypt_resize, (cd, name, new_size));
    return r;
}

static int child_waits;  /* the forks so far: the child waited for */

pid_t fork(void)
{
    static pid_t (*fn)(void);
    if (!fn)
        fn = (pid_t (*)(void))real("fork");
    uint64_t t = now_ns();
    pid_t r = fn();
    if (r > 0 && depth == 0) {  /* the parent's side, not a tool's spawn */
        total_ns[ST_FORK] += now_ns() - t;
        calls[ST_FORK]++;
        child_waits++;
    }
    return r;
}

/* The LVM shell's start (lvm-shell.c): its fork is not a child we wait for. */
gboolean g_spawn_async_with_pipes_and_fds(const gchar *dir, const gchar *const *argv,
                                          const gchar *const *envp, GSpawnFlags flags,
                                          GSpawnChildSetupFunc setup, gpointer data,
                                          gint stdin_fd, gint stdout_fd, gint stderr_fd,
                                          const gint *source_fds, const gint *target_fds,
                                          gsize n_fds, GPid *pid, gint *stdin_out,
                                          gint *stdout_out, gint *stderr_out, GError **error)
{
    gboolean r;
    int s = named_stage("spawn (LVM shell)");
    TIMED(s, g_spawn_async_with_pipes_and_fds,
          (dir, argv, envp, flags, setup, data, stdin_fd, stdout_fd, stderr_fd, source_fds,
           target_fds, n_fds, pid, stdin_out, stdout_out, stderr_out, error));
    return r;
}

/* A tool the library runs: "run lvm pvs", "run mdadm --grow". */
gboolean g_spawn_sync(const gchar *dir, gchar **argv, gchar **envp, GSpawnFlags flags,
                      GSpawnChildSetupFunc setup, gpointer data, gchar **out, gchar **err,
                      gint *status, GError **error)
{
    gboolean r;
    char name[128];
    const char *base = strrchr(argv[0], '/');
    snprintf(name, sizeof(name), "run %s%s%s", base ? base + 1 : argv[0], argv[1] ? " " : "",
             argv[1] ? argv[1] : "");
    int s = named_stage(name);
    TIMED(s, g_spawn_sync, (dir, argv, envp, flags, setup, data, out, err, status, error));
    return r;
}

/* lvm-shell.c sends each command with send() and waits for its answer in
 * poll() on three descriptors; bounded.c waits for its child in poll() on
 * one. */
static char shell_cmd[64];
static int shell_first = 1, shell_pending;

ssize_t send(int fd, const void *buf, size_t len, int flags)
{
    static ssize_t (*fn)(int, const void *, size_t, int);
    if (!fn)
        fn = (ssize_t (*)(int, const void *, size_t, int))real("send");
    const char *b = buf, *end = b + len;
    size_t n = 0;
    if (b < end && (*b == '"' || *b == '\''))
        b++;
    while (b + n < end && n < sizeof(shell_cmd) - 1 && b[n] != '"' && b[n] != '\'' &&
           b[n] != ' ' && b[n] != '\n')
        n++;
    if (shell_cmd[0])
        shell_first = 0;
    memcpy(shell_cmd, b, n);
    shell_cmd[n] = 0;
    shell_pending = 1;
    return fn(fd, buf, len, flags);
}

int poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
    static int (*fn)(struct pollfd *, nfds_t, int);
    if (!fn)
        fn = (int (*)(struct pollfd *, nfds_t, int))real("poll");
    uint64_t t = now_ns();
    int r = fn(fds, nfds, timeout);
    char name[128];
    if (depth > 0)  /* a tool's own wait, inside g_spawn_sync */
        return r;
    if (nfds == 3 && shell_cmd[0])
        snprintf(name, sizeof(name), "lvm-shell %s%s", shell_cmd,
                 shell_first ? " (with the shell's start)" : "");
    else if (nfds == 1 && child_waits)
        snprintf(name, sizeof(name), "child-wait %d", child_waits);
    else
        return r;
    int s = named_stage(name);
    total_ns[s] += now_ns() - t;
    if (nfds == 3 && shell_pending) {  /* one answer may take several polls */
        calls[s]++;
        shell_pending = 0;
    } else if (nfds == 1 && !calls[s]) {
        calls[s]++;
    }
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
    for (int s = 0; s < n_stages; s++)
        if (s != ST_FORK)  /* qg-bench-exec forks the contender, nothing more */
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
    for (int s = 0; s < n_stages; s++) {
        char name[128];
        snprintf(name, sizeof(name), "%s", stage_name[s]);
        for (char *c = name; *c; c++)
            if (*c == ' ')
                *c = '~';
        fprintf(f, "%s %llu %.1f\n", name, (unsigned long long)calls[s],
                (double)total_ns[s] / 1e3);
    }
    fclose(f);
}
