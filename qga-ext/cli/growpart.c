/* "qga-grow growpart DISK PARTNUM": what cloud-utils growpart does, with its
 * arguments, its CHANGED:/NOCHANGE:/FAILED: lines and its exit codes, so that
 * scripts written for growpart work unchanged.  Only the partition grows. */
#include "args.h"
#include "cli.h"
#include "qga-grow.h"

#include <stdio.h>
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
    "      --free-percent P  leave P% of the disk free at its end (1-99)\n"
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

int qg_cmd_growpart(int argc, char **argv)
{
    QgGrowpartArgs args;
    g_autoptr(GError) error = NULL;

    if (!qg_growpart_parse_args(argc, argv, &args, &error))
        return failed("%s", error->message);
    if (args.help) {
        fputs(usage_text, stdout);
        return 0;
    }
    QgRequest req = args.req;
    g_autoptr(QgResult) res = qg_grow(&req, &error);
    if (!res)
        return failed("%s", error->message);
    if (res->layers->len == 0)
        return failed("%s has no partition to grow", res->disk);
    const QgLayer *p = res->layers->pdata[0];
    if (!res->changed) {
        uint64_t fudge = (req.min_gain ? req.min_gain : 1024 * 1024) / res->sector_size;
        if (p->reserve_blocks)
            printf("NOCHANGE: partition %u could not be grown while leaving %u%% (%"
                   G_GUINT64_FORMAT " sectors) free on device\n", p->partno, req.free_percent,
                   (guint64)p->reserved_sectors);
        else if (p->max_sectors > p->sectors)
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
