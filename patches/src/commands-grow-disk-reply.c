/*
 * guest-grow-disk's reply: libqga-grow's QgResult as the QAPI struct, member
 * for member what "qga-grow --json" prints, each layer with its state, and
 * the run that stopped after it began to write returned, not lost.
 *
 * Part of the qga-grow patch series, generated from its
 * patches/src/commands-grow-disk-reply.c.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qobject-output-visitor.h"
#include "qga-qapi-types.h"
#include "qga-qapi-visit.h"
#include "commands-grow-disk.h"

/*
 * Every kind and state the library has, one for one; one added there and
 * not here is a compiler warning (-Wswitch), which the build turns into an
 * error.
 */
GuestGrowDiskLayerKind grow_disk_kind_to_qapi(QgLayerKind kind)
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
    case QG_LAYER_SWAP:
        return GUEST_GROW_DISK_LAYER_KIND_SWAP;
    }
    g_assert_not_reached();
}

static GuestGrowDiskLayerState state_to_qapi(QgLayerState state)
{
    switch (state) {
    case QG_LAYER_UNCHANGED:
        return GUEST_GROW_DISK_LAYER_STATE_UNCHANGED;
    case QG_LAYER_PLANNED:
        return GUEST_GROW_DISK_LAYER_STATE_PLANNED;
    case QG_LAYER_GROWN:
        return GUEST_GROW_DISK_LAYER_STATE_GROWN;
    case QG_LAYER_FAILED:
        return GUEST_GROW_DISK_LAYER_STATE_FAILED;
    case QG_LAYER_BUSY:
        return GUEST_GROW_DISK_LAYER_STATE_BUSY;
    case QG_LAYER_NOT_REACHED:
        return GUEST_GROW_DISK_LAYER_STATE_NOT_REACHED;
    case QG_LAYER_MOVED:
        return GUEST_GROW_DISK_LAYER_STATE_MOVED;
    }
    g_assert_not_reached();
}

static GuestGrowDiskLayer *layer_to_qapi(const QgLayer *l)
{
    GuestGrowDiskLayer *q = g_new0(GuestGrowDiskLayer, 1);

    q->kind = grow_disk_kind_to_qapi(l->kind);
    q->device = g_strdup(l->device);
    q->type = g_strdup(l->type);
    q->mountpoint = g_strdup(l->mountpoint);
    GROW_DISK_SET_HAS(q, mountpoint);
    q->has_partno = l->kind == QG_LAYER_PARTITION || l->kind == QG_LAYER_SWAP;
    q->partno = q->has_partno ? l->partno : 0;
    q->old_size = l->old_size;
    q->size = l->size;
    q->changed = l->changed;
    q->state = state_to_qapi(l->state);
    q->error = g_strdup(l->error);
    GROW_DISK_SET_HAS(q, error);
    q->limit = g_strdup(l->limit);
    GROW_DISK_SET_HAS(q, limit);
    return q;
}

static GuestGrowDiskResult *result_to_qapi(const QgResult *res, const char *error)
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
    q->error = g_strdup(error);
    GROW_DISK_SET_HAS(q, error);
    return q;
}

/*
 * Whether a run that stopped partway wrote anything: a layer grew, or the
 * kernel is still at one (busy).  If not, its failure is an error like any
 * refusal (nothing was written), as qga-grow's exit status 2.
 */
static bool partial_wrote(const QgResult *res)
{
    bool wrote = res->changed;

    for (guint i = 0; i < res->layers->len; i++) {
        const QgLayer *l = res->layers->pdata[i];

        wrote |= l->state == QG_LAYER_GROWN || l->state == QG_LAYER_BUSY;
    }
    return wrote;
}

GuestGrowDiskResult *grow_disk_run(const QgRequest *req, Error **errp)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(QgResult) res = NULL;
    g_autoptr(QgResult) partial = NULL;

    res = qg_grow_full(req, &partial, &err);
    if (res) {
        return result_to_qapi(res, NULL);
    }
    if (partial && partial_wrote(partial)) {
        /* stopped after it began to write: what each layer did is the answer */
        return result_to_qapi(partial, partial->error ? partial->error : err->message);
    }
    error_setg(errp, "%s", err->message);
    return NULL;
}

QObject *grow_disk_result_to_qobject(GuestGrowDiskResult *res)
{
    QObject *obj = NULL;
    Visitor *v = qobject_output_visitor_new(&obj);

    visit_type_GuestGrowDiskResult(v, NULL, &res, &error_abort);
    visit_complete(v, &obj);
    visit_free(v);
    qapi_free_GuestGrowDiskResult(res);
    return obj;
}
