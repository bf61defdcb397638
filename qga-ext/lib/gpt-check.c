/* Is a GPT disk's table whole, as a finished write leaves it?
 *
 * A grow killed inside libfdisk's table write can leave the new backup GPT
 * written and the primary half-written (entries new, header old: a CRC
 * mismatch), or the protective MBR not yet updated.  libfdisk then reads
 * the valid backup, finds the partition already grown, and a rerun would
 * see nothing to do and leave the damage.  This check reads the primary
 * header, its entry array and the protective MBR itself, so that the
 * rerun can rewrite the table whole. */
#include "internal.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

/* CRC-32 as GPT uses it (IEEE 802.3, reflected, 0xEDB88320). */
static uint32_t crc32_gpt(const unsigned char *p, size_t n)
{
    static uint32_t table[256];
    static gsize ready;
    if (g_once_init_enter(&ready)) {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++)
                c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        g_once_init_leave(&ready, 1);
    }
    uint32_t c = 0xFFFFFFFFu;
    while (n--)
        c = table[(c ^ *p++) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const unsigned char *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static gboolean read_at(int fd, void *buf, size_t len, uint64_t off, GError **error)
{
    ssize_t r = pread(fd, buf, len, (off_t)off);
    if (r == (ssize_t)len)
        return TRUE;
    return qg_set_errno_error(error, r < 0 ? errno : EIO,
                              "cannot read the partition table at byte %ju", (uintmax_t)off);
}

/* The primary header's and its entry array's CRCs; where it says the
 * backup header is. */
static gboolean primary_ok(int fd, unsigned ss, uint64_t nsectors, gboolean *ok,
                           uint64_t *backup_lba, GError **error)
{
    g_autofree unsigned char *hdr = g_malloc(ss);
    g_autofree unsigned char *ents = NULL;

    *ok = FALSE;
    if (!read_at(fd, hdr, ss, ss, error))
        return FALSE;
    uint32_t hsize = le32(hdr + 12);
    if (memcmp(hdr, "EFI PART", 8) != 0 || hsize < 92 || hsize > ss)
        return TRUE;
    uint32_t want = le32(hdr + 16);
    memset(hdr + 16, 0, 4);
    if (crc32_gpt(hdr, hsize) != want)
        return TRUE;
    *backup_lba = le64(hdr + 32);
    uint64_t lba = le64(hdr + 72);
    uint32_t n = le32(hdr + 80), esize = le32(hdr + 84);
    /* what libfdisk and the kernel accept; anything else is not whole */
    if (esize < 128 || esize > 4096 || n == 0 || n > 16384)
        return TRUE;
    size_t len = (size_t)n * esize;
    if (lba < 2 || lba >= nsectors || (len + ss - 1) / ss > nsectors - lba)
        return TRUE;
    ents = g_malloc(len);
    if (!read_at(fd, ents, len, lba * ss, error))
        return FALSE;
    *ok = crc32_gpt(ents, len) == le32(hdr + 88);
    return TRUE;
}

gboolean qg_gpt_damage(int fd, unsigned sector_size, uint64_t nsectors, const char **why,
                       GError **error)
{
    gboolean ok;
    uint64_t backup_lba = 0;
    unsigned char mbr[512];

    *why = NULL;
    if (!primary_ok(fd, sector_size, nsectors, &ok, &backup_lba, error))
        return FALSE;
    if (!ok) {
        *why = "the primary GPT header or entries fail their CRC";
        return TRUE;
    }
    /* A table written for this disk's size (its backup at the end) but
     * whose protective MBR still covers less: the write stopped before its
     * last step.  (After a growth too small to be worth it the backup is not
     * at the end, and the MBR's size stays as it is.  A larger size, as
     * some tools write 0xFFFFFFFF on any disk, is left alone.) */
    if (backup_lba != nsectors - 1)
        return TRUE;
    if (!read_at(fd, mbr, sizeof(mbr), 0, error))
        return FALSE;
    /* Only a purely protective MBR: one entry, of type 0xEE.  A hybrid MBR
     * (more entries) is never written by libfdisk, so a rewrite would not
     * mend it and every run would find it again. */
    const unsigned char *pmbr = NULL;
    int used = 0;
    for (int i = 0; i < 4; i++) {
        const unsigned char *e = mbr + 446 + 16 * i;
        if (e[4] == 0)
            continue;
        used++;
        if (e[4] == 0xEE)
            pmbr = e;
    }
    uint64_t want = MIN(nsectors - 1, (uint64_t)UINT32_MAX);
    if (used == 1 && pmbr && le32(pmbr + 8) == 1 && le32(pmbr + 12) < want)
        *why = "the protective MBR does not cover the disk";
    return TRUE;
}
