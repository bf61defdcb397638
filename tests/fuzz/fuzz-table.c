/* Fuzz target: reading and planning a partition table from an image file
 * (libfdisk underneath, our choice of partition and new end on top, and on
 * GPT our own check of the primary copy's CRCs and the protective MBR; on
 * MBR our own walk of the extended partition's chain of EBRs).  The input is
 * the image.  Whatever the table says, a plan must never move the start,
 * never shrink, and never end past the disk (or, on GPT, past the last
 * usable sector); an extended partition grown first must still hold the
 * logical one, and a blocked partition must not grow. */
#include "internal.h"

#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const QgTablePlan *p)
{
    uint64_t end = p->start + p->new_sectors - 1;
    if (p->new_sectors < p->old_sectors || p->new_sectors == 0)
        abort();
    if (end >= p->nsectors || (p->table_grows && end != p->max_end))
        abort();
    if (!p->gpt && (p->new_sectors > UINT32_MAX || p->start > UINT32_MAX))
        abort();
    if (p->blocked && p->table_grows)
        abort();
    if (p->container_grows) {
        uint64_t cend = p->container_start + p->container_new_sectors - 1;
        if (p->gpt || !p->table_grows || p->container_new_sectors <= p->container_old_sectors ||
            p->container_start >= p->start || cend != end || cend >= p->nsectors ||
            p->container_new_sectors > UINT32_MAX)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4 << 20)
        return 0;
    int fd = memfd_create("fuzz-table", MFD_CLOEXEC);
    if (fd < 0)
        abort();
    /* libfdisk reads whole sectors: round the image up to one */
    size_t len = (size + 511) / 512 * 512;
    if (write(fd, data, size) != (ssize_t)size || ftruncate(fd, (off_t)(len ? len : 512)) != 0)
        abort();
    g_autofree char *path = g_strdup_printf("/proc/self/fd/%d", fd);
    for (uint32_t wanted = 0; wanted <= 4; wanted++) {
        QgTablePlan p;
        g_autoptr(GError) error = NULL;
        if (qg_table_plan_image(path, wanted, &p, &error)) {
            check(&p);
            /* the interrupted-write check reads the raw table itself */
            const char *why;
            if (p.gpt && !qg_gpt_damage(fd, p.sector_size, p.nsectors, &why, &error) &&
                (!error || !*error->message))
                abort();
        } else if (!error || !*error->message)
            abort();
    }
    close(fd);
    return 0;
}
