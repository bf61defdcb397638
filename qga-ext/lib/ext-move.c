/* --move-swap with an extended partition (the Debian installer's layout:
 * root, then an extended partition holding the swap, at the disk's end):
 * the extended partition moves to the disk's new end with all it holds,
 * and the partition before it grows into the space.
 *
 * libfdisk cannot write this in an order a crash survives: moving an
 * extended partition's start with fdisk_set_partition() leaves its EBRs
 * where they were (and its checks refuse to grow the partition before it
 * over the old logical partitions); deleting the partitions and adding them
 * again lets it choose new places for the EBRs; and its write puts the MBR
 * on the disk before the EBRs, with no flush between them, so a cut there
 * leaves an MBR whose extended partition has no chain.
 *
 * So the move is written here.  The shift is whole MiBs and every EBR
 * entry is relative (the logical partition to its EBR, the link to the
 * extended partition's start), so each new EBR is the old one with only
 * its CHS fields recomputed; in the MBR two entries change: the partition's
 * size (and end CHS) and the extended partition's start (and CHS).  Before
 * anything is written, the new sectors go onto a scratch copy of the disk
 * (a sparse memfd) that libfdisk reads back: it must see the very table
 * planned, every partition number where it was.  Then the EBRs are written
 * at their new places (free space, or the old swap areas, never over an
 * old EBR or swap header: layer-table.c's shift sees to it) and flushed;
 * the fault point "ebrs-written"; the MBR, flushed.  Until the MBR is
 * written the old chain is whole and the next run starts over; after it
 * the new one is complete. */
#include "internal.h"

#include <errno.h>
#include <libfdisk/libfdisk.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define TABLE_AT 446    /* the four entries of an MBR or EBR */
#define ENTRY_SIZE 16

static uint32_t get_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(unsigned char *p, uint32_t v)
{
    p[0] = v & 0xff;
    p[1] = (v >> 8) & 0xff;
    p[2] = (v >> 16) & 0xff;
    p[3] = (v >> 24) & 0xff;
}

static gboolean is_extended_code(unsigned code)
{
    return code == 0x05 || code == 0x0f || code == 0x85;
}

/* A cylinder/head/sector address as libfdisk writes it with the table's
 * geometry (the cylinder wraps past 1023: nothing reads it any more, but
 * the fields stay as the rest of the table has them). */
static void put_chs(unsigned char *p, uint64_t lba, unsigned heads, unsigned sectors)
{
    if (!heads || !sectors)
        return;
    unsigned s = (unsigned)(lba % sectors) + 1;
    lba /= sectors;
    unsigned h = (unsigned)(lba % heads);
    lba /= heads;
    p[0] = (unsigned char)h;
    p[1] = (unsigned char)(s | ((lba >> 2) & 0xc0));
    p[2] = (unsigned char)(lba & 0xff);
}

/* An entry's begin and end CHS for @start + @size sectors. */
static void entry_chs(unsigned char *e, uint64_t start, uint64_t size, unsigned heads,
                      unsigned sectors)
{
    put_chs(e + 1, start, heads, sectors);
    put_chs(e + 5, start + size - 1, heads, sectors);
}

static gboolean read_sector(int fd, const char *node, uint64_t sector, unsigned ss,
                            unsigned char *buf, GError **error)
{
    ssize_t r = pread(fd, buf, ss, (off_t)(sector * ss));
    if (r != (ssize_t)ss)
        return qg_set_errno_error(error, r < 0 ? errno : EIO, "%s: cannot read sector %ju",
                                  node, (uintmax_t)sector);
    return TRUE;
}

static gboolean write_sector(int fd, const char *node, uint64_t sector, unsigned ss,
                             const unsigned char *buf, const char *what, GError **error)
{
    ssize_t r = pwrite(fd, buf, ss, (off_t)(sector * ss));
    if (r != (ssize_t)ss)
        return qg_set_errno_error(error, r < 0 ? errno : EIO, "%s: cannot write %s at sector %ju",
                                  node, what, (uintmax_t)sector);
    return TRUE;
}

static void table_unref(struct fdisk_table **tb)
{
    if (*tb)
        fdisk_unref_table(*tb);
}

/* Where the plan puts partition @pa of the old table. */
static void planned_place(const QgTablePlan *p, struct fdisk_partition *pa, uint64_t *start,
                          uint64_t *size)
{
    size_t no = fdisk_partition_get_partno(pa);
    *start = fdisk_partition_get_start(pa);
    *size = fdisk_partition_get_size(pa);
    if (no == p->index)
        *size = p->new_sectors;
    else if (no == p->blocker_index || fdisk_partition_is_nested(pa))
        *start += p->swap_shift;
}

/* Does the table libfdisk reads from @sc hold every partition of @cxt's
 * where the plan puts it, with its number, type and flags? */
static gboolean same_as_planned(struct fdisk_context *cxt, struct fdisk_context *sc,
                                const QgTablePlan *p, char **why)
{
    __attribute__((cleanup(table_unref))) struct fdisk_table *old = NULL;
    __attribute__((cleanup(table_unref))) struct fdisk_table *now = NULL;
    struct fdisk_iter *itr;
    struct fdisk_partition *pa;

    if (fdisk_get_partitions(cxt, &old) != 0 || fdisk_get_partitions(sc, &now) != 0) {
        *why = g_strdup("its partitions cannot be listed");
        return FALSE;
    }
    if (fdisk_table_get_nents(old) != fdisk_table_get_nents(now)) {
        *why = g_strdup_printf("%zu partitions instead of %zu", fdisk_table_get_nents(now),
                               fdisk_table_get_nents(old));
        return FALSE;
    }
    itr = fdisk_new_iter(FDISK_ITER_FORWARD);
    while (!*why && fdisk_table_next_partition(old, itr, &pa) == 0) {
        size_t no = fdisk_partition_get_partno(pa);
        struct fdisk_partition *got = fdisk_table_get_partition_by_partno(now, no);
        uint64_t start, size;
        planned_place(p, pa, &start, &size);
        struct fdisk_parttype *t0 = fdisk_partition_get_type(pa);
        struct fdisk_parttype *t1 = got ? fdisk_partition_get_type(got) : NULL;
        if (!got || !fdisk_partition_has_start(got) || !fdisk_partition_has_size(got))
            *why = g_strdup_printf("no partition %zu", no + 1);
        else if (fdisk_partition_get_start(got) != start || fdisk_partition_get_size(got) != size)
            *why = g_strdup_printf("partition %zu at sectors %ju+%ju, not %ju+%ju", no + 1,
                                   (uintmax_t)fdisk_partition_get_start(got),
                                   (uintmax_t)fdisk_partition_get_size(got), (uintmax_t)start,
                                   (uintmax_t)size);
        else if (!t0 || !t1 || fdisk_parttype_get_code(t0) != fdisk_parttype_get_code(t1) ||
                 fdisk_partition_is_bootable(pa) != fdisk_partition_is_bootable(got) ||
                 fdisk_partition_is_nested(pa) != fdisk_partition_is_nested(got))
            *why = g_strdup_printf("partition %zu of another type or kind", no + 1);
    }
    fdisk_free_iter(itr);
    return !*why;
}

/* The new MBR and EBRs on a scratch copy of the disk, read back: libfdisk
 * must find the planned table there, mend nothing, and our own planning
 * (the EBR chain, overlaps) must accept it with the partition grown. */
static gboolean check_scratch(struct fdisk_context *cxt, const char *node, const QgTablePlan *p,
                              const unsigned char *mbr, const unsigned char *ebrs,
                              GError **error)
{
    unsigned ss = p->sector_size;
    struct fdisk_context *sc = NULL;
    g_autofree char *why = NULL;
    g_autoptr(GError) e = NULL;
    QgTablePlan after;
    gboolean ok = FALSE;
    int r, mfd = memfd_create("qga-grow-table", MFD_CLOEXEC);

    if (mfd < 0)
        return qg_set_errno_error(error, errno, "%s: cannot make a scratch copy of the table",
                                  node);
    if (ftruncate(mfd, (off_t)(p->nsectors * ss)) != 0) {
        qg_set_errno_error(error, errno, "%s: cannot make a scratch copy of the table", node);
        goto out;
    }
    if (!write_sector(mfd, "scratch", 0, ss, mbr, "the MBR", error))
        goto out;
    for (size_t i = 0; i < p->ext_nebrs; i++)
        if (!write_sector(mfd, "scratch", p->ext_ebrs[i] + p->swap_shift, ss,
                          ebrs + i * ss, "an EBR", error))
            goto out;
    if (!(sc = fdisk_new_context())) {
        g_set_error(error, QG_ERROR, QG_ERROR_FAILED, "out of memory");
        goto out;
    }
    fdisk_enable_listonly(sc, 1);
    fdisk_save_user_sector_size(sc, ss, ss);
    r = fdisk_assign_device_by_fd(sc, mfd, "scratch", 1);
    if (r < 0)
        why = g_strdup_printf("libfdisk cannot read it (%s)", g_strerror(-r));
    else if (!fdisk_is_label(sc, DOS))
        why = g_strdup("no MBR table");
    else if (fdisk_label_is_changed(fdisk_get_label(sc, NULL)))
        why = g_strdup("libfdisk would mend it");
    else if (same_as_planned(cxt, sc, p, &why) &&
             !qg_table_plan(sc, node, (uint32_t)p->index + 1, 1, 0, &after, &e))
        why = g_strdup(e->message);
    if (why) {
        g_set_error(error, QG_ERROR, QG_ERROR_FAILED,
                    "%s: the moved table does not read back as planned: %s; nothing was "
                    "written", node, why);
        goto out;
    }
    ok = TRUE;
out:
    if (sc) {
        fdisk_deassign_device(sc, 1);
        fdisk_unref_context(sc);
    }
    close(mfd);
    return ok;
}

gboolean qg_ext_move_write(struct fdisk_context *cxt, int fd, const char *node,
                           const QgTablePlan *p, GError **error)
{
    unsigned ss = p->sector_size;
    unsigned heads = fdisk_get_geom_heads(cxt), sectors = fdisk_get_geom_sectors(cxt);
    uint64_t ext_start = p->swap_new_start, ext_size = p->blocker_sectors;
    g_autofree unsigned char *mbr = g_malloc0(ss);
    g_autofree unsigned char *ebrs = g_malloc0((gsize)ss * MAX(p->ext_nebrs, 1));

    if (p->index >= 4 || p->blocker_index >= 4 || !p->ext_nebrs ||
        ext_start + ext_size - 1 > UINT32_MAX || p->new_sectors > UINT32_MAX ||
        ext_start != p->blocker_start + p->swap_shift) {
        g_set_error(error, QG_ERROR, QG_ERROR_FAILED,
                    "%s: the planned move of extended partition %zu cannot be written; "
                    "nothing was written", node, p->blocker_index + 1);
        return FALSE;
    }
    if (!read_sector(fd, node, 0, ss, mbr, error))
        return FALSE;
    unsigned char *pe = mbr + TABLE_AT + ENTRY_SIZE * p->index;
    unsigned char *ce = mbr + TABLE_AT + ENTRY_SIZE * p->blocker_index;
    /* the entries as the plan read them through libfdisk */
    if (get_le32(pe + 8) != p->start || get_le32(pe + 12) != p->old_sectors ||
        get_le32(ce + 8) != p->blocker_start || get_le32(ce + 12) != ext_size ||
        !is_extended_code(ce[4])) {
        g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                    "%s: the partition table changed while planning; nothing was written, "
                    "run again", node);
        return FALSE;
    }
    put_le32(pe + 12, (uint32_t)p->new_sectors);
    put_chs(pe + 5, p->start + p->new_sectors - 1, heads, sectors);
    put_le32(ce + 8, (uint32_t)ext_start);
    entry_chs(ce, ext_start, ext_size, heads, sectors);

    for (size_t i = 0; i < p->ext_nebrs; i++) {
        unsigned char *b = ebrs + i * ss;
        uint64_t at = p->ext_ebrs[i] + p->swap_shift;
        if (!read_sector(fd, node, p->ext_ebrs[i], ss, b, error))
            return FALSE;
        for (int k = 0; k < 4; k++) {
            unsigned char *e = b + TABLE_AT + ENTRY_SIZE * k;
            uint32_t rel = get_le32(e + 8), size = get_le32(e + 12);
            if (size)
                entry_chs(e, (is_extended_code(e[4]) ? ext_start : at) + rel, size, heads,
                          sectors);
        }
    }
    if (!check_scratch(cxt, node, p, mbr, ebrs, error))
        return FALSE;

    for (size_t i = 0; i < p->ext_nebrs; i++)
        if (!write_sector(fd, node, p->ext_ebrs[i] + p->swap_shift, ss, ebrs + i * ss,
                          "an extended boot record", error))
            return FALSE;
    if (fsync(fd) != 0)
        return qg_set_errno_error(error, errno, "%s: cannot flush the moved extended boot "
                                  "records", node);
    qg_fault_point("ebrs-written");
    if (!write_sector(fd, node, 0, ss, mbr, "the partition table", error))
        return FALSE;
    if (fsync(fd) != 0)
        return qg_set_errno_error(error, errno, "%s: cannot flush the partition table", node);
    return TRUE;
}
