/* auto.conf, read strictly.  GKeyFile is not used: it accepts any section
 * and key, lets a repeated key silently win, and cannot say on which line a
 * mistake is.  A typo here must never widen what grows (issue 11: "[Auto]"
 * made "disks=root" vanish and every disk grow), so every line is either
 * understood or an error naming the file and the line. */
#include "auto-conf.h"
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

/* A stack setting given in a section (bits of Settings.set). */
enum {
    SET_KEY_FILE = 1 << 0,
    SET_LV = 1 << 1,
    SET_LVM = 1 << 2,
    SET_MOVE_SWAP = 1 << 3,
    SET_LOCK_TIMEOUT = 1 << 4,
    SET_FORCE = 1 << 5,
};

typedef struct {
    unsigned set;
    char *key_file;
    char *lv;
    QgLvmMode lvm;
    gboolean move_swap;
    int lock_timeout_ms;
    gboolean force;
} Settings;

/* disks= of [auto] or [agent] */
typedef struct {
    int line;        /* 0: not given */
    char *text;      /* as written, for messages */
    gboolean all;    /* also when not given */
    gboolean none;
    gboolean root;   /* the disk holding "/" (beside those in names) */
    GPtrArray *names;  /* kernel names, nodes, serial:SERIAL */
} DiskList;

typedef struct {
    char *name;  /* as in disks= */
    Settings settings;
} DiskGroup;

typedef enum { SEC_NONE, SEC_AUTO, SEC_AGENT, SEC_DISK } Section;

struct QgAutoConf {
    char *path;
    gboolean enabled;
    DiskList auto_disks;
    DiskList boot_disks;  /* what qga-grow-boot.service grows; default root */
    Settings auto_settings;
    GPtrArray *groups;  /* of DiskGroup*, in the file's order */
    int agent_line;     /* 0: no [agent] section */
    DiskList agent_disks;
};

static void settings_clear(Settings *s)
{
    g_free(s->key_file);
    g_free(s->lv);
}

static void disk_list_clear(DiskList *l)
{
    g_free(l->text);
    if (l->names)
        g_ptr_array_unref(l->names);
}

static void disk_group_free(DiskGroup *g)
{
    g_free(g->name);
    settings_clear(&g->settings);
    g_free(g);
}

void qg_auto_conf_free(QgAutoConf *c)
{
    if (!c)
        return;
    g_free(c->path);
    disk_list_clear(&c->auto_disks);
    disk_list_clear(&c->boot_disks);
    settings_clear(&c->auto_settings);
    g_ptr_array_unref(c->groups);
    disk_list_clear(&c->agent_disks);
    g_free(c);
}

const char *qg_auto_conf_path(const QgAutoConf *c)
{
    return c->path;
}

gboolean qg_auto_conf_enabled(const QgAutoConf *c)
{
    return c->enabled;
}

/* The parser's state. */
typedef struct {
    QgAutoConf *conf;
    int line;
    Section section;
    char *section_text;        /* "[auto]", for messages */
    Settings *settings;        /* the section's, or NULL ([agent]) */
    GHashTable *keys;          /* key -> line, in this section */
    GHashTable *sections;      /* section text -> line */
} Parser;

static gboolean G_GNUC_PRINTF(3, 4) bad(Parser *p, GError **error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(error, QG_ERROR, QG_ERROR_INVALID, "%s:%d: %s", p->conf->path, p->line, msg);
    return FALSE;
}

static gboolean parse_bool(Parser *p, const char *key, const char *value, gboolean *out,
                           GError **error)
{
    if (!strcmp(value, "true"))
        *out = TRUE;
    else if (!strcmp(value, "false"))
        *out = FALSE;
    else
        return bad(p, error, "%s %s must be true or false, not \"%s\"", p->section_text, key,
                   value);
    return TRUE;
}

/* Seconds, from 0 (do not wait: the library's 1 ms) to a day. */
static gboolean parse_lock_timeout(Parser *p, const char *value, int *ms, GError **error)
{
    char *end = NULL;
    errno = 0;
    double sec = g_ascii_strtod(value, &end);
    /* digits and a point: no sign, exponent, hex or "inf" */
    if (strspn(value, "0123456789.") != strlen(value) || !g_ascii_isdigit(value[0]) ||
        errno || end == value || *end || !isfinite(sec) || sec > 86400)
        return bad(p, error, "%s lock-timeout must be seconds from 0 to 86400, not \"%s\"",
                   p->section_text, value);
    *ms = MAX(1, (int)(sec * 1000 + 0.5));
    return TRUE;
}

static gboolean kernel_name_char(char c)
{
    return g_ascii_isalnum(c) || strchr("._-!+", c);
}

/* One entry naming a disk: a kernel name, a device node or serial:SERIAL
 * (@keywords: also all, none, root).  Keywords in another case are errors,
 * not kernel names. */
static gboolean check_entry(Parser *p, const char *where, const char *word, gboolean keywords,
                            GError **error)
{
    static const char *const kw[] = { "all", "none", "root" };
    for (size_t i = 0; i < G_N_ELEMENTS(kw); i++) {
        if (!g_ascii_strcasecmp(word, kw[i]) && (!keywords || strcmp(word, kw[i])))
            return keywords ? bad(p, error, "%s: \"%s\" is not a disk (keywords are lower "
                                            "case: %s)", where, word, kw[i])
                            : bad(p, error, "%s: \"%s\" is not a disk's name", where, word);
    }
    if (g_str_has_prefix(word, "serial:"))
        return word[strlen("serial:")] ? TRUE
                                       : bad(p, error, "%s: serial: needs a serial", where);
    if (word[0] == '/')
        return TRUE;
    for (const char *c = word; *c; c++) {
        if (kernel_name_char(*c))
            continue;
        if (*c == ':')
            return bad(p, error, "%s: \"%s\": only serial:SERIAL takes a prefix", where, word);
        if (*c == '/')
            return bad(p, error, "%s: \"%s\": a device node is an absolute path", where, word);
        return bad(p, error, "%s: \"%s\" is not a kernel name, /dev path or serial:SERIAL",
                   where, word);
    }
    return TRUE;
}

static gboolean parse_disks(Parser *p, const char *value, DiskList *out, GError **error)
{
    g_autofree char *where = g_strdup_printf("%s disks", p->section_text);
    g_auto(GStrv) words = g_strsplit_set(value, " \t,;", -1);

    out->line = p->line;
    out->all = out->root = out->none = FALSE;  /* the defaults, when not given */
    out->text = g_strdup(value);
    out->names = g_ptr_array_new_with_free_func(g_free);
    guint n = 0;
    for (char **w = words; *w; w++) {
        if (!**w)
            continue;
        if (!check_entry(p, where, *w, TRUE, error))
            return FALSE;
        n++;
        if (!strcmp(*w, "all"))
            out->all = TRUE;
        else if (!strcmp(*w, "none"))
            out->none = TRUE;
        else if (!strcmp(*w, "root"))
            out->root = TRUE;
        else
            g_ptr_array_add(out->names, g_strdup(*w));
    }
    if (n == 0)
        return bad(p, error, "%s is empty; say all, none, root, or name disks%s", where,
                   p->section == SEC_AUTO ? " (or set enabled=false)" : "");
    if (out->all && n > 1)
        return bad(p, error, "disks=all means every disk; it cannot be combined with other "
                             "names");
    if (out->none && n > 1)
        return bad(p, error, "disks=none means no disk; it cannot be combined with other "
                             "names");
    return TRUE;
}

/* key-file, lvm, lv, move-swap, lock-timeout, force: FALSE with no error
 * when @key is none of them. */
static gboolean parse_setting(Parser *p, const char *key, const char *value, gboolean *known,
                              GError **error)
{
    Settings *s = p->settings;
    const char *sec = p->section_text;

    *known = TRUE;
    if (!strcmp(key, "key-file")) {
        if (value[0] != '/')
            return bad(p, error, "%s key-file must be an absolute path, not \"%s\"", sec, value);
        g_free(s->key_file);
        s->key_file = g_strdup(value);
        s->set |= SET_KEY_FILE;
    } else if (!strcmp(key, "lvm")) {
        if (!qg_lvm_mode_parse(value, &s->lvm))
            return bad(p, error, "%s lvm must be pv, lv or auto, not \"%s\"", sec, value);
        s->set |= SET_LVM;
    } else if (!strcmp(key, "lv")) {
        if (!qg_lv_name_valid(value))
            return bad(p, error, "%s lv must be VG/LV, not \"%s\"", sec, value);
        g_free(s->lv);
        s->lv = g_strdup(value);
        s->set |= SET_LV;
    } else if (!strcmp(key, "move-swap")) {
        if (!parse_bool(p, key, value, &s->move_swap, error))
            return FALSE;
        s->set |= SET_MOVE_SWAP;
    } else if (!strcmp(key, "lock-timeout")) {
        if (!parse_lock_timeout(p, value, &s->lock_timeout_ms, error))
            return FALSE;
        s->set |= SET_LOCK_TIMEOUT;
    } else if (!strcmp(key, "force")) {
        if (!parse_bool(p, key, value, &s->force, error))
            return FALSE;
        s->set |= SET_FORCE;
    } else {
        *known = FALSE;
    }
    return TRUE;
}

static gboolean parse_section(Parser *p, const char *text, GError **error)
{
    size_t len = strlen(text);
    if (text[len - 1] != ']')
        return bad(p, error, "\"%s\": a section is [NAME], on a line of its own", text);
    g_autofree char *name = g_strndup(text + 1, len - 2);
    gpointer prev;
    if (g_hash_table_lookup_extended(p->sections, text, NULL, &prev))
        return bad(p, error, "%s again (first on line %d); say each section once", text,
                   GPOINTER_TO_INT(prev));

    if (!strcmp(name, "auto")) {
        p->section = SEC_AUTO;
        p->settings = &p->conf->auto_settings;
    } else if (!strcmp(name, "agent")) {
        p->section = SEC_AGENT;
        p->settings = NULL;
        p->conf->agent_line = p->line;
    } else if (g_str_has_prefix(name, "disk ")) {
        const char *disk = name + strlen("disk ");
        if (!*disk || strpbrk(disk, " \t"))
            return bad(p, error, "%s: one disk per section, [disk NAME]", text);
        if (!check_entry(p, text, disk, FALSE, error))
            return FALSE;
        DiskGroup *g = g_new0(DiskGroup, 1);
        g->name = g_strdup(disk);
        g_ptr_array_add(p->conf->groups, g);
        p->section = SEC_DISK;
        p->settings = &g->settings;
    } else {
        return bad(p, error, "unknown section %s (there are [auto], [agent] and [disk NAME], "
                             "in lower case)", text);
    }
    g_free(p->section_text);
    p->section_text = g_strdup(text);
    g_hash_table_insert(p->sections, g_strdup(text), GINT_TO_POINTER(p->line));
    g_hash_table_remove_all(p->keys);
    return TRUE;
}

static gboolean parse_key(Parser *p, const char *text, GError **error)
{
    const char *eq = strchr(text, '=');
    if (!eq)
        return bad(p, error, "\"%s\" is neither [section], key=value nor a # comment", text);
    g_autofree char *key = g_strstrip(g_strndup(text, eq - text));
    g_autofree char *value = g_strstrip(g_strdup(eq + 1));
    if (!*key)
        return bad(p, error, "\"%s\": no key before =", text);
    if (p->section == SEC_NONE)
        return bad(p, error, "%s= before any section (put it under [auto], [agent] or "
                             "[disk NAME])", key);
    gpointer prev;
    if (g_hash_table_lookup_extended(p->keys, key, NULL, &prev))
        return bad(p, error, "%s %s= again (first on line %d); say it once", p->section_text,
                   key, GPOINTER_TO_INT(prev));
    g_hash_table_insert(p->keys, g_strdup(key), GINT_TO_POINTER(p->line));

    gboolean known = FALSE;
    if (p->section == SEC_AUTO && !strcmp(key, "enabled"))
        return parse_bool(p, key, value, &p->conf->enabled, error);
    if (p->section == SEC_AUTO && !strcmp(key, "disks"))
        return parse_disks(p, value, &p->conf->auto_disks, error);
    if (p->section == SEC_AUTO && !strcmp(key, "boot"))
        return parse_disks(p, value, &p->conf->boot_disks, error);
    if (p->section == SEC_AGENT && !strcmp(key, "disks"))
        return parse_disks(p, value, &p->conf->agent_disks, error);
    if (p->settings) {
        if (!*value)
            return bad(p, error, "%s %s= has no value", p->section_text, key);
        if (!parse_setting(p, key, value, &known, error))
            return FALSE;
    }
    if (!known)
        return bad(p, error, "unknown key %s= in %s (%s)", key, p->section_text,
                   p->section == SEC_AUTO  ? "enabled, disks, boot, key-file, lvm, lv, "
                                             "move-swap, lock-timeout, force"
                   : p->section == SEC_DISK ? "key-file, lvm, lv, move-swap, lock-timeout, force"
                                            : "disks");
    return TRUE;
}

/* Checks over a whole section, at its end. */
static gboolean end_section(Parser *p, GError **error)
{
    if (p->section == SEC_AGENT && !p->conf->agent_disks.line)
        return bad(p, error, "[agent] needs disks= (all, none, root, or disks' names)");
    if (p->settings && (p->settings->set & SET_LV) && (p->settings->set & SET_LVM) &&
        p->settings->lvm == QG_LVM_PV)
        return bad(p, error, "%s: lv names an LV to grow, lvm=pv grows none: choose one",
                   p->section_text);
    return TRUE;
}

static gboolean parse_text(Parser *p, char *text, gsize length, GError **error)
{
    size_t nul = strlen(text);
    if (nul != length) {
        p->line = 1;
        for (size_t i = 0; i < nul; i++)
            p->line += text[i] == '\n';
        return bad(p, error, "a NUL byte: this is no text file");
    }
    char **lines = g_strsplit(text, "\n", -1);
    gboolean ok = TRUE;
    int section_line = 0;
    for (char **l = lines; *l && ok; l++) {
        p->line++;
        if (!g_utf8_validate(*l, -1, NULL)) {
            ok = bad(p, error, "not valid UTF-8");
            break;
        }
        char *s = g_strstrip(*l);
        if (!*s || s[0] == '#')
            continue;
        if (s[0] == '[') {
            /* the checks of the section that ends here, at its header */
            int here = p->line;
            p->line = section_line;
            ok = end_section(p, error);
            p->line = here;
            section_line = here;
            ok = ok && parse_section(p, s, error);
        } else {
            ok = parse_key(p, s, error);
        }
    }
    if (ok) {
        p->line = section_line;
        ok = end_section(p, error);
    }
    g_strfreev(lines);
    return ok;
}

/* The file's text; QG_ERROR_NOT_FOUND when there is none, "PATH: why". */
static gboolean read_file(const char *path, char **text, gsize *length, GError **error)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int err = errno;
        g_set_error(error, QG_ERROR, err == ENOENT ? QG_ERROR_NOT_FOUND : QG_ERROR_INVALID,
                    "%s: %s", path, g_strerror(err));
        return FALSE;
    }
    GString *buf = g_string_new(NULL);
    char chunk[4096];
    ssize_t n;
    while ((n = read(fd, chunk, sizeof(chunk))) > 0 || (n < 0 && errno == EINTR))
        if (n > 0)
            g_string_append_len(buf, chunk, n);
    int err = errno;
    close(fd);
    if (n < 0) {
        g_string_free(buf, TRUE);
        g_set_error(error, QG_ERROR, QG_ERROR_INVALID, "%s: %s", path, g_strerror(err));
        return FALSE;
    }
    *length = buf->len;
    *text = g_string_free(buf, FALSE);
    return TRUE;
}

/* The defaults: no file. */
static QgAutoConf *conf_new(const char *path)
{
    QgAutoConf *c = g_new0(QgAutoConf, 1);
    c->path = g_strdup(path);
    c->enabled = TRUE;
    c->auto_disks.all = TRUE;
    c->boot_disks.root = TRUE;  /* as systemd-growfs grows "/" */
    c->agent_disks.all = TRUE;
    c->groups = g_ptr_array_new_with_free_func((GDestroyNotify)disk_group_free);
    return c;
}

/* Read @text (@length bytes and a NUL after them) into @c, which it takes. */
static QgAutoConf *parse_into(QgAutoConf *c, char *text, gsize length, GError **error)
{
    Parser p = { .conf = c };
    p.keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    p.sections = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    gboolean ok = parse_text(&p, text, length, error);
    g_hash_table_unref(p.keys);
    g_hash_table_unref(p.sections);
    g_free(p.section_text);
    if (!ok) {
        qg_auto_conf_free(c);
        return NULL;
    }
    return c;
}

QgAutoConf *qg_auto_conf_load(const char *path, gboolean must_exist, GError **error)
{
    g_autoptr(QgAutoConf) c = conf_new(path ? path : QG_AUTO_CONF);
    g_autofree char *text = NULL;
    gsize length = 0;

    g_autoptr(GError) e = NULL;
    if (!read_file(c->path, &text, &length, &e)) {
        if (!must_exist && g_error_matches(e, QG_ERROR, QG_ERROR_NOT_FOUND))
            return g_steal_pointer(&c);
        /* a file named but missing is a mistake in the configuration */
        g_set_error_literal(error, QG_ERROR, QG_ERROR_INVALID, e->message);
        return NULL;
    }
    return parse_into(g_steal_pointer(&c), text, length, error);
}

QgAutoConf *qg_auto_conf_parse(const char *name, const char *text, gsize length,
                               GError **error)
{
    QgAutoConf *c = conf_new(name);
    /* a copy the parser may cut into lines; NULs inside stay, and it
     * reports them */
    g_autofree char *whole = g_malloc(length + 1);
    memcpy(whole, text, length);
    whole[length] = '\0';
    return parse_into(c, whole, length, error);
}

/* The disk (a node, "/dev/vdb") that entry @name names, or NULL when there
 * is none now. */
static char *disk_of_entry(const char *name)
{
    QgRequest req = { 0 };
    g_autofree char *node = g_strdup_printf("/dev/%s", name);
    if (g_str_has_prefix(name, "serial:"))
        req.serial = name + strlen("serial:");
    else
        req.device = name[0] == '/' ? name : node;
    return qg_target_disk(&req, NULL);
}

static gboolean entry_names(const char *name, const char *disk)
{
    g_autofree char *found = disk_of_entry(name);
    return found && !strcmp(found, disk);
}

/* Is @disk, a disk's node, on the list?  Its names are resolved now: a
 * symlink (/dev/disk/by-id/...) names its disk, a partition's name its
 * disk; a disk not there now is simply not this one. */
static gboolean list_has(const DiskList *l, const char *disk)
{
    if (!l->line || l->all)
        return TRUE;
    if (l->none)
        return FALSE;
    if (l->root) {
        QgRequest root = { .mountpoint = "/" };
        g_autofree char *root_disk = qg_target_disk(&root, NULL);
        if (root_disk && !strcmp(root_disk, disk))
            return TRUE;
    }
    for (guint i = 0; i < l->names->len; i++)
        if (entry_names(l->names->pdata[i], disk))
            return TRUE;
    return FALSE;
}

gboolean qg_auto_conf_auto_allows(const QgAutoConf *c, const char *disk)
{
    return list_has(&c->auto_disks, disk);
}

/* Whole disks that "all" means at boot: those with a device behind them,
 * not loop, RAM, optical or floppy devices, and not dm or md devices (they
 * grow through the disks below them). */
static void add_every_disk(GPtrArray *out)
{
    static const char *const skip[] = { "loop", "ram", "zram", "sr", "fd", "dm-", "md", "nbd" };
    g_autoptr(GDir) dir = g_dir_open("/sys/block", 0, NULL);
    const char *name;
    while (dir && (name = g_dir_read_name(dir))) {
        gboolean skipped = FALSE;
        for (size_t i = 0; i < G_N_ELEMENTS(skip); i++)
            skipped |= g_str_has_prefix(name, skip[i]);
        g_autofree char *device = g_strdup_printf("/sys/block/%s/device", name);
        if (!skipped && g_file_test(device, G_FILE_TEST_EXISTS))
            g_ptr_array_add(out, g_strdup_printf("/dev/%s", name));
    }
}

static void add_once(GPtrArray *out, char *disk)
{
    for (guint i = 0; i < out->len; i++)
        if (!strcmp(out->pdata[i], disk)) {
            g_free(disk);
            return;
        }
    g_ptr_array_add(out, disk);
}

GPtrArray *qg_auto_conf_boot_disks(const QgAutoConf *c, GPtrArray *missing)
{
    const DiskList *l = &c->boot_disks;
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    if (l->none)
        return out;
    if (l->all) {
        add_every_disk(out);
        return out;
    }
    if (l->root) {
        QgRequest root = { .mountpoint = "/" };
        char *disk = qg_target_disk(&root, NULL);
        if (disk)
            add_once(out, disk);
        else if (missing)
            g_ptr_array_add(missing, g_strdup("root (the disk holding /)"));
    }
    for (guint i = 0; l->names && i < l->names->len; i++) {
        char *disk = disk_of_entry(l->names->pdata[i]);
        if (disk)
            add_once(out, disk);
        else if (missing)
            g_ptr_array_add(missing, g_strdup(l->names->pdata[i]));
    }
    return out;
}

static void apply_settings(const Settings *s, QgRequest *req)
{
    if (s->set & SET_KEY_FILE)
        req->key_file = s->key_file;
    if (s->set & SET_LV) {
        req->lv = s->lv;
        if (!(s->set & SET_LVM))
            req->lvm = QG_LVM_LV;  /* lv= implies lvm=lv */
    }
    if (s->set & SET_LVM)
        req->lvm = s->lvm;
    if (s->set & SET_MOVE_SWAP)
        req->move_swap = s->move_swap;
    if (s->set & SET_LOCK_TIMEOUT)
        req->lock_timeout_ms = s->lock_timeout_ms;
    if (s->set & SET_FORCE)
        req->force = s->force;
}

void qg_auto_conf_request(const QgAutoConf *c, const char *disk, QgRequest *req)
{
    apply_settings(&c->auto_settings, req);
    for (guint i = 0; i < c->groups->len; i++) {
        const DiskGroup *g = c->groups->pdata[i];
        if (entry_names(g->name, disk))
            apply_settings(&g->settings, req);
    }
    if (req->lv && req->lvm == QG_LVM_AUTO)
        req->lvm = QG_LVM_LV;
}

gboolean qg_auto_conf_agent_allows(const QgAutoConf *c, const char *disk, GError **error)
{
    const DiskList *l = &c->agent_disks;
    if (list_has(l, disk))
        return TRUE;
    g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                "%s: the guest's administrator does not let the host grow this disk "
                "([agent] disks=%s in %s:%d); nothing was changed",
                disk, l->text, c->path, l->line);
    return FALSE;
}

gboolean qg_agent_allows(const char *config, const QgRequest *req, GError **error)
{
    g_autoptr(QgAutoConf) c = qg_auto_conf_load(config, config != NULL, error);
    if (!c)
        return FALSE;
    if (!c->agent_disks.line || c->agent_disks.all)
        return TRUE;  /* no file, no [agent] section, or disks=all */
    g_autoptr(GError) e = NULL;
    g_autofree char *disk = qg_target_disk(req, &e);
    if (!disk) {
        if (c->agent_disks.none)  /* refused, whatever the target is */
            return qg_auto_conf_agent_allows(c, req->device  ? req->device
                                                : req->serial ? req->serial
                                                : req->mountpoint ? req->mountpoint : "",
                                             error);
        g_propagate_error(error, g_steal_pointer(&e));
        return FALSE;
    }
    return qg_auto_conf_agent_allows(c, disk, error);
}
