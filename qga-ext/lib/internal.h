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
/* Open a mounted directory for the filesystem ioctls. */
int qg_open_mount(const char *mountpoint, GError **error);
/* Run a system tool (found in the sbin and bin dirs); its stderr becomes the
 * error message.  Exit codes listed in @ok_codes (ending with -1) pass. */
gboolean qg_run_tool(const char *const *argv, const int *ok_codes, GError **error);

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
} QgTarget;

void qg_target_clear(QgTarget *t);
/* target.c: resolve the request's single target. */
gboolean qg_resolve_target(const QgRequest *req, QgTarget *t, GError **error);
/* target.c: fill part_* from a kernel partition number of t's disk. */
gboolean qg_target_set_partition(QgTarget *t, uint32_t partno, GError **error);
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
/* The block device a mountpoint sits on. */
gboolean qg_mount_dev_of(const char *mountpoint, dev_t *dev, GError **error);

/* lock.c: open the whole-disk node and take a BSD lock on it. */
int qg_lock_disk(const char *node, gboolean exclusive, GError **error);

/* layer-table.c: the table alone, no kernel involved. */
struct fdisk_context;
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
    const char *damage;    /* GPT: why the table must be rewritten although
                            * it need not grow (an interrupted write) */
} QgTablePlan;

/* A libfdisk context on @fd that never asks questions.  Read-only contexts
 * leave a GPT backup header where it is; read-write ones move it, in memory,
 * to the disk's new end. */
struct fdisk_context *qg_table_open(int fd, const char *node, gboolean read_only,
                                    GError **error);
/* Choose partition @wanted (1-based; 0: the last one), check that it is the
 * last and lies within the disk, and plan its new end, leaving
 * @free_percent of the disk free at its end (0: none).  @node names the
 * disk in messages. */
gboolean qg_table_plan(struct fdisk_context *cxt, const char *node, uint32_t wanted,
                       uint64_t min_gain, unsigned free_percent, QgTablePlan *p,
                       GError **error);
/* The same on an image file, read-only. */
gboolean qg_table_plan_image(const char *path, uint32_t wanted, QgTablePlan *p,
                             GError **error);

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
/* Why the partition cannot grow although the disk did (an MBR table at its
 * 2 TiB limit), or NULL. */
const char *qg_part_plan_at_limit(const QgPartPlan *plan);

/* fs.c: one entry per filesystem kind, each in its own fs-*.c */
typedef struct {
    const char *device;      /* block device node */
    dev_t dev;
    const char *mountpoint;  /* NULL when unmounted */
    const char *type;        /* as blkid names it */
} QgFsTarget;

typedef struct {
    const char *const *types;  /* blkid TYPE values handled */
    gboolean grows_unmounted;
    /* Current size in bytes and the filesystem's block size. */
    gboolean (*probe)(const QgFsTarget *fs, uint64_t *size, uint64_t *block,
                      GError **error);
    /* Grow to fill @bytes (a multiple of @block, the block size the probe
     * just read, never less than now). */
    gboolean (*grow)(const QgFsTarget *fs, uint64_t bytes, uint64_t block, GError **error);
} QgFsOps;

extern const QgFsOps qg_fs_ext;
extern const QgFsOps qg_fs_xfs;
extern const QgFsOps qg_fs_btrfs;

/* fs.c: probe the filesystem on @device (blkid TYPE), find its mount. */
gboolean qg_fs_plan(const char *device, dev_t dev, uint64_t container_bytes,
                    QgLayer **layer, GError **error);
gboolean qg_fs_apply(QgLayer *layer, dev_t dev, uint64_t container_bytes,
                     GError **error);

/* fault.c: the test build's fault points (see fault.c); nothing elsewhere. */
#ifdef QG_FAULT_INJECTION
void qg_fault_point(const char *name);
#else
#define qg_fault_point(name) ((void)0)
#endif

/* result.c */
QgLayer *qg_layer_new(QgLayerKind kind, const char *device, const char *type);
void qg_layer_free(QgLayer *layer);

#endif
