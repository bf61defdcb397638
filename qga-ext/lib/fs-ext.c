/* ext2/3/4: sizes from the superblock via libext2fs; online growth with the
 * kernel's EXT4_IOC_RESIZE_FS, offline growth with e2fsck + resize2fs.
 *
 * The plan reaches what the kernel or resize2fs will (GROW-NOTES.md has
 * the measurements): at most 2^32-1 blocks without the 64bit feature (the
 * kernel does not check it and would write block numbers that do not fit;
 * resize2fs refuses), at most 2^32-1 inodes (the kernel refuses, resize2fs
 * drops a group), a last block group too small for its metadata left out
 * (each by its own rule), and resize2fs only while the group descriptors
 * fit in one block group.  Reserved GDT blocks are no limit: the kernel
 * turns the filesystem into meta_bg when they run out, resize2fs moves
 * blocks to make room. */
#include "internal.h"

#include <errno.h>
#include <ext2fs/ext2fs.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

static ext2_filsys open_super(const QgFsTarget *fs, GError **error)
{
    ext2_filsys e2;
    /* Buffered reads of the device share the page cache with the mounted
     * filesystem's metadata, so a mounted filesystem's superblock reads
     * current.  Only the superblock is needed. */
    errcode_t r = ext2fs_open2(fs->device, NULL,
                               EXT2_FLAG_64BITS | EXT2_FLAG_SUPER_ONLY | EXT2_FLAG_SKIP_MMP,
                               0, 0, unix_io_manager, &e2);
    if (r) {
        g_set_error(error, QG_ERROR, QG_ERROR_FAILED, "%s: cannot read the %s superblock: %s",
                    fs->device, fs->type, error_message(r));
        return NULL;
    }
    return e2;
}

static uint64_t div_up(uint64_t a, uint64_t b)
{
    return (a + b - 1) / b;
}

/* Block groups of a filesystem of @blocks. */
static uint64_t groups_of(ext2_filsys e2, uint64_t blocks)
{
    return div_up(blocks - e2->super->s_first_data_block, e2->super->s_blocks_per_group);
}

static uint64_t group_start(ext2_filsys e2, uint64_t group)
{
    return group * e2->super->s_blocks_per_group + e2->super->s_first_data_block;
}

/* The group descriptor blocks kept in @group once the kernel has grown the
 * filesystem (ext4_bg_num_gdb(), with meta_bg as the grow leaves it). */
static uint64_t kernel_gdb(ext2_filsys e2, uint64_t group, gboolean meta_bg,
                           uint64_t first_meta_bg, uint64_t gdb_count)
{
    uint64_t dpb = EXT2_DESC_PER_BLOCK(e2->super), in_meta = group % dpb;
    if (!meta_bg || group / dpb < first_meta_bg) {
        if (!ext2fs_bg_has_super(e2, (dgrp_t)group))
            return 0;
        return meta_bg ? first_meta_bg : gdb_count;
    }
    return in_meta == 0 || in_meta == 1 || in_meta == dpb - 1;
}

/* What EXT4_IOC_RESIZE_FS makes of @n blocks (ext4_resize_fs(), Linux 6.1
 * and later): past the reserved GDT blocks it converts to meta_bg and goes
 * on; it drops a last group without room for its metadata. */
static uint64_t kernel_reach(ext2_filsys e2, uint64_t n)
{
    struct ext2_super_block *sb = e2->super;
    uint64_t cur = ext2fs_blocks_count(sb), dpb = EXT2_DESC_PER_BLOCK(sb);
    uint64_t ratio = EXT2FS_CLUSTER_RATIO(e2);
    uint64_t o_desc = div_up(groups_of(e2, cur), dpb);

    if (ext2fs_has_feature_bigalloc(sb))
        n &= ~(ratio - 1);
    while (n > cur) {
        uint64_t g = (n - 1 - sb->s_first_data_block) / sb->s_blocks_per_group;
        uint64_t n_desc = div_up(g + 1, dpb), reserved = sb->s_reserved_gdt_blocks;
        gboolean meta_bg = ext2fs_has_feature_meta_bg(sb);
        uint64_t first_meta_bg = sb->s_first_meta_bg, gdb = o_desc;
        if (ext2fs_has_feature_resize_inode(sb) && n_desc > o_desc + reserved) {
            /* the reserved blocks are used up first, then converted */
            meta_bg = TRUE;
            first_meta_bg = gdb = o_desc + reserved;
            reserved = 0;
        } else if (!ext2fs_has_feature_resize_inode(sb) && !meta_bg) {
            meta_bg = TRUE;
            first_meta_bg = o_desc;
        }
        uint64_t overhead = kernel_gdb(e2, g, meta_bg, first_meta_bg, gdb);
        if (ext2fs_bg_has_super(e2, (dgrp_t)g))
            overhead += 1 + reserved;
        if (group_start(e2, g) + overhead + 2 + e2->inode_blocks_per_group + ratio < n)
            break;
        n = group_start(e2, g);
    }
    return MAX(n, cur);
}

/* One resize2fs (1.47) run's reach for @n blocks given on its command
 * line, from @cur blocks with @reserved GDT blocks (adjust_new_size()): it
 * drops a last group shorter than its metadata and 50 blocks, counting the
 * new descriptor blocks and the reserved ones before it uses any. */
static uint64_t resize2fs_pass(ext2_filsys e2, uint64_t cur, uint64_t reserved, uint64_t n)
{
    struct ext2_super_block *sb = e2->super;
    uint64_t dpb = EXT2_DESC_PER_BLOCK(sb);

    if (ext2fs_has_feature_bigalloc(sb))
        n &= ~((uint64_t)EXT2FS_CLUSTER_RATIO(e2) - 1);
    while (n > cur) {
        uint64_t groups = groups_of(e2, n);
        uint64_t overhead = 2 + e2->inode_blocks_per_group;
        gboolean has_bg;
        if (ext2fs_has_feature_sparse_super2(sb))
            has_bg = sb->s_backup_bgs[groups == 2 ? 0 : 1] != 0;
        else
            has_bg = ext2fs_bg_has_super(e2, (dgrp_t)(groups - 1));
        if (has_bg)
            overhead += 1 + div_up(groups, dpb) + reserved;
        uint64_t rest = (n - sb->s_first_data_block) % sb->s_blocks_per_group;
        if (!rest || groups == 1 || rest >= overhead + 50)
            break;
        n -= rest;
    }
    return MAX(n, cur);
}

/* What resize2fs makes of @n blocks, run until it stops growing (ext_grow
 * does so): a run that added descriptor blocks took them from the reserved
 * ones (adjust_reserved_gdt_blocks()), which lowers the next run's count of
 * a backup group's metadata, so that a second run may add a last group the
 * first one dropped. */
static uint64_t resize2fs_reach(ext2_filsys e2, uint64_t n)
{
    struct ext2_super_block *sb = e2->super;
    uint64_t cur = ext2fs_blocks_count(sb), dpb = EXT2_DESC_PER_BLOCK(sb);
    int64_t reserved = sb->s_reserved_gdt_blocks;

    for (;;) {
        uint64_t next = resize2fs_pass(e2, cur, (uint64_t)reserved, n);
        if (next == cur)
            return cur;
        if (ext2fs_has_feature_resize_inode(sb)) {
            reserved -= (int64_t)(div_up(groups_of(e2, next), dpb) - div_up(groups_of(e2, cur), dpb));
            reserved = CLAMP(reserved, 0, (int64_t)(EXT2_BLOCK_SIZE(sb) / 4));
        }
        cur = next;
    }
}

static gboolean ext_reach(const QgFsTarget *fs, uint64_t size, uint64_t block,
                          uint64_t container, uint64_t *bytes, char **limit, GError **error)
{
    ext2_filsys e2 = open_super(fs, error);
    (void)size;
    if (!e2)
        return FALSE;
    struct ext2_super_block *sb = e2->super;
    uint64_t whole = container / block, n = whole;
    uint64_t cur = ext2fs_blocks_count(sb);
    uint64_t bpg = sb->s_blocks_per_group, dpb = EXT2_DESC_PER_BLOCK(sb);
    uint64_t max_groups = UINT32_MAX / sb->s_inodes_per_group;
    g_autofree char *why = NULL;

    if (!ext2fs_has_feature_64bit(sb) && n > UINT32_MAX) {
        n = UINT32_MAX;
        why = g_strdup_printf("%s without the 64bit feature holds at most 2^32-1 blocks "
                              "of %" G_GUINT64_FORMAT " bytes", fs->type, block);
    }
    if (groups_of(e2, n) > max_groups) {
        n = group_start(e2, max_groups);
        g_free(why);
        why = g_strdup_printf("%s holds at most 2^32-1 inodes (%u per block group)",
                              fs->type, sb->s_inodes_per_group);
    }
    if (!fs->mountpoint) {
        /* resize2fs refuses a size whose group descriptors do not fit in
         * one block group, whatever meta_bg says */
        uint64_t desc_groups = (bpg - sb->s_first_data_block) * dpb;
        if (groups_of(e2, n) > desc_groups) {
            n = MAX(cur, group_start(e2, desc_groups));
            g_free(why);
            why = g_strdup_printf("resize2fs grows an unmounted %s only to %" G_GUINT64_FORMAT
                                  " block groups (their descriptors must fit in one); mount "
                                  "it to grow it online", fs->type, desc_groups);
        }
    }
    uint64_t got = fs->mountpoint ? kernel_reach(e2, n) : resize2fs_reach(e2, n);
    if (got < n && n > cur) {
        g_free(why);
        why = g_strdup_printf("%s leaves out a last block group too small for its metadata "
                              "(%" G_GUINT64_FORMAT " blocks)", fs->type, n - got);
    }
    ext2fs_close_free(&e2);
    *bytes = got * block;
    if (got < whole)
        *limit = g_steal_pointer(&why);
    return TRUE;
}

static gboolean ext_probe(const QgFsTarget *fs, uint64_t *size, uint64_t *block,
                          GError **error)
{
    ext2_filsys e2 = open_super(fs, error);
    if (!e2)
        return FALSE;
    *block = EXT2_BLOCK_SIZE(e2->super);
    *size = ext2fs_blocks_count(e2->super) * *block;
    ext2fs_close_free(&e2);
    return TRUE;
}

static gboolean ext_grow_online(const QgFsTarget *fs, uint64_t blocks, GError **error)
{
    int fd = qg_open_mount(fs->mountpoint, error);
    if (fd < 0)
        return FALSE;
    __u64 count = blocks;
    int r = ioctl(fd, EXT4_IOC_RESIZE_FS, &count);
    int err = errno;
    close(fd);
    if (r != 0)
        return qg_set_errno_error(error, err, "%s: the kernel refused to grow %s on %s",
                                  fs->device, fs->type, fs->mountpoint);
    return TRUE;
}

static gboolean ext_blocks(const QgFsTarget *fs, uint64_t *blocks, GError **error)
{
    ext2_filsys e2 = open_super(fs, error);
    if (!e2)
        return FALSE;
    *blocks = ext2fs_blocks_count(e2->super);
    ext2fs_close_free(&e2);
    return TRUE;
}

static gboolean ext_grow_offline(const QgFsTarget *fs, uint64_t blocks, GError **error)
{
    /* resize2fs wants a freshly checked filesystem; preen mode fixes only
     * what is safe to fix unattended and fails on anything else.  The size
     * is the plan's, in the filesystem's blocks: without one resize2fs
     * takes the whole device and fails where the plan stopped short. */
    g_autofree char *count = g_strdup_printf("%" G_GUINT64_FORMAT, blocks);
    const char *const fsck[] = { "e2fsck", "-f", "-p", fs->device, NULL };
    const char *const resize[] = { "resize2fs", fs->device, count, NULL };
    static const int fsck_ok[] = { 0, 1, -1 }, resize_ok[] = { 0, -1 };
    uint64_t now = 0, before;

    if (!qg_run_tool(fsck, fsck_ok, error))
        return FALSE;
    /* Again while it grows and falls short (resize2fs_reach() says why);
     * the plan counted on that.  Two runs at most in practice. */
    for (int pass = 0; pass < 4; pass++) {
        before = now;
        if (!qg_run_tool(resize, resize_ok, error) || !ext_blocks(fs, &now, error))
            return FALSE;
        if (now >= blocks || now == before)
            break;
    }
    return TRUE;
}

static gboolean ext_grow(const QgFsTarget *fs, uint64_t bytes, uint64_t block,
                         GError **error)
{
    if (fs->mountpoint)
        return ext_grow_online(fs, bytes / block, error);
    return ext_grow_offline(fs, bytes / block, error);
}

static const char *const ext_types[] = { "ext2", "ext3", "ext4", NULL };

const QgFsOps qg_fs_ext = {
    .types = ext_types,
    .grows_unmounted = TRUE,
    .probe = ext_probe,
    .reach = ext_reach,
    .grow = ext_grow,
};
