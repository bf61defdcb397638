/* The broker's address, amqp[s]://[USER[:PASSWORD]@]HOST[:PORT][/VHOST]
 * (RabbitMQ's URI spec: USER, PASSWORD and VHOST percent-encoded; no VHOST
 * is "/"), and the files that hold secrets. */
#ifndef VG_BROKER_URL_H
#define VG_BROKER_URL_H

#include <glib.h>

typedef struct {
    gboolean tls;      /* amqps:// */
    char *user;        /* NULL: none given */
    char *password;    /* NULL: none given */
    char *host;        /* without IPv6 brackets */
    unsigned port;     /* 5672, 5671 with TLS, when not given */
    char *vhost;
} VgBrokerUrl;

void vg_broker_url_clear(VgBrokerUrl *u);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(VgBrokerUrl, vg_broker_url_clear)

/* Parse @text; the error names what is wrong, never the password. */
gboolean vg_broker_url_parse(const char *text, VgBrokerUrl *out, GError **error);

/* For logs and messages: the URL without its password. */
char *vg_broker_url_display(const VgBrokerUrl *u);

/* localhost, 127.0.0.0/8 or ::1: where plain AMQP may go. */
gboolean vg_broker_host_is_loopback(const char *host);

/* Plain AMQP only to a loopback host: refuse anything else, saying why. */
gboolean vg_broker_url_check_plain(const VgBrokerUrl *u, GError **error);

/* A file holding a secret (a password) or a private configuration: a
 * regular file owned by this user, neither group nor others may read or
 * write it (0600 or stricter), at most @max bytes.  The error says what to
 * change ("chmod 600 FILE"). */
char *vg_private_file_read(const char *path, gsize max, gsize *len, GError **error);

/* A password file: its first line (without the newline); nothing else may
 * follow but one newline. */
char *vg_password_file_read(const char *path, GError **error);

#endif
