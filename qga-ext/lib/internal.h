/* Internal interfaces between the files of libqga-grow. */
#ifndef QG_INTERNAL_H
#define QG_INTERNAL_H

#include "qga-grow.h"
#include <sys/types.h>

#define QG_DEFAULT_MIN_GAIN (1024 * 1024)
#define QG_DEFAULT_EXPECT_TIMEOUT_MS 5000

/* util.c */
gboolean qg_sysfs_read_u64(const char *path, uint64_t *out, GError **error);
char *qg_sysfs_read_str(const char *path);  /* NULL when missing; trimmed */
gboolean qg_set_errno_error(GError **error, int err, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);
/* BLKPG on the disk @fd: @op (BLKPG_ADD/DEL/RESIZE_PARTITION) of partition
 * @pno at @start for @length bytes; FALSE with errno set. */
gboolean qg_blkpg(int fd, int op, uint32_t pno, uint64_t start, uint64_t length);
/* Open a mounted directory for the filesystem ioctls. */
int qg_open_mount(const char *mountpoint, GError **error);
/* Run a system tool (found in the sbin and bin dirs); its stderr becomes the
 * error message.  Exit codes listed in @ok_codes (ending with -1) pass. */
gboolean qg_run_tool(const char *const *argv, const int *ok_codes, GError **error);
/* The same with @env ("NAME=VALUE", NULL-terminated; may be NULL) added to
 * the environment, and its standard output returned in @stdout_text. */
gboolean qg_run_tool_env(const char *const *argv, const char *const *env, const int *ok_codes,
                         char **stdout_text, GError **error);
/* The path of a system tool in the sbin and bin dirs, or NULL (g_free). */
char *qg_find_tool(const char *name);

/* lvm-shell.c: one LVM process for a whole grow (LVM's shell), started at
 * the first command; each holder of a reference may run commands, the last
 * unref ends it. */
typedef struct QgLvm QgLvm;
QgLvm *qg_lvm_new(void);
QgLvm *qg_lvm_ref(QgLvm *lvm);
void qg_lvm_unref(QgLvm *lvm);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(QgLvm, qg_lvm_unref)
/* "lvm ARGS...": its JSON output (g_free), or NULL with LVM's error.  A
 * command that @writes forgets the reports kept so far; one that does not
 * is answered from them when it was asked before. */
char *qg_lvm_call(QgLvm *lvm, const char *const *args, gboolean writes, GError **error);

/* stack.c: block devices by kernel name, and the kernel's links between
 * them (sysfs holders/ and slaves/), never tools' output. */
typedef enum { QG_NODE_DISK, QG_NODE_PART, QG_NODE_DM, QG_NODE_MD } QgNodeKind;
typedef struct {
    char *name;     /* kernel name: "vdb1", "dm-3", "md0" */
    char *node;     /* for messages and tools: /dev/vdb1, /dev/mapper/NAME */
    dev_t dev;
    QgNodeKind kind;
    char *dm_uuid;  /* dm only: "LVM-...", "CRYPT-LUKS2-..." */
    char *dm_name;  /* dm only */
} QgNode;
QgNode *qg_node_new(const char *name, GError **error);
void qg_node_free(QgNode *n);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(QgNode, qg_node_free)
/* Kernel names in /sys/class/block/NAME/@dir ("holders" or "slaves"). */
GPtrArray *qg_node_links(const char *name, const char *dir);
/* Walk from block device @name down its slaves to the partition or disk it
 * rests on (*base, a kernel name); *upper gets the nodes from just above the
 * base up to @name, bottom-up (empty when @name is the base).  An md array
 * is walked down through its first member; with @others not NULL, the other
 * members' kernel names go there (they grow on their own), else such an
 * array is refused. */
gboolean qg_stack_down(const char *name, char **base, GPtrArray **upper, GPtrArray **others,
                       GError **error);
/* A device-mapper device of LVM's: an LV, or one of its internal volumes. */
gboolean qg_node_is_lv(const QgNode *n);

/* stack.c: why qga-grow does not grow a dm or md device of this kind
 * ("a multipath mapping", ...), or NULL for a crypt mapping or a plain LV. */
const char *qg_node_refusal(const QgNode *n);
/* frozen.c: a refusal when @n is a suspended device-mapper device. */
gboolean qg_node_check_resumed(const QgNode *n, GError **error);

/* chain.c: the block devices to grow, base (partition or disk) first. */
typedef struct {
    GPtrArray *nodes;    /* of QgNode*, bottom-up */
    gboolean pv_on_top;  /* the top node is a PV whose LVs stay as they are */
    dev_t thin_part;     /* non-zero: the PV on top holds only a thin pool's
                          * data and metadata; one of them */
    char *pv_note;       /* ... and why, for the warnings */
    gboolean lvs_undecided;  /* ... because it holds several LVs and the
                              * request named none */
    QgLvm *lvm;          /* the grow's LVM process (lvm-shell.c) */
} QgChain;
void qg_chain_clear(QgChain *c);

/* A resolved target: the whole disk and, when one was named or found, one of
 * its partitions. */
typedef struct {
    char *disk_name;    /* kernel name: "loop3", "vda", "nvme0n1" */
    char *disk_node;    /* "/dev/loop3" */
    dev_t disk_dev;
    char *part_name;    /* "loop3p1", NULL for a whole-disk target */
    char *part_node;
    dev_t part_dev;
    uint32_t partno;    /* kernel partition number, 0 for whole disk */
    GPtrArray *md_members;  /* kernel names of md members the walk down did
                             * not take (they grow on their own first) */
    GPtrArray *upper;   /* of QgNode*: when the target was a device above the
                         * partition (an LV, a crypt mapping), the nodes from
                         * the partition (or disk) up to it, bottom-up */
} QgTarget;

void qg_target_clear(QgTarget *t);
/* chain.c: the chain from the target's partition (or disk) up. */
gboolean qg_chain_build(const QgTarget *t, const QgRequest *req, QgChain *c, GError **error);
/* target.c: resolve the request's single target. */
gboolean qg_resolve_target(const QgRequest *req, QgTarget *t, GError **error);
/* target.c: fill part_* from a kernel partition number of t's disk. */
gboolean qg_target_set_partition(QgTarget *t, uint32_t partno, GError **error);
/* The device number of a block device, by kernel name (sysfs). */
gboolean qg_dev_of_name(const char *name, dev_t *dev, GError **error);
/* Kernel's view of a block device's size in bytes, by kernel name. */
gboolean qg_block_size_bytes(const char *name, uint64_t *out, GError **error);
/* Wait until the disk is at least @want bytes (rescanning SCSI disks). */
gboolean qg_wait_disk_size(const QgTarget *t, uint64_t want, unsigned timeout_ms,
                           GError **error);

/* mountinfo.c */
typedef struct {
    char *mountpoint;
    char *fstype;
    gboolean read_only;
} QgMount;
void qg_mount_clear(QgMount *m);
/* Find where block device @dev (or, for btrfs, a filesystem whose source is
 * @dev) is mounted.  Returns FALSE with no error when it is not mounted. */
gboolean qg_mount_find_by_dev(dev_t dev, QgMount *m, GError **error);
/* The best mount (as qg_mount_find_by_dev) of an @fstype filesystem for
 * whose mountpoint @match says yes; FALSE with no error when none. */
typedef gboolean (*QgMountMatch)(const char *mountpoint, void *data);
gboolean qg_mount_find_matching(const char *fstype, QgMountMatch match, void *data,
                                QgMount *m, GError **error);
/* The block device a mountpoint sits on. */
gboolean qg_mount_dev_of(const char *mountpoint, dev_t *dev, GError **error);

/* lock.c: open the whole-disk node and take a BSD lock on it, waiting for
 * another holder up to @timeout_ms (0: QG_DEFAULT_LOCK_TIMEOUT_MS; negative:
 * as long as it takes), then QG_ERROR_LOCKED naming the holders. */
int qg_lock_disk_wait(const char *node, gboolean exclusive, int timeout_ms, GError **error);
/* The same with the default wait. */
int qg_lock_disk(const char *node, gboolean exclusive, GError **error);
/* "PID 123 (flock), PID 124 (sleep)": who holds a BSD lock on @node, as
 * the kernel tells (NULL when it does not). */
char *qg_lock_holders(const char *node);

/* bounded.c: run @fn(@data) in a detached child process and wait for its
 * answer up to @timeout_ms (0: as long as it takes; the caller stays
 * killable), calling @tick(@tick_data) about every QG_BOUNDED_TICK_MS
 * meanwhile.  TRUE when @fn returned TRUE; FALSE with @fn's error (its
 * QG_ERROR code and message); FALSE with *timed_out and no error when the
 * deadline came first: the child goes on.  The child closes the caller's
 * descriptors but @keep_fd (-1: none; a disk's lock, which then stays held
 * until the child ends). */
#define QG_BOUNDED_TICK_MS 200
typedef gboolean (*QgBoundedFunc)(void *data, GError **error);
typedef void (*QgBoundedTick)(void *data);
gboolean qg_bounded_run(QgBoundedFunc fn, void *data, unsigned timeout_ms, int keep_fd,
                        QgBoundedTick tick, void *tick_data, gboolean *timed_out,
                        GError **error);

/* frozen.c: is the filesystem mounted on @mountpoint frozen?  A probe with
 * its own deadline (QG_FROZEN_PROBE_MS); FALSE with an error only when it
 * could not be made. */
/* (5 s: a busy machine, a TCG guest under load, can take over 2 s to fork
 * the helper and get its answer; a frozen filesystem is rare, and only then
 * does the whole deadline pass) */
#define QG_FROZEN_PROBE_MS 5000
gboolean qg_fs_frozen(const char *mountpoint, gboolean *frozen, GError **error);
/* "the filesystem on M (D) is frozen: ..." (g_free). */
char *qg_frozen_message(const char *device, const char *mountpoint);

/* layer-table.c: the table alone, no kernel involved. */
struct fdisk_context;
/* The logical partitions and EBRs an extended partition holds, as far as
 * --move-swap moves them (more make it refuse). */
#define QG_MAX_LOGICALS 16
typedef struct {
    size_t index;       /* libfdisk's 0-based partition number (4: the 5th) */
    uint64_t start;     /* logical sectors */
    uint64_t sectors;
    gboolean swap;      /* swap type (0x82) or a swap signature */
} QgTableLogical;
typedef struct {
    size_t index;          /* libfdisk's 0-based partition number */
    uint64_t start;        /* logical sectors */
    uint64_t old_sectors;
    uint64_t new_sectors;  /* == old_sectors when the table need not grow */
    uint64_t max_end;      /* last sector the partition may reach */
    uint64_t usable_end;   /* the same before any free_percent reserve (GPT:
                            * the last usable sector) */
    uint64_t reserved;     /* sectors kept free by free_percent */
    gboolean reserve_blocks; /* ... which reach into the partition */
    uint64_t nsectors;     /* the disk's */
    unsigned sector_size;
    gboolean gpt;          /* else MBR */
    gboolean table_grows;
    gboolean capped;       /* MBR: the disk goes on past 2^32 sectors */
    gboolean disk_capped;  /* ... whatever the partition's place (a swap
                            * that moves to the limit makes it capped) */
    const char *damage;    /* GPT: why the table must be rewritten although
                            * it need not grow (an interrupted write) */
    gboolean last;         /* nothing follows it: max_end is the disk's end
                            * (else the sector before what follows) */
    /* MBR: a logical partition last in its extended partition, which then
     * grows first, to the same end */
    gboolean container_grows;
    size_t container_index;
    uint64_t container_start;
    uint64_t container_old_sectors;
    uint64_t container_new_sectors;
    /* Not a sector free between it and what follows, while the disk has
     * free space beyond (qg_table_blocked_message says it) */
    gboolean blocked;
    size_t blocker_index;  /* what follows: a partition, or the logical
                            * partition an EBR leads to (SIZE_MAX: none) */
    uint64_t blocker_start;
    gboolean blocker_ebr;  /* ... an EBR in front of that logical partition */
    gboolean blocker_swap; /* ... a swap partition, the disk's last; or an
                            * extended one holding only swap partitions */
    uint64_t blocker_sectors;
    /* ... an MBR extended partition, the disk's last (blocked also with
     * less than the minimum gain in between, as for a swap partition), and
     * what it holds: its logical partitions and the sectors of its EBRs,
     * both in chain order */
    gboolean blocker_ext;
    size_t ext_nlogicals;
    QgTableLogical ext_logicals[QG_MAX_LOGICALS];
    size_t ext_nebrs;
    uint64_t ext_ebrs[QG_MAX_LOGICALS + 1];
    gboolean ext_too_many;  /* more than QG_MAX_LOGICALS (or EBRs) */
    size_t ext_other;       /* its first logical partition that is not swap
                             * (SIZE_MAX: none) */
    /* --move-swap (qg_table_plan_swap_move): that swap partition (or that
     * extended partition with everything in it) moves to the disk's new
     * end, keeping its size; swap_shift: by how many sectors */
    gboolean swap_moves;
    uint64_t swap_new_start;
    uint64_t swap_shift;
} QgTablePlan;

/* A libfdisk context on @fd that never asks questions.  Read-only contexts
 * leave a GPT backup header where it is; read-write ones move it, in memory,
 * to the disk's new end. */
struct fdisk_context *qg_table_open(int fd, const char *node, gboolean read_only,
                                    GError **error);
/* Choose partition @wanted (1-based; 0: the one that starts last), check
 * that it lies within the disk and overlaps nothing, and plan its new end:
 * up to what follows it on the disk, or the disk's end, there leaving
 * @free_percent of the disk free (0: none).  @node names the disk in
 * messages. */
gboolean qg_table_plan(struct fdisk_context *cxt, const char *node, uint32_t wanted,
                       uint64_t min_gain, unsigned free_percent, QgTablePlan *p,
                       GError **error);
/* A read-only context on @fd, a copy of a disk's table sectors
 * (qg_table_assumed_copy), that reads it with @sector_size as the disk's
 * logical sector size; @node names the real disk in messages. */
struct fdisk_context *qg_table_open_copy(int fd, const char *node, unsigned sector_size,
                                         GError **error);
/* The sector ranges of the disk behind @cxt that a plan reads, as pairs of
 * uint64_t (first sector, count) in @ranges: its partition table (MBR or
 * protective MBR, GPT headers and entry arrays, the EBRs of an extended
 * partition) and the first and last MiB of each partition, where the
 * signatures lie that a probe of its content looks for (a swap area). */
gboolean qg_table_ranges(struct fdisk_context *cxt, const char *node, GArray *ranges,
                         GError **error);
/* table-assumed.c: an anonymous file of @bytes, all zeros but for the
 * sectors of the disk @fd (@node) that a plan reads (qg_table_ranges),
 * copied to the same places: the
 * disk as it will be once enlarged to @bytes, for planning (*out, and
 * the disk's *sector_size; -1, and TRUE, when the disk has no partition
 * table). */
gboolean qg_table_assumed_copy(int fd, const char *node, uint64_t bytes, int *out,
                               unsigned *sector_size, GError **error);

/* The same on an image file, read-only. */
gboolean qg_table_plan_image(const char *path, uint32_t wanted, QgTablePlan *p,
                             GError **error);
/* Where MBR's 2^32 sectors end on a disk of @sector_size: "2 TiB" (512),
 * "16 TiB" (4096).  g_free it. */
char *qg_mbr_limit_text(unsigned sector_size);
/* Why a blocked plan's partition cannot grow (g_free it), or NULL. */
char *qg_table_blocked_message(const QgTablePlan *p, const char *node);
/* Write @planned through a read-write context on @fd, after planning again
 * (same @min_gain, @free_percent) on the table as it is now and finding
 * the same plan; then fsync. */
gboolean qg_table_write(int fd, const char *node, const QgTablePlan *planned,
                        uint64_t min_gain, unsigned free_percent, GError **error);
/* growpart on an image file: plan, refuse as qg_grow would, and unless
 * @dry_run write the table (GPT: also one an interrupted write damaged). */
gboolean qg_table_grow_image(const char *path, uint32_t wanted, uint64_t min_gain,
                             unsigned free_percent, gboolean dry_run, QgTablePlan *p,
                             GError **error);

/* A plan blocked by a swap partition at the disk's end (blocker_swap):
 * move it to the disk's new end (aligned down to 1 MiB) and let the
 * partition grow up to it; an extended partition holding only swap moves
 * with everything in it by whole MiBs, as far as it can without its new
 * EBRs and swap headers landing on the old ones.  FALSE when the disk has
 * not grown enough for the move to gain @min_gain. */
gboolean qg_table_plan_swap_move(QgTablePlan *p, uint64_t min_gain);
/* Why --move-swap cannot move the extended partition in the way (it holds
 * something else than swap; g_free it), or NULL. */
char *qg_table_swap_move_refusal(const QgTablePlan *p, const char *node);

/* ext-move.c: write a planned move of an extended partition (swap_moves
 * with blocker_ext) on the disk @fd, whose table @cxt (read-write) has just
 * given that plan again: the EBRs at their new places first, flushed, then
 * the MBR, flushed.  The new sectors are checked first by reading them back
 * with libfdisk from a scratch copy. */
gboolean qg_ext_move_write(struct fdisk_context *cxt, int fd, const char *node,
                           const QgTablePlan *p, GError **error);

/* swap-move.c: what --move-swap moves, as the kernel and the system see
 * it: the swap partitions (turned off and on, their headers), the extended
 * partition they may move with, their layers in the result. */
typedef struct QgSwapMove QgSwapMove;
/* With the table's plan @tp of target @t: when a swap partition (or an
 * extended partition holding swap) blocks the grow and the disk grew
 * enough, plan its move (qg_table_plan_swap_move) and set *out; else
 * leave *out NULL.  Refused: an extended partition in the way that holds
 * anything but swap, a swap that is not Linux swap or cannot go off for
 * lack of memory, a partition the kernel has elsewhere than the table
 * (its number would name another).  The warnings say what moves where. */
gboolean qg_swap_move_plan(const QgTarget *t, QgTablePlan *tp, const QgRequest *req,
                           uint64_t min_gain, QgSwapMove **out, GPtrArray *warnings,
                           GError **error);
void qg_swap_move_free(QgSwapMove *m);
/* Move the swaps' layers (kind swap, planned) to the end of @layers; the
 * move goes on updating them. */
void qg_swap_move_take_layers(QgSwapMove *m, GPtrArray *layers);
/* Before the table write: the swaps off, their new headers written. */
gboolean qg_swap_move_prepare(QgSwapMove *m, const char *disk_node, GError **error);
/* The table is written: the swap layers moved. */
void qg_swap_move_written(QgSwapMove *m);
/* Tell the kernel on the disk @fd where the table has the moved partitions. */
gboolean qg_swap_move_finish(int fd, QgSwapMove *m, const char *disk_node, GError **error);
/* The swaps that were on, on again (a swap layer that does not come on
 * again is left failed). */
gboolean qg_swap_move_on(QgSwapMove *m, GError **error);
/* A move that failed before the table was written: the swaps on again. */
void qg_swap_move_back_on(QgSwapMove *m);
/* Is the block device @node swapped on (/proc/swaps, by any of its names)? */
gboolean qg_swap_active(const char *node);

/* gpt-check.c: is a GPT table whole, as a finished write leaves it?  FALSE
 * on a read error; else TRUE, with *why NULL, or saying what a rewrite of
 * the table (from libfdisk's view, the valid copy) must mend. */
gboolean qg_gpt_damage(int fd, unsigned sector_size, uint64_t nsectors, const char **why,
                       GError **error);

/* layer-partition.c */
typedef struct QgPartPlan QgPartPlan;
/* Read the table of the locked disk @fd; choose the partition to grow
 * (t->partno, or the last one when 0, which then fills t->part_*).
 * Returns FALSE with no error when the disk has no partition table. */
gboolean qg_part_plan(int fd, QgTarget *t, const QgRequest *req,
                      QgPartPlan **plan, QgLayer **layer, GPtrArray *warnings,
                      GError **error);
/* Write the table (if it must grow) and tell the kernel (if it lags). */
gboolean qg_part_apply(int fd, QgPartPlan *plan, const QgTarget *t,
                       QgLayer *layer, GError **error);
void qg_part_plan_free(QgPartPlan *plan);
/* --move-swap: the layers of the swap partitions that move, to the end of
 * @layers (qg_part_apply goes on updating them: moved, or failed when one
 * does not come on again). */
void qg_part_plan_take_swap_layers(QgPartPlan *plan, GPtrArray *layers);
/* Why the partition cannot grow although the disk did (an MBR table at its
 * 2 TiB limit, the next partition right after it), or NULL. */
const char *qg_part_plan_at_limit(const QgPartPlan *plan);
/* Why the partition's growth stops short of the disk's end (another
 * partition follows it), so that space the disk gains there stays unused
 * (g_free it); NULL when it reaches the end. */
char *qg_part_plan_short_of_end(const QgPartPlan *plan, const char *node);

/* fs.c: one entry per filesystem kind, each in its own fs-*.c */
typedef struct {
    const char *device;      /* block device node */
    dev_t dev;
    const char *mountpoint;  /* NULL when unmounted */
    const char *type;        /* as blkid names it */
} QgFsTarget;

/* How qg_fs_apply waits for the kernel: up to @busy_timeout_ms (0: as long
 * as it takes), calling @progress with the share of the growth done where
 * the filesystem shows it (ext4 online), about every QG_BOUNDED_TICK_MS. */
typedef struct {
    unsigned busy_timeout_ms;
    int lock_fd;  /* the disk's lock, kept by the grow's process */
    void (*progress)(double fraction, void *data);
    void *progress_data;
} QgFsWait;

typedef struct {
    const char *const *types;  /* blkid TYPE values handled */
    gboolean grows_unmounted;
    /* Current size in bytes and the filesystem's block size. */
    gboolean (*probe)(const QgFsTarget *fs, uint64_t *size, uint64_t *block,
                      GError **error);
    /* The size in bytes the filesystem really reaches when grown into
     * @container bytes (never less than now: @size, in blocks of @block, as
     * the probe just read), with the same rules as the kernel or tool that
     * grows it; *limit (g_free) says why it stops short of the container's
     * last whole block, else NULL. */
    gboolean (*reach)(const QgFsTarget *fs, uint64_t size, uint64_t block, uint64_t container,
                      uint64_t *bytes, char **limit, GError **error);
    /* Optional: refuse (QG_ERROR_REFUSED) or warn about a grow from @size
     * to @bytes that the filesystem can do but should not without @force. */
    gboolean (*guard)(const QgFsTarget *fs, uint64_t size, uint64_t bytes, gboolean force,
                      GPtrArray *warnings, GError **error);
    /* Grow to @bytes (what reach() gave, never less than now). */
    gboolean (*grow)(const QgFsTarget *fs, uint64_t bytes, uint64_t block, GError **error);
    /* Optional, mounted only: check() sets *note when an earlier grow was cut
     * short in a way only a grow mends (the layer then changes); settle(),
     * after the grow (@grew) or none, mends it (*mended) and makes durable
     * what the grow wrote; a call that may block in the kernel waits as
     * @wait says (QG_ERROR_BUSY past its deadline). */
    gboolean (*check)(const QgFsTarget *fs, char **note, GError **error);
    gboolean (*settle)(const QgFsTarget *fs, gboolean grew, const QgFsWait *wait,
                       gboolean *mended, GError **error);
} QgFsOps;

extern const QgFsOps qg_fs_ext;
extern const QgFsOps qg_fs_xfs;
extern const QgFsOps qg_fs_btrfs;
/* fs-btrfs.c: where the btrfs that @device (@dev) belongs to is mounted,
 * found by its UUID among the mounted btrfs filesystems' devices (a btrfs
 * over several devices shows only one of them in the mount table).  FALSE
 * with no error when it is not mounted. */
gboolean qg_btrfs_find_mount(const char *device, dev_t dev, QgMount *m, GError **error);
/* fs-xfs-sb.c: xfs's secondary superblocks left stale by a power cut */
gboolean qg_xfs_sb_check(const QgFsTarget *fs, char **note, GError **error);
gboolean qg_xfs_sb_settle(const QgFsTarget *fs, gboolean grew, const QgFsWait *wait,
                          gboolean *mended, GError **error);

/* fs.c: what libblkid finds on @device (its TYPE: "ext4", "LVM2_member",
 * ...); a refusal when nothing or more than one signature is there. */
char *qg_fs_probe_type(const char *device, GError **error);
/* fs.c: probe the filesystem on @device (blkid TYPE), find its mount, and
 * plan the size it reaches in @container_bytes (its limit, if it stops
 * short; the guard's refusal or warnings, per @req->force). */
gboolean qg_fs_plan(const char *device, dev_t dev, uint64_t container_bytes,
                    const QgRequest *req, GPtrArray *warnings, QgLayer **layer,
                    GError **error);
/* Grow the filesystem to fill @container_bytes, the grow itself in a child
 * process (qg_fs_grow_bounded); QG_ERROR_BUSY past the deadline. */
gboolean qg_fs_apply(QgLayer *layer, dev_t dev, uint64_t container_bytes,
                     const QgFsWait *wait, GError **error);
/* fs-bounded.c: @ops->grow(@fs, @bytes, @block) in a child process, waited
 * for as @wait says; @from is the size before, for the progress. */
gboolean qg_fs_grow_bounded(const QgFsOps *ops, const QgFsTarget *fs, uint64_t from,
                            uint64_t bytes, uint64_t block, const QgFsWait *wait,
                            GError **error);
/* fs-bounded.c: @fn(@data) in a child process, waited for as @wait says;
 * past the deadline QG_ERROR_BUSY, saying the kernel is still @doing. */
gboolean qg_fs_call_bounded(QgBoundedFunc fn, void *data, const QgFsTarget *fs,
                            const QgFsWait *wait, QgBoundedTick tick, void *tick_data,
                            const char *doing, GError **error);

/* The layers between the partition (or disk) and the filesystem: one file
 * each (layer-crypt.c, layer-lvm.c), the same small interface.  plan() fills
 * step->layer from what it finds and from the size the layer below will have
 * (ctx->below_bytes), refusing before anything is written; apply() grows the
 * layer to fill what is below it now and re-probes its size. */
typedef struct QgStep QgStep;
typedef struct {
    const QgRequest *req;
    const QgNode *below;    /* the block device the layer rests on */
    const QgNode *above;    /* the layer's own block device (crypt, LV), or
                             * NULL for one that has none (a PV) */
    uint64_t below_bytes;   /* what the device below will hold after its grow */
    const QgLayer *below_layer;  /* the layer planned just below, if any */
    dev_t thin_part;        /* the thin pool step: a dm device of the pool's */
    GHashTable *planned;    /* kernel name -> uint64_t bytes: devices outside
                             * the chain planned to grow (md members) */
    GPtrArray *warnings;
    QgLvm *lvm;             /* the grow's LVM process: a step that keeps it
                             * for its apply takes a reference */
} QgStepCtx;
typedef struct {
    QgLayerKind kind;
    gboolean (*plan)(QgStep *step, const QgStepCtx *ctx, GError **error);
    gboolean (*apply)(QgStep *step, GError **error);
    void (*free_priv)(void *priv);
} QgStepOps;
struct QgStep {
    const QgStepOps *ops;
    QgLayer *layer;  /* owned by the result once planned */
    void *priv;
};
extern const QgStepOps qg_step_crypt;
extern const QgStepOps qg_step_lvm_pv;
extern const QgStepOps qg_step_lvm_lv;
extern const QgStepOps qg_step_md;
extern const QgStepOps qg_step_lvm_pool;

/* lvm-tool.c: LVM through its own tool (its locking, metadata archive and
 * udev handling are LVM's), reports as JSON, never human text. */
/* Our environment as the lvm tool gets it (LC_ALL=C, the preload, ...). */
GStrv qg_lvm_env(void);
/* "lvm ARGS..." as a process of its own: its standard output (g_free). */
char *qg_lvm_exec(const char *const *args, GError **error);
/* A command that changes something, through @lvm's process. */
gboolean qg_lvm_run(QgLvm *lvm, const char *const *args, GError **error);
/* A layer whose grow writes LVM metadata: warn in @warnings (once) when the
 * preload that makes LVM's writes durable one by one is not there. */
void qg_lvm_dsync_warn(GPtrArray *warnings);
/* Rows of "lvm CMD --reportformat json --units b --nosuffix -o FIELDS
 * [NAME]" (CMD "pvs" or "lvs"), each a GHashTable of field -> string. */
GPtrArray *qg_lvm_report(QgLvm *lvm, const char *cmd, const char *fields, const char *name,
                         GError **error);
/* The one row such a report must have for @name (a PV, an LV), or NULL with
 * an error that says how many it had. */
GHashTable *qg_lvm_report_one(QgLvm *lvm, const char *cmd, const char *fields,
                              const char *name, GError **error);
/* The same with LVM's hidden LVs too (-a). */
GPtrArray *qg_lvm_report_all(QgLvm *lvm, const char *cmd, const char *fields,
                             const char *name, GError **error);
gboolean qg_lvm_field_u64(GHashTable *row, const char *field, uint64_t *out,
                          GError **error);

/* fault.c: the test build's fault points (see fault.c); nothing elsewhere. */
#ifdef QG_FAULT_INJECTION
void qg_fault_point(const char *name);
/* QG_FAULT_BUSY_TIMEOUT_MS, when set, instead of @ms. */
unsigned qg_fault_busy_timeout(unsigned ms);
/* QG_FAULT_MEM_AVAILABLE_KIB, when set, instead of @kib (the memory a
 * swap's pages must fit in: a starved system, which a test host is not). */
uint64_t qg_fault_mem_available(uint64_t kib);
#else
#define qg_fault_point(name) ((void)0)
#define qg_fault_busy_timeout(ms) (ms)
#define qg_fault_mem_available(kib) (kib)
#endif

/* result.c */
QgLayer *qg_layer_new(QgLayerKind kind, const char *device, const char *type);
void qg_layer_free(QgLayer *layer);

#endif
