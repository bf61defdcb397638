/* "qga-grow auto DISK": the automatic path, run by the udev rule (directly,
 * detached, or through qga-grow@DISK.service on systemd guests) when the
 * kernel reports that DISK changed size.  It obeys the configuration file
 * (an off switch and which disks may grow by themselves), then grows the
 * disk like "qga-grow DISK" would, and logs one line of what it did.
 *
 * It never loops on the change events its own writes cause: the rule fires
 * only on the kernel's RESIZE=1 events, and a run that finds nothing to do
 * writes nothing.  It does not race the agent command: both take the
 * whole-disk lock, and whoever comes second finds nothing to do. */
#include "args.h"
#include "auto-conf.h"
#include "cli.h"
#include "cli-opt.h"
#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage_text[] =
    "Usage: qga-grow auto [--config FILE] [--detach] DISK[:EVENT]\n"
    "       qga-grow auto [--config FILE] --boot\n"
    "\n"
    "Grow DISK's last partition and its filesystem because the kernel said\n"
    "DISK changed size, if the configuration allows it.  Run by the udev rule\n"
    "and qga-grow@.service; DISK is a kernel name (vdb) or a device node,\n"
    "EVENT the uevent's sequence number (logged).  With --boot (run by\n"
    "qga-grow-boot.service): grow the disks of [auto] boot= (default: the one\n"
    "holding /), for disks enlarged while the machine was off.\n"
    "\n"
    "  -c, --config FILE  configuration (default " QG_AUTO_CONF ")\n"
    "  -d, --detach       return at once and grow in a detached process\n"
    "                     (udev kills programs that run long), logging to\n"
    "                     the kernel log\n"
    "  -b, --boot         grow the disks of [auto] boot= (at boot)\n"
    "  -h, --help         show this help\n"
    "\n"
    "Exit status: 0 grown, 1 nothing to do or not enabled, 2 error, 3 partly\n"
    "grown (a layer failed; run again to resume).\n"
    "See qga-grow(8) and qga-grow-auto.conf(5).\n";

static gboolean to_kmsg;
static const char *log_event;  /* the uevent's number, when known */

/* One line to stderr, or, detached (no stderr), to the kernel log. */
static void G_GNUC_PRINTF(2, 3) auto_log(int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_autofree char *msg = log_event ? g_strdup_printf("%s [uevent %s]", text, log_event)
                                     : g_strdup(text);
    if (to_kmsg) {
        int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
        if (fd >= 0) {
            /* facility "user" (1), as syslog(3) would log it */
            g_autofree char *line = g_strdup_printf("<%d>qga-grow[%d]: %s\n", 8 + level,
                                                    (int)getpid(), msg);
            if (write(fd, line, strlen(line)) < 0) { /* nowhere else to say it */ }
            close(fd);
            return;
        }
    }
    fprintf(stderr, "qga-grow: %s\n", msg);
}

/* Fork twice so that the grower is no child of udev's worker, and let the
 * caller return at once.  Returns TRUE in the grower, FALSE in the caller. */
static gboolean detach(void)
{
    pid_t pid = fork();
    if (pid < 0)
        return TRUE;  /* cannot detach: grow right here */
    if (pid > 0)
        return FALSE;
    setsid();
    if (fork() != 0)
        _exit(0);
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        if (null > 2)
            close(null);
    }
    if (chdir("/") != 0) { /* "/" always exists */ }
    return TRUE;
}

/* One line for the whole stack; a run that stopped partway also says each
 * layer's state and why it stopped. */
static void log_result(const QgResult *res)
{
    g_autoptr(GString) line = g_string_new(NULL);
    for (guint i = 0; i < res->layers->len; i++) {
        const QgLayer *l = res->layers->pdata[i];
        g_autofree char *from = qg_format_bytes(l->old_size);
        g_autofree char *to = qg_format_bytes(l->size);
        g_string_append_printf(line, "%s%s %s (%s) %s -> %s (%" G_GUINT64_FORMAT " -> %"
                               G_GUINT64_FORMAT " bytes)", i ? "; " : "",
                               qg_layer_kind_name(l->kind), l->device, l->type, from, to,
                               (guint64)l->old_size, (guint64)l->size);
        if (res->error)
            g_string_append_printf(line, " %s", qg_layer_state_name(l->state));
        if (l->limit)
            g_string_append_printf(line, " (stops there: %s)", l->limit);
    }
    if (res->error)
        auto_log(3, "%s: stopped partway: %s: %s; run again to resume", res->disk, res->error,
                 line->len ? line->str : "no layers");
    else
        auto_log(res->changed ? 5 : 6, "%s: %s: %s", res->disk,
                 res->changed ? "grown" : "nothing to do",
                 line->len ? line->str : "no layers");
    for (guint i = 0; i < res->warnings->len; i++)
        auto_log(4, "%s: warning: %s", res->disk, (char *)res->warnings->pdata[i]);
}

/* Grow @node (the whole disk @whole) with its settings from @cfg; the exit
 * status of that. */
static int grow_one(const QgAutoConf *cfg, const char *node, const char *whole)
{
    g_autoptr(GError) error = NULL;
    QgRequest req = { .device = node };
    qg_auto_conf_request(cfg, whole, &req);
    g_autoptr(QgResult) partial = NULL;
    g_autoptr(QgResult) res = qg_grow_full(&req, &partial, &error);
    if (res) {
        log_result(res);
        return res->changed ? QG_EXIT_GROWN : QG_EXIT_NOTHING;
    }
    if (partial) {
        log_result(partial);
        return partial->changed ? QG_EXIT_PARTIAL : QG_EXIT_ERROR;
    }
    /* a refusal (no filesystem, a swap partition...) is the disk's normal
     * state for some uses; a failure is not */
    auto_log(g_error_matches(error, QG_ERROR, QG_ERROR_REFUSED) ? 4 : 3, "%s", error->message);
    return QG_EXIT_ERROR;
}

/* Several disks' statuses as one: stopped partway beats an error, which
 * beats grown, which beats nothing to do. */
static int worst(int a, int b)
{
    static const int rank[] = { [QG_EXIT_NOTHING] = 0, [QG_EXIT_GROWN] = 1,
                                [QG_EXIT_ERROR] = 2, [QG_EXIT_PARTIAL] = 3 };
    return rank[a] >= rank[b] ? a : b;
}

/* qga-grow-boot.service: at boot, grow the disks of [auto] boot= (default:
 * the one holding "/"), for a disk enlarged while the machine was off: no
 * uevent says so then. */
static int boot_grow(const QgAutoConf *cfg)
{
    if (!qg_auto_conf_enabled(cfg)) {
        auto_log(6, "at boot: automatic growth is off (enabled=false in %s)",
                 qg_auto_conf_path(cfg));
        return QG_EXIT_NOTHING;
    }
    g_autoptr(GPtrArray) missing = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) disks = qg_auto_conf_boot_disks(cfg, missing);
    int rc = QG_EXIT_NOTHING;
    for (guint i = 0; i < missing->len; i++)
        auto_log(4, "at boot: %s names no disk here ([auto] boot= in %s)",
                 (char *)missing->pdata[i], qg_auto_conf_path(cfg));
    if (!disks->len)
        auto_log(6, "at boot: no disk to grow ([auto] boot= in %s)", qg_auto_conf_path(cfg));
    for (guint i = 0; i < disks->len; i++)
        rc = worst(rc, grow_one(cfg, disks->pdata[i], disks->pdata[i]));
    return rc;
}

int qg_cmd_auto(int argc, char **argv)
{
    const char *config = NULL, *name = NULL;
    gboolean background = FALSE, boot = FALSE;
    g_autoptr(QgAutoConf) cfg = NULL;
    g_autoptr(GError) error = NULL;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage_text, stdout);
            return QG_EXIT_GROWN;
        } else if (!strcmp(a, "-d") || !strcmp(a, "--detach")) {
            background = TRUE;
        } else if (!strcmp(a, "-b") || !strcmp(a, "--boot")) {
            boot = TRUE;
        } else if (qg_opt_is(a, "-c", "--config")) {
            if (!(config = qg_opt_value(argc, argv, &i))) {
                fprintf(stderr, "qga-grow auto: %s needs a file\n", a);
                return QG_EXIT_ERROR;
            }
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "qga-grow auto: unknown option \"%s\"\n"
                            "Try 'qga-grow auto --help'.\n", a);
            return QG_EXIT_ERROR;
        } else if (name) {
            fprintf(stderr, "qga-grow auto: one disk only; \"%s\" is one too many\n", a);
            return QG_EXIT_ERROR;
        } else {
            name = a;
        }
    }
    if (boot && (name || background)) {
        fprintf(stderr, "qga-grow auto: --boot grows the disks of [auto] boot=; it takes no "
                        "DISK and no --detach\n"
                        "Try 'qga-grow auto --help'.\n");
        return QG_EXIT_ERROR;
    }
    if (boot) {
        if (!(cfg = qg_auto_conf_load(config, config != NULL, &error))) {
            fprintf(stderr, "qga-grow auto: %s; nothing grows\n", error->message);
            return QG_EXIT_ERROR;
        }
        return boot_grow(cfg);
    }
    if (!name || !*name) {
        fprintf(stderr, "qga-grow auto: name the disk that changed size\n"
                        "Try 'qga-grow auto --help'.\n");
        return QG_EXIT_ERROR;
    }
    /* Check the configuration before detaching, so that a mistake in it
     * reaches whoever runs this by hand (and, from the rule, the kernel log
     * too: udev keeps its programs' stderr to its debug log).  A broken
     * file grows nothing: a typo must not widen what grows. */
    if (!(cfg = qg_auto_conf_load(config, config != NULL, &error))) {
        fprintf(stderr, "qga-grow auto: %s; nothing grows\n", error->message);
        if (background) {
            to_kmsg = TRUE;
            auto_log(3, "%s: %s; nothing grows", name, error->message);
        }
        return QG_EXIT_ERROR;
    }
    /* "vdb:4711" from qga-grow@vdb:4711.service: the uevent's number
     * follows the kernel name, after the last colon */
    g_autofree char *disk = g_strdup(name);
    const char *event = NULL;
    char *colon = strrchr(disk, ':');
    if (colon && !strchr(disk, '/')) {
        *colon = '\0';
        event = colon + 1;
    }
    g_autofree char *node = strchr(disk, '/') ? g_strdup(disk)
                                              : g_strdup_printf("/dev/%s", disk);
    if (background && !detach())
        return QG_EXIT_GROWN;
    to_kmsg = background;
    log_event = event;

    int rc = QG_EXIT_NOTHING;
    /* the disk behind the node (a symlink such as /dev/disk/by-id/...
     * names its disk); one that cannot be resolved is compared as given,
     * and the grow then says what is wrong with it */
    QgRequest self = { .device = node };
    g_autofree char *whole = qg_target_disk(&self, NULL);
    if (!whole)
        whole = g_strdup(node);
    if (!qg_auto_conf_enabled(cfg)) {
        auto_log(6, "%s: automatic growth is off (enabled=false in %s)", node,
                 qg_auto_conf_path(cfg));
    } else if (!qg_auto_conf_auto_allows(cfg, whole)) {
        auto_log(6, "%s: not among the disks the configuration lets grow by themselves "
                    "([auto] disks= in %s)", node, qg_auto_conf_path(cfg));
    } else {
        rc = grow_one(cfg, node, whole);
    }
    return rc;
}
