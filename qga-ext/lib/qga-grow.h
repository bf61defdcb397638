/* libqga-grow: grow a disk's storage stack online, after the disk itself
 * was enlarged: partition -> dm-crypt (LUKS) -> LVM PV -> LV -> filesystem,
 * in whatever order the guest stacked them.
 *
 * One call, qg_grow(), serves the CLI, the qemu-ga command and the udev path:
 * it resolves the target to the stack of layers from the whole disk up to
 * the filesystem (walking the kernel's holders/ and slaves/ links), plans
 * each layer's reachable size, and applies the plan bottom-up while holding
 * a BSD lock on the whole-disk device node.
 */
#ifndef QGA_GROW_H
#define QGA_GROW_H

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

#define QG_ERROR (qg_error_quark())
GQuark qg_error_quark(void);

typedef enum {
    QG_ERROR_INVALID,     /* bad argument: no target, two targets, bad path */
    QG_ERROR_NOT_FOUND,   /* no such device, serial or mountpoint */
    QG_ERROR_REFUSED,     /* unsafe or unsupported: nothing was written */
    QG_ERROR_TIMEOUT,     /* expect-size not seen in time */
    QG_ERROR_FAILED,      /* a system call or a tool failed */
    QG_ERROR_BUSY,        /* the kernel was still at work when the deadline
                           * (QgRequest.busy_timeout_ms) came: it goes on in
                           * the background; a rerun shows the outcome */
    QG_ERROR_LOCKED,      /* another grower held the disk's lock past
                           * QgRequest.lock_timeout_ms */
} QgErrorCode;

/* The kinds of layer; new kinds go at the end (the agent and virt-grow see
 * them by name, qg_layer_kind_name()). */
typedef enum {
    QG_LAYER_PARTITION,   /* "partition": type "gpt" / "dos" */
    QG_LAYER_FILESYSTEM,  /* "filesystem": type "ext4", "xfs", "btrfs", ... */
    QG_LAYER_CRYPT,       /* "crypt": a dm-crypt mapping, type "luks1", "luks2"
                           * or "plain"; device /dev/mapper/NAME */
    QG_LAYER_LVM_PV,      /* "lvm-pv": an LVM physical volume, type the VG's
                           * name; device the PV's block device */
    QG_LAYER_LVM_LV,      /* "lvm-lv": a logical volume, type "linear",
                           * "striped", "thin-pool", ...; device /dev/VG/LV */
    QG_LAYER_MD,          /* "md": an md RAID array, type "raid1", ... */
    QG_LAYER_SWAP,        /* "swap": a swap partition that --move-swap moves
                           * out of the way (to the disk's end, its size,
                           * UUID and label kept), type "swap"; listed after
                           * the layers that grow */
} QgLayerKind;

/* What to do with an LVM volume group's new free space. */
typedef enum {
    QG_LVM_AUTO,  /* the LV the target names, or the VG's only LV */
    QG_LVM_PV,    /* grow the PV only, leave the space free */
    QG_LVM_LV,    /* grow an LV: the one in QgRequest.lv, else as AUTO */
} QgLvmMode;

/* What a layer's grow did (qg_layer_state_name(): the names in brackets). */
typedef enum {
    QG_LAYER_UNCHANGED,    /* "unchanged": it already fills what is below */
    QG_LAYER_PLANNED,      /* "planned": a dry run's layer that would grow */
    QG_LAYER_GROWN,        /* "grown" */
    QG_LAYER_FAILED,       /* "failed": its grow failed (error says why) */
    QG_LAYER_BUSY,         /* "busy": the kernel was still growing it at the
                            * deadline, and goes on */
    QG_LAYER_NOT_REACHED,  /* "not-reached": a layer below it failed first */
    QG_LAYER_MOVED,        /* "moved": a swap layer that moved (its size
                            * the same) */
} QgLayerState;

typedef struct {
    QgLayerKind kind;
    char *device;       /* e.g. "/dev/vdb1" */
    char *type;         /* partition: "gpt" / "dos"; filesystem: "ext4", "xfs", "btrfs" */
    char *mountpoint;   /* filesystem only; NULL when not mounted */
    uint64_t old_size;  /* bytes, before */
    uint64_t size;      /* bytes, after (dry-run: what it would reach) */
    gboolean changed;   /* (dry-run: would change; swap: would move) */
    uint32_t partno;    /* partition and swap layers */
    /* partition only, in the table's logical sectors */
    uint64_t start;
    uint64_t old_sectors;
    uint64_t sectors;
    uint64_t max_sectors;  /* reachable, even when below the minimum gain */
    uint64_t reserved_sectors;  /* kept free by free_percent */
    gboolean reserve_blocks;    /* the reserve reaches into the partition */
    QgLayerState state;
    char *error;        /* FAILED or BUSY: why; else NULL */
    char *limit;        /* why the layer stops short of what is below it
                         * (a filesystem's own size limit), or NULL */
} QgLayer;

typedef struct {
    char *disk;          /* whole-disk device, e.g. "/dev/vdb" */
    uint64_t disk_size;  /* bytes, as the kernel sees it now */
    unsigned sector_size;
    gboolean changed;    /* any layer changed (dry-run: would change) */
    gboolean dry_run;
    GPtrArray *layers;   /* of QgLayer*, bottom-up */
    GPtrArray *warnings; /* of char*, things the caller should tell the user */
    /* Set when the run stopped after it began to apply the plan: which
     * layer failed (or is still busy) is in the layers' states. */
    char *error;         /* NULL: every layer was applied */
    QgErrorCode error_code;
} QgResult;

/* Where a grow is, for a caller that shows progress (QgRequest.progress). */
typedef enum {
    QG_PHASE_WAITING_SIZE,  /* "waiting-size": for QgRequest.expect_size */
    QG_PHASE_LOCKING,       /* "locking": waiting for the disk's lock */
    QG_PHASE_PLANNING,      /* "planning" */
    QG_PHASE_GROWING,       /* "growing": layer, index and count say which */
    QG_PHASE_DONE,          /* "done" */
} QgPhase;

typedef struct {
    QgPhase phase;
    const QgLayer *layer;  /* GROWING: the layer being grown; else NULL */
    unsigned index;        /* GROWING: it is the index-th (1-based) ... */
    unsigned count;        /* ... of count layers that change */
    double fraction;       /* GROWING: how much of this layer's growth is
                            * done, 0 to 1, where the kernel or the
                            * filesystem tells; else -1 */
} QgProgress;

/* Called from the thread that runs qg_grow(), at each phase and, while a
 * layer grows, about every 200 ms where its progress is known. */
typedef void (*QgProgressFunc)(const QgProgress *progress, void *user_data);

typedef struct {
    /* Exactly one target. */
    const char *device;      /* /dev/vdb, /dev/vdb1, /dev/loop3 */
    const char *serial;      /* disk serial as set by the host */
    const char *mountpoint;  /* a mounted directory, e.g. "/" */
    gboolean dry_run;
    /* Wait until the kernel reports at least this many bytes for the disk
     * (0: do not wait).  SCSI disks and NVMe controllers are asked to
     * rescan meanwhile. */
    uint64_t expect_size;
    unsigned expect_timeout_ms;  /* 0: default (5000) */
    /* Partition growth below this many bytes is not worth doing
     * (0: default, 1 MiB, as growpart). */
    uint64_t min_gain;
    /* Only grow the partition: leave the filesystem alone (growpart). */
    gboolean partition_only;
    /* Keep this percentage (1-99) of the disk unused at its end, as
     * growpart --free-percent does (over-provisioning).  0: none. */
    unsigned free_percent;
    /* With a whole-disk target: grow this partition number instead of the
     * last one. 0: the last. */
    uint32_t partno;
    /* A key file inside the guest for a LUKS2 mapping whose volume key is
     * in the kernel keyring (tried after what needs no secret and after the
     * header's tokens).  A path, never key material.  NULL: none. */
    const char *key_file;
    /* LVM: which LV takes the VG's new space, "VG/LV" (NULL: see lvm). */
    const char *lv;
    QgLvmMode lvm;
    /* A swap partition right after the partition, at the disk's end: turn it
     * off, move it to the disk's new end (same size, UUID and label), turn
     * it on again, and grow the partition into the space it left.  Without
     * this, such a partition cannot grow. */
    gboolean move_swap;
    /* How long to wait for the disk's lock, held by another grower: 0: the
     * default (QG_DEFAULT_LOCK_TIMEOUT_MS); negative: as long as it takes;
     * else milliseconds (1: hardly at all).  Past it: QG_ERROR_LOCKED,
     * naming the holder where the kernel tells (/proc/locks). */
    int lock_timeout_ms;
    /* A call that may block in the kernel (a filesystem's grow; the probe
     * for a frozen filesystem has its own short deadline) is waited for
     * this long, then the answer is QG_ERROR_BUSY with the layer BUSY, while
     * the kernel goes on.  0: as long as it takes (the caller can still be
     * killed: the call runs in a child process). */
    unsigned busy_timeout_ms;
    /* Grow past the xfs allocation-group hard limit (see qga-grow(8)). */
    gboolean force;
    /* Progress reports (NULL: none). */
    QgProgressFunc progress;
    void *progress_data;
    /* With dry_run: plan as if the disk were this many bytes large (the
     * host's question before it enlarges the disk: would the guest grow,
     * or refuse?).  Every check a real run makes before writing applies,
     * with the same refusals; and since the disk has not grown yet, a plan
     * that would leave the new space unused (a partition that cannot reach
     * the disk's end, a physical volume whose logical volumes are several
     * and none named, a filesystem at its size limit) is refused too.
     * 0: the disk's size now.  Below it: QG_ERROR_INVALID. */
    uint64_t assume_size;
} QgRequest;

#define QG_DEFAULT_LOCK_TIMEOUT_MS 60000

/* Grow.  Returns the result, or NULL and sets @error.  On a refusal
 * nothing has been written.  "Nothing to do" is a success with
 * result->changed FALSE.  A failure after the plan began to be applied
 * (a layer failed, or the kernel is still busy with one) also returns NULL
 * and sets @error, and then *partial, when @partial is not NULL, gets the
 * result so far: each layer's state says what it did, result->error why
 * the run stopped (result->changed: something was written). */
QgResult *qg_grow_full(const QgRequest *req, QgResult **partial, GError **error);
/* qg_grow_full() without the partial result. */
QgResult *qg_grow(const QgRequest *req, GError **error);

/* The guest administrator's allow-list for requests from the host (the
 * agent command guest-grow-disk, and virt-grow's guest-exec fallback,
 * qga-grow --from-host): the [agent] section of @config (NULL: the
 * installed /etc/qga-grow/auto.conf).  TRUE when @req's disk may be grown;
 * FALSE with QG_ERROR_REFUSED naming the file and the setting when not, or
 * QG_ERROR_INVALID naming the file and line when the file is broken.  No
 * file, or no [agent] section: everything is allowed. */
gboolean qg_agent_allows(const char *config, const QgRequest *req, GError **error);

const char *qg_layer_state_name(QgLayerState state);
const char *qg_phase_name(QgPhase phase);

/* The whole-disk device node (e.g. "/dev/vdb") behind the request's single
 * target, without locking or changing anything.  NULL and @error when the
 * target cannot be resolved. */
char *qg_target_disk(const QgRequest *req, GError **error);

void qg_result_free(QgResult *res);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(QgResult, qg_result_free)

const char *qg_layer_kind_name(QgLayerKind kind);

/* Parse a byte size: plain bytes, or a number with K/M/G/T/P/E: powers of
 * 1024 alone or with "iB" ("20G", "20GiB"), powers of 1000 with "B"
 * ("20GB").  Returns FALSE and sets @error on bad units, overflow or
 * trailing junk. */
gboolean qg_parse_size(const char *text, uint64_t *out, GError **error);

/* "pv", "lv" or "auto" as a QgLvmMode; FALSE for anything else. */
gboolean qg_lvm_mode_parse(const char *text, QgLvmMode *out);

/* Is @text a logical volume named as "VG/LV", with LVM's name characters
 * (letters, digits, "+_.-"; not starting with "-"; not "." or "..")? */
gboolean qg_lv_name_valid(const char *text);

/* "2.0 GiB", "512 B": for people. */
char *qg_format_bytes(uint64_t bytes);

G_END_DECLS

#endif
