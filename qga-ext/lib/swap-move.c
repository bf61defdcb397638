/* --move-swap: a swap partition at the disk's end, right after the partition
 * to grow, moves to the disk's new end, so that the partition can grow into
 * the space it leaves.  Nothing of the swap's content matters once it is off;
 * what must survive is how the system finds it: its UUID and label (fstab,
 * resume=), which the new swap area keeps.
 *
 * The order makes a crash at any point safe: turn the swap off (refused when
 * the memory cannot take what is swapped out); write the new swap header at
 * the new place, which lies in free space or in the old, unused swap area,
 * never over the old header; then one table write moves the swap partition
 * and grows the other; then the kernel learns both; then the swap goes back
 * on.  Until the table write the old swap area is untouched and the next run
 * starts over; after it, the new one is complete. */
#include "internal.h"

#include <blkid.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/swap.h>
#include <unistd.h>

#define SWAP_MAGIC "SWAPSPACE2"
#define SWAP_HEADER_AT 1024   /* after the boot bits */

void qg_swap_info_clear(QgSwapInfo *s)
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

gboolean qg_swap_probe(const char *node, QgSwapInfo *s, GError **error)
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

gboolean qg_swap_check_off(const QgSwapInfo *s, GError **error)
{
    uint64_t avail_kib = 0;
    g_autofree char *text = NULL;

    if (!s->active)
        return TRUE;
    if (g_file_get_contents("/proc/meminfo", &text, NULL, NULL)) {
        const char *m = strstr(text, "MemAvailable:");
        if (m)
            avail_kib = g_ascii_strtoull(m + strlen("MemAvailable:"), NULL, 10);
    }
    /* what is swapped out must fit in memory, with room to spare */
    uint64_t need = s->used_bytes + (UINT64_C(64) << 20);
    if (avail_kib * 1024 < need) {
        g_autofree char *used = qg_format_bytes(s->used_bytes);
        g_autofree char *avail = qg_format_bytes(avail_kib * 1024);
        g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                    "%s is in use with %s swapped out and only %s of memory available: "
                    "it cannot be turned off to move it; nothing was changed", s->node,
                    used, avail);
        return FALSE;
    }
    return TRUE;
}

gboolean qg_swap_off(const QgSwapInfo *s, GError **error)
{
    if (s->active && swapoff(s->node) != 0)
        return qg_set_errno_error(error, errno, "%s: cannot turn the swap off to move it",
                                  s->node);
    return TRUE;
}

gboolean qg_swap_on(const QgSwapInfo *s, const char *node, GError **error)
{
    int flags = 0;
    if (!s->active)
        return TRUE;
    if (s->priority >= 0)
        flags = SWAP_FLAG_PREFER | (s->priority & SWAP_FLAG_PRIO_MASK);
    if (swapon(node, flags) != 0)
        return qg_set_errno_error(error, errno,
                                  "%s: the swap moved but cannot be turned on again "
                                  "(swapon -a will)", node);
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

gboolean qg_swap_write_header(int fd, const char *disk, uint64_t offset, uint64_t bytes,
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
    if (pwrite(fd, buf, page, (off_t)offset) != page)
        return qg_set_errno_error(error, errno, "%s: cannot write the moved swap's header",
                                  disk);
    if (fsync(fd) != 0)
        return qg_set_errno_error(error, errno, "%s: cannot flush the moved swap's header",
                                  disk);
    return TRUE;
}
