/* qga-grow: grow the partition and filesystem behind a target, online. */
#include "args.h"
#include "cli.h"
#include "output.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char usage_text[] =
    "Usage: qga-grow [OPTION]... TARGET\n"
    "       qga-grow growpart DISK PARTNUM [-N] [--fudge BYTES]\n"
    "       qga-grow auto [--config FILE] [--detach] DISK\n"
    "\n"
    "Grow a disk's storage stack online after the disk itself was enlarged:\n"
    "the partition, then dm-crypt (LUKS1, LUKS2, plain), LVM physical and\n"
    "logical volumes, in the order they are stacked, and the filesystem.\n"
    "\n"
    "TARGET is a whole disk (/dev/vdb), a partition (/dev/vdb1), a device on\n"
    "one (/dev/mapper/vg-root), a mountpoint (/), or serial:SERIAL (the disk\n"
    "serial the host set).\n"
    "\n"
    "Options:\n"
    "  -n, --dry-run            show the plan, change nothing\n"
    "      --assume-size SIZE   with --dry-run: plan as if the disk were SIZE\n"
    "                           large (the host's question before it grows it)\n"
    "  -j, --json               print the result as JSON\n"
    "  -w, --wait-size SIZE     first wait until the kernel sees the disk at\n"
    "                           least this large (bytes, or K/M/G/T suffix)\n"
    "      --wait-timeout SEC   how long --wait-size waits (default 5)\n"
    "  -k, --key-file FILE      a key file for a LUKS2 mapping whose volume key\n"
    "                           is in the kernel keyring (tried after its tokens)\n"
    "      --lv VG/LV           the logical volume that takes the volume group's\n"
    "                           new space (default: the one the target is on, or\n"
    "                           the group's only one)\n"
    "      --lvm pv|lv|auto     pv: grow the physical volume only\n"
    "      --move-swap          move a swap partition that sits right after the\n"
    "                           partition at the disk's end to the new end (also\n"
    "                           an extended partition holding only swap)\n"
    "      --lock-timeout SEC   how long to wait for the disk's lock when another\n"
    "                           grower holds it (default 60; 0: do not wait;\n"
    "                           infinity: as long as it takes)\n"
    "      --from-host          the host asks (virt-grow): obey the [agent]\n"
    "                           allow-list of auto.conf, as guest-grow-disk does\n"
    "      --config FILE        with --from-host: that file instead of\n"
    "                           " QG_AUTO_CONF "\n"
    "      --force              grow an xfs past the allocation-group limit\n"
    "  -q, --quiet              print nothing but errors\n"
    "  -h, --help               show this help\n"
    "  -V, --version            show the version\n"
    "\n"
    "A frozen filesystem (fsfreeze) or a suspended device-mapper device on the\n"
    "stack is refused before anything is written.\n"
    "\n"
    "Exit status: 0 grown (dry run: would grow), 1 nothing to do, 2 error or\n"
    "refusal (nothing was written), 3 partly grown (a layer failed, or the\n"
    "kernel is still growing it; the report says which; run again to resume).\n"
    "See qga-grow(8).\n";

static int cli_error(const char *msg)
{
    fprintf(stderr, "qga-grow: %s\nTry 'qga-grow --help'.\n", msg);
    return QG_EXIT_ERROR;
}

int main(int argc, char **argv)
{
    QgCliArgs args;
    g_autoptr(GError) error = NULL;

    if (argc > 1 && strcmp(argv[1], "growpart") == 0)
        return qg_cmd_growpart(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "auto") == 0)
        return qg_cmd_auto(argc - 1, argv + 1);

    if (!qg_cli_parse_args(argc, argv, &args, &error))
        return cli_error(error->message);
    if (args.help) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (args.version) {
        printf("qga-grow %s\n", QG_VERSION);
        return 0;
    }
    QgRequest req = args.req;
    const char *target = args.target;

    struct stat st;
    if (g_str_has_prefix(target, "serial:"))
        req.serial = target + strlen("serial:");
    else if (stat(target, &st) == 0 && S_ISDIR(st.st_mode))
        req.mountpoint = target;
    else
        req.device = target;

    /* The host's requests obey the guest administrator's allow-list, as
     * guest-grow-disk does; dry runs too. */
    if (args.from_host && !qg_agent_allows(args.config, &req, &error)) {
        fprintf(stderr, "qga-grow: %s\n", error->message);
        return QG_EXIT_ERROR;
    }

    g_autoptr(QgResult) partial = NULL;
    g_autoptr(QgResult) res = qg_grow_full(&req, &partial, &error);
    /* a run that stopped after it began to apply the plan: its report too */
    const QgResult *shown = res ? res : partial;
    if (!shown) {
        fprintf(stderr, "qga-grow: %s\n", error->message);
        return QG_EXIT_ERROR;
    }
    for (guint i = 0; i < shown->warnings->len; i++)
        fprintf(stderr, "qga-grow: warning: %s\n", (char *)shown->warnings->pdata[i]);
    if (args.json) {
        g_autofree char *text = qg_result_to_json(shown);
        printf("%s\n", text);
    } else if (!args.quiet) {
        qg_print_table(stdout, shown);
    }
    if (!res) {
        fprintf(stderr, "qga-grow: %s\n", error->message);
        return partial->changed ? QG_EXIT_PARTIAL : QG_EXIT_ERROR;
    }
    return res->changed ? QG_EXIT_GROWN : QG_EXIT_NOTHING;
}
