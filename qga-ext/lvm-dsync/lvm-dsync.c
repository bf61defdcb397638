/* Preloaded into the "lvm" commands qga-grow runs (lvm-tool.c): every block
 * device LVM opens for writing is opened O_DSYNC as well.
 *
 * Why: LVM (2.03) commits a metadata change by writing the new metadata text
 * into its circular area, then the area's header that points at it, each
 * with O_DIRECT and no cache flush between them.  On a disk with a volatile
 * write cache, a power cut can keep the header and lose the text; the VG
 * then no longer activates ("Checksum error ... VG not found") until a
 * human restores its metadata (found by the power-cut tests, TORTURE.md).
 * With O_DSYNC each direct write is on stable storage (FUA, or a write and
 * a flush) before LVM issues the next, so the header never gets ahead of
 * its text.  A few metadata sectors per command: no cost worth naming. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE  /* RTLD_NEXT, O_TMPFILE */
#endif
/* open and open64 are both defined here, under their own names: the
 * project's _FILE_OFFSET_BITS=64 would turn open into open64 */
#undef _FILE_OFFSET_BITS
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/types.h>

typedef int (*OpenFn)(const char *, int, ...);

static int with_dsync(const char *path, int flags)
{
    struct stat st;
    if ((flags & O_ACCMODE) == O_RDONLY || (flags & O_DSYNC) == O_DSYNC)
        return flags;
    if (stat(path, &st) == 0 && S_ISBLK(st.st_mode))
        flags |= O_DSYNC;
    return flags;
}

static int call_next(const char *sym, const char *path, int flags, va_list ap)
{
    static OpenFn next_open, next_open64;
    OpenFn *next = sym[4] ? &next_open64 : &next_open;
    mode_t mode = 0;
    if (!*next)
        *next = (OpenFn)dlsym(RTLD_NEXT, sym);
    if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE)
        mode = va_arg(ap, mode_t);
    return (*next)(path, with_dsync(path, flags), mode);
}

int open(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    int fd = call_next("open", path, flags, ap);
    va_end(ap);
    return fd;
}

int open64(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    int fd = call_next("open64", path, flags, ap);
    va_end(ap);
    return fd;
}
