/* A domain's owner from its metadata.  See owner.h. */
#include "owner.h"
#include "vg-error.h"

#include <libvirt/virterror.h>
#include <string.h>

typedef struct {
    gboolean nova;
    int depth;
    gboolean in_owner;   /* nova: inside instance/owner */
    char *project;
    gboolean found;
    GError *error;
} Walk;

/* "nova:owner" -> "owner" */
static const char *local_name(const char *name)
{
    const char *colon = strrchr(name, ':');
    return colon ? colon + 1 : name;
}

static const char *attribute(const char **names, const char **values, const char *want)
{
    for (int i = 0; names[i]; i++)
        if (!strcmp(local_name(names[i]), want) && !g_str_has_prefix(names[i], "xmlns"))
            return values[i];
    return NULL;
}

static void on_start(GMarkupParseContext *ctx, const char *element, const char **names,
                     const char **values, gpointer data, GError **error)
{
    (void)ctx;
    Walk *w = data;
    const char *name = local_name(element);

    w->depth++;
    if (w->depth == 1) {
        if (strcmp(name, w->nova ? "instance" : "owner")) {
            g_set_error(error, VG_ERROR, VG_ERROR_INVALID, "metadata element <%s>, not <%s>",
                        name, w->nova ? "instance" : "owner");
            return;
        }
        if (!w->nova) {
            const char *p = attribute(names, values, "project");
            w->project = p && *p ? g_strdup(p) : NULL;
            w->found = TRUE;
        }
        return;
    }
    if (!w->nova)
        return;
    if (w->depth == 2 && !strcmp(name, "owner"))
        w->in_owner = TRUE;
    else if (w->depth == 3 && w->in_owner && !strcmp(name, "project") && !w->found) {
        const char *p = attribute(names, values, "uuid");
        w->project = p && *p ? g_strdup(p) : NULL;
        w->found = TRUE;
    }
}

static void on_end(GMarkupParseContext *ctx, const char *element, gpointer data, GError **error)
{
    (void)ctx;
    (void)error;
    Walk *w = data;
    if (w->depth == 2 && !strcmp(local_name(element), "owner"))
        w->in_owner = FALSE;
    w->depth--;
}

gboolean vgd_owner_parse(const char *xml, gboolean nova, char **project, GError **error)
{
    static const GMarkupParser parser = { on_start, on_end, NULL, NULL, NULL };
    Walk w = { .nova = nova };
    GMarkupParseContext *ctx = g_markup_parse_context_new(&parser, 0, &w, NULL);
    g_autoptr(GError) e = NULL;
    gboolean ok = g_markup_parse_context_parse(ctx, xml, -1, &e) &&
                  g_markup_parse_context_end_parse(ctx, &e);
    g_markup_parse_context_free(ctx);

    *project = NULL;
    if (!ok) {
        g_free(w.project);
        g_set_error(error, VG_ERROR, VG_ERROR_INVALID, "the domain's %s metadata: %s",
                    nova ? "Nova" : "virt-grow owner", e->message);
        return FALSE;
    }
    *project = w.project;
    return TRUE;
}

/* One namespace's element: TRUE with *xml NULL when the domain has none. */
static gboolean metadata(virDomainPtr dom, const char *ns, char **xml, GError **error)
{
    *xml = virDomainGetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, ns, VIR_DOMAIN_AFFECT_CURRENT);
    if (*xml || virGetLastErrorCode() == VIR_ERR_NO_DOMAIN_METADATA)
        return TRUE;
    const char *m = virGetLastErrorMessage();
    g_set_error(error, VG_ERROR, VG_ERROR_LIBVIRT, "reading the domain's metadata (%s): %s",
                ns, m ? m : "unknown libvirt error");
    return FALSE;
}

gboolean vgd_domain_owner(virDomainPtr dom, char **project, char **source, GError **error)
{
    static const struct {
        const char *ns;
        gboolean nova;
        const char *name;
    } where[] = {
        { VGD_NOVA_NS_1_1, TRUE, "Nova's nova:owner (1.1)" },
        { VGD_NOVA_NS_1_0, TRUE, "Nova's nova:owner (1.0)" },
        { VGD_OWNER_NS, FALSE, "virt-grow's owner" },
    };

    *project = *source = NULL;
    for (size_t i = 0; i < G_N_ELEMENTS(where); i++) {
        g_autofree char *xml = NULL;
        g_autofree char *p = NULL;
        if (!metadata(dom, where[i].ns, &xml, error))
            return FALSE;
        if (!xml)
            continue;
        if (!vgd_owner_parse(xml, where[i].nova, &p, error))
            return FALSE;
        if (!p)
            continue;
        if (*project && strcmp(*project, p)) {
            g_set_error(error, VG_ERROR, VG_ERROR_REFUSED,
                        "the domain's owners disagree: %s says project %s, %s says %s",
                        *source, *project, where[i].name, p);
            g_clear_pointer(project, g_free);
            g_clear_pointer(source, g_free);
            return FALSE;
        }
        if (!*project) {
            *project = g_steal_pointer(&p);
            *source = g_strdup(where[i].name);
        }
    }
    return TRUE;
}
