/* Broker URLs and secret files.  See broker-url.h. */
#include "broker-url.h"
#include "vg-error.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void vg_broker_url_clear(VgBrokerUrl *u)
{
    g_free(u->user);
    if (u->password)
        explicit_bzero(u->password, strlen(u->password));
    g_free(u->password);
    g_free(u->host);
    g_free(u->vhost);
    memset(u, 0, sizeof(*u));
}

static gboolean G_GNUC_PRINTF(2, 3) url_bad(GError **error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(error, VG_ERROR, VG_ERROR_INVALID, "broker URL: %s", msg);
    return FALSE;
}

/* Percent-decoded, without NUL or control characters; NULL if bad. */
static char *decode(const char *s, gssize len)
{
    g_autofree char *part = g_strndup(s, len < 0 ? strlen(s) : (gsize)len);
    g_autofree char *out = g_uri_unescape_string(part, NULL);
    if (!out || !g_utf8_validate(out, -1, NULL))
        return NULL;
    for (const char *p = out; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return NULL;
    return g_steal_pointer(&out);
}

gboolean vg_broker_url_parse(const char *text, VgBrokerUrl *out, GError **error)
{
    g_auto(VgBrokerUrl) u = { 0 };
    const char *p;

    memset(out, 0, sizeof(*out));
    if (g_str_has_prefix(text, "amqps://")) {
        u.tls = TRUE;
        p = text + strlen("amqps://");
    } else if (g_str_has_prefix(text, "amqp://")) {
        p = text + strlen("amqp://");
    } else {
        return url_bad(error, "it starts with amqp:// or amqps://");
    }
    const char *slash = strchr(p, '/');
    const char *authority_end = slash ? slash : p + strlen(p);
    if (strchr(p, '?') || strchr(p, '#'))
        return url_bad(error, "query parameters and fragments are not supported; TLS files "
                              "and the heartbeat are settings of their own");
    /* the last '@' of the authority ends the user information */
    const char *at = NULL;
    for (const char *c = p; c < authority_end; c++)
        if (*c == '@')
            at = c;
    const char *host = p;
    if (at) {
        const char *colon = memchr(p, ':', at - p);
        if (!(u.user = decode(p, (colon ? colon : at) - p)) || !*u.user)
            return url_bad(error, "the user name is empty or not valid percent-encoded text");
        if (colon && !(u.password = decode(colon + 1, at - colon - 1)))
            return url_bad(error, "the password is not valid percent-encoded text");
        host = at + 1;
    }
    const char *host_end, *port = NULL;
    if (*host == '[') {
        const char *close = memchr(host, ']', authority_end - host);
        if (!close)
            return url_bad(error, "an IPv6 address in [ ] is not closed");
        u.host = g_strndup(host + 1, close - host - 1);
        host_end = close + 1;
        if (host_end < authority_end && *host_end != ':')
            return url_bad(error, "something after the IPv6 address's ]");
    } else {
        host_end = memchr(host, ':', authority_end - host);
        if (!host_end)
            host_end = authority_end;
        u.host = g_strndup(host, host_end - host);
    }
    if (!*u.host)
        return url_bad(error, "no host");
    for (const char *c = u.host; *c; c++)
        if (!g_ascii_isalnum(*c) && !strchr(".-_:", *c))
            return url_bad(error, "the host \"%s\" is not a name or an address", u.host);
    if (host_end < authority_end && *host_end == ':')
        port = host_end + 1;
    if (port) {
        char *end = NULL;
        guint64 v = g_ascii_strtoull(port, &end, 10);
        if (end != authority_end || port == authority_end || !g_ascii_isdigit(*port) ||
            v < 1 || v > 65535)
            return url_bad(error, "the port is not a number from 1 to 65535");
        u.port = (unsigned)v;
    } else {
        u.port = u.tls ? 5671 : 5672;
    }
    if (slash && slash[1]) {
        if (!(u.vhost = decode(slash + 1, -1)) || !*u.vhost)
            return url_bad(error, "the virtual host is not valid percent-encoded text");
    } else {
        u.vhost = g_strdup("/");
    }
    *out = u;
    memset(&u, 0, sizeof(u));
    return TRUE;
}

char *vg_broker_url_display(const VgBrokerUrl *u)
{
    gboolean v6 = strchr(u->host, ':') != NULL;
    g_autofree char *vhost = g_uri_escape_string(u->vhost, NULL, FALSE);
    return g_strdup_printf("%s://%s%s%s%s%s:%u/%s", u->tls ? "amqps" : "amqp",
                           u->user ? u->user : "", u->user ? "@" : "", v6 ? "[" : "", u->host,
                           v6 ? "]" : "", u->port, strcmp(u->vhost, "/") ? vhost : "");
}

gboolean vg_broker_host_is_loopback(const char *host)
{
    unsigned char a[16];

    if (!g_ascii_strcasecmp(host, "localhost") || !g_ascii_strcasecmp(host, "localhost."))
        return TRUE;
    if (inet_pton(AF_INET, host, a) == 1)
        return a[0] == 127;
    if (inet_pton(AF_INET6, host, a) == 1) {
        static const unsigned char one[16] = { [15] = 1 };
        return !memcmp(a, one, 16);
    }
    return FALSE;
}

gboolean vg_broker_url_check_plain(const VgBrokerUrl *u, GError **error)
{
    if (u->tls || vg_broker_host_is_loopback(u->host))
        return TRUE;
    g_set_error(error, VG_ERROR, VG_ERROR_REFUSED,
                "refusing plain AMQP to %s: it is not a loopback address, and the password "
                "and the requests would cross the network unencrypted; use amqps:// (TLS, "
                "the broker's certificate and host name verified); amqp:// is allowed only "
                "to localhost, 127.0.0.0/8 and ::1", u->host);
    return FALSE;
}

char *vg_private_file_read(const char *path, gsize max, gsize *len, GError **error)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);

    if (fd < 0) {
        g_set_error(error, VG_ERROR, VG_ERROR_INVALID, "%s: %s", path, g_strerror(errno));
        return NULL;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        g_set_error(error, VG_ERROR, VG_ERROR_INVALID, "%s: not a regular file", path);
        close(fd);
        return NULL;
    }
    if (st.st_uid != geteuid()) {
        g_set_error(error, VG_ERROR, VG_ERROR_REFUSED,
                    "%s: owned by uid %u, not by this user (uid %u): it holds secrets "
                    "(chown %u %s)", path, (unsigned)st.st_uid, (unsigned)geteuid(),
                    (unsigned)geteuid(), path);
        close(fd);
        return NULL;
    }
    if (st.st_mode & 077) {
        g_set_error(error, VG_ERROR, VG_ERROR_REFUSED,
                    "%s: mode %04o lets others read or change it, and it holds secrets "
                    "(chmod 600 %s)", path, (unsigned)(st.st_mode & 07777), path);
        close(fd);
        return NULL;
    }
    if ((guint64)st.st_size > max) {
        g_set_error(error, VG_ERROR, VG_ERROR_INVALID, "%s: larger than %" G_GSIZE_FORMAT
                    " bytes", path, max);
        close(fd);
        return NULL;
    }
    GString *s = g_string_sized_new((gsize)st.st_size + 1);
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) > 0) {
        g_string_append_len(s, buf, n);
        if (s->len > max)
            break;
    }
    int err = errno;
    close(fd);
    if (n < 0 || s->len > max) {
        g_set_error(error, VG_ERROR, VG_ERROR_INVALID, "%s: %s", path,
                    n < 0 ? g_strerror(err) : "it grew while being read");
        g_string_free(s, TRUE);
        return NULL;
    }
    *len = s->len;
    return g_string_free(s, FALSE);
}

char *vg_password_file_read(const char *path, GError **error)
{
    gsize len = 0;
    g_autofree char *text = vg_private_file_read(path, 4096, &len, error);
    if (!text)
        return NULL;
    if (len && text[len - 1] == '\n')
        text[--len] = '\0';
    if (!len || memchr(text, '\0', len) || memchr(text, '\n', len) || memchr(text, '\r', len)) {
        explicit_bzero(text, len);
        g_set_error(error, VG_ERROR, VG_ERROR_INVALID,
                    "%s: a password file holds one line, the password", path);
        return NULL;
    }
    return g_steal_pointer(&text);
}
