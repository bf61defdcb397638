/* "qga-grow growpart DISK PARTNUM": what cloud-utils growpart does, with its
 * arguments, its CHANGED:/NOCHANGE:/FAILED: lines and its exit codes, so that
 * scripts written for growpart work unchanged.  Only the partition grows. */
#include "cli.h"
#include "qga-grow.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "Usage: qga-grow growpart [OPTIONS] DISK PARTITION-NUMBER\n"
    "\n"
    "Rewrite the partition table so that partition PARTITION-NUMBER of DISK\n"
    "takes all the space after it, and tell the kernel.  Like cloud-utils\n"
    "growpart; the filesystem is left alone.\n"
    "\n"
    "  -h, --help        show this help\n"
    "      --fudge F     do not grow by less than F bytes (default 1048576)\n"
    "  -N, --dry-run     only report what would be done\n"
    "  -u, --update M    update the kernel: auto, force or on (always done)\n"
    "  -v, --verbose     accepted for compatibility\n"
    "\n"
    "Exit status: 0 changed (dry run: would change), 1 NOCHANGE, 2 FAILED.\n";

static int failed(const char *fmt, const char *arg)
{
    /* growpart prints FAILED: on stdout */
    printf("FAILED: ");
    printf(fmt, arg);
    printf("\n");
    return QG_EXIT_ERROR;
}

static gboolean parse_partno(const char *text, uint32_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long v = strtoul(text, &end, 10);
    if (errno || end == text || *end || v == 0 || v > 65535 || text[0] == '-')
        return FALSE;
    *out = (uint32_t)v;
    return TRUE;
}

int qg_cmd_growpart(int argc, char **argv)
{
    QgRequest req = { .partition_only = TRUE };
    const char *pos[2] = { NULL, NULL };
    int npos = 0;
    g_autoptr(GError) error = NULL;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage_text, stdout);
            return 0;
        } else if (!strcmp(a, "-N") || !strcmp(a, "--dry-run")) {
            req.dry_run = TRUE;
        } else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
            /* nothing more to say */
        } else if (!strcmp(a, "--fudge") || !strcmp(a, "-u") || !strcmp(a, "--update")) {
            if (i + 1 >= argc)
                return failed("%s needs a value", a);
            const char *v = argv[++i];
            if (!strcmp(a, "--fudge")) {
                if (!qg_parse_size(v, &req.min_gain, &error))
                    return failed("--fudge: %s", error->message);
                if (!req.min_gain)
                    req.min_gain = 1;  /* 0 means "the default" to the library */
            } else if (strcmp(v, "auto") && strcmp(v, "force") && strcmp(v, "on")) {
                return failed("--update %s is not supported: the kernel is always "
                              "told (auto, force or on)", v);
            }
        } else if (a[0] == '-' && a[1]) {
            return failed("unknown option %s", a);
        } else if (npos < 2) {
            pos[npos++] = a;
        } else {
            return failed("too many arguments: %s", a);
        }
    }
    if (npos != 2)
        return failed("need a disk and a partition number%s", "");
    if (!parse_partno(pos[1], &req.partno))
        return failed("partition number must be a positive integer, not \"%s\"", pos[1]);
    req.device = pos[0];

    g_autoptr(QgResult) res = qg_grow(&req, &error);
    if (!res)
        return failed("%s", error->message);
    if (res->layers->len == 0)
        return failed("%s has no partition to grow", res->disk);
    const QgLayer *p = res->layers->pdata[0];
    if (!res->changed) {
        uint64_t fudge = (req.min_gain ? req.min_gain : 1024 * 1024) / res->sector_size;
        if (p->max_sectors > p->sectors)
            printf("NOCHANGE: partition %u could only be grown by %" G_GUINT64_FORMAT
                   " [fudge=%" G_GUINT64_FORMAT "]\n", p->partno,
                   (guint64)(p->max_sectors - p->sectors), (guint64)fudge);
        else
            printf("NOCHANGE: partition %u is size %" G_GUINT64_FORMAT ". it cannot be grown\n",
                   p->partno, (guint64)p->sectors);
        return QG_EXIT_NOTHING;
    }
    printf("%s: partition=%u start=%" G_GUINT64_FORMAT " old: size=%" G_GUINT64_FORMAT
           " end=%" G_GUINT64_FORMAT " new: size=%" G_GUINT64_FORMAT " end=%" G_GUINT64_FORMAT
           "\n", req.dry_run ? "CHANGE" : "CHANGED", p->partno, (guint64)p->start,
           (guint64)p->old_sectors, (guint64)(p->start + p->old_sectors - 1),
           (guint64)p->sectors, (guint64)(p->start + p->sectors - 1));
    return QG_EXIT_GROWN;
}
