/* Reading <disk> elements from a domain's XML (GMarkup: the XML comes from
 * libvirt, and we need a handful of attributes) and choosing one. */
#include "domain-disks.h"
#include "vg-error.h"

#include <stdlib.h>
#include <string.h>

void vg_disk_free(VgDisk *d)
{
    if (!d)
        return;
    g_free(d->target);
    g_free(d->bus);
    g_free(d->device);
    g_free(d->type);
    g_free(d->format);
    g_free(d->source);
    g_free(d->protocol);
    g_free(d->serial);
    g_free(d);
}

VgDisk *vg_disk_copy(const VgDisk *d)
{
    VgDisk *c = g_memdup2(d, sizeof(*d));
    c->target = g_strdup(d->target);
    c->bus = g_strdup(d->bus);
    c->device = g_strdup(d->device);
    c->type = g_strdup(d->type);
    c->format = g_strdup(d->format);
    c->source = g_strdup(d->source);
    c->protocol = g_strdup(d->protocol);
    c->serial = g_strdup(d->serial);
    return c;
}

typedef struct {
    GPtrArray *disks;
    GPtrArray *stack;  /* open element names, outermost first */
    VgDisk *cur;       /* the <disk> being read */
    GString *text;     /* <serial> text */
} ParseState;

static const char *attr(const char **names, const char **values, const char *name)
{
    for (; *names; names++, values++)
        if (!strcmp(*names, name))
            return *values;
    return NULL;
}

static guint hex_attr(const char **names, const char **values, const char *name)
{
    const char *v = attr(names, values, name);
    return v ? (guint)strtoul(v, NULL, 0) : 0;
}

/* Is the open element path exactly @path?  (<domain> is depth 1, <disk> 3,
 * the disk's own children 4.) */
static gboolean path_is(ParseState *st, const char *const *path)
{
    guint n = g_strv_length((char **)path);
    if (st->stack->len != n)
        return FALSE;
    for (guint i = 0; i < n; i++)
        if (strcmp(st->stack->pdata[i], path[i]))
            return FALSE;
    return TRUE;
}

static void read_source(VgDisk *d, const char **n, const char **v)
{
    const char *s;
    if ((s = attr(n, v, "file")) || (s = attr(n, v, "dev")) || (s = attr(n, v, "dir")) ||
        (s = attr(n, v, "path"))) {
        d->source = g_strdup(s);
    } else if ((s = attr(n, v, "protocol"))) {
        const char *name = attr(n, v, "name");
        d->protocol = g_strdup(s);
        d->source = g_strdup_printf("%s:%s", s, name ? name : "");
    } else if ((s = attr(n, v, "volume"))) {
        const char *pool = attr(n, v, "pool");
        d->source = g_strdup_printf("%s/%s", pool ? pool : "", s);
    }
}

static void on_start(GMarkupParseContext *ctx, const char *element, const char **n,
                     const char **v, gpointer data, GError **error)
{
    static const char *const disk_path[] = { "domain", "devices", "disk", NULL };
    ParseState *st = data;
    (void)ctx;
    (void)error;

    g_ptr_array_add(st->stack, g_strdup(element));
    if (path_is(st, disk_path)) {
        st->cur = g_new0(VgDisk, 1);
        st->cur->type = g_strdup(attr(n, v, "type") ? attr(n, v, "type") : "file");
        st->cur->device = g_strdup(attr(n, v, "device") ? attr(n, v, "device") : "disk");
        return;
    }
    /* Only direct children of <disk>: <backingStore> and <mirror> have
     * their own <source> and <format>. */
    if (!st->cur || st->stack->len != 4)
        return;
    VgDisk *d = st->cur;
    if (!strcmp(element, "source") && !d->source) {
        read_source(d, n, v);
    } else if (!strcmp(element, "target")) {
        g_free(d->target);
        g_free(d->bus);
        d->target = g_strdup(attr(n, v, "dev"));
        d->bus = g_strdup(attr(n, v, "bus"));
    } else if (!strcmp(element, "driver")) {
        g_free(d->format);
        d->format = g_strdup(attr(n, v, "type"));
    } else if (!strcmp(element, "readonly")) {
        d->readonly = TRUE;
    } else if (!strcmp(element, "shareable")) {
        d->shareable = TRUE;
    } else if (!strcmp(element, "serial")) {
        g_string_truncate(st->text, 0);
    } else if (!strcmp(element, "address") && !g_strcmp0(attr(n, v, "type"), "pci")) {
        d->has_pci = TRUE;
        d->pci.domain = hex_attr(n, v, "domain");
        d->pci.bus = hex_attr(n, v, "bus");
        d->pci.slot = hex_attr(n, v, "slot");
        d->pci.function = hex_attr(n, v, "function");
    }
}

static void on_text(GMarkupParseContext *ctx, const char *text, gsize len, gpointer data,
                    GError **error)
{
    ParseState *st = data;
    (void)ctx;
    (void)error;
    if (st->cur && st->stack->len == 4 && !strcmp(g_ptr_array_index(st->stack, 3), "serial"))
        g_string_append_len(st->text, text, (gssize)len);
}

static void on_end(GMarkupParseContext *ctx, const char *element, gpointer data,
                   GError **error)
{
    ParseState *st = data;
    (void)ctx;
    (void)error;

    if (st->cur && st->stack->len == 4 && !strcmp(element, "serial")) {
        g_free(st->cur->serial);
        st->cur->serial = g_strstrip(g_strdup(st->text->str));
    } else if (st->cur && st->stack->len == 3) {
        if (st->cur->target)
            g_ptr_array_add(st->disks, st->cur);
        else
            vg_disk_free(st->cur);
        st->cur = NULL;
    }
    g_ptr_array_remove_index(st->stack, st->stack->len - 1);
}

GPtrArray *vg_domain_disks_parse(const char *xml, GError **error)
{
    static const GMarkupParser parser = { on_start, on_end, on_text, NULL, NULL };
    ParseState st = {
        .disks = g_ptr_array_new_with_free_func((GDestroyNotify)vg_disk_free),
        .stack = g_ptr_array_new_with_free_func(g_free),
        .text = g_string_new(NULL),
    };
    g_autoptr(GError) e = NULL;
    GMarkupParseContext *ctx = g_markup_parse_context_new(&parser, 0, &st, NULL);
    gboolean ok = g_markup_parse_context_parse(ctx, xml, -1, &e) &&
                  g_markup_parse_context_end_parse(ctx, &e);

    g_markup_parse_context_free(ctx);
    vg_disk_free(st.cur);
    g_ptr_array_unref(st.stack);
    g_string_free(st.text, TRUE);
    if (!ok) {
        g_ptr_array_unref(st.disks);
        g_set_error(error, VG_ERROR, VG_ERROR_INVALID, "cannot read the domain XML: %s",
                    e->message);
        return NULL;
    }
    return st.disks;
}

char *vg_disk_describe(const VgDisk *d)
{
    GString *s = g_string_new(d->target);
    const char *sep = " (";
    if (d->serial && *d->serial) {
        g_string_append_printf(s, "%sserial %s", sep, d->serial);
        sep = ", ";
    }
    if (d->source) {
        g_string_append_printf(s, "%s%s", sep, d->source);
        sep = ", ";
    }
    if (strcmp(sep, " ("))
        g_string_append_c(s, ')');
    return g_string_free(s, FALSE);
}

static char *list_disks(GPtrArray *disks)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < disks->len; i++) {
        g_autofree char *one = vg_disk_describe(disks->pdata[i]);
        g_string_append_printf(s, "%s%s", i ? ", " : "", one);
    }
    if (!disks->len)
        g_string_append(s, "none");
    return g_string_free(s, FALSE);
}

VgDisk *vg_disk_select(GPtrArray *disks, const char *spec, GError **error)
{
    gboolean by_serial = g_str_has_prefix(spec, "serial:");
    gboolean by_path = !by_serial && strchr(spec, '/') != NULL;
    const char *serial = spec + strlen("serial:");
    VgDisk *found = NULL;

    for (guint i = 0; i < disks->len; i++) {
        VgDisk *d = disks->pdata[i];
        gboolean hit = by_serial ? g_strcmp0(d->serial, serial) == 0
                     : by_path   ? g_strcmp0(d->source, spec) == 0
                                 : g_strcmp0(d->target, spec) == 0;
        if (!hit)
            continue;
        if (found) {
            g_set_error(error, VG_ERROR, VG_ERROR_INVALID,
                        "DISK %s matches two disks, %s and %s: name it by target", spec,
                        found->target, d->target);
            return NULL;
        }
        found = d;
    }
    if (!found) {
        g_autofree char *have = list_disks(disks);
        g_set_error(error, VG_ERROR, VG_ERROR_NOT_FOUND,
                    "the domain has no disk %s%s (its disks: %s)",
                    by_serial ? "with serial " : by_path ? "with source " : "",
                    by_serial ? serial : spec, have);
    }
    return found;
}

/* Network protocols whose QEMU block drivers can grow the image. */
static gboolean protocol_can_grow(const char *protocol)
{
    static const char *const ok[] = { "rbd", "gluster", "nfs", "ssh", NULL };
    return protocol && g_strv_contains(ok, protocol);
}

gboolean vg_disk_check_resizable(const VgDisk *d, GError **error)
{
    const char *why = NULL;
    g_autofree char *what = vg_disk_describe(d);
    g_autofree char *owned = NULL;

    if (!strcmp(d->device, "cdrom") || !strcmp(d->device, "floppy"))
        why = owned = g_strdup_printf("it is a %s: only disks can grow", d->device);
    else if (!strcmp(d->device, "lun"))
        why = "it is a passed-through SCSI LUN: grow the LUN on its storage instead";
    else if (strcmp(d->device, "disk"))
        why = owned = g_strdup_printf("its device kind \"%s\" is not a disk", d->device);
    else if (d->readonly)
        why = "it is read-only in the domain";
    else if (d->shareable)
        why = "it is shareable: other domains using it would not see the new size";
    else if (!d->source)
        why = "it has no source";
    else if (!strcmp(d->type, "network") && !protocol_can_grow(d->protocol))
        why = owned = g_strdup_printf("QEMU cannot grow a \"%s\" network disk: grow it on "
                                      "its server", d->protocol ? d->protocol : "?");
    else if (strcmp(d->type, "file") && strcmp(d->type, "block") &&
             strcmp(d->type, "network") && strcmp(d->type, "volume"))
        why = owned = g_strdup_printf("QEMU cannot grow a disk of type \"%s\"", d->type);
    if (!why)
        return TRUE;
    g_set_error(error, VG_ERROR, VG_ERROR_REFUSED, "refusing to grow disk %s: %s", what, why);
    return FALSE;
}
