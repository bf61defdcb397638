/* Command-line parsing, kept apart from main() so that it can be tested. */
#include "options.h"
#include "broker-options.h"
#include "cli-opt.h"
#include "vg-error.h"

#include <errno.h>
#include <string.h>

const char vg_usage_text[] =
    "Usage: virt-grow [OPTION]... DOMAIN DISK SIZE\n"
    "       virt-grow [OPTION]... --batch FILE|-\n"
    "       virt-grow --broker URL --node NODE --project PROJECT [OPTION]... DOMAIN DISK SIZE\n"
    "\n"
    "Grow a libvirt domain's disk, then have the guest grow the partition and\n"
    "filesystem on it, and report every size before and after.  A shut-off\n"
    "domain's disk grows through its storage volume; the guest grows its side\n"
    "at its next boot (qga-grow-boot.service).\n"
    "\n"
    "DOMAIN  name or UUID of a running or shut-off domain\n"
    "DISK    target (vdb), source path (/var/lib/libvirt/images/d.qcow2),\n"
    "        or serial:SERIAL (the disk's <serial> in the domain XML)\n"
    "SIZE    new size: 20G, 20GiB, 20GB (powers of 1000), 21474836480 (bytes);\n"
    "        +10G adds to the current size.  Never smaller than now.\n"
    "\n"
    "Options:\n"
    "  -c, --connect URI   libvirt URI (default: libvirt's default URI)\n"
    "  -n, --dry-run       check and show the plan, change nothing\n"
    "  -j, --json          print the result as JSON (one object per request)\n"
    "  -q, --quiet         print nothing but errors\n"
    "  -t, --timeout SEC   how long the guest side may take (default 120); past\n"
    "                      it a guest still growing is reported unconfirmed\n"
    "  -b, --batch FILE    read requests from FILE (\"-\": stdin), one a line:\n"
    "                      DOMAIN DISK SIZE, or a JSON object with domain,\n"
    "                      disk, size and optional uri, key-file, lv, lvm,\n"
    "                      move-swap, lock-timeout, force\n"
    "  -J, --jobs N        run up to N batch requests at once (default 4)\n"
    "      --qga-grow PATH where qga-grow is in the guest, for agents without\n"
    "                      guest-grow-disk (default: qga-grow, in the agent's PATH)\n"
    "      --key-file PATH a key file inside the guest (an absolute path, never\n"
    "                      the key) for a LUKS2 mapping on the disk, which needs\n"
    "                      its key again to grow\n"
    "      --lv VG/LV      the logical volume that takes its volume group's new\n"
    "                      space (default: the only one on the physical volume;\n"
    "                      with several, the space stays free)\n"
    "      --lvm pv|lv     pv: grow the LVM physical volume only and leave the new\n"
    "                      space free; lv: grow a logical volume too (default)\n"
    "      --move-swap     a swap partition right after the partition, at the\n"
    "                      disk's end (or an extended partition holding only\n"
    "                      swap): the guest moves it to the new end (off, same\n"
    "                      size, UUID and label, on again) and grows the\n"
    "                      partition into the space; without it that is refused\n"
    "      --lock-timeout SEC\n"
    "                      how long the guest waits for the disk's lock when\n"
    "                      another grow holds it (0: not at all; default: the\n"
    "                      guest's own)\n"
    "      --force         grow an xfs past its allocation-group hard limit (the\n"
    "                      guest refuses it otherwise; see qga-grow(8))\n"
    "      --no-preflight  resize without first asking the guest whether it would\n"
    "                      grow to the new size (the order before virt-grow asked)\n"
    "      --broker URL    send the request to the compute node's virt-growd over\n"
    "                      RabbitMQ (amqps://USER@HOST:PORT/VHOST) instead of\n"
    "                      growing here; with --node NODE and --project PROJECT\n"
    "                      (the tenant that must own the domain); SIZE absolute\n"
    "                      (a relative one only with -c, where the size is read);\n"
    "                      --broker-password-file, --broker-ca, --broker-cert,\n"
    "                      --broker-key; --timeout is how long to wait\n"
    "  -h, --help          show this help\n"
    "  -V, --version       show the version\n"
    "\n"
    "Before the resize the guest is asked for its plan at the new size (the\n"
    "dry run of guest-grow-disk or qga-grow with assume-size): a refusal it can\n"
    "foresee (a LUKS2 key missing, its allow-list, a frozen filesystem, a limit,\n"
    "LVs with none named) stops the run with exit 2 and nothing resized; a\n"
    "guest that cannot answer is not asked, and the report says so.  --dry-run\n"
    "shows that same plan.\n"
    "\n"
    "The guest side uses, in order: the agent command guest-grow-disk (in its\n"
    "asynchronous form where the agent has guest-grow-disk-status: progress\n"
    "on a terminal); guest-exec of qga-grow; waiting for the guest's udev rule\n"
    "(confirmed by guest-get-fsinfo); with no agent the disk is grown and the\n"
    "guest side is reported unconfirmed.  Text from the guest is printed with\n"
    "control, bidi and invisible characters escaped (\\x1b, \\u202e); --json\n"
    "carries it exactly.\n"
    "\n"
    "Exit status: 0 grown and confirmed (dry run: would grow), 1 nothing to do,\n"
    "2 error or refusal (nothing changed: also a guest that refused before the\n"
    "resize, and a libvirt connection lost before it), 3 disk grown but the\n"
    "guest's growth unconfirmed (still growing at --timeout; the libvirt\n"
    "connection lost after the resize, or during it: then perhaps grown),\n"
    "4 disk grown but the guest's growth failed or stopped partway (each\n"
    "layer's state is shown).  Every run ends with its report, --json too.\n"
    "See virt-grow(1).\n";

void vg_options_clear(VgOptions *o)
{
    g_free(o->uri);
    g_free(o->batch);
    g_free(o->qga_grow);
    g_free(o->domain);
    g_free(o->disk);
    g_free(o->size);
    g_free(o->broker.url);
    g_free(o->broker.node);
    g_free(o->broker.project);
    g_free(o->broker.password_file);
    g_free(o->broker.ca_file);
    g_free(o->broker.cert_file);
    g_free(o->broker.key_file);
    vg_guest_opts_clear(&o->guest);
    memset(o, 0, sizeof(*o));
}

static gboolean parse_uint(const char *opt, const char *text, unsigned min, unsigned max,
                           unsigned *out, GError **error)
{
    char *end = NULL;
    guint64 v;

    errno = 0;
    v = text && g_ascii_isdigit(*text) ? g_ascii_strtoull(text, &end, 10) : 0;
    if (!text || !g_ascii_isdigit(*text) || errno || *end || v < min || v > max) {
        g_set_error(error, VG_ERROR, VG_ERROR_INVALID,
                    "%s needs a whole number from %u to %u, not \"%s\"", opt, min, max,
                    text ? text : "");
        return FALSE;
    }
    *out = (unsigned)v;
    return TRUE;
}

gboolean vg_options_parse(int argc, char **argv, VgOptions *o, GError **error)
{
    const char *words[3];
    unsigned nwords = 0;
    gboolean only_words = FALSE;

    memset(o, 0, sizeof(*o));
    o->timeout_s = VG_DEFAULT_TIMEOUT_S;
    o->jobs = VG_DEFAULT_JOBS;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v;

        /* "-10G" is a (bad) SIZE, not an option: let the size parser say why. */
        if (only_words || a[0] != '-' || !a[1] || g_ascii_isdigit(a[1])) {
            if (nwords == 3) {
                g_set_error(error, VG_ERROR, VG_ERROR_INVALID,
                            "unexpected argument \"%s\" after DOMAIN DISK SIZE", a);
                return FALSE;
            }
            words[nwords++] = a;
        } else if (!strcmp(a, "--")) {
            only_words = TRUE;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            o->help = TRUE;
            return TRUE;
        } else if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
            o->version = TRUE;
            return TRUE;
        } else if (!strcmp(a, "-n") || !strcmp(a, "--dry-run")) {
            o->dry_run = TRUE;
        } else if (!strcmp(a, "-j") || !strcmp(a, "--json")) {
            o->json = TRUE;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            o->quiet = TRUE;
        } else if (!strcmp(a, "--move-swap")) {
            o->guest.move_swap = o->guest.move_swap_set = TRUE;
        } else if (!strcmp(a, "--force")) {
            o->guest.force = o->guest.force_set = TRUE;
        } else if (!strcmp(a, "--no-preflight")) {
            o->no_preflight = TRUE;
        } else if (qg_opt_is(a, "-c", "--connect")) {
            if (!(v = qg_opt_value(argc, argv, &i)) || !*v)
                goto needs_value;
            g_free(o->uri);
            o->uri = g_strdup(v);
        } else if (qg_opt_is(a, "-b", "--batch")) {
            if (!(v = qg_opt_value(argc, argv, &i)) || !*v)
                goto needs_value;
            g_free(o->batch);
            o->batch = g_strdup(v);
        } else if (qg_opt_is(a, NULL, "--qga-grow")) {
            if (!(v = qg_opt_value(argc, argv, &i)) || !*v)
                goto needs_value;
            g_free(o->qga_grow);
            o->qga_grow = g_strdup(v);
        } else if (qg_opt_is(a, NULL, "--key-file")) {
            if (!(v = qg_opt_value(argc, argv, &i)) || !*v)
                goto needs_value;
            if (!vg_key_file_check("--key-file", v, error))
                return FALSE;
            g_free(o->guest.key_file);
            o->guest.key_file = g_strdup(v);
        } else if (qg_opt_is(a, NULL, "--lv")) {
            if (!(v = qg_opt_value(argc, argv, &i)) || !*v)
                goto needs_value;
            if (!vg_lv_check("--lv", v, error))
                return FALSE;
            g_free(o->guest.lv);
            o->guest.lv = g_strdup(v);
        } else if (qg_opt_is(a, NULL, "--lvm")) {
            if (!(v = qg_opt_value(argc, argv, &i)) || !*v)
                goto needs_value;
            if (!vg_lvm_mode_parse("--lvm", v, &o->guest.lvm, error))
                return FALSE;
        } else if (vg_broker_option(argc, argv, &i, &o->broker, &v)) {
            if (!v)
                goto needs_value;
        } else if (qg_opt_is(a, "-t", "--timeout")) {
            if (!parse_uint("--timeout", qg_opt_value(argc, argv, &i), 1, VG_MAX_TIMEOUT_S,
                            &o->timeout_s, error))
                return FALSE;
        } else if (qg_opt_is(a, NULL, "--lock-timeout")) {
            if (!parse_uint("--lock-timeout", qg_opt_value(argc, argv, &i), 0,
                            VG_MAX_LOCK_TIMEOUT_S, &o->guest.lock_timeout_s, error))
                return FALSE;
            o->guest.lock_timeout_set = TRUE;
        } else if (qg_opt_is(a, "-J", "--jobs")) {
            if (!parse_uint("--jobs", qg_opt_value(argc, argv, &i), 1, VG_MAX_JOBS,
                            &o->jobs, error))
                return FALSE;
        } else {
            g_set_error(error, VG_ERROR, VG_ERROR_INVALID, "unknown option \"%s\"", a);
            return FALSE;
        }
        continue;
needs_value:
        g_set_error(error, VG_ERROR, VG_ERROR_INVALID, "%s needs a value", a);
        return FALSE;
    }

    if (!vg_guest_opts_check(&o->guest, "--lv", "--lvm", error) ||
        !vg_broker_options_check(o, error))
        return FALSE;
    if (o->batch && nwords) {
        g_set_error(error, VG_ERROR, VG_ERROR_INVALID,
                    "--batch takes its requests from the file: no DOMAIN DISK SIZE too");
        return FALSE;
    }
    if (!o->batch && nwords < 3) {
        static const char *const missing[] = { "DOMAIN", "DISK", "SIZE" };
        g_set_error(error, VG_ERROR, VG_ERROR_INVALID, "missing %s (usage: DOMAIN DISK SIZE)",
                    missing[nwords]);
        return FALSE;
    }
    if (nwords == 3) {
        o->domain = g_strdup(words[0]);
        o->disk = g_strdup(words[1]);
        o->size = g_strdup(words[2]);
    }
    return TRUE;
}
