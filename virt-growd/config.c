/* virt-growd.conf.  GKeyFile is not used for the reasons auto-conf.c
 * gives: it accepts any section and key, lets a repeated key silently win
 * and cannot say on which line a mistake is.  Here a mistake could widen
 * who may grow what, so every line is understood or refused. */
#include "config.h"
#include "size.h"
#include "vg-error.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

typedef enum { SEC_NONE, SEC_BROKER, SEC_LIBVIRT, SEC_DOMAINS, SEC_DAEMON, SEC_REQUESTER } Section;

typedef struct {
    VgdConfig *c;
    int line;
    Section section;
    char *section_text;
    int section_line;
    VgdRequester *requester;  /* the [requester NAME] being read */
    GHashTable *keys;         /* key -> line, in this section */
    GHashTable *sections;     /* section text -> line */
    gboolean url_given, node_given;
} Parser;

static gboolean G_GNUC_PRINTF(3, 4) bad(Parser *p, GError **error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(error, VG_ERROR, VG_ERROR_INVALID, "%s:%d: %s", p->c->path, p->line, msg);
    return FALSE;
}

static void requester_free(VgdRequester *r)
{
    g_free(r->name);
    g_strfreev(r->domains);
    g_free(r);
}

void vgd_config_free(VgdConfig *c)
{
    if (!c)
        return;
    g_free(c->path);
    vg_broker_url_clear(&c->url);
    g_free(c->password_file);
    if (c->password)
        explicit_bzero(c->password, strlen(c->password));
    g_free(c->password);
    g_free(c->node);
    g_free(c->ca_file);
    g_free(c->cert_file);
    g_free(c->key_file);
    g_free(c->libvirt_uri);
    g_free(c->state_dir);
    g_ptr_array_unref(c->requesters);
    g_free(c);
}

gboolean vgd_node_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 200)
        return FALSE;
    for (const char *c = name; *c; c++)
        if (!g_ascii_isalnum(*c) && !strchr("._-", *c))
            return FALSE;
    return TRUE;
}

/* A broker user's name as a section's NAME: printable, no spaces. */
static gboolean user_name_ok(const char *name)
{
    if (!*name || strlen(name) > 255 || !g_utf8_validate(name, -1, NULL))
        return FALSE;
    for (const char *c = name; *c; c = g_utf8_next_char(c)) {
        gunichar u = g_utf8_get_char(c);
        if (g_unichar_iscntrl(u) || g_unichar_isspace(u) || u == '[' || u == ']')
            return FALSE;
    }
    return TRUE;
}

static gboolean parse_uint(Parser *p, const char *key, const char *value, unsigned min,
                           unsigned max, unsigned *out, GError **error)
{
    char *end = NULL;
    errno = 0;
    guint64 v = g_ascii_isdigit(value[0]) ? g_ascii_strtoull(value, &end, 10) : 0;
    if (!g_ascii_isdigit(value[0]) || errno || *end || v < min || v > max)
        return bad(p, error, "%s %s= must be a whole number from %u to %u, not \"%s\"",
                   p->section_text, key, min, max, value);
    *out = (unsigned)v;
    return TRUE;
}

static gboolean parse_path(Parser *p, const char *key, const char *value, char **out,
                           GError **error)
{
    if (value[0] != '/')
        return bad(p, error, "%s %s= must be an absolute path, not \"%s\"", p->section_text,
                   key, value);
    g_free(*out);
    *out = g_strdup(value);
    return TRUE;
}

static gboolean parse_section(Parser *p, const char *text, GError **error)
{
    size_t n = strlen(text);
    gpointer prev;

    if (text[n - 1] != ']')
        return bad(p, error, "\"%s\": a section header ends with ]", text);
    g_autofree char *inner = g_strndup(text + 1, n - 2);
    if (g_hash_table_lookup_extended(p->sections, text, NULL, &prev))
        return bad(p, error, "%s again (first on line %d); say it once", text,
                   GPOINTER_TO_INT(prev));
    p->requester = NULL;
    if (!strcmp(inner, "broker")) {
        p->section = SEC_BROKER;
    } else if (!strcmp(inner, "libvirt")) {
        p->section = SEC_LIBVIRT;
    } else if (!strcmp(inner, "domains")) {
        p->section = SEC_DOMAINS;
    } else if (!strcmp(inner, "daemon")) {
        p->section = SEC_DAEMON;
    } else if (g_str_has_prefix(inner, "requester ")) {
        const char *name = inner + strlen("requester ");
        if (!user_name_ok(name))
            return bad(p, error, "%s: NAME is a broker user's name (no spaces, control "
                                 "characters or brackets)", text);
        p->section = SEC_REQUESTER;
        p->requester = g_new0(VgdRequester, 1);
        p->requester->name = g_strdup(name);
        p->requester->line = p->line;
        g_ptr_array_add(p->c->requesters, p->requester);
    } else {
        return bad(p, error, "unknown section %s (there are [broker], [libvirt], [domains], "
                             "[daemon] and [requester NAME], in lower case)", text);
    }
    g_free(p->section_text);
    p->section_text = g_strdup(text);
    p->section_line = p->line;
    g_hash_table_insert(p->sections, g_strdup(text), GINT_TO_POINTER(p->line));
    g_hash_table_remove_all(p->keys);
    return TRUE;
}

static gboolean parse_globs(Parser *p, const char *value, char ***out, GError **error)
{
    g_auto(GStrv) words = g_strsplit_set(value, " \t", -1);
    GPtrArray *globs = g_ptr_array_new();
    for (char **w = words; *w; w++) {
        if (!**w)
            continue;
        if (!g_utf8_validate(*w, -1, NULL) || strlen(*w) > 255) {
            g_ptr_array_free(globs, TRUE);
            return bad(p, error, "%s domains=: \"%s\" is not a domain name or glob",
                       p->section_text, *w);
        }
        g_ptr_array_add(globs, g_strdup(*w));
    }
    if (!globs->len) {
        g_ptr_array_free(globs, TRUE);
        return bad(p, error, "%s domains= lists no domain (leave it out for any domain)",
                   p->section_text);
    }
    g_ptr_array_add(globs, NULL);
    *out = (char **)g_ptr_array_free(globs, FALSE);
    return TRUE;
}

static const char *keys_of(Section s)
{
    switch (s) {
    case SEC_BROKER: return "url, password-file, node, ca-file, cert-file, key-file, heartbeat";
    case SEC_LIBVIRT: return "uri";
    case SEC_DOMAINS: return "unowned";
    case SEC_DAEMON:
        return "concurrency, state-dir, journal-size, timeout, stop-timeout, delivery-limit";
    case SEC_REQUESTER: return "max-size, domains";
    default: return "";
    }
}

static gboolean parse_key(Parser *p, const char *text, GError **error)
{
    const char *eq = strchr(text, '=');
    gpointer prev;
    g_autoptr(GError) e = NULL;
    VgdConfig *c = p->c;

    if (!eq)
        return bad(p, error, "\"%s\" is neither [section], key=value nor a # comment", text);
    g_autofree char *key = g_strstrip(g_strndup(text, eq - text));
    g_autofree char *value = g_strstrip(g_strdup(eq + 1));
    if (!*key)
        return bad(p, error, "no key before =");
    if (p->section == SEC_NONE)
        return bad(p, error, "%s= before any section", key);
    if (g_hash_table_lookup_extended(p->keys, key, NULL, &prev))
        return bad(p, error, "%s %s= again (first on line %d); say it once", p->section_text,
                   key, GPOINTER_TO_INT(prev));
    g_hash_table_insert(p->keys, g_strdup(key), GINT_TO_POINTER(p->line));
    if (!*value)
        return bad(p, error, "%s %s= has no value", p->section_text, key);

    switch (p->section) {
    case SEC_BROKER:
        if (!strcmp(key, "url")) {
            vg_broker_url_clear(&c->url);
            if (!vg_broker_url_parse(value, &c->url, &e))
                return bad(p, error, "[broker] url=: %s", e->message);
            if (!vg_broker_url_check_plain(&c->url, &e))
                return bad(p, error, "[broker] url=: %s", e->message);
            if (!c->url.user)
                return bad(p, error, "[broker] url= names no user (amqps://USER@HOST/): the "
                                     "node logs in as a user of its own");
            p->url_given = TRUE;
            return TRUE;
        }
        if (!strcmp(key, "password-file"))
            return parse_path(p, key, value, &c->password_file, error);
        if (!strcmp(key, "node")) {
            if (!vgd_node_name_ok(value))
                return bad(p, error, "[broker] node= must be 1 to 200 of a-z A-Z 0-9 . _ - "
                                     "(it names the queue virt-grow.NODE), not \"%s\"", value);
            g_free(c->node);
            c->node = g_strdup(value);
            return TRUE;
        }
        if (!strcmp(key, "ca-file"))
            return parse_path(p, key, value, &c->ca_file, error);
        if (!strcmp(key, "cert-file"))
            return parse_path(p, key, value, &c->cert_file, error);
        if (!strcmp(key, "key-file"))
            return parse_path(p, key, value, &c->key_file, error);
        if (!strcmp(key, "heartbeat"))
            return parse_uint(p, key, value, 1, 600, &c->heartbeat_s, error);
        break;
    case SEC_LIBVIRT:
        if (!strcmp(key, "uri")) {
            g_free(c->libvirt_uri);
            c->libvirt_uri = g_strdup(value);
            return TRUE;
        }
        break;
    case SEC_DOMAINS:
        if (!strcmp(key, "unowned")) {
            if (strcmp(value, "deny") && strcmp(value, "allow"))
                return bad(p, error, "[domains] unowned= must be deny or allow, not \"%s\"",
                           value);
            c->unowned_allow = !strcmp(value, "allow");
            return TRUE;
        }
        break;
    case SEC_DAEMON:
        if (!strcmp(key, "concurrency"))
            return parse_uint(p, key, value, 1, 64, &c->concurrency, error);
        if (!strcmp(key, "state-dir"))
            return parse_path(p, key, value, &c->state_dir, error);
        if (!strcmp(key, "journal-size"))
            return parse_uint(p, key, value, 16, 1000000, &c->journal_size, error);
        if (!strcmp(key, "timeout"))
            return parse_uint(p, key, value, 1, 86400, &c->timeout_s, error);
        if (!strcmp(key, "stop-timeout"))
            return parse_uint(p, key, value, 1, 86400, &c->stop_timeout_s, error);
        if (!strcmp(key, "delivery-limit"))
            return parse_uint(p, key, value, 1, 100, &c->delivery_limit, error);
        break;
    case SEC_REQUESTER:
        if (!strcmp(key, "max-size")) {
            if (!qg_size_parse(value, &p->requester->max_size, &e) || !p->requester->max_size)
                return bad(p, error, "%s max-size= must be a size (2T, 500G, bytes), not "
                                     "\"%s\"", p->section_text, value);
            return TRUE;
        }
        if (!strcmp(key, "domains"))
            return parse_globs(p, value, &p->requester->domains, error);
        break;
    default:
        break;
    }
    return bad(p, error, "unknown key %s= in %s (%s)", key, p->section_text,
               keys_of(p->section));
}

static gboolean end_section(Parser *p, GError **error)
{
    if (p->section == SEC_REQUESTER && !p->requester->max_size) {
        p->line = p->section_line;
        return bad(p, error, "%s needs max-size= (the largest disk size it may ask for)",
                   p->section_text);
    }
    return TRUE;
}

static gboolean parse_text(Parser *p, const char *text, gsize len, GError **error)
{
    if (memchr(text, '\0', len)) {
        p->line = 1;
        for (const char *c = text; *c; c++)
            p->line += *c == '\n';
        return bad(p, error, "a NUL byte: this is no text file");
    }
    g_autofree char *whole = g_strndup(text, len);
    g_auto(GStrv) lines = g_strsplit(whole, "\n", -1);
    for (char **l = lines; *l; l++) {
        p->line++;
        if (!g_utf8_validate(*l, -1, NULL))
            return bad(p, error, "not valid UTF-8");
        char *s = g_strstrip(*l);
        if (!*s || s[0] == '#')
            continue;
        if (s[0] == '[') {
            int here = p->line;
            if (!end_section(p, error))
                return FALSE;
            p->line = here;
            if (!parse_section(p, s, error))
                return FALSE;
        } else if (!parse_key(p, s, error)) {
            return FALSE;
        }
    }
    if (!end_section(p, error))
        return FALSE;
    p->line = 0;
    if (!p->url_given) {
        p->line = p->sections && g_hash_table_contains(p->sections, "[broker]")
                      ? GPOINTER_TO_INT(g_hash_table_lookup(p->sections, "[broker]"))
                      : 1;
        return bad(p, error, "[broker] url= is missing (amqps://USER@HOST:PORT/VHOST)");
    }
    if (p->c->url.password && p->c->password_file) {
        p->line = GPOINTER_TO_INT(g_hash_table_lookup(p->sections, "[broker]"));
        return bad(p, error, "[broker]: the password is in url= and in password-file=: "
                             "give one");
    }
    if ((p->c->cert_file != NULL) != (p->c->key_file != NULL)) {
        p->line = GPOINTER_TO_INT(g_hash_table_lookup(p->sections, "[broker]"));
        return bad(p, error, "[broker]: cert-file= and key-file= go together");
    }
    return TRUE;
}

static VgdConfig *config_new(const char *name)
{
    VgdConfig *c = g_new0(VgdConfig, 1);
    c->path = g_strdup(name);
    c->heartbeat_s = 30;
    c->libvirt_uri = g_strdup("qemu:///system");
    c->concurrency = 4;
    c->state_dir = g_strdup(VGD_STATE_DIR);
    c->journal_size = 10000;
    c->timeout_s = 120;
    c->stop_timeout_s = 60;
    c->delivery_limit = 3;
    c->requesters = g_ptr_array_new_with_free_func((GDestroyNotify)requester_free);
    return c;
}

VgdConfig *vgd_config_parse(const char *name, const char *text, gsize len, GError **error)
{
    g_autoptr(VgdConfig) c = config_new(name);
    Parser p = { .c = c };
    p.keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    p.sections = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    gboolean ok = parse_text(&p, text, len, error);
    g_hash_table_unref(p.keys);
    g_hash_table_unref(p.sections);
    g_free(p.section_text);
    if (!ok)
        return NULL;
    if (!c->node) {
        const char *host = g_get_host_name();
        if (!vgd_node_name_ok(host)) {
            g_set_error(error, VG_ERROR, VG_ERROR_INVALID,
                        "%s: [broker] node= is not given and the host name \"%s\" cannot name "
                        "a queue: set node=", name, host);
            return NULL;
        }
        c->node = g_strdup(host);
    }
    return g_steal_pointer(&c);
}

VgdConfig *vgd_config_load(const char *path, GError **error)
{
    gsize len = 0;
    g_autofree char *text = vg_private_file_read(path, VGD_CONFIG_MAX_BYTES, &len, error);
    if (!text)
        return NULL;
    g_autoptr(VgdConfig) c = vgd_config_parse(path, text, len, error);
    explicit_bzero(text, len);
    if (!c)
        return NULL;
    if (c->password_file && !(c->password = vg_password_file_read(c->password_file, error)))
        return NULL;
    /* the login is SASL PLAIN: without a password it can only fail, later,
     * at the broker */
    if (!c->password && !c->url.password) {
        g_set_error(error, VG_ERROR, VG_ERROR_INVALID,
                    "%s: [broker] gives no password: put it in password-file= (a file of "
                    "mode 0600), or in url= (amqps://USER:PASSWORD@HOST/)", path);
        return NULL;
    }
    return g_steal_pointer(&c);
}

const VgdRequester *vgd_config_requester(const VgdConfig *c, const char *user)
{
    for (guint i = 0; user && i < c->requesters->len; i++) {
        const VgdRequester *r = c->requesters->pdata[i];
        if (!strcmp(r->name, user))
            return r;
    }
    return NULL;
}
