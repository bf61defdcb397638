#include "cli-opt.h"

#include <string.h>

gboolean qg_opt_is(const char *arg, const char *short_name, const char *long_name)
{
    size_t n = strlen(long_name);
    return (short_name && !strcmp(arg, short_name)) || !strcmp(arg, long_name) ||
           (!strncmp(arg, long_name, n) && arg[n] == '=');
}

const char *qg_opt_value(int argc, char **argv, int *i)
{
    const char *eq = argv[*i][1] == '-' ? strchr(argv[*i], '=') : NULL;
    if (eq)
        return eq + 1;
    return *i + 1 < argc ? argv[++*i] : NULL;
}
