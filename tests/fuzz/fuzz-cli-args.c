/* Fuzz target: the qga-grow and growpart-mode command lines.  The input is
 * split at NUL bytes into arguments.  Accepted command lines must name a
 * target (or ask for help); refused ones must say why. */
#include "args.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *buf = g_malloc(size + 1);
    char *argv[MAX_ARGS + 2];
    int argc = 0;

    memcpy(buf, data, size);
    buf[size] = '\0';
    argv[argc++] = "qga-grow";
    for (char *p = buf; p <= buf + size && argc < MAX_ARGS + 1; p += strlen(p) + 1)
        argv[argc++] = p;
    argv[argc] = NULL;

    QgCliArgs a;
    g_autoptr(GError) e1 = NULL;
    if (qg_cli_parse_args(argc, argv, &a, &e1)) {
        if (!a.help && !a.version && !a.target)
            abort();
        if (a.req.expect_timeout_ms > 3600 * 1000)
            abort();
    } else if (!e1 || !*e1->message) {
        abort();
    }

    QgGrowpartArgs g;
    g_autoptr(GError) e2 = NULL;
    argv[0] = "growpart";
    if (qg_growpart_parse_args(argc, argv, &g, &e2)) {
        if (!g.help && (!g.req.device || g.req.partno == 0 || !g.req.partition_only))
            abort();
    } else if (!e2 || !*e2->message) {
        abort();
    }
    return 0;
}
