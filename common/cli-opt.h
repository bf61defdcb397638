/* Option spelling shared by the qga-grow and virt-grow command lines. */
#ifndef QG_COMMON_CLI_OPT_H
#define QG_COMMON_CLI_OPT_H

#include <glib.h>

/* Is @arg the option @short_name (may be NULL), @long_name, or
 * "@long_name=VALUE"? */
gboolean qg_opt_is(const char *arg, const char *short_name, const char *long_name);

/* The value of the option at argv[*i]: after "=" in "--opt=VALUE", else the
 * next argument (*i moves on to it); NULL when there is none. */
const char *qg_opt_value(int argc, char **argv, int *i);

#endif
