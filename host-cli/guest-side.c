/* guest-grow-disk, else guest-exec of qga-grow, else the udev rule watched
 * through guest-get-fsinfo, else nothing (unconfirmed). */
#include "guest-side.h"
#include "agent.h"

#include <stdarg.h>
#include <string.h>

#define PROBE_TIMEOUT_S 10
/* guest-grow-disk-status: soon at first (most grows take a fraction of a
 * second, and a poll costs the agent little), then every 300 ms */
#define STATUS_POLL_FIRST_US (25 * 1000)
#define STATUS_POLL_US (300 * 1000)
#define STATUS_TIMEOUT_S 10           /* one status call */
#define UDEV_WAIT_S 30
#define EXEC_POLL_US (200 * 1000)
#define FSINFO_POLL_US (1000 * 1000)
#define GUEST_TEXT_MAX 2048

void vg_guest_progress(VgGuest *g, const char *fmt, ...)
{
    g_autofree char *text = NULL;
    if (!g->progress)
        return;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        text = g_strdup_vprintf(fmt, ap);
        va_end(ap);
    }
    vg_progress_set(g->progress, g, g->label, text);
}

void vg_guest_clear(VgGuest *g)
{
    vg_guest_info_free(g->info);
    if (g->disks)
        g_ptr_array_unref(g->disks);
    if (g->fsinfo)
        g_ptr_array_unref(g->fsinfo);
    g_free(g->serial);
    g_free(g->device);
    memset(g, 0, sizeof(*g));
}

static int remaining_s(const VgGuest *g)
{
    gint64 left = g->deadline - g_get_monotonic_time();
    return left <= 0 ? 0 : (int)((left + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC);
}

/* Each question before the growth: at most PROBE_TIMEOUT_S, and never
 * past --timeout (agent.c makes 0 one second). */
static int probe_timeout_s(const VgGuest *g)
{
    return MIN(PROBE_TIMEOUT_S, remaining_s(g));
}

static gboolean enabled(const VgGuest *g, const char *command)
{
    return vg_guest_info_enabled(g->info, command);
}

static GPtrArray *query_disks(VgGuest *g, VgOutcome *o)
{
    g_autoptr(GError) e = NULL;
    g_autofree char *r = vg_agent_run(g->dom, "guest-get-disks", NULL, probe_timeout_s(g),
                                      &e);
    GPtrArray *disks = r ? vg_reply_get_disks(r, strlen(r), &e) : NULL;
    if (!disks)
        vg_outcome_warn(o, "cannot list the guest's disks: %s", e->message);
    return disks;
}

static GPtrArray *query_fsinfo(VgGuest *g, int timeout_s, GError **error)
{
    g_autofree char *r = vg_agent_run(g->dom, "guest-get-fsinfo", NULL, timeout_s, error);
    return r ? vg_reply_get_fsinfo(r, strlen(r), error) : NULL;
}

/* Name the disk to the guest: its serial when it has one (the guest finds
 * it the same way), else the device found by PCI address or name. */
static void locate_disk(VgGuest *g, VgOutcome *o)
{
    g_autoptr(GError) e = NULL;
    g_autofree char *guest_serial = NULL;

    o->guest_disk = vg_guest_disk_find(o->disk, g->disks, g->fsinfo, &o->match, &guest_serial,
                                       &e);
    if (o->match == VG_MATCH_NAME)
        vg_outcome_warn(o, "guest disk %s was matched to %s by name only (no serial or PCI "
                        "match): names can differ between host and guest", o->guest_disk,
                        o->disk->target);
    if (o->match == VG_MATCH_SERIAL)
        g->serial = g_steal_pointer(&guest_serial);
    else if (o->guest_disk)
        g->device = g_strdup(o->guest_disk);
    else if ((g->serial = vg_guest_visible_serial(o->disk)) == NULL && (g->disks || g->fsinfo))
        vg_outcome_warn(o, "%s", e->message);
}

void vg_guest_probe(VgGuest *g, VgOutcome *o)
{
    g_autoptr(GError) e = NULL;
    g_autofree char *r = vg_agent_run(g->dom, "guest-info", NULL, probe_timeout_s(g), &e);

    o->method = VG_METHOD_NONE;
    if (r && !(g->info = vg_reply_guest_info(r, strlen(r), &e))) {
        o->method_note = g_strdup_printf("the agent's guest-info is unusable: %s", e->message);
        return;
    }
    if (!r) {
        o->method_note = g_strdup_printf("no guest agent: %s", e->message);
        return;
    }
    /* frozen by the agent itself, it turns off all but a few commands
     * (guest-info shows them off): without this the guest would seem to
     * have no way to grow, and the disk be resized unasked */
    if (enabled(g, "guest-fsfreeze-status")) {
        g_autoptr(GError) fe = NULL;
        g_autofree char *fr = vg_agent_run(g->dom, "guest-fsfreeze-status", NULL,
                                           probe_timeout_s(g), &fe);
        if (fr && !vg_reply_fsfreeze_status(fr, strlen(fr), &g->frozen, &fe))
            vg_outcome_warn(o, "the agent's guest-fsfreeze-status is unusable: %s", fe->message);
    }
    if (enabled(g, "guest-get-disks"))
        g->disks = query_disks(g, o);
    if (enabled(g, "guest-get-fsinfo")) {
        g_autoptr(GError) fe = NULL;
        if (!(g->fsinfo = query_fsinfo(g, probe_timeout_s(g), &fe)))
            vg_outcome_warn(o, "cannot list the guest's filesystems: %s", fe->message);
    }
    locate_disk(g, o);

    gboolean named = g->serial || g->device;
    if (named && enabled(g, "guest-grow-disk")) {
        o->method = VG_METHOD_GROW_DISK;
    } else if (named && enabled(g, "guest-exec") && enabled(g, "guest-exec-status")) {
        o->method = VG_METHOD_EXEC;
        o->method_note = g_strdup("the agent has no guest-grow-disk");
    } else if (enabled(g, "guest-get-fsinfo") && (named || o->guest_disk)) {
        /* the filesystems on the disk are found by serial or PCI address */
        o->method = VG_METHOD_UDEV;
        o->method_note = g_strdup("the agent can neither grow nor run qga-grow: relying on the "
                                  "guest's udev rule");
    } else {
        o->method_note = g_strdup(!named ? "the guest agent cannot tell which guest disk this is"
                                         : "the agent allows none of guest-grow-disk, "
                                           "guest-exec, guest-get-fsinfo");
    }
}

/* ---- guest-grow-disk ---- */

/* What the guest is doing, for the progress line. */
static char *status_text(const VgGrowStatus *st, gint64 started)
{
    GString *s = g_string_new(NULL);
    if (!strcmp(st->phase, "waiting-size"))
        g_string_append(s, "the guest waits to see the new size");
    else if (!strcmp(st->phase, "locking"))
        g_string_append(s, "the guest waits for the disk's lock");
    else if (!strcmp(st->phase, "planning"))
        g_string_append(s, "the guest plans the grow");
    else
        g_string_append_printf(s, "guest: %s", st->phase);
    if (st->layer_kind)
        g_string_append_printf(s, " %s %s", st->layer_kind, st->layer_device);
    if (st->count)
        g_string_append_printf(s, " (layer %u of %u)", st->index, st->count);
    if (st->has_fraction)
        g_string_append_printf(s, " %d%%", (int)(st->fraction * 100.0));
    g_string_append_printf(s, ", %" G_GINT64_FORMAT " s",
                           (g_get_monotonic_time() - started) / G_USEC_PER_SEC);
    return g_string_free(s, FALSE);
}

/* The asynchronous form: start the job, then ask for its status until it
 * is done or --timeout has passed (the guest goes on then: unconfirmed). */
static VgGrowReport *grow_disk_async(VgGuest *g, JsonObject *args, GError **error)
{
    g_autoptr(GError) e = NULL;
    gint64 started = g_get_monotonic_time();
    int64_t job;

    json_object_set_boolean_member(args, "async", TRUE);
    vg_guest_progress(g, "starting guest-grow-disk");
    g_autofree char *r = vg_agent_run(g->dom, "guest-grow-disk", args, MAX(remaining_s(g), 1),
                                      error);
    if (!r || !vg_reply_grow_disk_job(r, strlen(r), &job, error))
        return NULL;

    g_autoptr(JsonObject) sargs = json_object_new();
    json_object_set_int_member(sargs, "job", job);
    g_autofree char *phase = g_strdup("started");
    gint64 poll_us = STATUS_POLL_FIRST_US;
    for (;;) {
        g_clear_error(&e);
        g_autofree char *sr = vg_agent_run(g->dom, "guest-grow-disk-status", sargs,
                                           MAX(MIN(STATUS_TIMEOUT_S, remaining_s(g)), 1), &e);
        g_autoptr(VgGrowStatus) st = sr ? vg_reply_grow_disk_status(sr, strlen(sr), &e) : NULL;
        if (st && st->job != job) {
            g_set_error(error, VG_ERROR, VG_ERROR_REPLY, "lost track of the guest's grow "
                        "(guest-grow-disk job %" G_GINT64_FORMAT "): the agent answered for "
                        "job %" G_GINT64_FORMAT, job, st->job);
            return NULL;
        }
        if (st && st->done && st->result)
            return g_steal_pointer(&st->result);
        if (st && st->done) {
            /* it failed before writing anything, as a synchronous call's error */
            g_set_error(error, VG_ERROR, VG_ERROR_GUEST, "guest-grow-disk: %s", st->error);
            return NULL;
        }
        if (st) {
            g_autofree char *text = status_text(st, started);
            vg_guest_progress(g, "%s", text);
            g_free(phase);
            phase = st->layer_kind ? g_strdup_printf("%s, %s %s", st->phase, st->layer_kind,
                                                     st->layer_device)
                                   : g_strdup(st->phase);
        } else if (g_error_matches(e, VG_ERROR, VG_ERROR_CONNECTION)) {
            g_set_error(error, VG_ERROR, VG_ERROR_CONNECTION,
                        "the connection to libvirt was lost while the guest was growing "
                        "(guest-grow-disk job %" G_GINT64_FORMAT ", last seen: %s); it goes "
                        "on in the guest: its result is guest-grow-disk-status {\"job\": %"
                        G_GINT64_FORMAT "} (%s)", job, phase, job, e->message);
            return NULL;
        } else if (!g_error_matches(e, VG_ERROR, VG_ERROR_NO_AGENT)) {
            /* the agent forgot the job (restarted?) or answers nonsense: the
             * guest's side cannot be told */
            g_set_error(error, VG_ERROR, VG_ERROR_REPLY,
                        "lost track of the guest's grow (guest-grow-disk job %" G_GINT64_FORMAT
                        "): %s", job, e->message);
            return NULL;
        }  /* else: no answer this time; ask again while there is time */
        if (remaining_s(g) == 0) {
            g_set_error(error, VG_ERROR, VG_ERROR_TIMEOUT,
                        "the guest is still growing after --timeout (guest-grow-disk job %"
                        G_GINT64_FORMAT ", last seen: %s); it goes on in the guest: its "
                        "result is guest-grow-disk-status {\"job\": %" G_GINT64_FORMAT "}",
                        job, phase, job);
            return NULL;
        }
        g_usleep(MIN(poll_us, MAX(g->deadline - g_get_monotonic_time(), 0)));
        poll_us = MIN(poll_us * 2, (gint64)STATUS_POLL_US);
    }
}

/* An agent error that only says it does not know the argument @name. */
static gboolean unknown_argument(const GError *e, const char *name)
{
    g_autofree char *quoted = g_strdup_printf("'%s'", name);
    return g_error_matches(e, VG_ERROR, VG_ERROR_GUEST) && strstr(e->message, quoted) &&
           (strstr(e->message, "unexpected") || strstr(e->message, "Invalid parameter"));
}

/* guest-grow-disk; with @assume (a dry run), planned for a disk that
 * large: VG_ERROR_UNSUPPORTED from an agent older than that argument. */
static VgGrowReport *run_grow_disk(VgGuest *g, VgOutcome *o, gboolean dry_run, uint64_t assume,
                                   GError **error)
{
    const VgGuestOpts *opts = &o->req->guest;
    g_autoptr(JsonObject) args = json_object_new();
    if (g->serial)
        json_object_set_string_member(args, "serial", g->serial);
    else
        json_object_set_string_member(args, "device", g->device);
    if (!dry_run)
        json_object_set_int_member(args, "expect-size", (gint64)o->size_after);
    json_object_set_boolean_member(args, "dry-run", dry_run);
    if (assume)
        json_object_set_int_member(args, "assume-size", (gint64)assume);
    /* only what was asked for: an agent patched before these arguments
     * existed refuses members it does not know */
    if (opts->key_file)
        json_object_set_string_member(args, "key-file", opts->key_file);
    if (opts->lv)
        json_object_set_string_member(args, "lv", opts->lv);
    if (opts->lvm == VG_LVM_PV || opts->lvm == VG_LVM_LV)
        json_object_set_string_member(args, "lvm", vg_lvm_mode_name(opts->lvm));
    if (opts->move_swap)  /* false is the agent's default: not sent */
        json_object_set_boolean_member(args, "move-swap", TRUE);
    if (opts->lock_timeout_set)
        json_object_set_int_member(args, "lock-timeout", opts->lock_timeout_s);
    if (opts->force)  /* false is the agent's default: not sent */
        json_object_set_boolean_member(args, "force", TRUE);

    /* a dry run changes nothing and ends soon: the plain call */
    if (!dry_run && enabled(g, "guest-grow-disk-status"))
        return grow_disk_async(g, args, error);
    if (assume)
        vg_guest_progress(g, "asking the guest first (guest-grow-disk --dry-run for the new "
                          "size)");
    else
        vg_guest_progress(g, "guest-grow-disk%s (this agent reports no progress)",
                          dry_run ? " --dry-run" : "");
    g_autoptr(GError) e = NULL;
    g_autofree char *r = vg_agent_run(g->dom, "guest-grow-disk", args, MAX(remaining_s(g), 1),
                                      &e);
    if (!r && assume && unknown_argument(e, "assume-size")) {
        g_set_error(error, VG_ERROR, VG_ERROR_UNSUPPORTED,
                    "the guest's agent is older than guest-grow-disk's assume-size: %s",
                    e->message);
        return NULL;
    }
    if (!r) {
        g_propagate_error(error, g_steal_pointer(&e));
        return NULL;
    }
    return vg_reply_grow_disk(r, strlen(r), error);
}

/* ---- guest-exec qga-grow --json ---- */

static gboolean exec_wait(VgGuest *g, int64_t pid, VgExecStatus **out, GError **error)
{
    g_autoptr(JsonObject) args = json_object_new();
    json_object_set_int_member(args, "pid", pid);

    for (;;) {
        g_autofree char *r = vg_agent_run(g->dom, "guest-exec-status", args,
                                          MAX(remaining_s(g), 1), error);
        g_autoptr(VgExecStatus) st = r ? vg_reply_exec_status(r, strlen(r), error) : NULL;
        if (!st)
            return FALSE;
        if (st->exited) {
            *out = g_steal_pointer(&st);
            return TRUE;
        }
        if (remaining_s(g) == 0) {
            g_set_error(error, VG_ERROR, VG_ERROR_TIMEOUT,
                        "qga-grow (guest pid %" G_GINT64_FORMAT ") did not finish in time", pid);
            return FALSE;
        }
        g_usleep(EXEC_POLL_US);
    }
}

/* qga-grow's command line for this request. */
static JsonArray *qga_grow_argv(VgGuest *g, VgOutcome *o, gboolean dry_run, uint64_t assume,
                                gboolean from_host)
{
    JsonArray *argv = json_array_new();
    const VgGuestOpts *opts = &o->req->guest;

    json_array_add_string_element(argv, "--json");
    if (from_host)  /* the guest admin's [agent] allow-list binds us too */
        json_array_add_string_element(argv, "--from-host");
    if (opts->key_file) {
        json_array_add_string_element(argv, "--key-file");
        json_array_add_string_element(argv, opts->key_file);
    }
    if (opts->lv) {
        json_array_add_string_element(argv, "--lv");
        json_array_add_string_element(argv, opts->lv);
    }
    if (opts->lvm == VG_LVM_PV || opts->lvm == VG_LVM_LV) {  /* auto: qga-grow's default */
        json_array_add_string_element(argv, "--lvm");
        json_array_add_string_element(argv, vg_lvm_mode_name(opts->lvm));
    }
    if (opts->move_swap)
        json_array_add_string_element(argv, "--move-swap");
    if (opts->lock_timeout_set) {
        g_autofree char *t = g_strdup_printf("%u", opts->lock_timeout_s);
        json_array_add_string_element(argv, "--lock-timeout");
        json_array_add_string_element(argv, t);
    }
    if (opts->force)
        json_array_add_string_element(argv, "--force");
    if (dry_run) {
        json_array_add_string_element(argv, "--dry-run");
        if (assume) {
            g_autofree char *size = g_strdup_printf("%" G_GUINT64_FORMAT, assume);
            json_array_add_string_element(argv, "--assume-size");
            json_array_add_string_element(argv, size);
        }
    } else {
        g_autofree char *size = g_strdup_printf("%" G_GUINT64_FORMAT, o->size_after);
        g_autofree char *wait = g_strdup_printf("%d", MIN(MAX(remaining_s(g), 1), 60));
        json_array_add_string_element(argv, "--wait-size");
        json_array_add_string_element(argv, size);
        json_array_add_string_element(argv, "--wait-timeout");
        json_array_add_string_element(argv, wait);
    }
    json_array_add_string_element(argv, "--");
    if (g->serial) {
        g_autofree char *t = g_strdup_printf("serial:%s", g->serial);
        json_array_add_string_element(argv, t);
    } else {
        json_array_add_string_element(argv, g->device);
    }
    return argv;
}

/* A qga-grow older than @option says so (exit 2, nothing done): one from
 * before --from-host has no allow-list for it to apply, and may be run
 * again without it; one from before --assume-size cannot answer the
 * question before the resize. */
static gboolean rejects_option(const VgExecStatus *st, const char *option)
{
    gsize n;
    const char *err = g_bytes_get_data(st->err, &n);
    g_autofree char *text = g_strndup(err ? err : "", err ? n : 0);
    return st->has_exitcode && st->exitcode == 2 && strstr(text, "unknown option") &&
           strstr(text, option);
}

/* NULL on failure, with *started FALSE when qga-grow did not even start
 * (not installed, or the agent did not answer guest-exec): the caller may
 * then try the udev path, which a run cut off midway must not mislead.
 * With @assume (a dry run), planned for a disk that large:
 * VG_ERROR_UNSUPPORTED from a qga-grow older than --assume-size. */
static VgGrowReport *run_qga_grow(VgGuest *g, VgOutcome *o, gboolean dry_run, uint64_t assume,
                                  gboolean *started, GError **error)
{
    g_autoptr(VgExecStatus) st = NULL;
    gboolean from_host = TRUE;
    int64_t pid;

    *started = FALSE;
    for (;;) {
        g_autoptr(JsonObject) args = json_object_new();
        g_autoptr(GError) e = NULL;
        json_object_set_string_member(args, "path", g->qga_grow);
        json_object_set_array_member(args, "arg",
                                     qga_grow_argv(g, o, dry_run, assume, from_host));
        json_object_set_boolean_member(args, "capture-output", TRUE);

        vg_guest_progress(g, "running qga-grow%s in the guest (guest-exec)",
                          assume ? " --dry-run --assume-size" : dry_run ? " --dry-run" : "");
        g_autofree char *r = vg_agent_run(g->dom, "guest-exec", args, MAX(remaining_s(g), 1),
                                          &e);
        if (!r || !vg_reply_exec(r, strlen(r), &pid, &e)) {
            g_propagate_prefixed_error(error, g_steal_pointer(&e),
                                       "cannot run qga-grow in the guest: ");
            return NULL;
        }
        *started = TRUE;
        g_clear_pointer(&st, vg_exec_status_free);
        if (!exec_wait(g, pid, &st, error))
            return NULL;
        if (assume && rejects_option(st, "--assume-size")) {
            g_set_error(error, VG_ERROR, VG_ERROR_UNSUPPORTED,
                        "the guest's qga-grow is older than --assume-size");
            return NULL;
        }
        if (!from_host || !rejects_option(st, "--from-host"))
            break;
        vg_outcome_warn(o, "the guest's qga-grow is older than --from-host (and has no "
                        "allow-list for it): run again without it");
        from_host = FALSE;
    }
    if (st->truncated)
        vg_outcome_warn(o, "the agent truncated qga-grow's output");

    gsize n;
    const char *out = g_bytes_get_data(st->out, &n);
    g_autoptr(GError) pe = NULL;
    /* 0 grown, 1 nothing to do, 3 stopped partway: the report is on stdout */
    if (st->has_exitcode && (st->exitcode <= 1 || st->exitcode == 3)) {
        VgGrowReport *rep = vg_grow_report_parse(out ? out : "", out ? n : 0, &pe);
        if (rep && st->exitcode == 3 && !vg_grow_report_partial(rep))
            rep->error = g_strdup("qga-grow stopped partway (exit code 3)");
        if (rep)
            return rep;
        if (st->exitcode != 3) {
            g_set_error(error, VG_ERROR, VG_ERROR_REPLY, "qga-grow's output: %s", pe->message);
            return NULL;
        }
    }
    const char *err = g_bytes_get_data(st->err, &n);
    g_autofree char *text = vg_sanitize_guest_text(err ? err : "", err ? n : 0, GUEST_TEXT_MAX);
    if (st->has_exitcode && st->exitcode == 2 && *g_strstrip(text)) {
        /* an error or a refusal, nothing written: its own words, "qga-grow:
         * ...", as guest-grow-disk's are "guest-grow-disk: ..." */
        g_set_error_literal(error, VG_ERROR, VG_ERROR_GUEST, text);
        return NULL;
    }
    g_set_error(error, VG_ERROR, VG_ERROR_GUEST, "qga-grow failed in the guest (%s %d): %s",
                st->has_exitcode ? "exit code" : "signal",
                st->has_exitcode ? st->exitcode : st->signal, text);
    return NULL;
}

/* ---- udev rule, watched through guest-get-fsinfo ---- */

static gboolean fs_on_disk(const VgGuestFs *fs, const VgOutcome *o)
{
    for (guint i = 0; i < fs->disks->len; i++) {
        const VgGuestDiskAddr *a = fs->disks->pdata[i];
        if (vg_guest_addr_matches(o->disk, a) != VG_MATCH_NONE ||
            (a->dev && o->guest_disk && (!strcmp(a->dev, o->guest_disk) ||
                                         vg_dev_is_partition_of(a->dev, o->guest_disk))))
            return TRUE;
    }
    return FALSE;
}

static const VgGuestFs *fs_by_mountpoint(GPtrArray *list, const char *mountpoint)
{
    for (guint i = 0; list && i < list->len; i++) {
        const VgGuestFs *fs = list->pdata[i];
        if (!strcmp(fs->mountpoint, mountpoint))
            return fs;
    }
    return NULL;
}

/* A report made of the watched filesystems' totals, before -> now. */
static VgGrowReport *udev_report(VgGuest *g, VgOutcome *o, GPtrArray *now, gboolean *grown)
{
    VgGrowReport *r = vg_grow_report_new();
    r->disk = g_strdup(o->guest_disk);
    r->disk_size = o->size_after;
    *grown = FALSE;
    for (guint i = 0; i < g->fsinfo->len; i++) {
        const VgGuestFs *before = g->fsinfo->pdata[i];
        const VgGuestFs *after = fs_by_mountpoint(now, before->mountpoint);
        if (!fs_on_disk(before, o) || !before->has_total)
            continue;
        VgGuestLayer *l = g_new0(VgGuestLayer, 1);
        l->kind = g_strdup("filesystem");
        l->device = g_strdup_printf("/dev/%s", before->name);
        l->type = g_strdup(before->type);
        l->mountpoint = g_strdup(before->mountpoint);
        l->old_size = before->total_bytes;
        l->size = after && after->has_total ? after->total_bytes : before->total_bytes;
        l->changed = l->size > l->old_size;
        *grown |= l->changed;
        g_ptr_array_add(r->layers, l);
    }
    return r;
}

static void grow_by_udev(VgGuest *g, VgOutcome *o)
{
    const char *disk = o->guest_disk ? o->guest_disk : o->disk->target;
    gint64 start = g_get_monotonic_time();
    gint64 until = MIN(g->deadline, start + UDEV_WAIT_S * G_USEC_PER_SEC);
    int waited_s;
    g_autoptr(GError) e = NULL;
    gboolean grown = FALSE;
    guint watched = 0;

    for (guint i = 0; g->fsinfo && i < g->fsinfo->len; i++)
        watched += fs_on_disk(g->fsinfo->pdata[i], o) && ((VgGuestFs *)g->fsinfo->pdata[i])->has_total;
    if (!watched) {
        o->message = g_strdup_printf("no mounted filesystem on guest disk %s to watch", disk);
        o->exit = VG_EXIT_UNCONFIRMED;
        return;
    }
    for (;;) {
        g_autoptr(GPtrArray) now = query_fsinfo(g, MAX(remaining_s(g), 1), &e);
        if (now) {
            vg_grow_report_free(o->guest);
            o->guest = udev_report(g, o, now, &grown);
        }
        if (grown || g_get_monotonic_time() >= until ||
            g_error_matches(e, VG_ERROR, VG_ERROR_CONNECTION))
            break;
        g_clear_error(&e);
        g_usleep(FSINFO_POLL_US);
    }
    waited_s = (int)((g_get_monotonic_time() - start + G_USEC_PER_SEC / 2) / G_USEC_PER_SEC);
    o->connection_lost |= g_error_matches(e, VG_ERROR, VG_ERROR_CONNECTION);
    if (grown) {
        vg_outcome_warn(o, "sizes are filesystem totals from guest-get-fsinfo (the guest's udev "
                        "rule grew them)");
        o->exit = VG_EXIT_GROWN;
    } else {
        o->exit = VG_EXIT_UNCONFIRMED;
        o->message = g_strdup_printf("no filesystem on guest disk %s grew within %d s (is the "
                                     "qga-grow udev rule installed in the guest?)%s%s",
                                     disk, waited_s, e ? ": " : "",
                                     e ? e->message : "");
    }
}

/* ---- the guest step ---- */

/* The guest's report joins the outcome, with its warnings and ours about
 * it (@host_size 0: the disk is not resized, as in a dry run). */
static void adopt_report(VgOutcome *o, VgGrowReport *rep, uint64_t host_size)
{
    o->guest = rep;
    vg_grow_report_check(rep, host_size, o->warnings);
    for (guint i = 0; i < rep->warnings->len; i++)
        vg_outcome_warn(o, "guest: %s", (char *)rep->warnings->pdata[i]);
}

static void take_report(VgOutcome *o, VgGrowReport *rep)
{
    adopt_report(o, rep, o->size_after);
    if (vg_grow_report_partial(rep)) {
        /* the guest grew some layers and stopped: each layer's state says
         * which; a rerun resumes */
        o->exit = VG_EXIT_GUEST_FAILED;
        g_free(o->message);
        o->message = g_strdup(rep->error ? rep->error
                                         : "a layer failed (its error is in the report)");
        return;
    }
    o->exit = rep->changed || o->disk_resized ? VG_EXIT_GROWN : VG_EXIT_NOTHING;
}

/* An error after the disk grew: the guest said no (4), or we cannot tell (3:
 * among others, the connection to libvirt went). */
static void guest_failed(VgOutcome *o, const GError *e)
{
    gboolean said_no = e->domain == VG_ERROR && e->code == VG_ERROR_GUEST;
    o->connection_lost |= g_error_matches(e, VG_ERROR, VG_ERROR_CONNECTION);
    vg_outcome_set(o, said_no ? VG_EXIT_GUEST_FAILED : VG_EXIT_UNCONFIRMED, e);
}

void vg_guest_grow(VgGuest *g, VgOutcome *o)
{
    g_autoptr(GError) e = NULL;
    VgGrowReport *rep;
    gboolean started;

    switch (o->method) {
    case VG_METHOD_GROW_DISK:
        if ((rep = run_grow_disk(g, o, FALSE, 0, &e)))
            take_report(o, rep);
        else
            guest_failed(o, e);
        return;
    case VG_METHOD_EXEC:
        if ((rep = run_qga_grow(g, o, FALSE, 0, &started, &e))) {
            take_report(o, rep);
            return;
        }
        if (started || g_error_matches(e, VG_ERROR, VG_ERROR_CONNECTION)) {
            guest_failed(o, e);
            return;
        }
        if (!enabled(g, "guest-get-fsinfo")) {
            vg_outcome_set(o, VG_EXIT_UNCONFIRMED, e);  /* nothing ran: we cannot tell */
            return;
        }
        vg_outcome_warn(o, "%s; relying on the guest's udev rule", e->message);
        o->method = VG_METHOD_UDEV;
        /* fall through */
    case VG_METHOD_UDEV:
        if (o->req->guest.key_file || o->req->guest.lv || o->req->guest.lvm != VG_LVM_UNSET ||
            o->req->guest.move_swap || o->req->guest.lock_timeout_set || o->req->guest.force)
            vg_outcome_warn(o, "the guest's udev rule grows with its own settings (its "
                            "/etc/qga-grow/auto.conf): key-file, lv, lvm, move-swap, "
                            "lock-timeout and force do not reach it");
        vg_guest_progress(g, "waiting for the guest's udev rule to grow the filesystems");
        if (!o->disk_resized) {
            o->exit = VG_EXIT_NOTHING;  /* nothing triggers the rule */
            vg_outcome_warn(o, "the disk already had that size: the guest side is not checked");
            return;
        }
        grow_by_udev(g, o);
        return;
    default:
        if (o->disk_resized) {
            o->exit = VG_EXIT_UNCONFIRMED;
            o->message = g_strdup(o->method_note);
        } else {
            o->exit = VG_EXIT_NOTHING;
        }
        return;
    }
}

/* Why the guest could not be asked, for the report. */
static char *not_asked_note(const VgOutcome *o, const GError *e)
{
    if (e)
        return g_strdup_printf("the guest could not answer before the resize: %s", e->message);
    if (o->method == VG_METHOD_UDEV)
        return g_strdup("the guest's agent can neither run guest-grow-disk nor qga-grow: "
                        "the guest was not asked before the resize");
    return g_strdup_printf("the guest was not asked before the resize: %s",
                           o->method_note ? o->method_note : "no usable guest agent");
}

gboolean vg_guest_preflight(VgGuest *g, VgOutcome *o, gboolean dry_run, GError **error)
{
    g_autoptr(GError) e = NULL;
    /* a disk that keeps its size gets the plain dry run (nothing is asked
     * that an agent from before assume-size would not know) */
    uint64_t assume = o->size_target > o->size_before ? o->size_target : 0;
    VgGrowReport *rep = NULL;
    gboolean started = TRUE;  /* qga-grow ran (guest-exec) */

    if (g->frozen) {
        o->preflight = VG_PREFLIGHT_REFUSED;
        o->preflight_note = g_strdup("the guest's filesystems are frozen by its agent "
                                     "(guest-fsfreeze-freeze: a backup or snapshot at work?): "
                                     "nothing in the guest can grow until they are thawed "
                                     "(virsh domfsthaw)");
        g_set_error(error, VG_ERROR, VG_ERROR_REFUSED, "the guest refuses %s: %s",
                    assume ? "the new size" : "to grow", o->preflight_note);
        return FALSE;
    }

    if (o->method == VG_METHOD_GROW_DISK)
        rep = run_grow_disk(g, o, TRUE, assume, &e);
    else if (o->method == VG_METHOD_EXEC)
        rep = run_qga_grow(g, o, TRUE, assume, &started, &e);
    if (rep) {
        o->preflight = VG_PREFLIGHT_AGREED;
        if (dry_run)
            adopt_report(o, rep, assume);
        else
            vg_grow_report_free(rep);  /* the real run reports its own */
        return TRUE;
    }
    if (g_error_matches(e, VG_ERROR, VG_ERROR_CONNECTION)) {
        o->connection_lost = TRUE;
        g_propagate_error(error, g_steal_pointer(&e));
        return FALSE;
    }
    if (o->method != VG_METHOD_GROW_DISK && o->method != VG_METHOD_EXEC) {
        o->preflight = VG_PREFLIGHT_NOT_ASKED;
        o->preflight_note = not_asked_note(o, NULL);
        vg_outcome_warn(o, "%s", o->preflight_note);
        return TRUE;
    }
    /* older than the question, no answer in time, qga-grow not there (the
     * real run then waits for the udev rule): the disk grows as it did
     * before there was a question */
    if (g_error_matches(e, VG_ERROR, VG_ERROR_UNSUPPORTED) ||
        g_error_matches(e, VG_ERROR, VG_ERROR_NO_AGENT) ||
        g_error_matches(e, VG_ERROR, VG_ERROR_TIMEOUT) || !started) {
        o->preflight = VG_PREFLIGHT_NOT_ASKED;
        o->preflight_note = not_asked_note(o, e);
        vg_outcome_warn(o, "%s", o->preflight_note);
        /* a dry run still shows today's layers where it can */
        if (dry_run && assume && g_error_matches(e, VG_ERROR, VG_ERROR_UNSUPPORTED)) {
            g_clear_error(&e);
            rep = o->method == VG_METHOD_GROW_DISK
                      ? run_grow_disk(g, o, TRUE, 0, &e)
                      : run_qga_grow(g, o, TRUE, 0, &started, &e);
            if (rep)
                adopt_report(o, rep, 0);
            else  /* its refusal today, which the real run would meet too */
                vg_outcome_warn(o, "the guest's plan at today's size: %s", e->message);
        }
        return TRUE;
    }
    o->preflight = VG_PREFLIGHT_REFUSED;
    o->preflight_note = g_strdup(e->message);
    g_set_error(error, VG_ERROR, VG_ERROR_REFUSED, "the guest refuses %s: %s",
                assume ? "the new size" : "to grow", e->message);
    return FALSE;
}
