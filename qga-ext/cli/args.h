/* The qga-grow command line, parsed without side effects (no output, no
 * file access), so that it can be tested and fuzzed on its own. */
#ifndef QG_CLI_ARGS_H
#define QG_CLI_ARGS_H

#include "qga-grow.h"

typedef struct {
    QgRequest req;       /* expect_size, expect_timeout_ms, dry_run */
    const char *target;  /* as given; main() decides device/mountpoint/serial */
    gboolean json;
    gboolean quiet;
    gboolean help;       /* --help or --version: nothing else matters */
    gboolean version;
    /* --from-host: asked by the host (virt-grow's guest-exec fallback), so
     * the [agent] allow-list of auto.conf applies; --config FILE: which
     * file (NULL: the installed one) */
    gboolean from_host;
    const char *config;
} QgCliArgs;

/* Parse argv[1..argc-1].  FALSE with @error (QG_ERROR_INVALID) on a bad or
 * missing argument; its message is for "qga-grow: ...". */
gboolean qg_cli_parse_args(int argc, char **argv, QgCliArgs *out, GError **error);

/* "VG/LV" with LVM's name characters. */
gboolean qg_cli_valid_lv(const char *text);
/* "pv", "lv" or "auto". */
gboolean qg_cli_parse_lvm_mode(const char *text, QgLvmMode *out);

/* "qga-grow growpart DISK PARTNUM [options]": argv[0] is "growpart". */
typedef struct {
    QgRequest req;       /* device, partno, dry_run, min_gain, partition_only */
    gboolean help;
} QgGrowpartArgs;

gboolean qg_growpart_parse_args(int argc, char **argv, QgGrowpartArgs *out,
                                GError **error);

#endif
