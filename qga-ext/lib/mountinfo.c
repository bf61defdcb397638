/* Where filesystems are mounted, from /proc/self/mountinfo. */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

typedef struct {
    dev_t dev;
    char *root;
    char *mountpoint;
    char *fstype;
    char *source;
    gboolean read_only;
} MountLine;

void qg_mount_clear(QgMount *m)
{
    g_clear_pointer(&m->mountpoint, g_free);
    g_clear_pointer(&m->fstype, g_free);
    m->read_only = FALSE;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static char *unescape(const char *s)
{
    GString *out = g_string_new(NULL);
    for (; *s; s++) {
        if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
            s[3] >= '0' && s[3] <= '7') {
            g_string_append_c(out, (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0')));
            s += 3;
        } else {
            g_string_append_c(out, *s);
        }
    }
    return g_string_free(out, FALSE);
}

static gboolean has_ro(const char *opts)
{
    g_auto(GStrv) v = g_strsplit(opts, ",", -1);
    for (char **o = v; *o; o++)
        if (strcmp(*o, "ro") == 0)
            return TRUE;
    return FALSE;
}

static gboolean parse_line(const char *line, MountLine *ml)
{
    g_auto(GStrv) f = g_strsplit(line, " ", -1);
    guint n = g_strv_length(f), sep;
    unsigned ma, mi;

    if (n < 10 || sscanf(f[2], "%u:%u", &ma, &mi) != 2)
        return FALSE;
    for (sep = 6; sep < n && strcmp(f[sep], "-") != 0; sep++)
        ;
    if (sep + 2 >= n)
        return FALSE;
    ml->dev = makedev(ma, mi);
    ml->root = unescape(f[3]);
    ml->mountpoint = unescape(f[4]);
    ml->fstype = g_strdup(f[sep + 1]);
    ml->source = unescape(f[sep + 2]);
    ml->read_only = has_ro(f[5]) || (sep + 3 < n && has_ro(g_strstrip(f[sep + 3])));
    return TRUE;
}

static void mount_line_clear(MountLine *ml)
{
    g_free(ml->root);
    g_free(ml->mountpoint);
    g_free(ml->fstype);
    g_free(ml->source);
    memset(ml, 0, sizeof(*ml));
}

static GArray *read_mountinfo(GError **error)
{
    g_autofree char *text = NULL;
    GError *e = NULL;

    if (!g_file_get_contents("/proc/self/mountinfo", &text, NULL, &e)) {
        g_set_error(error, QG_ERROR, QG_ERROR_FAILED,
                    "cannot read the mount table: %s", e->message);
        g_error_free(e);
        return NULL;
    }
    GArray *lines = g_array_new(FALSE, TRUE, sizeof(MountLine));
    g_array_set_clear_func(lines, (GDestroyNotify)mount_line_clear);
    g_auto(GStrv) rows = g_strsplit(text, "\n", -1);
    for (char **r = rows; *r; r++) {
        MountLine ml = { 0 };
        if (**r && parse_line(*r, &ml))
            g_array_append_val(lines, ml);
    }
    return lines;
}

/* The block device behind a mount: its st_dev, or for btrfs (whose st_dev is
 * an anonymous number) the device node named as its source. */
static gboolean line_block_dev(const MountLine *ml, dev_t *dev)
{
    struct stat st;
    if (major(ml->dev) != 0) {
        *dev = ml->dev;
        return TRUE;
    }
    if (ml->source[0] == '/' && stat(ml->source, &st) == 0 && S_ISBLK(st.st_mode)) {
        *dev = st.st_rdev;
        return TRUE;
    }
    return FALSE;
}

/* Prefer a writable mount of the filesystem's root: bind mounts of a
 * subdirectory work for the ioctls too, but read worse in reports. */
static int line_score(const MountLine *ml)
{
    return ml ? (!ml->read_only) * 2 + (strcmp(ml->root, "/") == 0) : -1;
}

static gboolean found(const MountLine *best, QgMount *m)
{
    if (!best)
        return FALSE;
    m->mountpoint = g_strdup(best->mountpoint);
    m->fstype = g_strdup(best->fstype);
    m->read_only = best->read_only;
    return TRUE;
}

gboolean qg_mount_find_matching(const char *fstype, QgMountMatch match, void *data,
                                QgMount *m, GError **error)
{
    g_autoptr(GArray) lines = read_mountinfo(error);
    const MountLine *best = NULL;

    if (!lines)
        return FALSE;
    for (guint i = 0; i < lines->len; i++) {
        const MountLine *ml = &g_array_index(lines, MountLine, i);
        if (strcmp(ml->fstype, fstype) == 0 && line_score(ml) > line_score(best) &&
            match(ml->mountpoint, data))
            best = ml;
    }
    return found(best, m);
}

gboolean qg_mount_find_by_dev(dev_t dev, QgMount *m, GError **error)
{
    g_autoptr(GArray) lines = read_mountinfo(error);
    const MountLine *best = NULL;

    if (!lines)
        return FALSE;
    for (guint i = 0; i < lines->len; i++) {
        const MountLine *ml = &g_array_index(lines, MountLine, i);
        dev_t d;
        if (!line_block_dev(ml, &d) || d != dev)
            continue;
        if (line_score(ml) > line_score(best))
            best = ml;
    }
    if (!found(best, m))
        return FALSE;
    return TRUE;
}

gboolean qg_mount_dev_of(const char *mountpoint, dev_t *dev, GError **error)
{
    g_autofree char *real = realpath(mountpoint, NULL);
    g_autoptr(GArray) lines = NULL;
    const MountLine *top = NULL;

    if (!real) {
        g_set_error(error, QG_ERROR, QG_ERROR_NOT_FOUND, "%s: %s",
                    mountpoint, g_strerror(errno));
        return FALSE;
    }
    if (!(lines = read_mountinfo(error)))
        return FALSE;
    for (guint i = 0; i < lines->len; i++) {  /* the last one is on top */
        const MountLine *ml = &g_array_index(lines, MountLine, i);
        if (strcmp(ml->mountpoint, real) == 0)
            top = ml;
    }
    if (!top) {
        g_set_error(error, QG_ERROR, QG_ERROR_NOT_FOUND,
                    "%s is not a mountpoint", mountpoint);
        return FALSE;
    }
    if (!line_block_dev(top, dev)) {
        g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                    "%s is a %s mount of \"%s\", not backed by a block device",
                    mountpoint, top->fstype, top->source);
        return FALSE;
    }
    return TRUE;
}
