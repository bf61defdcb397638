/* The disk as it will be once the host has enlarged it, for a dry run that
 * answers the host's question before the resize (QgRequest.assume_size):
 * an anonymous file of the new size holding nothing but what a plan of
 * the table reads (qg_table_ranges: the table's own sectors, and the head
 * and tail of each partition, where a probe for a swap area looks), copied
 * to where they are on the disk now.  libfdisk then reads exactly what it
 * will read on the enlarged disk (the GPT backup header still at the old
 * end, the EBRs where they are), and the plan is made by the same code as
 * a real run's. */
#include "internal.h"

#include <errno.h>
#include <libfdisk/libfdisk.h>
#include <sys/mman.h>
#include <unistd.h>

#define COPY_CHUNK (1024 * 1024)

static gboolean copy_range(int from, int to, uint64_t offset, uint64_t len, const char *node,
                           GError **error)
{
    g_autofree char *buf = g_malloc(MIN(len, COPY_CHUNK));

    while (len) {
        size_t want = (size_t)MIN(len, COPY_CHUNK);
        ssize_t r = pread(from, buf, want, (off_t)offset);
        if (r != (ssize_t)want)
            return qg_set_errno_error(error, r < 0 ? errno : EIO,
                                      "%s: cannot read its partition table at byte %ju", node,
                                      (uintmax_t)offset);
        if (pwrite(to, buf, want, (off_t)offset) != (ssize_t)want)
            return qg_set_errno_error(error, errno, "cannot copy the partition table of %s",
                                      node);
        offset += want;
        len -= want;
    }
    return TRUE;
}

gboolean qg_table_assumed_copy(int fd, const char *node, uint64_t bytes, int *out,
                               unsigned *sector_size, GError **error)
{
    g_autoptr(GArray) ranges = g_array_new(FALSE, FALSE, sizeof(uint64_t));
    struct fdisk_context *cxt = qg_table_open(fd, node, TRUE, error);
    uint64_t ss;
    int copy = -1;

    *out = -1;
    if (!cxt)
        return FALSE;
    ss = fdisk_get_sector_size(cxt);
    *sector_size = (unsigned)ss;
    gboolean has_table = fdisk_has_label(cxt);
    gboolean ok = !has_table || qg_table_ranges(cxt, node, ranges, error);
    fdisk_deassign_device(cxt, 1);
    fdisk_unref_context(cxt);
    if (!ok || !has_table)
        return ok;  /* no table: no copy */

    copy = memfd_create("qga-grow-assumed-disk", MFD_CLOEXEC);
    if (copy < 0)
        return qg_set_errno_error(error, errno, "cannot make a copy of %s's table", node);
    if (ftruncate(copy, (off_t)bytes) != 0) {
        qg_set_errno_error(error, errno, "cannot make a copy of %s's table", node);
        close(copy);
        return FALSE;
    }
    for (guint i = 0; i + 1 < ranges->len; i += 2) {
        uint64_t first = g_array_index(ranges, uint64_t, i);
        uint64_t count = g_array_index(ranges, uint64_t, i + 1);
        if (!copy_range(fd, copy, first * ss, count * ss, node, error)) {
            close(copy);
            return FALSE;
        }
    }
    *out = copy;
    return TRUE;
}
