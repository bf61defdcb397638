/*
 * QEMU Guest Agent command guest-grow-disk: grow a disk's storage stack
 * online (the partition, dm-crypt, LVM, md and the filesystem on top),
 * through libqga-grow.
 *
 * A thin wrapper: the QAPI arguments become a QgRequest, the guest
 * administrator's allow-list is asked, and libqga-grow does all the work and
 * all the checks, here (bounded: the disk's lock and a filesystem's grow
 * have deadlines) or, with "async", in a job of its own
 * (commands-grow-disk-job.c).  The reply is member for member what
 * "qga-grow --json" prints (commands-grow-disk-reply.c), or {"job": N}.
 *
 * Part of the qga-grow patch series, generated from its
 * patches/src/commands-grow-disk.c.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#if QEMU_VERSION_MAJOR > 9 || (QEMU_VERSION_MAJOR == 9 && QEMU_VERSION_MINOR >= 2)
#include "qobject/qdict.h"      /* QEMU 9.2 moved it from qapi/qmp/ */
#else
#include "qapi/qmp/qdict.h"
#endif
#include "qga-qapi-commands.h"
#include "guest-agent-core.h"
#include "commands-grow-disk.h"

/* lock-timeout, seconds: its default and its largest value (a day) */
#define GROW_DISK_LOCK_TIMEOUT_S 10
#define GROW_DISK_LOCK_TIMEOUT_MAX_S 86400
/*
 * How long a call that may block in the kernel (a filesystem's grow) is
 * waited for: without "async" the agent answers nothing else meanwhile, so
 * briefly; a job has time (an ext4 grown by terabytes takes minutes).
 * Past it the layer is "busy" and the kernel goes on.
 */
#define GROW_DISK_BUSY_TIMEOUT_MS 30000
#define GROW_DISK_JOB_BUSY_TIMEOUT_MS (3600 * 1000)

static QgLvmMode lvm_from_qapi(bool has_lvm, GuestGrowDiskLvm lvm)
{
    if (!has_lvm) {
        return QG_LVM_AUTO;
    }
    switch (lvm) {
    case GUEST_GROW_DISK_LVM_PV:
        return QG_LVM_PV;
    case GUEST_GROW_DISK_LVM_LV:
        return QG_LVM_LV;
    case GUEST_GROW_DISK_LVM_AUTO:
    default:    /* GUEST_GROW_DISK_LVM__MAX: QAPI never hands it over */
        return QG_LVM_AUTO;
    }
}

static QObject *grow_disk(QgRequest *req, bool has_lock_timeout, int64_t lock_timeout,
                          bool async, Error **errp)
{
    g_autoptr(GError) err = NULL;
    Error *local_err = NULL;
    GuestGrowDiskResult *res;
    int64_t lock_ms;

    /*
     * QAPI's size type takes a negative JSON number modulo 2^64, so -1
     * arrives as 2^64 - 1.  No disk holds more than 2^63 - 1 bytes: what
     * is larger was negative or nonsense, and would only wait in vain.
     */
    if (req->expect_size > INT64_MAX) {
        error_setg(errp, "expect-size must be from 0 to %" PRId64 " bytes; got %" PRIu64
                   " (a negative number arrives as more than that)",
                   INT64_MAX, req->expect_size);
        return NULL;
    }
    if (req->assume_size > INT64_MAX) {
        error_setg(errp, "assume-size must be from 0 to %" PRId64 " bytes; got %" PRIu64
                   " (a negative number arrives as more than that)",
                   INT64_MAX, req->assume_size);
        return NULL;
    }
    if (!has_lock_timeout) {
        lock_timeout = GROW_DISK_LOCK_TIMEOUT_S;
    }
    if (lock_timeout < 0 || lock_timeout > GROW_DISK_LOCK_TIMEOUT_MAX_S) {
        error_setg(errp, "lock-timeout must be from 0 to %d seconds; got %" PRId64,
                   GROW_DISK_LOCK_TIMEOUT_MAX_S, lock_timeout);
        return NULL;
    }
    lock_ms = lock_timeout * 1000;
    /* the library's 0 is its own default, 1 ms is "hardly at all" */
    req->lock_timeout_ms = lock_ms ? (int)lock_ms : 1;

    if (async) {
        /*
         * What a job would only find in its thread is refused at once: a
         * bad LV name, no target, two targets, one that is not there.
         */
        g_autofree char *disk = NULL;

        if (req->lv && !qg_lv_name_valid(req->lv)) {
            error_setg(errp, "\"%s\" is no logical volume name: give it as VG/LV", req->lv);
            return NULL;
        }
        disk = qg_target_disk(req, &err);
        if (!disk) {
            error_setg(errp, "%s", err->message);
            return NULL;
        }
    }
    if (!qg_agent_allows(NULL, req, &err)) {
        slog("guest-grow-disk refused: %s", err->message);
        error_setg(errp, "%s", err->message);
        return NULL;
    }

    if (async) {
        QDict *reply;
        int64_t job;

        req->busy_timeout_ms = GROW_DISK_JOB_BUSY_TIMEOUT_MS;
        job = grow_disk_job_start(req, errp);
        if (!job) {
            return NULL;
        }
        slog("guest-grow-disk: job %" PRId64 " started", job);
        reply = qdict_new();
        qdict_put_int(reply, "job", job);
        return QOBJECT(reply);
    }

    req->busy_timeout_ms = GROW_DISK_BUSY_TIMEOUT_MS;
    if (!grow_disk_gate_enter(lock_ms, 0, errp)) {
        return NULL;
    }
    res = grow_disk_run(req, &local_err);
    grow_disk_gate_leave();
    if (!res) {
        slog("guest-grow-disk failed: %s", error_get_pretty(local_err));
        error_propagate(errp, local_err);
        return NULL;
    }
    if (res->error) {
        slog("guest-grow-disk: %s partly grown: %s", res->disk, res->error);
    } else if (res->changed && !res->dry_run) {
        slog("guest-grow-disk: grew %s", res->disk);
    }
    return grow_disk_result_to_qobject(res);
}

/* QEMU 8.0 dropped the has_ flags of optional pointer arguments. */
#if QEMU_VERSION_MAJOR < 8
QObject *qmp_guest_grow_disk(bool has_device, const char *device,
                             bool has_serial, const char *serial,
                             bool has_mountpoint, const char *mountpoint,
                             bool has_dry_run, bool dry_run,
                             bool has_expect_size, uint64_t expect_size,
                             bool has_key_file, const char *key_file,
                             bool has_lv, const char *lv,
                             bool has_lvm, GuestGrowDiskLvm lvm,
                             bool has_move_swap, bool move_swap,
                             bool has_lock_timeout, int64_t lock_timeout,
                             bool has_force, bool force,
                             bool has_async, bool async,
                             bool has_assume_size, uint64_t assume_size,
                             Error **errp)
{
    QgRequest req = {
        .device = has_device ? device : NULL,
        .serial = has_serial ? serial : NULL,
        .mountpoint = has_mountpoint ? mountpoint : NULL,
        .dry_run = has_dry_run && dry_run,
        .expect_size = has_expect_size ? expect_size : 0,
        .key_file = has_key_file ? key_file : NULL,
        .lv = has_lv ? lv : NULL,
        .lvm = lvm_from_qapi(has_lvm, lvm),
        .move_swap = has_move_swap && move_swap,
        .force = has_force && force,
        .assume_size = has_assume_size ? assume_size : 0,
    };

    return grow_disk(&req, has_lock_timeout, lock_timeout, has_async && async, errp);
}
#else
QObject *qmp_guest_grow_disk(const char *device, const char *serial,
                             const char *mountpoint,
                             bool has_dry_run, bool dry_run,
                             bool has_expect_size, uint64_t expect_size,
                             const char *key_file, const char *lv,
                             bool has_lvm, GuestGrowDiskLvm lvm,
                             bool has_move_swap, bool move_swap,
                             bool has_lock_timeout, int64_t lock_timeout,
                             bool has_force, bool force,
                             bool has_async, bool async,
                             bool has_assume_size, uint64_t assume_size,
                             Error **errp)
{
    QgRequest req = {
        .device = device,
        .serial = serial,
        .mountpoint = mountpoint,
        .dry_run = has_dry_run && dry_run,
        .expect_size = has_expect_size ? expect_size : 0,
        .key_file = key_file,
        .lv = lv,
        .lvm = lvm_from_qapi(has_lvm, lvm),
        .move_swap = has_move_swap && move_swap,
        .force = has_force && force,
        .assume_size = has_assume_size ? assume_size : 0,
    };

    return grow_disk(&req, has_lock_timeout, lock_timeout, has_async && async, errp);
}
#endif
