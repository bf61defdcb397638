/*
 * QEMU Guest Agent command guest-grow-disk: grow a disk's storage stack
 * online (the partition, dm-crypt, LVM, md and the filesystem on top),
 * through libqga-grow.
 *
 * A thin wrapper: the QAPI arguments become a QgRequest, qg_grow() does all
 * the work and all the checks, and its QgResult becomes the QAPI return
 * value, member for member what "qga-grow --json" prints.
 *
 * Part of the qga-grow patch series, generated from its
 * patches/src/commands-grow-disk.c.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qga-qapi-commands.h"
#include "guest-agent-core.h"

#include <qga-grow.h>

/*
 * Every kind the library has, one for one; a kind added there and not here
 * is a compiler warning (-Wswitch), which the build turns into an error.
 */
static GuestGrowDiskLayerKind kind_to_qapi(QgLayerKind kind)
{
    switch (kind) {
    case QG_LAYER_PARTITION:
        return GUEST_GROW_DISK_LAYER_KIND_PARTITION;
    case QG_LAYER_FILESYSTEM:
        return GUEST_GROW_DISK_LAYER_KIND_FILESYSTEM;
    case QG_LAYER_CRYPT:
        return GUEST_GROW_DISK_LAYER_KIND_CRYPT;
    case QG_LAYER_LVM_PV:
        return GUEST_GROW_DISK_LAYER_KIND_LVM_PV;
    case QG_LAYER_LVM_LV:
        return GUEST_GROW_DISK_LAYER_KIND_LVM_LV;
    case QG_LAYER_MD:
        return GUEST_GROW_DISK_LAYER_KIND_MD;
    }
    g_assert_not_reached();
}

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

static GuestGrowDiskLayer *layer_to_qapi(const QgLayer *l)
{
    GuestGrowDiskLayer *q = g_new0(GuestGrowDiskLayer, 1);

    q->kind = kind_to_qapi(l->kind);
    q->device = g_strdup(l->device);
    q->type = g_strdup(l->type);
    q->mountpoint = g_strdup(l->mountpoint);
#if QEMU_VERSION_MAJOR < 8
    q->has_mountpoint = l->mountpoint != NULL;
#endif
    q->has_partno = l->kind == QG_LAYER_PARTITION;
    q->partno = q->has_partno ? l->partno : 0;
    q->old_size = l->old_size;
    q->size = l->size;
    q->changed = l->changed;
    return q;
}

static GuestGrowDiskResult *result_to_qapi(const QgResult *res)
{
    GuestGrowDiskResult *q = g_new0(GuestGrowDiskResult, 1);
    GuestGrowDiskLayerList **layers = &q->layers;
    strList **warnings = &q->warnings;

    q->disk = g_strdup(res->disk);
    q->disk_size = res->disk_size;
    q->sector_size = res->sector_size;
    q->changed = res->changed;
    q->dry_run = res->dry_run;
    for (guint i = 0; i < res->layers->len; i++) {
        QAPI_LIST_APPEND(layers, layer_to_qapi(res->layers->pdata[i]));
    }
    for (guint i = 0; i < res->warnings->len; i++) {
        QAPI_LIST_APPEND(warnings, g_strdup(res->warnings->pdata[i]));
    }
    return q;
}

static GuestGrowDiskResult *grow_disk(const char *device, const char *serial,
                                      const char *mountpoint, bool dry_run,
                                      uint64_t expect_size, const char *key_file,
                                      const char *lv, QgLvmMode lvm, bool move_swap,
                                      Error **errp)
{
    QgRequest req = {
        .device = device,
        .serial = serial,
        .mountpoint = mountpoint,
        .dry_run = dry_run,
        .expect_size = expect_size,
        .key_file = key_file,
        .lv = lv,
        .lvm = lvm,
        .move_swap = move_swap,
    };
    g_autoptr(GError) err = NULL;
    g_autoptr(QgResult) res = NULL;

    /*
     * QAPI's size type takes a negative JSON number modulo 2^64, so -1
     * arrives as 2^64 - 1.  No disk holds more than 2^63 - 1 bytes: what
     * is larger was negative or nonsense, and would only wait in vain.
     */
    if (expect_size > INT64_MAX) {
        error_setg(errp, "expect-size must be from 0 to %" PRId64 " bytes; got %" PRIu64
                   " (a negative number arrives as more than that)",
                   INT64_MAX, expect_size);
        return NULL;
    }
    res = qg_grow(&req, &err);
    if (!res) {
        slog("guest-grow-disk failed: %s", err->message);
        error_setg(errp, "%s", err->message);
        return NULL;
    }
    if (res->changed && !res->dry_run) {
        slog("guest-grow-disk: grew %s", res->disk);
    }
    return result_to_qapi(res);
}

/* QEMU 8.0 dropped the has_ flags of optional pointer arguments. */
#if QEMU_VERSION_MAJOR < 8
GuestGrowDiskResult *qmp_guest_grow_disk(bool has_device, const char *device,
                                         bool has_serial, const char *serial,
                                         bool has_mountpoint, const char *mountpoint,
                                         bool has_dry_run, bool dry_run,
                                         bool has_expect_size, uint64_t expect_size,
                                         bool has_key_file, const char *key_file,
                                         bool has_lv, const char *lv,
                                         bool has_lvm, GuestGrowDiskLvm lvm,
                                         bool has_move_swap, bool move_swap,
                                         Error **errp)
{
    return grow_disk(has_device ? device : NULL, has_serial ? serial : NULL,
                     has_mountpoint ? mountpoint : NULL, has_dry_run && dry_run,
                     has_expect_size ? expect_size : 0, has_key_file ? key_file : NULL,
                     has_lv ? lv : NULL, lvm_from_qapi(has_lvm, lvm),
                     has_move_swap && move_swap, errp);
}
#else
GuestGrowDiskResult *qmp_guest_grow_disk(const char *device, const char *serial,
                                         const char *mountpoint,
                                         bool has_dry_run, bool dry_run,
                                         bool has_expect_size, uint64_t expect_size,
                                         const char *key_file, const char *lv,
                                         bool has_lvm, GuestGrowDiskLvm lvm,
                                         bool has_move_swap, bool move_swap,
                                         Error **errp)
{
    return grow_disk(device, serial, mountpoint, has_dry_run && dry_run,
                     has_expect_size ? expect_size : 0, key_file, lv,
                     lvm_from_qapi(has_lvm, lvm), has_move_swap && move_swap, errp);
}
#endif
