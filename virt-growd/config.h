/* virt-growd.conf, read strictly (as auto.conf is): an unknown section or
 * key, a bad value, a key given twice or a stray line is an error naming
 * the file and line, and the daemon does not start.  The file and a
 * password file must be private to the daemon's user (0600 or stricter):
 * they hold the broker's password.  See virt-growd(8), CONFIGURATION. */
#ifndef VGD_CONFIG_H
#define VGD_CONFIG_H

#include "broker-url.h"

#include <glib.h>
#include <stdint.h>

#ifndef VGD_CONFIG_PATH  /* meson: $sysconfdir/virt-grow/virt-growd.conf */
#define VGD_CONFIG_PATH "/etc/virt-grow/virt-growd.conf"
#endif
#define VGD_CONFIG_MAX_BYTES (1u << 20)
#define VGD_STATE_DIR "/var/lib/virt-grow"

/* [requester NAME]: a broker user allowed to ask. */
typedef struct {
    char *name;       /* the broker user (the requests' validated user_id) */
    int line;
    uint64_t max_size;  /* the largest disk size it may ask for */
    char **domains;   /* globs of the domain names it may grow; NULL: any */
} VgdRequester;

typedef struct {
    char *path;
    /* [broker] */
    VgBrokerUrl url;
    char *password_file;
    char *password;     /* from password-file=, once loaded */
    char *node;         /* routing key and queue virt-grow.NODE */
    char *ca_file;      /* TLS */
    char *cert_file;
    char *key_file;
    unsigned heartbeat_s;
    /* [libvirt] */
    char *libvirt_uri;
    /* [domains] */
    gboolean unowned_allow;
    /* [daemon] */
    unsigned concurrency;     /* grows at once, and the prefetch count */
    char *state_dir;          /* the journal's directory */
    unsigned journal_size;    /* finished requests remembered */
    unsigned timeout_s;       /* the guest side's, when a request gives none */
    unsigned stop_timeout_s;  /* SIGTERM: how long running grows may finish */
    unsigned delivery_limit;  /* starts of one request before it is dead-lettered */
    GPtrArray *requesters;    /* VgdRequester* in the file's order */
} VgdConfig;

/* @text as the file @name's content: no file access (tests, fuzzing).  The
 * password file is not read. */
VgdConfig *vgd_config_parse(const char *name, const char *text, gsize len, GError **error);
/* The file at @path: its mode checked, then parsed, then the password file
 * (if any) read and checked the same way. */
VgdConfig *vgd_config_load(const char *path, GError **error);
void vgd_config_free(VgdConfig *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VgdConfig, vgd_config_free)

/* The [requester NAME] section for broker user @user, or NULL. */
const VgdRequester *vgd_config_requester(const VgdConfig *c, const char *user);

/* A node's name: what a routing key and the queue's name may hold. */
gboolean vgd_node_name_ok(const char *name);

#endif
