/* --move-swap: a swap partition at the disk's end, right after the partition
 * to grow, moves to the disk's new end, so that the partition can grow into
 * the space it leaves.  So does an MBR extended partition at the disk's end
 * that holds nothing but swap partitions (the Debian installer's layout),
 * with everything in it (ext-move.c writes that table).  Nothing of a
 * swap's content matters once it is off; what must survive is how the
 * system finds it: its UUID and label (fstab, resume=), which the new swap
 * area keeps, and its partition number, which stays (the kernel's numbers
 * must be the table's, or the move is refused).
 *
 * The order makes a crash at any point safe: turn the swaps off (refused
 * when the memory cannot take what is swapped out); write the new swap
 * headers at the new places, which lie in free space or in the old, unused
 * swap areas, never over an old header; then the table write moves the
 * swap partitions (an extended partition: its EBRs first, then the MBR)
 * and grows the other; then the kernel learns them all; then the swaps go
 * back on.  Until the table write the old swap areas are untouched and the
 * next run starts over; after it, the new ones are complete. */
#include "internal.h"

#include <blkid.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/blkpg.h>
#include <stdio.h>
#include <string.h>
#include <sys/swap.h>
#include <unistd.h>

#define SWAP_MAGIC "SWAPSPACE2"
#define SWAP_HEADER_AT 1024   /* after the boot bits */

/* A swap partition as the system sees it. */
typedef struct {
    char *node;
    char *uuid, *label;  /* kept by the new swap area */
    gboolean active;     /* on, in /proc/swaps */
    int priority;
    uint64_t used_bytes;
} QgSwapInfo;

/* One swap partition that moves. */
typedef struct {
    QgSwapInfo info;     /* node: /dev/NAME, the same after the move */
    uint32_t partno;
    uint64_t start, bytes;  /* its new place on the disk, in bytes */
    QgLayer *layer;      /* its layer (in the result once taken) */
} MovedSwap;

struct QgSwapMove {
    MovedSwap *swaps;
    guint n;
    GPtrArray *layers;   /* owned until qg_swap_move_take_layers() */
    /* the extended partition they move with (0: none), and where the
     * kernel is to have it: its stub of a sector or two at the new start
     * (ext_name NULL when the kernel has no node for it) */
    uint32_t ext_partno;
    char *ext_name;
    uint64_t ext_start, ext_stub;
};

static void swap_info_clear(QgSwapInfo *s)
{
    g_clear_pointer(&s->node, g_free);
    g_clear_pointer(&s->uuid, g_free);
    g_clear_pointer(&s->label, g_free);
}

/* /proc/swaps: is @node on, with which priority, how much swapped out? */
static void swap_state(const char *node, QgSwapInfo *s)
{
    g_autofree char *text = NULL;
    g_autofree char *real = realpath(node, NULL);
    if (!g_file_get_contents("/proc/swaps", &text, NULL, NULL))
        return;
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (char **l = lines + (lines[0] ? 1 : 0); *l; l++) {
        char name[4096];
        unsigned long long size, used;
        int prio;
        if (sscanf(*l, "%4095s %*s %llu %llu %d", name, &size, &used, &prio) != 4)
            continue;
        g_autofree char *rn = realpath(name, NULL);
        if (g_strcmp0(rn ? rn : name, real ? real : node) == 0) {
            s->active = TRUE;
            s->used_bytes = used * 1024;
            s->priority = prio;
        }
    }
}

gboolean qg_swap_active(const char *node)
{
    QgSwapInfo s = { 0 };
    swap_state(node, &s);
    return s.active;
}

static gboolean swap_probe(const char *node, QgSwapInfo *s, GError **error)
{
    blkid_probe pr = blkid_new_probe_from_filename(node);
    const char *type = NULL, *v = NULL;

    memset(s, 0, sizeof(*s));
    s->node = g_strdup(node);
    if (!pr)
        return qg_set_errno_error(error, errno, "%s: cannot probe the swap partition", node);
    blkid_probe_enable_superblocks(pr, 1);
    blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_UUIDRAW |
                                              BLKID_SUBLKS_UUID | BLKID_SUBLKS_LABEL);
    gboolean ok = blkid_do_safeprobe(pr) == 0 &&
                  blkid_probe_lookup_value(pr, "TYPE", &type, NULL) == 0 &&
                  !strcmp(type, "swap");
    if (ok) {
        if (blkid_probe_lookup_value(pr, "UUID", &v, NULL) == 0)
            s->uuid = g_strdup(v);
        if (blkid_probe_lookup_value(pr, "LABEL", &v, NULL) == 0)
            s->label = g_strdup(v);
    }
    blkid_free_probe(pr);
    if (!ok) {
        g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                    "%s has a swap partition's type but no swap signature (a swap of "
                    "another kind, or not swap at all); --move-swap moves only Linux "
                    "swap, nothing was changed", node);
        return FALSE;
    }
    swap_state(node, s);
    return TRUE;
}

static gboolean swap_off(const QgSwapInfo *s, GError **error)
{
    if (s->active && swapoff(s->node) != 0)
        return qg_set_errno_error(error, errno, "%s: cannot turn the swap off to move it",
                                  s->node);
    return TRUE;
}

static gboolean swap_on(const QgSwapInfo *s, const char *node, GError **error)
{
    int flags = 0;
    if (!s->active)
        return TRUE;
    if (s->priority >= 0)
        flags = SWAP_FLAG_PREFER | (s->priority & SWAP_FLAG_PRIO_MASK);
    if (swapon(node, flags) != 0) {
        int err = errno;
        /* on already: something else was quicker (swapon -a, a swap unit) */
        if (err == EBUSY && qg_swap_active(node))
            return TRUE;
        return qg_set_errno_error(error, err,
                                  "%s: the swap moved but cannot be turned on again "
                                  "(swapon -a will)", node);
    }
    return TRUE;
}

static gboolean parse_uuid(const char *text, unsigned char out[16])
{
    int n = 0;
    for (const char *p = text; p && *p && n < 32; p++) {
        if (*p == '-')
            continue;
        int v = g_ascii_xdigit_value(*p);
        if (v < 0)
            return FALSE;
        out[n / 2] = (unsigned char)(n % 2 ? out[n / 2] | v : v << 4);
        n++;
    }
    return n == 32;
}

static gboolean write_header(int fd, const char *disk, uint64_t offset, uint64_t bytes,
                             const QgSwapInfo *s, GError **error)
{
    long page = sysconf(_SC_PAGESIZE);
    g_autofree unsigned char *buf = g_malloc0(page);
    struct {
        uint32_t version, last_page, nr_badpages;
        unsigned char uuid[16];
        char label[16];
    } hdr = { .version = 1 };

    if (bytes / page < 10) {
        g_set_error(error, QG_ERROR, QG_ERROR_REFUSED, "%s: the swap area is too small",
                    disk);
        return FALSE;
    }
    hdr.last_page = (uint32_t)MIN(bytes / page - 1, UINT32_MAX);
    if (s->uuid && !parse_uuid(s->uuid, hdr.uuid)) {
        g_set_error(error, QG_ERROR, QG_ERROR_REFUSED, "%s: swap UUID %s cannot be kept",
                    disk, s->uuid);
        return FALSE;
    }
    if (s->label)
        memcpy(hdr.label, s->label, MIN(strlen(s->label), sizeof(hdr.label)));
    memcpy(buf + SWAP_HEADER_AT, &hdr, sizeof(hdr));
    memcpy(buf + page - strlen(SWAP_MAGIC), SWAP_MAGIC, strlen(SWAP_MAGIC));
    ssize_t n = pwrite(fd, buf, page, (off_t)offset);
    if (n != (ssize_t)page)
        return qg_set_errno_error(error, n < 0 ? errno : EIO,
                                  "%s: cannot write the moved swap's header", disk);
    if (fsync(fd) != 0)
        return qg_set_errno_error(error, errno, "%s: cannot flush the moved swap's header",
                                  disk);
    return TRUE;
}

void qg_swap_move_free(QgSwapMove *m)
{
    if (!m)
        return;
    for (guint i = 0; i < m->n; i++)
        swap_info_clear(&m->swaps[i].info);
    g_free(m->swaps);
    g_ptr_array_unref(m->layers);
    g_free(m->ext_name);
    g_free(m);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(QgSwapMove, qg_swap_move_free)

/* The kernel's partition @partno of the disk: its name, start and length
 * in bytes.  FALSE (no error) when the kernel has no such partition. */
static gboolean kernel_part(const QgTarget *t, uint32_t partno, char **name, uint64_t *start,
                            uint64_t *length)
{
    QgTarget k = { .disk_name = t->disk_name, .disk_node = t->disk_node };
    if (!qg_target_set_partition(&k, partno, NULL)) {
        g_free(k.part_name);  /* set before a later step failed */
        g_free(k.part_node);
        return FALSE;
    }
    g_autofree char *sf = g_strdup_printf("/sys/class/block/%s/start", k.part_name);
    g_autofree char *zf = g_strdup_printf("/sys/class/block/%s/size", k.part_name);
    gboolean ok = qg_sysfs_read_u64(sf, start, NULL) && qg_sysfs_read_u64(zf, length, NULL);
    *start *= 512;
    *length *= 512;
    g_free(k.part_node);
    if (ok)
        *name = k.part_name;
    else
        g_free(k.part_name);
    return ok;
}

/* Partition @partno must be, for the kernel, where the table has it (bytes):
 * else the number the system knows it by would name another place. */
static gboolean check_kernel_place(const QgTarget *t, uint32_t partno, uint64_t start,
                                   uint64_t bytes, char **name, GError **error)
{
    uint64_t ks = 0, kz = 0;
    if (!kernel_part(t, partno, name, &ks, &kz)) {
        g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                    "%s: the kernel does not know partition %u (table not re-read?); "
                    "nothing was changed", t->disk_node, partno);
        return FALSE;
    }
    if (ks != start || kz != bytes) {
        g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                    "%s: the kernel has /dev/%s at bytes %ju+%ju, but the table has "
                    "partition %u at %ju+%ju: the partition numbers the system knows are "
                    "not the table's; re-read the table first, nothing was changed",
                    t->disk_node, *name, (uintmax_t)ks, (uintmax_t)kz, partno,
                    (uintmax_t)start, (uintmax_t)bytes);
        return FALSE;
    }
    return TRUE;
}

/* Inside the extended partition [from, to) (bytes) the kernel must know no
 * partition but the stub and the swaps that move: an EBR can hold a second
 * sized entry (or one of type 0) that the kernel registers and libfdisk
 * does not read; moved over, its data would end up inside the grown
 * partition. */
static gboolean check_nothing_hidden(const QgTarget *t, const QgSwapMove *m, uint64_t from,
                                     uint64_t to, GError **error)
{
    g_autofree char *dir = g_strdup_printf("/sys/class/block/%s", t->disk_name);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;

    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *pf = g_strdup_printf("%s/%s/partition", dir, name);
        g_autofree char *sf = g_strdup_printf("%s/%s/start", dir, name);
        uint64_t no, ks;
        if (!qg_sysfs_read_u64(pf, &no, NULL) || !qg_sysfs_read_u64(sf, &ks, NULL))
            continue;
        ks *= 512;
        if (ks < from || ks >= to || no == m->ext_partno)
            continue;
        gboolean moved = FALSE;
        for (guint i = 0; i < m->n; i++)
            moved |= no == m->swaps[i].partno;
        if (moved)
            continue;
        g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                    "%s: the kernel has /dev/%s (partition %ju) inside extended partition %u, "
                    "which the table does not list there (an EBR entry libfdisk does not "
                    "read?): only swap moves, nothing was changed", t->disk_node, name,
                    (uintmax_t)no, m->ext_partno);
        return FALSE;
    }
    return TRUE;
}

/* What is swapped out of all of them must fit in memory, with room to
 * spare. */
static gboolean check_off(const QgSwapMove *m, GError **error)
{
    uint64_t used = 0, avail_kib = 0;
    g_autoptr(GString) names = g_string_new(NULL);
    g_autofree char *text = NULL;
    guint on = 0;

    for (guint i = 0; i < m->n; i++) {
        const QgSwapInfo *s = &m->swaps[i].info;
        if (!s->active)
            continue;
        used += s->used_bytes;
        g_string_append_printf(names, "%s%s", on++ ? " and " : "", s->node);
    }
    if (!on)
        return TRUE;
    if (g_file_get_contents("/proc/meminfo", &text, NULL, NULL)) {
        const char *a = strstr(text, "MemAvailable:");
        if (a)
            avail_kib = g_ascii_strtoull(a + strlen("MemAvailable:"), NULL, 10);
    }
    avail_kib = qg_fault_mem_available(avail_kib);
    if (avail_kib * 1024 < used + (UINT64_C(64) << 20)) {
        g_autofree char *u = qg_format_bytes(used);
        g_autofree char *a = qg_format_bytes(avail_kib * 1024);
        g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                    "%s %s in use with %s swapped out and only %s of memory available: "
                    "%s cannot be turned off to move %s; nothing was changed", names->str,
                    on > 1 ? "are" : "is", u, a, on > 1 ? "they" : "it",
                    on > 1 ? "them" : "it");
        return FALSE;
    }
    return TRUE;
}

gboolean qg_swap_move_plan(const QgTarget *t, QgTablePlan *tp, const QgRequest *req,
                           uint64_t min_gain, QgSwapMove **out, GPtrArray *warnings,
                           GError **error)
{
    uint64_t ss = tp->sector_size;
    g_autofree char *refusal = qg_table_swap_move_refusal(tp, t->disk_node);

    *out = NULL;
    if (refusal) {
        g_set_error_literal(error, QG_ERROR, QG_ERROR_REFUSED, refusal);
        return FALSE;
    }
    if (!tp->blocked || !tp->blocker_swap || !qg_table_plan_swap_move(tp, min_gain))
        return TRUE;  /* nothing to move (the plan says why it cannot grow) */

    g_autoptr(QgSwapMove) m = g_new0(QgSwapMove, 1);
    m->layers = g_ptr_array_new_with_free_func((GDestroyNotify)qg_layer_free);
    m->n = tp->blocker_ext ? (guint)tp->ext_nlogicals : 1;
    m->swaps = g_new0(MovedSwap, m->n);
    g_autofree uint64_t *old_start = g_new0(uint64_t, m->n);
    if (tp->blocker_ext) {
        uint64_t ks = 0;
        m->ext_partno = (uint32_t)tp->blocker_index + 1;
        m->ext_start = tp->swap_new_start * ss;
        /* the kernel may have no node for it (partx cannot add an extended
         * partition on 4096-byte sectors); one it has must be in place */
        if (kernel_part(t, m->ext_partno, &m->ext_name, &ks, &m->ext_stub) &&
            ks != tp->blocker_start * ss) {
            g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                        "%s: the kernel has /dev/%s at byte %ju, but the table has extended "
                        "partition %u at byte %ju: the partition numbers the system knows "
                        "are not the table's; re-read the table first, nothing was changed",
                        t->disk_node, m->ext_name, (uintmax_t)ks, m->ext_partno,
                        (uintmax_t)(tp->blocker_start * ss));
            return FALSE;
        }
        for (guint i = 0; i < m->n; i++) {
            const QgTableLogical *l = &tp->ext_logicals[i];
            m->swaps[i].partno = (uint32_t)l->index + 1;
            old_start[i] = l->start * ss;
            m->swaps[i].start = (l->start + tp->swap_shift) * ss;
            m->swaps[i].bytes = l->sectors * ss;
        }
    } else {
        m->swaps[0].partno = (uint32_t)tp->blocker_index + 1;
        old_start[0] = tp->blocker_start * ss;
        m->swaps[0].start = tp->swap_new_start * ss;
        m->swaps[0].bytes = tp->blocker_sectors * ss;
    }
    for (guint i = 0; i < m->n; i++) {
        MovedSwap *s = &m->swaps[i];
        g_autofree char *name = NULL;
        if (!check_kernel_place(t, s->partno, old_start[i], s->bytes, &name, error))
            return FALSE;
        g_autofree char *node = g_strdup_printf("/dev/%s", name);
        if (!swap_probe(node, &s->info, error))
            return FALSE;
    }
    if (tp->blocker_ext &&
        !check_nothing_hidden(t, m, tp->blocker_start * ss,
                              (tp->blocker_start + tp->blocker_sectors) * ss, error))
        return FALSE;
    if (!check_off(m, error))
        return FALSE;

    g_autofree char *with = tp->blocker_ext
        ? g_strdup_printf(", with extended partition %u (sector %ju to %ju)", m->ext_partno,
                          (uintmax_t)tp->blocker_start, (uintmax_t)tp->swap_new_start)
        : g_strdup("");
    for (guint i = 0; i < m->n; i++) {
        MovedSwap *s = &m->swaps[i];
        g_ptr_array_add(warnings, g_strdup_printf(
            "swap partition %u (%s, UUID %s) %s from sector %ju to sector %ju, the disk's "
            "end%s%s", s->partno, s->info.node, s->info.uuid ? s->info.uuid : "none",
            req->dry_run ? "would move" : "moves", (uintmax_t)(old_start[i] / ss),
            (uintmax_t)(s->start / ss), with, s->info.active ? ", turned off meanwhile" : ""));
        s->layer = qg_layer_new(QG_LAYER_SWAP, s->info.node, "swap");
        s->layer->partno = s->partno;
        s->layer->old_size = s->layer->size = s->bytes;
        s->layer->changed = TRUE;
        g_ptr_array_add(m->layers, s->layer);
    }
    *out = g_steal_pointer(&m);
    return TRUE;
}

void qg_swap_move_take_layers(QgSwapMove *m, GPtrArray *layers)
{
    while (m && m->layers->len)
        g_ptr_array_add(layers, g_ptr_array_steal_index(m->layers, 0));
}

gboolean qg_swap_move_prepare(QgSwapMove *m, const char *disk_node, GError **error)
{
    for (guint i = 0; i < m->n; i++)
        if (!swap_off(&m->swaps[i].info, error))
            return FALSE;
    qg_fault_point("swap-off");
    int fd = open(disk_node, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return qg_set_errno_error(error, errno, "cannot open %s for writing", disk_node);
    gboolean ok = TRUE;
    for (guint i = 0; i < m->n && ok; i++)
        ok = write_header(fd, disk_node, m->swaps[i].start, m->swaps[i].bytes,
                          &m->swaps[i].info, error);
    close(fd);
    return ok;
}

void qg_swap_move_written(QgSwapMove *m)
{
    for (guint i = 0; i < m->n; i++)
        if (m->swaps[i].layer)
            m->swaps[i].layer->changed = TRUE;
}

gboolean qg_swap_move_finish(int fd, QgSwapMove *m, const char *disk_node, GError **error)
{
    /* all out of the way first: the new places may overlap the old ones */
    for (guint i = 0; i < m->n; i++)
        if (!qg_blkpg(fd, BLKPG_DEL_PARTITION, m->swaps[i].partno, 0, 0) && errno != ENXIO)
            return qg_set_errno_error(error, errno, "%s: the kernel keeps the old swap "
                                      "partition %u (re-read the table)", disk_node,
                                      m->swaps[i].partno);
    if (m->ext_name &&
        ((!qg_blkpg(fd, BLKPG_DEL_PARTITION, m->ext_partno, 0, 0) && errno != ENXIO) ||
         !qg_blkpg(fd, BLKPG_ADD_PARTITION, m->ext_partno, m->ext_start, m->ext_stub)))
        return qg_set_errno_error(error, errno, "%s: the kernel refused the moved extended "
                                  "partition %u (re-read the table)", disk_node, m->ext_partno);
    for (guint i = 0; i < m->n; i++)
        if (!qg_blkpg(fd, BLKPG_ADD_PARTITION, m->swaps[i].partno, m->swaps[i].start,
                      m->swaps[i].bytes))
            return qg_set_errno_error(error, errno, "%s: the kernel refused the moved swap "
                                      "partition %u (re-read the table)", disk_node,
                                      m->swaps[i].partno);
    return TRUE;
}

gboolean qg_swap_move_on(QgSwapMove *m, GError **error)
{
    gboolean ok = TRUE;
    for (guint i = 0; i < m->n; i++) {
        MovedSwap *s = &m->swaps[i];
        GError *e = NULL;
        if (swap_on(&s->info, s->info.node, &e))
            continue;
        if (s->layer) {
            s->layer->state = QG_LAYER_FAILED;
            g_free(s->layer->error);
            s->layer->error = g_strdup(e->message);
        }
        if (ok)
            g_propagate_error(error, e);
        else
            g_error_free(e);
        ok = FALSE;
    }
    return ok;
}

void qg_swap_move_back_on(QgSwapMove *m)
{
    for (guint i = 0; i < m->n; i++)
        if (!qg_swap_active(m->swaps[i].info.node))
            swap_on(&m->swaps[i].info, m->swaps[i].info.node, NULL);
}
