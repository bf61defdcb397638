/* guest-grow-disk, else guest-exec of qga-grow, else the udev rule watched
 * through guest-get-fsinfo, else nothing (unconfirmed). */
#include "guest-side.h"
#include "agent.h"

#include <string.h>

#define PROBE_TIMEOUT_S 10
#define UDEV_WAIT_S 30
#define EXEC_POLL_US (200 * 1000)
#define FSINFO_POLL_US (1000 * 1000)
#define GUEST_TEXT_MAX 2048

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

static VgGrowReport *run_grow_disk(VgGuest *g, VgOutcome *o, gboolean dry_run, GError **error)
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

    g_autofree char *r = vg_agent_run(g->dom, "guest-grow-disk", args, MAX(remaining_s(g), 1),
                                      error);
    return r ? vg_reply_grow_disk(r, strlen(r), error) : NULL;
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

/* NULL on failure, with *started FALSE when qga-grow did not even start
 * (not installed, or the agent did not answer guest-exec): the caller may
 * then try the udev path, which a run cut off midway must not mislead. */
static VgGrowReport *run_qga_grow(VgGuest *g, VgOutcome *o, gboolean dry_run,
                                  gboolean *started, GError **error)
{
    g_autoptr(JsonObject) args = json_object_new();
    g_autoptr(JsonArray) argv = json_array_new();
    g_autoptr(VgExecStatus) st = NULL;
    g_autoptr(GError) e = NULL;
    const VgGuestOpts *opts = &o->req->guest;
    int64_t pid;

    json_array_add_string_element(argv, "--json");
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
    if (dry_run) {
        json_array_add_string_element(argv, "--dry-run");
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
    json_object_set_string_member(args, "path", g->qga_grow);
    json_object_set_array_member(args, "arg", json_array_ref(argv));
    json_object_set_boolean_member(args, "capture-output", TRUE);

    g_autofree char *r = vg_agent_run(g->dom, "guest-exec", args, MAX(remaining_s(g), 1), &e);
    *started = FALSE;
    if (!r || !vg_reply_exec(r, strlen(r), &pid, &e)) {
        g_propagate_prefixed_error(error, g_steal_pointer(&e), "cannot run qga-grow in the guest: ");
        return NULL;
    }
    *started = TRUE;
    if (!exec_wait(g, pid, &st, error))
        return NULL;
    if (st->truncated)
        vg_outcome_warn(o, "the agent truncated qga-grow's output");
    if (!st->has_exitcode || (st->exitcode != 0 && st->exitcode != 1)) {
        gsize n;
        const char *err = g_bytes_get_data(st->err, &n);
        g_autofree char *text = vg_sanitize_guest_text(err ? err : "", err ? n : 0, GUEST_TEXT_MAX);
        g_set_error(error, VG_ERROR, VG_ERROR_GUEST, "qga-grow failed in the guest (%s %d): %s",
                    st->has_exitcode ? "exit code" : "signal",
                    st->has_exitcode ? st->exitcode : st->signal, text);
        return NULL;
    }
    gsize n;
    const char *out = g_bytes_get_data(st->out, &n);
    g_autoptr(GError) pe = NULL;
    VgGrowReport *rep = vg_grow_report_parse(out ? out : "", out ? n : 0, &pe);
    if (!rep)
        g_set_error(error, VG_ERROR, VG_ERROR_REPLY, "qga-grow's output: %s", pe->message);
    return rep;
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
        if (grown || g_get_monotonic_time() >= until)
            break;
        g_clear_error(&e);
        g_usleep(FSINFO_POLL_US);
    }
    waited_s = (int)((g_get_monotonic_time() - start + G_USEC_PER_SEC / 2) / G_USEC_PER_SEC);
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
    o->exit = rep->changed || o->disk_resized ? VG_EXIT_GROWN : VG_EXIT_NOTHING;
}

/* An error after the disk grew: the guest said no (4), or we cannot tell (3). */
static void guest_failed(VgOutcome *o, const GError *e)
{
    gboolean said_no = e->domain == VG_ERROR && e->code == VG_ERROR_GUEST;
    vg_outcome_set(o, said_no ? VG_EXIT_GUEST_FAILED : VG_EXIT_UNCONFIRMED, e);
}

void vg_guest_grow(VgGuest *g, VgOutcome *o)
{
    g_autoptr(GError) e = NULL;
    VgGrowReport *rep;
    gboolean started;

    switch (o->method) {
    case VG_METHOD_GROW_DISK:
        if ((rep = run_grow_disk(g, o, FALSE, &e)))
            take_report(o, rep);
        else
            guest_failed(o, e);
        return;
    case VG_METHOD_EXEC:
        if ((rep = run_qga_grow(g, o, FALSE, &started, &e))) {
            take_report(o, rep);
            return;
        }
        if (started) {
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
            o->req->guest.move_swap)
            vg_outcome_warn(o, "the guest's udev rule grows with its own settings (its "
                            "/etc/qga-grow/auto.conf): key-file, lv, lvm and move-swap do not "
                            "reach it");
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

void vg_guest_preview(VgGuest *g, VgOutcome *o)
{
    g_autoptr(GError) e = NULL;
    VgGrowReport *rep = NULL;

    if (o->method == VG_METHOD_GROW_DISK)
        rep = run_grow_disk(g, o, TRUE, &e);
    else if (o->method == VG_METHOD_EXEC)
        rep = run_qga_grow(g, o, TRUE, &(gboolean){ FALSE }, &e);
    else
        return;
    if (rep)
        adopt_report(o, rep, 0);
    else
        vg_outcome_warn(o, "the guest's dry run failed: %s", e->message);
}
