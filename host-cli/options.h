/* virt-grow's command line. */
#ifndef VG_OPTIONS_H
#define VG_OPTIONS_H

#include "request.h"

#include <glib.h>

#define VG_DEFAULT_TIMEOUT_S 120
#define VG_MAX_TIMEOUT_S 86400
#define VG_DEFAULT_JOBS 4
#define VG_MAX_JOBS 64

/* The requester's side (virt-grow --broker, broker-client.c). */
typedef struct {
    char *url;            /* --broker amqp[s]://USER[:PASSWORD]@HOST[:PORT]/[VHOST]; NULL: local */
    char *node;           /* --node: the compute node's name (the routing key) */
    char *project;        /* --project: the tenant the domain must belong to */
    char *password_file;  /* --broker-password-file */
    char *ca_file;        /* --broker-ca */
    char *cert_file;      /* --broker-cert */
    char *key_file;       /* --broker-key */
} VgBrokerOpts;

typedef struct {
    char *uri;            /* -c: NULL for libvirt's default */
    gboolean dry_run;
    gboolean json;
    gboolean quiet;       /* no table; errors still go to stderr */
    unsigned timeout_s;   /* how long the guest side may take */
    unsigned jobs;        /* concurrent requests */
    char *batch;          /* --batch FILE, "-" for stdin */
    char *qga_grow;       /* qga-grow's path in the guest; NULL: "qga-grow" */
    gboolean no_preflight;/* resize without asking the guest first */
    VgGuestOpts guest;    /* --key-file, --lv, --lvm, --move-swap: every request's
                           * defaults */
    char *domain, *disk, *size;  /* the single request's words */
    VgBrokerOpts broker;  /* --broker: the request goes to a node's virt-growd */
    gboolean help, version;
} VgOptions;

/* Parse argv; FALSE with VG_ERROR_INVALID on bad usage.  With --help or
 * --version only that flag is meaningful. */
gboolean vg_options_parse(int argc, char **argv, VgOptions *o, GError **error);
void vg_options_clear(VgOptions *o);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(VgOptions, vg_options_clear)

extern const char vg_usage_text[];

#endif
