/* Devices that would stop a grow in the kernel, found before anything is
 * written: a frozen filesystem (fsfreeze -f, a backup tool's or the agent's
 * guest-fsfreeze-freeze) and a suspended device-mapper device.  A grow that
 * met either would block, unkillable, until someone thaws or resumes it. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

/* Why this probe: the kernel tells no one whether a filesystem is frozen
 * (FIFREEZE would freeze one that is not; FITHAW would thaw one that is).
 * What it does is make every write wait at sb_start_write() until the thaw.
 * An unnamed temporary file (O_TMPFILE) is the smallest write there is: it
 * waits there like any other, and otherwise comes and goes leaving nothing
 * behind, no name in any directory.  On a full filesystem it fails at once
 * (ENOSPC), on a busy one it waits for the journal like any write, and any
 * answer at all, success or error, means "not frozen": only silence past
 * the deadline means frozen.  The process that asks is left behind when it
 * gets stuck, holding none of our descriptors (the disk's lock), and ends
 * with the thaw. */
static gboolean tmpfile_probe(void *data, GError **error)
{
    (void)error;
    int fd = open((const char *)data, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0)
        close(fd);
    return TRUE;
}

gboolean qg_fs_frozen(const char *mountpoint, gboolean *frozen, GError **error)
{
    g_autoptr(GError) e = NULL;
    *frozen = FALSE;
    if (qg_bounded_run(tmpfile_probe, (void *)mountpoint, QG_FROZEN_PROBE_MS, -1, NULL,
                       NULL, frozen, &e))
        return TRUE;
    if (*frozen)
        return TRUE;
    /* the probe could not even start */
    g_propagate_error(error, g_steal_pointer(&e));
    return FALSE;
}

char *qg_frozen_message(const char *device, const char *mountpoint)
{
    return g_strdup_printf("the filesystem on %s (%s) is frozen: it took no write within "
                           "%.0f s", mountpoint, device, QG_FROZEN_PROBE_MS / 1000.0);
}

gboolean qg_node_check_resumed(const QgNode *n, GError **error)
{
    if (n->kind != QG_NODE_DM)
        return TRUE;
    g_autofree char *path = g_strdup_printf("/sys/class/block/%s/dm/suspended", n->name);
    g_autofree char *state = qg_sysfs_read_str(path);
    if (!state || strcmp(state, "1") != 0)
        return TRUE;
    g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                "%s (%s) is suspended: every read and write of it waits; resume it "
                "(dmsetup resume %s) and run again; nothing was changed", n->node, n->name,
                n->dm_name ? n->dm_name : n->node);
    return FALSE;
}
