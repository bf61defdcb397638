/* virt-grow's --broker options (the requester's side, issue 20): parsed
 * beside the others in options.c, checked here, so that options.c keeps
 * only the call. */
#ifndef VG_BROKER_OPTIONS_H
#define VG_BROKER_OPTIONS_H

#include "options.h"

/* Is argv[*i] one of --broker, --node, --project, --broker-password-file,
 * --broker-ca, --broker-cert, --broker-key?  Then its value is taken into
 * @b (*value: NULL when it has none, which is an error). */
gboolean vg_broker_option(int argc, char **argv, int *i, VgBrokerOpts *b, const char **value);

/* --node and --project go with --broker, and --broker with them; --batch
 * and --dry-run do not go with --broker. */
gboolean vg_broker_options_check(const VgOptions *o, GError **error);

#endif
