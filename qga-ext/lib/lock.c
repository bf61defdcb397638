/* The whole-disk lock: a BSD flock on the disk's device node, the convention
 * systemd-udevd honours (it does not re-read a locked disk's table) and that
 * serialises concurrent growers: the second waits, then finds nothing to do. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

int qg_lock_disk(const char *node, gboolean exclusive, GError **error)
{
    /* Read-only: writers reopen the node, so that a run that changes nothing
     * does not look like a write to udev. */
    int fd = open(node, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        qg_set_errno_error(error, errno, "cannot open %s", node);
        return -1;
    }
    while (flock(fd, exclusive ? LOCK_EX : LOCK_SH) != 0) {
        if (errno == EINTR)
            continue;
        qg_set_errno_error(error, errno, "cannot lock %s", node);
        close(fd);
        return -1;
    }
    return fd;
}
