/* Parsing the guest agent's replies.  They come from inside the guest and
 * are UNTRUSTED: every function here bounds the reply's size, nesting,
 * string lengths, array counts and numbers, and never crashes on any input.
 * Strings are kept exactly as the guest sent them (any UTF-8, control and
 * bidi characters too: a mountpoint may really hold them): whatever prints
 * them for people escapes them with vg_safe_text(), and the JSON output
 * passes them on exactly.  Pure functions over bytes: this file is the
 * fuzzing target.
 *
 * Each vg_reply_*() takes the agent's whole reply as libvirt returns it,
 * {"return": ...}; vg_grow_report_parse() takes a bare object, as printed by
 * `qga-grow --json`.  On failure they return NULL/FALSE with VG_ERROR_REPLY. */
#ifndef VG_AGENT_REPLY_H
#define VG_AGENT_REPLY_H

#include "domain-disks.h"

#include <glib.h>
#include <stdint.h>

#define VG_REPLY_MAX_BYTES (4u << 20)      /* whole reply */
#define VG_REPLY_MAX_DEPTH 16              /* nesting of arrays and objects */
#define VG_REPLY_MAX_STRING 4096           /* bytes in one string */
#define VG_REPLY_MAX_NAME 64               /* kinds, bus types */
#define VG_REPLY_MAX_TYPE 128              /* a layer's type: an LVM PV's is its
                                            * VG's name, up to 127 bytes */
#define VG_REPLY_MAX_ITEMS 4096            /* commands, disks, filesystems */
#define VG_REPLY_MAX_LAYERS 16
#define VG_REPLY_MAX_WARNINGS 64
#define VG_REPLY_MAX_EXEC_OUTPUT (1u << 20) /* decoded guest-exec output */

/* One layer of guest-grow-disk's "layers". */
typedef struct {
    char *kind;        /* "partition", "filesystem", "crypt", "lvm-pv", "lvm-lv", "md":
                        * any lower-case word, shown as it is */
    char *device;
    char *type;        /* by kind: "gpt", "ext4", "luks2", a VG's name, "linear", "raid1" */
    char *mountpoint;  /* NULL when absent */
    gboolean has_partno;
    uint32_t partno;
    uint64_t old_size;
    uint64_t size;
    gboolean changed;
    char *state;       /* "grown", "unchanged", "planned", "failed", "busy",
                        * "not-reached" (any lower-case word is kept); NULL
                        * from an agent that does not say */
    char *error;       /* failed or busy: why; else NULL */
    char *limit;       /* why it stops short of the layer below; else NULL */
} VgGuestLayer;

/* guest-grow-disk's return value, or qga-grow --json's output. */
typedef struct {
    char *disk;
    uint64_t disk_size;
    uint32_t sector_size;
    gboolean changed;
    gboolean dry_run;
    GPtrArray *layers;    /* VgGuestLayer*, bottom-up */
    GPtrArray *warnings;  /* char* */
    char *error;          /* the run stopped after it began to write (a layer
                           * failed or is still busy): why; NULL: it finished */
} VgGrowReport;

VgGrowReport *vg_grow_report_new(void);  /* empty, arrays ready */
void vg_grow_report_free(VgGrowReport *r);
void vg_guest_layer_free(VgGuestLayer *l);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VgGrowReport, vg_grow_report_free)

VgGrowReport *vg_reply_grow_disk(const char *text, gsize len, GError **error);
VgGrowReport *vg_grow_report_parse(const char *text, gsize len, GError **error);

/* Whether a layer did not end well: state "failed" or "busy". */
gboolean vg_guest_layer_failed(const VgGuestLayer *l);
/* Whether the guest stopped partway: the run's error, or a layer that did
 * not end well. */
gboolean vg_grow_report_partial(const VgGrowReport *r);

/* Things in a well-formed report that do not add up (a guest disk smaller
 * than the host made it, a layer smaller than before, or bigger than its
 * disk below any layer that may span other disks too: an LVM LV, an md
 * array): as warnings. */
void vg_grow_report_check(const VgGrowReport *r, uint64_t host_size, GPtrArray *warnings);

/* guest-grow-disk with "async": true: the job's id (> 0). */
gboolean vg_reply_grow_disk_job(const char *text, gsize len, int64_t *job, GError **error);

/* guest-grow-disk-status. */
typedef struct {
    int64_t job;
    gboolean done;
    char *phase;          /* "waiting-size", "locking", "planning", "growing",
                           * "done" (any lower-case word is kept) */
    char *layer_kind;     /* while growing: the layer at work; else NULL */
    char *layer_device;
    guint index, count;   /* the index-th of count layers that change; 0: not said */
    gboolean has_fraction;
    double fraction;      /* 0..1, where the guest knows its progress */
    VgGrowReport *result; /* done: the grow's report (its error when it stopped
                           * partway) ... */
    char *error;          /* ... or why it failed before writing anything */
} VgGrowStatus;

void vg_grow_status_free(VgGrowStatus *st);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VgGrowStatus, vg_grow_status_free)
VgGrowStatus *vg_reply_grow_disk_status(const char *text, gsize len, GError **error);

/* guest-info: the agent's version and its enabled commands. */
typedef struct {
    char *version;
    GPtrArray *enabled;  /* char*: names of enabled commands */
} VgGuestInfo;

void vg_guest_info_free(VgGuestInfo *gi);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VgGuestInfo, vg_guest_info_free)
VgGuestInfo *vg_reply_guest_info(const char *text, gsize len, GError **error);
gboolean vg_guest_info_enabled(const VgGuestInfo *gi, const char *command);

/* A disk address as guest-get-disks and guest-get-fsinfo report it. */
typedef struct {
    char *dev;       /* "/dev/vda"; NULL when not reported */
    char *serial;    /* NULL when not reported */
    char *bus_type;  /* "virtio", "scsi", ... */
    gboolean has_pci;
    VgPciAddr pci;   /* "pci-controller" */
    uint32_t bus, target, unit;
} VgGuestDiskAddr;

void vg_guest_disk_addr_free(VgGuestDiskAddr *a);

/* guest-get-disks: whole disks and partitions. */
typedef struct {
    char *name;             /* "/dev/vda" */
    gboolean partition;
    VgGuestDiskAddr *addr;  /* NULL when the agent gave none */
} VgGuestDisk;

void vg_guest_disk_free(VgGuestDisk *d);
GPtrArray *vg_reply_get_disks(const char *text, gsize len, GError **error);

/* guest-get-fsinfo: mounted filesystems and the disks under them. */
typedef struct {
    char *name;        /* "vda1" */
    char *mountpoint;
    char *type;
    gboolean has_total;
    uint64_t total_bytes;
    GPtrArray *disks;  /* VgGuestDiskAddr* */
} VgGuestFs;

void vg_guest_fs_free(VgGuestFs *fs);
GPtrArray *vg_reply_get_fsinfo(const char *text, gsize len, GError **error);

/* guest-exec: the started process's pid. */
/* guest-fsfreeze-status: "frozen" or "thawed". */
gboolean vg_reply_fsfreeze_status(const char *text, gsize len, gboolean *frozen, GError **error);

gboolean vg_reply_exec(const char *text, gsize len, int64_t *pid, GError **error);

/* guest-exec-status. */
typedef struct {
    gboolean exited;
    gboolean has_exitcode;
    int exitcode;
    gboolean has_signal;
    int signal;
    GBytes *out;  /* decoded out-data, never NULL */
    GBytes *err;  /* decoded err-data, never NULL */
    gboolean truncated;
} VgExecStatus;

void vg_exec_status_free(VgExecStatus *st);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VgExecStatus, vg_exec_status_free)
VgExecStatus *vg_reply_exec_status(const char *text, gsize len, GError **error);

/* Untrusted guest bytes (a guest command's stderr, an agent's error) as text
 * for a message: at most @max bytes (then "..."), valid UTF-8 (invalid bytes
 * as \xNN), inner newlines as " / ", trailing ones dropped.  Other
 * characters stay: whatever prints the message escapes it (vg_safe_text). */
char *vg_sanitize_guest_text(const char *data, gsize len, gsize max);

#endif
