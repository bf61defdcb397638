/* "qga-grow growpart DISK PARTNUM": what cloud-utils growpart does, with its
 * arguments, its CHANGED:/NOCHANGE:/FAILED: lines and its exit codes, so that
 * scripts written for growpart work unchanged.  Only the partition grows,
 * into the free space after it.  DISK may be a disk image file, as for
 * growpart: then only its table is written (no kernel involved). */
#include "args.h"
#include "cli.h"
#include "internal.h"  /* qg_table_grow_image(): image files */
#include "qga-grow.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static const char usage_text[] =
    "Usage: qga-grow growpart [OPTIONS] DISK PARTITION-NUMBER\n"
    "\n"
    "Rewrite the partition table so that partition PARTITION-NUMBER of DISK\n"
    "takes all the free space after it (up to the next partition or the disk's\n"
    "end), and tell the kernel.  Like cloud-utils growpart; the filesystem is\n"
    "left alone.  DISK may be a disk image file: only its table changes.\n"
    "\n"
    "  -h, --help        show this help\n"
    "      --fudge F     do not grow by less than F bytes (default 1048576)\n"
    "  -N, --dry-run     only report what would be done\n"
    "  -u, --update M    update the kernel: auto, force or on (always done)\n"
    "      --free-percent P  leave P% of the disk free at its end (1-99)\n"
    "      --lock-timeout S  wait up to S seconds for the disk's lock (default 60;\n"
    "                    0: do not wait; infinity)\n"
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

/* growpart's result line, from the partition layer (or an image's plan). */
static int report(const QgRequest *req, const QgLayer *p, gboolean changed,
                  unsigned sector_size)
{
    if (!changed) {
        uint64_t fudge = (req->min_gain ? req->min_gain : 1024 * 1024) / sector_size;
        if (p->reserve_blocks)
            printf("NOCHANGE: partition %u could not be grown while leaving %u%% (%"
                   G_GUINT64_FORMAT " sectors) free on device\n", p->partno, req->free_percent,
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
           "\n", req->dry_run ? "CHANGE" : "CHANGED", p->partno, (guint64)p->start,
           (guint64)p->old_sectors, (guint64)(p->start + p->old_sectors - 1),
           (guint64)p->sectors, (guint64)(p->start + p->sectors - 1));
    return QG_EXIT_GROWN;
}

/* A disk image file: the same planning, the table alone. */
static int grow_image(const QgRequest *req)
{
    g_autoptr(GError) error = NULL;
    QgTablePlan tp;

    if (!qg_table_grow_image(req->device, req->partno, req->min_gain, req->free_percent,
                             req->dry_run, &tp, &error))
        return failed("%s", error->message);
    if (tp.damage)
        fprintf(stderr, "WARN: %s: %s (a grow interrupted while writing it?); the table "
                "%s rewritten from its valid copy\n", req->device, tp.damage,
                req->dry_run ? "would be" : "is");
    QgLayer p = {
        .partno = (uint32_t)tp.index + 1,
        .start = tp.start,
        .old_sectors = tp.old_sectors,
        .sectors = tp.new_sectors,
        .max_sectors = MAX(tp.max_end, tp.start + tp.old_sectors - 1) - tp.start + 1,
        .reserved_sectors = tp.reserved,
        .reserve_blocks = tp.reserve_blocks,
    };
    return report(req, &p, tp.table_grows || tp.damage, tp.sector_size);
}

int qg_cmd_growpart(int argc, char **argv)
{
    QgGrowpartArgs args;
    g_autoptr(GError) error = NULL;
    struct stat st;

    if (!qg_growpart_parse_args(argc, argv, &args, &error))
        return failed("%s", error->message);
    if (args.help) {
        fputs(usage_text, stdout);
        return 0;
    }
    QgRequest req = args.req;
    if (stat(req.device, &st) == 0 && S_ISREG(st.st_mode))
        return grow_image(&req);
    g_autoptr(QgResult) res = qg_grow(&req, &error);
    if (!res)
        return failed("%s", error->message);
    if (res->layers->len == 0)
        return failed("%s has no partition to grow", res->disk);
    return report(&req, res->layers->pdata[0], res->changed, res->sector_size);
}
