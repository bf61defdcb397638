/* A filesystem's grow (its kernel ioctl, or the offline tools) in a child
 * process with a deadline (bounded.c), so that a grow the kernel holds up
 * (a filesystem frozen after the check, a device that stopped answering)
 * leaves the caller an answer: the layer is busy, the kernel goes on.
 *
 * The child keeps its copy of the disk's lock: the disk stays locked until
 * the kernel is done.  Another grower then waits for the lock (and, past
 * its own lock timeout, is told who holds it) instead of planning from a
 * filesystem size that is about to change and racing the kernel with a
 * second grow; once the first grow ends, the next run sees its outcome. */
#include "internal.h"

typedef struct {
    const QgFsOps *ops;
    const QgFsTarget *fs;
    uint64_t bytes, block;
} GrowCall;

static gboolean grow_call(void *data, GError **error)
{
    const GrowCall *c = data;
    return c->ops->grow(c->fs, c->bytes, c->block, error);
}

typedef struct {
    const GrowCall *call;
    uint64_t from;
    const QgFsWait *wait;
} Progress;

/* ext4 grows group by group and updates its superblock's block count as it
 * goes (buffered reads of the device see it at once): the share done.
 * Other filesystems grow in one step and say nothing meanwhile. */
static void progress_tick(void *data)
{
    const Progress *p = data;
    uint64_t now, block;
    if (p->call->ops != &qg_fs_ext || !p->call->fs->mountpoint ||
        p->call->bytes <= p->from ||
        !p->call->ops->probe(p->call->fs, &now, &block, NULL))
        return;
    double f = now <= p->from ? 0.0 : (double)(now - p->from) / (double)(p->call->bytes - p->from);
    p->wait->progress(MIN(f, 1.0), p->wait->progress_data);
}

gboolean qg_fs_call_bounded(QgBoundedFunc fn, void *data, const QgFsTarget *fs,
                            const QgFsWait *wait, QgBoundedTick tick, void *tick_data,
                            const char *doing, GError **error)
{
    gboolean busy = FALSE;
    unsigned timeout = qg_fault_busy_timeout(wait->busy_timeout_ms);

    if (qg_bounded_run(fn, data, timeout, wait->lock_fd, tick, tick_data, &busy, error))
        return TRUE;
    if (busy)
        g_set_error(error, QG_ERROR, QG_ERROR_BUSY,
                    "%s: the kernel is still %s after %.1f s; it goes on in the background "
                    "(the disk stays locked until it is done), and a rerun shows the outcome",
                    fs->device, doing, timeout / 1000.0);
    return FALSE;
}

gboolean qg_fs_grow_bounded(const QgFsOps *ops, const QgFsTarget *fs, uint64_t from,
                            uint64_t bytes, uint64_t block, const QgFsWait *wait,
                            GError **error)
{
    GrowCall call = { ops, fs, bytes, block };
    Progress p = { &call, from, wait };
    g_autofree char *doing = g_strdup_printf("growing %s%s%s", fs->type,
                                             fs->mountpoint ? " on " : "",
                                             fs->mountpoint ? fs->mountpoint : "");
    return qg_fs_call_bounded(grow_call, &call, fs, wait, wait->progress ? progress_tick : NULL,
                              &p, doing, error);
}
