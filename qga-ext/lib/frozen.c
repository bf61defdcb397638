/* Devices that would stop a grow in the kernel, found before anything is
 * written: a frozen filesystem (fsfreeze -f, a backup tool's or the agent's
 * guest-fsfreeze-freeze) and a suspended device-mapper device.  A grow that
 * met either would block, unkillable, until someone thaws or resumes it. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>  /* renameat2 */
#include <string.h>
#include <unistd.h>

/* Why this probe: the kernel tells no one whether a filesystem is frozen
 * (FIFREEZE would freeze one that is not; FITHAW would thaw one that is).
 * What it does is make every call that may write wait at sb_start_write()
 * until the thaw.  A rename of a name onto itself with RENAME_NOREPLACE
 * takes that write access first, then looks the name up and fails: ENOENT
 * when there is no such name, EEXIST when there is; either way nothing is
 * written, not even to the journal (an O_TMPFILE, the probe before, made
 * and freed an inode on every run, so a run with nothing to do still wrote
 * to the disk).  Any answer at all, success or error (EROFS on a read-only
 * mount), means "not frozen": only silence past the deadline means frozen.
 * The process that asks is left behind when it gets stuck, holding none of
 * our descriptors (the disk's lock), and ends with the thaw. */
#define PROBE_NAME ".qga-grow-freeze-probe"

static gboolean rename_probe(void *data, GError **error)
{
    (void)error;
    g_autofree char *path = g_build_filename((const char *)data, PROBE_NAME, NULL);
    (void)renameat2(AT_FDCWD, path, AT_FDCWD, path, RENAME_NOREPLACE);
    return TRUE;
}

gboolean qg_fs_frozen(const char *mountpoint, gboolean *frozen, GError **error)
{
    g_autoptr(GError) e = NULL;
    *frozen = FALSE;
    if (qg_bounded_run(rename_probe, (void *)mountpoint, QG_FROZEN_PROBE_MS, -1, NULL,
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
