/* Parsing the guest agent's replies.  They come from inside the guest and
 * are UNTRUSTED: every function here bounds the reply's size, nesting,
 * string lengths, array counts and numbers, rejects control characters in
 * strings (they end up on the operator's terminal), and never crashes on any
 * input.  Pure functions over bytes: this file is the fuzzing target.
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
} VgGrowReport;

VgGrowReport *vg_grow_report_new(void);  /* empty, arrays ready */
void vg_grow_report_free(VgGrowReport *r);
void vg_guest_layer_free(VgGuestLayer *l);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VgGrowReport, vg_grow_report_free)

VgGrowReport *vg_reply_grow_disk(const char *text, gsize len, GError **error);
VgGrowReport *vg_grow_report_parse(const char *text, gsize len, GError **error);

/* Things in a well-formed report that do not add up (a guest disk smaller
 * than the host made it, a layer smaller than before, or bigger than its
 * disk below any layer that may span other disks too: an LVM LV, an md
 * array): as warnings. */
void vg_grow_report_check(const VgGrowReport *r, uint64_t host_size, GPtrArray *warnings);

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

/* Printable copy of untrusted guest text (stderr of a guest command): at most
 * @max bytes, invalid UTF-8 and control characters replaced by '?', newlines
 * kept as " / ". */
char *vg_sanitize_guest_text(const char *data, gsize len, gsize max);

#endif
