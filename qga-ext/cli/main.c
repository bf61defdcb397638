/* qga-grow: grow the partition and filesystem behind a target, online. */
#include "cli.h"
#include "output.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char usage_text[] =
    "Usage: qga-grow [OPTION]... TARGET\n"
    "       qga-grow growpart DISK PARTNUM [-N] [--fudge BYTES]\n"
    "       qga-grow auto [--config FILE] [--detach] DISK\n"
    "\n"
    "Grow the last partition of a disk and the filesystem on it to fill the\n"
    "disk, online, after the disk itself was enlarged.\n"
    "\n"
    "TARGET is a whole disk (/dev/vdb), a partition (/dev/vdb1), a mountpoint\n"
    "(/), or serial:SERIAL (the disk serial the host set).\n"
    "\n"
    "Options:\n"
    "  -n, --dry-run            show the plan, change nothing\n"
    "  -j, --json               print the result as JSON\n"
    "  -w, --wait-size SIZE     first wait until the kernel sees the disk at\n"
    "                           least this large (bytes, or K/M/G/T suffix)\n"
    "      --wait-timeout SEC   how long --wait-size waits (default 5)\n"
    "  -q, --quiet              print nothing but errors\n"
    "  -h, --help               show this help\n"
    "  -V, --version            show the version\n"
    "\n"
    "Exit status: 0 grown (dry run: would grow), 1 nothing to do, 2 error.\n"
    "See qga-grow(8).\n";

static int cli_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "qga-grow: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'qga-grow --help'.\n");
    return QG_EXIT_ERROR;
}

static gboolean parse_timeout(const char *text, unsigned *ms)
{
    char *end = NULL;
    errno = 0;
    double sec = g_ascii_strtod(text, &end);
    if (errno || end == text || *end || sec < 0 || sec > 3600)
        return FALSE;
    *ms = (unsigned)(sec * 1000);
    return TRUE;
}

int main(int argc, char **argv)
{
    QgRequest req = { 0 };
    gboolean json = FALSE, quiet = FALSE;
    const char *target = NULL;
    g_autoptr(GError) error = NULL;

    if (argc > 1 && strcmp(argv[1], "growpart") == 0)
        return qg_cmd_growpart(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "auto") == 0)
        return qg_cmd_auto(argc - 1, argv + 1);

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage_text, stdout);
            return 0;
        } else if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
            printf("qga-grow %s\n", QG_VERSION);
            return 0;
        } else if (!strcmp(a, "-n") || !strcmp(a, "--dry-run")) {
            req.dry_run = TRUE;
        } else if (!strcmp(a, "-j") || !strcmp(a, "--json")) {
            json = TRUE;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            quiet = TRUE;
        } else if (!strcmp(a, "-w") || !strcmp(a, "--wait-size") ||
                   g_str_has_prefix(a, "--wait-size=")) {
            val = strchr(a, '=') ? strchr(a, '=') + 1 : (i + 1 < argc ? argv[++i] : NULL);
            if (!val)
                return cli_error("%s needs a size", a);
            if (!qg_parse_size(val, &req.expect_size, &error))
                return cli_error("--wait-size: %s", error->message);
            if (!req.expect_size)
                return cli_error("--wait-size must be more than zero%s", "");
        } else if (!strcmp(a, "--wait-timeout") || g_str_has_prefix(a, "--wait-timeout=")) {
            val = strchr(a, '=') ? strchr(a, '=') + 1 : (i + 1 < argc ? argv[++i] : NULL);
            if (!val || !parse_timeout(val, &req.expect_timeout_ms))
                return cli_error("--wait-timeout needs seconds from 0 to 3600, not \"%s\"",
                                 val ? val : "");
        } else if (!strcmp(a, "--")) {
            if (i + 1 < argc && !target)
                target = argv[++i];
            if (i + 1 < argc)
                return cli_error("unexpected argument \"%s\"", argv[i + 1]);
        } else if (a[0] == '-' && a[1]) {
            return cli_error("unknown option \"%s\"", a);
        } else if (target) {
            return cli_error("one target only; \"%s\" is one too many", a);
        } else {
            target = a;
        }
    }
    if (!target)
        return cli_error("no target: name a disk, a partition, a mountpoint or "
                         "serial:SERIAL%s", "");

    struct stat st;
    if (g_str_has_prefix(target, "serial:"))
        req.serial = target + strlen("serial:");
    else if (stat(target, &st) == 0 && S_ISDIR(st.st_mode))
        req.mountpoint = target;
    else
        req.device = target;

    g_autoptr(QgResult) res = qg_grow(&req, &error);
    if (!res) {
        fprintf(stderr, "qga-grow: %s\n", error->message);
        return QG_EXIT_ERROR;
    }
    for (guint i = 0; i < res->warnings->len; i++)
        fprintf(stderr, "qga-grow: warning: %s\n", (char *)res->warnings->pdata[i]);
    if (json) {
        g_autofree char *text = qg_result_to_json(res);
        printf("%s\n", text);
    } else if (!quiet) {
        qg_print_table(stdout, res);
    }
    return res->changed ? QG_EXIT_GROWN : QG_EXIT_NOTHING;
}
