/* The --broker options.  See broker-options.h. */
#include "broker-options.h"
#include "cli-opt.h"
#include "vg-error.h"

#include <string.h>

gboolean vg_broker_option(int argc, char **argv, int *i, VgBrokerOpts *b, const char **value)
{
    static const char *const names[] = { "--broker", "--node", "--project",
                                         "--broker-password-file", "--broker-ca",
                                         "--broker-cert", "--broker-key" };
    char **fields[] = { &b->url, &b->node, &b->project, &b->password_file, &b->ca_file,
                        &b->cert_file, &b->key_file };
    const char *a = argv[*i];

    for (size_t k = 0; k < G_N_ELEMENTS(names); k++) {
        if (!qg_opt_is(a, NULL, names[k]))
            continue;
        *value = qg_opt_value(argc, argv, i);
        if (*value && !**value)
            *value = NULL;
        if (*value) {
            g_free(*fields[k]);
            *fields[k] = g_strdup(*value);
        }
        return TRUE;
    }
    return FALSE;
}

gboolean vg_broker_options_check(const VgOptions *o, GError **error)
{
    const VgBrokerOpts *b = &o->broker;
    const char *lone = b->node ? "--node" : b->project ? "--project"
                     : b->password_file ? "--broker-password-file"
                     : b->ca_file ? "--broker-ca" : b->cert_file ? "--broker-cert"
                     : b->key_file ? "--broker-key" : NULL;

    if (!b->url) {
        if (!lone)
            return TRUE;
        g_set_error(error, VG_ERROR, VG_ERROR_INVALID, "%s goes with --broker URL", lone);
        return FALSE;
    }
    if (!b->node || !b->project) {
        g_set_error(error, VG_ERROR, VG_ERROR_INVALID,
                    "--broker needs --node NODE (the compute node that runs the domain) and "
                    "--project PROJECT (the tenant that owns it)");
        return FALSE;
    }
    if (o->batch || o->dry_run) {
        g_set_error(error, VG_ERROR, VG_ERROR_INVALID, "--broker sends one request: no %s",
                    o->batch ? "--batch" : "--dry-run (the wire format has no dry run)");
        return FALSE;
    }
    if (o->no_preflight) {
        g_set_error(error, VG_ERROR, VG_ERROR_INVALID, "--broker goes without --no-preflight: "
                    "a compute node always asks the guest before it resizes a disk");
        return FALSE;
    }
    if ((b->cert_file != NULL) != (b->key_file != NULL)) {
        g_set_error(error, VG_ERROR, VG_ERROR_INVALID, "--broker-cert and --broker-key go "
                    "together");
        return FALSE;
    }
    return TRUE;
}
