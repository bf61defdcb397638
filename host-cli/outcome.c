#include "outcome.h"

#include <stdarg.h>

const char *vg_method_name(VgMethod m)
{
    switch (m) {
    case VG_METHOD_GROW_DISK: return "guest-grow-disk";
    case VG_METHOD_EXEC: return "guest-exec qga-grow";
    case VG_METHOD_UDEV: return "udev";
    case VG_METHOD_NEXT_BOOT: return "next-boot";
    default: return "none";
    }
}

const char *vg_preflight_name(VgPreflight p)
{
    switch (p) {
    case VG_PREFLIGHT_AGREED: return "agreed";
    case VG_PREFLIGHT_REFUSED: return "refused";
    case VG_PREFLIGHT_NOT_ASKED: return "not-asked";
    case VG_PREFLIGHT_SKIPPED: return "skipped";
    default: return NULL;
    }
}

VgOutcome *vg_outcome_new(const VgRequest *req, gboolean dry_run)
{
    VgOutcome *o = g_new0(VgOutcome, 1);
    o->req = req;
    o->dry_run = dry_run;
    o->warnings = g_ptr_array_new_with_free_func(g_free);
    o->exit = VG_EXIT_ERROR;
    return o;
}

void vg_outcome_free(VgOutcome *o)
{
    if (!o)
        return;
    vg_disk_free(o->disk);
    g_free(o->method_note);
    g_free(o->preflight_note);
    g_free(o->guest_disk);
    vg_grow_report_free(o->guest);
    g_ptr_array_unref(o->warnings);
    g_free(o->message);
    g_free(o);
}

void vg_outcome_warn(VgOutcome *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_ptr_array_add(o->warnings, g_strdup_vprintf(fmt, ap));
    va_end(ap);
}

void vg_outcome_set(VgOutcome *o, VgExit exit, const GError *error)
{
    o->exit = exit;
    if (error) {
        g_free(o->message);
        o->message = g_strdup(error->message);
        o->has_error_code = error->domain == VG_ERROR;
        if (o->has_error_code)
            o->error_code = (VgErrorCode)error->code;
    }
}

gboolean vg_outcome_refused(const VgOutcome *o)
{
    return o->exit == VG_EXIT_ERROR && o->has_error_code && o->error_code == VG_ERROR_REFUSED;
}
