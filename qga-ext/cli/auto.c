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

#ifndef QG_AUTO_CONF
#define QG_AUTO_CONF "/etc/qga-grow/auto.conf"
#endif

static const char usage_text[] =
    "Usage: qga-grow auto [--config FILE] [--detach] DISK[:EVENT]\n"
    "\n"
    "Grow DISK's last partition and its filesystem because the kernel said\n"
    "DISK changed size, if the configuration allows it.  Run by the udev rule\n"
    "and qga-grow@.service; DISK is a kernel name (vdb) or a device node,\n"
    "EVENT the uevent's sequence number (logged).\n"
    "\n"
    "  -c, --config FILE  configuration (default " QG_AUTO_CONF ")\n"
    "  -d, --detach       return at once and grow in a detached process\n"
    "                     (udev kills programs that run long), logging to\n"
    "                     the kernel log\n"
    "  -h, --help         show this help\n"
    "\n"
    "Exit status: 0 grown, 1 nothing to do or not enabled, 2 error.\n"
    "See qga-grow(8) and qga-grow-auto.conf(5).\n";

/* How the stack on a disk grows: [auto] has the defaults, a [disk NAME]
 * group (NAME as in disks=) those of one disk. */
typedef struct {
    char *key_file;
    char *lv;
    QgLvmMode lvm;
    gboolean move_swap;
} StackConfig;

typedef struct {
    gboolean enabled;
    char **disks;  /* NULL: all */
    gboolean root_only;  /* the root disk (with those in disks, if any) */
    StackConfig stack;
    GKeyFile *kf;  /* for the [disk NAME] groups */
    char *path;
} AutoConfig;

static void auto_config_clear(AutoConfig *cfg)
{
    g_strfreev(cfg->disks);
    g_free(cfg->stack.key_file);
    g_free(cfg->stack.lv);
    if (cfg->kf)
        g_key_file_unref(cfg->kf);
    g_free(cfg->path);
}

/* key-file=, lvm= and lv= of @group, over what @out has. */
static gboolean load_stack(GKeyFile *kf, const char *path, const char *group, StackConfig *out,
                           GError **error)
{
    g_autofree char *key = g_key_file_get_string(kf, group, "key-file", NULL);
    g_autofree char *lvm = g_key_file_get_string(kf, group, "lvm", NULL);
    g_autofree char *lv = g_key_file_get_string(kf, group, "lv", NULL);

    if (key) {
        g_strstrip(key);
        if (key[0] != '/') {
            g_set_error(error, QG_ERROR, QG_ERROR_INVALID,
                        "%s: [%s] key-file must be an absolute path, not \"%s\"", path,
                        group, key);
            return FALSE;
        }
        g_free(out->key_file);
        out->key_file = g_steal_pointer(&key);
    }
    if (g_key_file_has_key(kf, group, "move-swap", NULL)) {
        g_autoptr(GError) e = NULL;
        out->move_swap = g_key_file_get_boolean(kf, group, "move-swap", &e);
        if (e) {
            g_set_error(error, QG_ERROR, QG_ERROR_INVALID,
                        "%s: [%s] move-swap must be true or false", path, group);
            return FALSE;
        }
    }
    if (lvm && !qg_cli_parse_lvm_mode(g_strstrip(lvm), &out->lvm)) {
        g_set_error(error, QG_ERROR, QG_ERROR_INVALID,
                    "%s: [%s] lvm must be pv, lv or auto, not \"%s\"", path, group, lvm);
        return FALSE;
    }
    if (lv) {
        if (!qg_cli_valid_lv(g_strstrip(lv))) {
            g_set_error(error, QG_ERROR, QG_ERROR_INVALID,
                        "%s: [%s] lv must be VG/LV, not \"%s\"", path, group, lv);
            return FALSE;
        }
        g_free(out->lv);
        out->lv = g_steal_pointer(&lv);
    }
    return TRUE;
}

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

/* A missing file means the defaults: enabled, every disk. */
static gboolean load_config(const char *path, gboolean must_exist, AutoConfig *cfg,
                            GError **error)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GError) e = NULL;

    cfg->enabled = TRUE;
    cfg->disks = NULL;
    cfg->root_only = FALSE;
    cfg->path = g_strdup(path);
    if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &e)) {
        if (!must_exist && g_error_matches(e, G_FILE_ERROR, G_FILE_ERROR_NOENT))
            return TRUE;
        g_set_error(error, QG_ERROR, QG_ERROR_INVALID, "%s: %s", path, e->message);
        return FALSE;
    }
    cfg->kf = g_key_file_ref(kf);
    if (!load_stack(kf, path, "auto", &cfg->stack, error))
        return FALSE;
    /* every [disk NAME] group is checked now, not only when its disk grows */
    g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
    for (char **g = groups; *g; g++) {
        StackConfig probe = { 0 };
        gboolean ok = !g_str_has_prefix(*g, "disk ") ||
                      load_stack(kf, path, *g, &probe, error);
        g_free(probe.key_file);
        g_free(probe.lv);
        if (!ok)
            return FALSE;
    }
    if (g_key_file_has_key(kf, "auto", "enabled", NULL)) {
        cfg->enabled = g_key_file_get_boolean(kf, "auto", "enabled", &e);
        if (e) {
            g_set_error(error, QG_ERROR, QG_ERROR_INVALID,
                        "%s: enabled must be true or false: %s", path, e->message);
            return FALSE;
        }
    }
    g_autofree char *disks = g_key_file_get_string(kf, "auto", "disks", NULL);
    if (disks) {
        g_auto(GStrv) words = g_strsplit_set(g_strstrip(disks), " \t,;", -1);
        g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func(g_free);
        for (char **w = words; *w; w++)
            if (**w)
                g_ptr_array_add(list, g_strdup(*w));
        if (list->len == 0) {
            g_set_error(error, QG_ERROR, QG_ERROR_INVALID,
                        "%s: disks is empty; say all, root, or name disks "
                        "(or set enabled=false)", path);
            return FALSE;
        }
        if (list->len == 1 && strcmp(list->pdata[0], "all") == 0)
            return TRUE;
        /* "root" among named disks: the root disk, and those */
        for (guint i = 0; i < list->len; i++) {
            if (strcmp(list->pdata[i], "all") == 0) {
                g_set_error(error, QG_ERROR, QG_ERROR_INVALID,
                            "%s: disks=all means every disk; it cannot be combined with "
                            "other names", path);
                return FALSE;
            }
            if (strcmp(list->pdata[i], "root") == 0) {
                cfg->root_only = TRUE;
                g_ptr_array_remove_index(list, i--);
            }
        }
        if (list->len == 0)
            return TRUE;
        g_ptr_array_add(list, NULL);
        cfg->disks = (char **)g_ptr_array_free(g_steal_pointer(&list), FALSE);
    }
    return TRUE;
}

/* Does entry @name (a kernel name, a node or serial:SERIAL) name @disk? */
static gboolean names_disk(const char *name, const char *disk)
{
    QgRequest req = { 0 };
    g_autofree char *node = g_strdup_printf("/dev/%s", name);
    g_autoptr(GError) e = NULL;
    if (g_str_has_prefix(name, "serial:"))
        req.serial = name + strlen("serial:");
    else
        req.device = strchr(name, '/') ? name : node;
    g_autofree char *found = qg_target_disk(&req, &e);
    return found && strcmp(found, disk) == 0;
}

/* Does the configuration let @node (a device node) grow by itself? */
static gboolean disk_allowed(const AutoConfig *cfg, const char *node)
{
    /* resolved as the entries are: a symlink (/dev/disk/by-id/...) names
     * its disk; a node that cannot be resolved is compared as given (the
     * grow then says what is wrong with it) */
    QgRequest self = { .device = node };
    g_autoptr(GError) se = NULL;
    g_autofree char *disk = qg_target_disk(&self, &se);
    if (!disk)
        disk = g_strdup(node);

    if (cfg->root_only) {
        QgRequest root = { .mountpoint = "/" };
        g_autoptr(GError) e = NULL;
        g_autofree char *root_disk = qg_target_disk(&root, &e);
        if (root_disk && strcmp(root_disk, disk) == 0)
            return TRUE;
        if (!cfg->disks)
            return FALSE;
    }
    if (!cfg->disks)
        return TRUE;
    /* a disk that is not there now is simply not this one */
    for (char **d = cfg->disks; *d; d++)
        if (names_disk(*d, disk))
            return TRUE;
    return FALSE;
}

/* The stack settings for @node: [auto]'s, then its [disk NAME] group's. */
static void stack_for(const AutoConfig *cfg, const char *node, StackConfig *out)
{
    QgRequest self = { .device = node };
    g_autoptr(GError) se = NULL;
    g_autofree char *disk = qg_target_disk(&self, &se);

    out->key_file = g_strdup(cfg->stack.key_file);
    out->lv = g_strdup(cfg->stack.lv);
    out->lvm = cfg->stack.lvm;
    out->move_swap = cfg->stack.move_swap;
    if (!cfg->kf || !disk)
        return;
    g_auto(GStrv) groups = g_key_file_get_groups(cfg->kf, NULL);
    for (char **g = groups; *g; g++)
        if (g_str_has_prefix(*g, "disk ") && names_disk(g_strstrip(*g + 5), disk))
            load_stack(cfg->kf, cfg->path, *g, out, NULL);  /* checked at load */
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
    }
    auto_log(res->changed ? 5 : 6, "%s: %s: %s", res->disk,
             res->changed ? "grown" : "nothing to do",
             line->len ? line->str : "no layers");
    for (guint i = 0; i < res->warnings->len; i++)
        auto_log(4, "%s: warning: %s", res->disk, (char *)res->warnings->pdata[i]);
}

int qg_cmd_auto(int argc, char **argv)
{
    const char *config = NULL, *name = NULL;
    gboolean background = FALSE;
    __attribute__((cleanup(auto_config_clear))) AutoConfig cfg = { 0 };
    g_autoptr(GError) error = NULL;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage_text, stdout);
            return QG_EXIT_GROWN;
        } else if (!strcmp(a, "-d") || !strcmp(a, "--detach")) {
            background = TRUE;
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
    if (!name || !*name) {
        fprintf(stderr, "qga-grow auto: name the disk that changed size\n"
                        "Try 'qga-grow auto --help'.\n");
        return QG_EXIT_ERROR;
    }
    /* Check the configuration before detaching, so that a mistake in it
     * reaches whoever runs this by hand. */
    if (!load_config(config ? config : QG_AUTO_CONF, config != NULL, &cfg, &error)) {
        fprintf(stderr, "qga-grow auto: %s\n", error->message);
        return QG_EXIT_ERROR;
    }
    /* "vdb:4711" from qga-grow@vdb:4711.service: the uevent's number
     * follows the kernel name (which never holds a colon) */
    g_autofree char *disk = g_strdup(name);
    const char *event = NULL;
    char *colon = strchr(disk, ':');
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
    if (!cfg.enabled) {
        auto_log(6, "%s: automatic growth is off (enabled=false in the configuration)",
                 node);
    } else if (!disk_allowed(&cfg, node)) {
        auto_log(6, "%s: not among the disks the configuration lets grow by themselves",
                 node);
    } else {
        StackConfig st = { 0 };
        stack_for(&cfg, node, &st);
        QgRequest req = { .device = node, .key_file = st.key_file, .lv = st.lv,
                          .lvm = st.lvm, .move_swap = st.move_swap };
        if (req.lv && req.lvm == QG_LVM_AUTO)
            req.lvm = QG_LVM_LV;
        g_autoptr(QgResult) res = qg_grow(&req, &error);
        g_free(st.key_file);
        g_free(st.lv);
        if (res) {
            log_result(res);
            rc = res->changed ? QG_EXIT_GROWN : QG_EXIT_NOTHING;
        } else {
            /* a refusal (no filesystem, a swap partition...) is the
             * disk's normal state for some uses; a failure is not */
            auto_log(g_error_matches(error, QG_ERROR, QG_ERROR_REFUSED) ? 4 : 3, "%s",
                     error->message);
            rc = QG_EXIT_ERROR;
        }
    }
    return rc;
}
