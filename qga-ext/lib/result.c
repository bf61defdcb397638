/* The result: a list of layers with their sizes before and after. */
#include "internal.h"

QgLayer *qg_layer_new(QgLayerKind kind, const char *device, const char *type)
{
    QgLayer *l = g_new0(QgLayer, 1);
    l->kind = kind;
    l->device = g_strdup(device);
    l->type = g_strdup(type);
    return l;
}

void qg_layer_free(QgLayer *layer)
{
    if (!layer)
        return;
    g_free(layer->device);
    g_free(layer->type);
    g_free(layer->mountpoint);
    g_free(layer->error);
    g_free(layer->limit);
    g_free(layer);
}

void qg_result_free(QgResult *res)
{
    if (!res)
        return;
    g_free(res->disk);
    g_ptr_array_unref(res->layers);
    g_ptr_array_unref(res->warnings);
    g_free(res->error);
    g_free(res);
}

const char *qg_layer_kind_name(QgLayerKind kind)
{
    switch (kind) {
    case QG_LAYER_PARTITION: return "partition";
    case QG_LAYER_FILESYSTEM: return "filesystem";
    case QG_LAYER_CRYPT: return "crypt";
    case QG_LAYER_LVM_PV: return "lvm-pv";
    case QG_LAYER_LVM_LV: return "lvm-lv";
    case QG_LAYER_MD: return "md";
    case QG_LAYER_SWAP: return "swap";
    }
    return "unknown";
}

const char *qg_layer_state_name(QgLayerState state)
{
    switch (state) {
    case QG_LAYER_UNCHANGED: return "unchanged";
    case QG_LAYER_PLANNED: return "planned";
    case QG_LAYER_GROWN: return "grown";
    case QG_LAYER_FAILED: return "failed";
    case QG_LAYER_BUSY: return "busy";
    case QG_LAYER_NOT_REACHED: return "not-reached";
    case QG_LAYER_MOVED: return "moved";
    }
    return "unknown";
}

const char *qg_phase_name(QgPhase phase)
{
    switch (phase) {
    case QG_PHASE_WAITING_SIZE: return "waiting-size";
    case QG_PHASE_LOCKING: return "locking";
    case QG_PHASE_PLANNING: return "planning";
    case QG_PHASE_GROWING: return "growing";
    case QG_PHASE_DONE: return "done";
    }
    return "unknown";
}
