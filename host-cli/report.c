/* Reports of outcomes. */
#include "report.h"
#include "report-json.h"
#include "safe-text.h"
#include "size.h"
#include "table.h"

#include <json-glib/json-glib.h>
#include <string.h>

const char *vg_exit_name(VgExit exit)
{
    switch (exit) {
    case VG_EXIT_GROWN: return "grown";
    case VG_EXIT_NOTHING: return "nothing-to-do";
    case VG_EXIT_UNCONFIRMED: return "unconfirmed";
    case VG_EXIT_GUEST_FAILED: return "guest-failed";
    default: return "error";
    }
}


/* Text for people: escaped (safe-text.h), kept in @pool until printed. */
static const char *safe(GPtrArray *pool, const char *text)
{
    char *t = vg_safe_text(text, -1);
    if (t)
        g_ptr_array_add(pool, t);
    return t;
}

static void print_result_line(FILE *out, const VgOutcome *o, GPtrArray *pool)
{
    g_autofree char *before = qg_size_format(o->size_before);
    g_autofree char *after = qg_size_format(o->size_after);
    const char *target = safe(pool, o->disk->target);
    const char *message = safe(pool, o->message);

    switch (o->exit) {
    case VG_EXIT_GROWN:
        if (o->dry_run && o->size_after > o->size_before)
            fprintf(out, "dry run: would grow disk %s from %s to %s; guest side: %s\n",
                    target, before, after, vg_method_name(o->method));
        else if (o->dry_run)
            fprintf(out, "dry run: disk %s is already %s; the guest would grow its layers "
                    "(%s)\n", target, before, vg_method_name(o->method));
        else if (o->method == VG_METHOD_NEXT_BOOT)
            fprintf(out, "disk %s grown from %s to %s; the guest grows its side at its next "
                    "boot\n", target, before, after);
        else
            fprintf(out, "grown and confirmed by the guest (%s)\n", vg_method_name(o->method));
        break;
    case VG_EXIT_NOTHING:
        fprintf(out, "%snothing to do: disk %s is already %s%s\n", o->dry_run ? "dry run: " : "",
                target, before, o->guest ? " and the guest has nothing to grow" : "");
        break;
    case VG_EXIT_UNCONFIRMED:
        fprintf(out, "%s; the guest's growth is unconfirmed: %s\n",
                o->resize_unknown ? "the disk may have grown" : "disk grown", message);
        break;
    case VG_EXIT_GUEST_FAILED:
        if (o->guest && vg_grow_report_partial(o->guest))
            fprintf(out, "%s; the guest grew partway and stopped: %s\n(each layer's state is "
                    "above; run virt-grow again to resume once the cause is fixed)\n",
                    o->disk_resized ? "disk grown" : "the disk already had that size", message);
        else
            fprintf(out, "%s; the guest failed to grow: %s\n",
                    o->disk_resized ? "disk grown" : "the disk already had that size", message);
        break;
    default:
        break;
    }
}

/* The disk's own row's state, beside the guest's layers'. */
static const char *disk_state(const VgOutcome *o)
{
    if (o->dry_run)
        return o->size_target > o->size_before ? "planned" : "unchanged";
    return o->disk_resized ? "grown" : "unchanged";
}

void vg_report_table(FILE *out, FILE *err, const VgOutcome *o)
{
    g_autoptr(GPtrArray) cells = qg_layer_table_new();
    g_autoptr(GPtrArray) pool = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *where = o->req->line ? g_strdup_printf("line %u: ", o->req->line)
                                          : g_strdup("");
    const char *domain = safe(pool, o->req->domain);

    if (o->exit == VG_EXIT_ERROR) {
        fprintf(err, "virt-grow: %sdomain %s, disk %s: %s\nvirt-grow: nothing was changed\n",
                where, domain, safe(pool, o->req->disk), safe(pool, o->message));
        return;
    }
    g_autofree char *disk = vg_disk_describe(o->disk);
    fprintf(out, "%sdomain %s, disk %s\n", where, domain, safe(pool, disk));
    if (o->guest_disk)
        fprintf(out, "guest disk %s (matched by %s), guest side: %s\n",
                safe(pool, o->guest_disk), vg_match_name(o->match), vg_method_name(o->method));
    else
        fprintf(out, "guest side: %s\n", vg_method_name(o->method));
    if (o->method_note && o->exit != VG_EXIT_UNCONFIRMED)
        fprintf(out, "  (%s)\n", safe(pool, o->method_note));
    if (o->preflight == VG_PREFLIGHT_AGREED)
        fprintf(out, "the guest agreed to the new size before the disk was resized\n");
    else if (o->preflight == VG_PREFLIGHT_SKIPPED)
        fprintf(out, "the guest was not asked before the resize (--no-preflight)\n");

    /* a STATE column when the guest says each layer's (agents and qga-grow
     * from issue 11 on), after the sizes */
    gboolean states = FALSE;
    for (guint i = 0; o->guest && i < o->guest->layers->len; i++)
        states |= ((VgGuestLayer *)o->guest->layers->pdata[i])->state != NULL;
    guint ncol = cells->len, first_size = 0;
    while (first_size < ncol && strcmp(cells->pdata[first_size], "BEFORE"))
        first_size++;
    if (states)
        g_ptr_array_add(cells, g_strdup("STATE"));

    qg_layer_table_add(cells, "disk", safe(pool, o->disk->target),
                       safe(pool, o->disk->format ? o->disk->format : o->disk->type), NULL,
                       o->size_before, NULL, o->size_after);
    if (states)
        g_ptr_array_add(cells, g_strdup(disk_state(o)));
    for (guint i = 0; o->guest && i < o->guest->layers->len; i++) {
        const VgGuestLayer *l = o->guest->layers->pdata[i];
        /* a dry run's guest layers are the guest's plan for the new size;
         * from a guest that could not plan for it, today's: they grow to
         * fill the disk */
        gboolean today = o->dry_run && o->size_target > o->size_before &&
                         o->preflight != VG_PREFLIGHT_AGREED;
        qg_layer_table_add(cells, safe(pool, l->kind), safe(pool, l->device),
                           safe(pool, l->type), safe(pool, l->mountpoint), l->old_size,
                           today ? "(fills)" : NULL, l->size);
        if (states)
            g_ptr_array_add(cells, g_strdup(l->state ? safe(pool, l->state) : "-"));
    }
    if (states)
        qg_table_print(out, cells, ncol + 1, first_size);
    else
        qg_layer_table_print(out, cells);
    for (guint i = 0; o->guest && i < o->guest->layers->len; i++) {
        const VgGuestLayer *l = o->guest->layers->pdata[i];
        if (l->limit)
            fprintf(out, "  %s %s stops at its limit: %s\n", safe(pool, l->kind),
                    safe(pool, l->device), safe(pool, l->limit));
    }
    for (guint i = 0; o->guest && i < o->guest->layers->len; i++) {
        const VgGuestLayer *l = o->guest->layers->pdata[i];
        if (vg_guest_layer_failed(l) || l->error)
            fprintf(err, "virt-grow: guest: %s %s %s: %s\n", safe(pool, l->kind),
                    safe(pool, l->device), l->state ? safe(pool, l->state) : "failed",
                    l->error ? safe(pool, l->error) : "(the guest gave no reason)");
    }
    for (guint i = 0; i < o->warnings->len; i++)
        fprintf(err, "virt-grow: warning: %s\n", safe(pool, o->warnings->pdata[i]));
    print_result_line(out, o, pool);
}

/* The guest's report, in the shape of guest-grow-disk's reply. */
static void add_guest(JsonBuilder *b, const VgGrowReport *r)
{
    json_builder_set_member_name(b, "guest");
    if (!r) {
        json_builder_add_null_value(b);
        return;
    }
    g_autofree QgReportLayer *layers = g_new0(QgReportLayer, r->layers->len);
    for (guint i = 0; i < r->layers->len; i++) {
        const VgGuestLayer *l = r->layers->pdata[i];
        layers[i] = (QgReportLayer){
            .kind = l->kind, .device = l->device, .type = l->type,
            .mountpoint = l->mountpoint, .has_partno = l->has_partno, .partno = l->partno,
            .old_size = l->old_size, .size = l->size, .changed = l->changed,
            .state = l->state, .error = l->error, .limit = l->limit,
        };
    }
    QgReport report = {
        .disk = r->disk, .disk_size = r->disk_size, .sector_size = r->sector_size,
        .changed = r->changed, .dry_run = r->dry_run,
        .layers = layers, .n_layers = r->layers->len, .warnings = r->warnings,
        .error = r->error,
    };
    qg_report_json_add(b, &report);
}

char *vg_report_json(const VgOutcome *o, gboolean pretty)
{
    g_autoptr(JsonBuilder) b = json_builder_new();

    json_builder_begin_object(b);
    if (o->req->line)
        qg_json_add_int(b, "line", o->req->line);
    qg_json_add_string(b, "domain", o->req->domain);
    qg_json_add_string(b, "disk", o->disk ? o->disk->target : o->req->disk);
    qg_json_add_string(b, "requested-disk", o->req->disk);
    qg_json_add_string(b, "requested-size", o->req->size_text);
    qg_json_add_string(b, "source", o->disk ? o->disk->source : NULL);
    qg_json_add_string(b, "serial", o->disk ? o->disk->serial : NULL);
    qg_json_add_bool(b, "dry-run", o->dry_run);
    qg_json_add_int(b, "exit-code", o->exit);
    qg_json_add_string(b, "outcome", o->dry_run && o->exit == VG_EXIT_GROWN ? "would-grow"
                                                                   : vg_exit_name(o->exit));
    qg_json_add_string(b, "message", o->message);
    if (o->disk) {
        qg_json_add_string(b, "disk-format", o->disk->format);
        qg_json_add_int(b, "disk-size-before", o->size_before);
        qg_json_add_int(b, "disk-size-target", o->size_target);
        qg_json_add_int(b, "disk-size-after", o->size_after);
        json_builder_set_member_name(b, "disk-resized");
        if (o->resize_unknown)  /* the connection went during the resize */
            json_builder_add_null_value(b);
        else
            json_builder_add_boolean_value(b, o->disk_resized);
        qg_json_add_string(b, "guest-method", vg_method_name(o->method));
        qg_json_add_string(b, "guest-method-note", o->method_note);
        qg_json_add_string(b, "guest-preflight", vg_preflight_name(o->preflight));
        qg_json_add_string(b, "guest-preflight-note", o->preflight_note);
        qg_json_add_string(b, "guest-disk", o->guest_disk);
        qg_json_add_string(b, "guest-match", o->guest_disk ? vg_match_name(o->match) : NULL);
        add_guest(b, o->guest);
    }
    qg_json_add_bool(b, "connection-lost", o->connection_lost);
    qg_json_add_strings(b, "warnings", o->warnings);
    json_builder_end_object(b);

    return qg_json_builder_text(b, pretty);
}

void vg_report_print(const VgOutcome *o, gboolean json, gboolean quiet, gboolean pretty,
                     const char *json_text)
{
    /* the message may quote the guest: escaped for the terminal (the JSON
     * carries it exactly) */
    g_autofree char *domain = vg_safe_text(o->req->domain, -1);
    g_autofree char *disk = vg_safe_text(o->req->disk, -1);
    g_autofree char *message = vg_safe_text(o->message ? o->message : "", -1);

    if (json) {
        g_autofree char *text = json_text ? NULL : vg_report_json(o, pretty);
        printf("%s\n", json_text ? json_text : text);
        if (o->exit == VG_EXIT_ERROR)
            fprintf(stderr, "virt-grow: domain %s, disk %s: %s\n", domain, disk, message);
    } else if (!quiet) {
        vg_report_table(stdout, stderr, o);
    } else if (o->exit >= VG_EXIT_ERROR) {
        fprintf(stderr, "virt-grow: domain %s, disk %s: %s: %s\n", domain, disk,
                vg_exit_name(o->exit), message);
    }
}
