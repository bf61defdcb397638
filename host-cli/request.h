/* One growth request: which domain, which disk, what size, and what the
 * guest is told about the layers above the disk. */
#ifndef VG_REQUEST_H
#define VG_REQUEST_H

#include "size-spec.h"

/* What the guest does with an LVM volume group's new space (guest-grow-disk's
 * "lvm", qga-grow's --lvm). */
typedef enum {
    VG_LVM_UNSET,  /* not given: the guest's default (auto) */
    VG_LVM_AUTO,   /* given as "auto": the same, said explicitly */
    VG_LVM_PV,     /* grow the PV only, leave the space free */
    VG_LVM_LV,     /* grow an LV: the one in lv, else as auto */
} VgLvmMode;

/* The options passed on to the guest for its layers above the disk. */
typedef struct {
    char *key_file;  /* a key file's absolute path inside the guest, for a LUKS2
                      * mapping (a path, never key material); NULL: none */
    char *lv;        /* "VG/LV": the LV that takes the VG's new space; NULL: none */
    VgLvmMode lvm;
    gboolean move_swap;      /* move a swap partition in the way to the disk's new end */
    gboolean move_swap_set;  /* move_swap was given (TRUE or FALSE), not left out */
    unsigned lock_timeout_s; /* how long the guest waits for the disk's lock (0: not
                              * at all) ... */
    gboolean lock_timeout_set; /* ... when given; else the guest's default */
    gboolean force;          /* past the xfs allocation-group hard limit */
    gboolean force_set;      /* force was given (TRUE or FALSE), not left out */
} VgGuestOpts;

#define VG_MAX_LOCK_TIMEOUT_S 86400

void vg_guest_opts_clear(VgGuestOpts *g);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(VgGuestOpts, vg_guest_opts_clear)

/* The checks, each naming @what (the option or member) in its
 * VG_ERROR_INVALID: a key file's path is absolute, UTF-8, without control
 * characters, at most 4095 bytes and not a directory's ("/" at its end);
 * an LV is VG/LV, each name 1 to 127 of LVM's characters (a-z A-Z 0-9 + _ .
 * -), not starting with '-', not "." or ".."; lvm is "pv", "lv" or "auto". */
gboolean vg_key_file_check(const char *what, const char *path, GError **error);
gboolean vg_lv_check(const char *what, const char *lv, GError **error);
gboolean vg_lvm_mode_parse(const char *what, const char *text, VgLvmMode *out,
                           GError **error);
/* "pv", "lv", "auto"; NULL for VG_LVM_UNSET. */
const char *vg_lvm_mode_name(VgLvmMode mode);
/* lv with lvm pv contradicts itself (pv leaves the new space free); the
 * error names them @lv_what and @lvm_what. */
gboolean vg_guest_opts_check(const VgGuestOpts *g, const char *lv_what, const char *lvm_what,
                             GError **error);

typedef struct {
    char *uri;        /* libvirt URI; NULL: the command line's or libvirt's default */
    char *domain;     /* name or UUID */
    char *disk;       /* target ("vdb"), source path, or "serial:XYZ" */
    char *size_text;  /* as written, for messages */
    VgSizeSpec size;
    unsigned line;    /* batch line number; 0 on the command line */
    VgGuestOpts guest;
} VgRequest;

/* Check and copy the three fields; VG_ERROR_INVALID naming what is wrong. */
VgRequest *vg_request_new(const char *uri, const char *domain, const char *disk,
                          const char *size, GError **error);
void vg_request_free(VgRequest *req);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VgRequest, vg_request_free)

/* The command line's guest options, for what @req does not say itself: its
 * key file when it names none; its lv and lvm when it names neither (a
 * request's own lv or lvm replaces both, so that they never contradict);
 * its move-swap, lock-timeout and force when it has no such member of its
 * own. */
void vg_request_inherit(VgRequest *req, const VgGuestOpts *defaults);

/* Batch input: one request a line, either a JSON object
 *   {"domain": "web1", "disk": "vdb", "size": "+10G", "uri": "qemu:///system"}
 * ("uri" optional; "size" a string or a number of bytes; optional too, for
 * the guest: "key-file", "lv", "lvm" as the options --key-file, --lv and
 * --lvm take them, "move-swap" and "force", true or false, "lock-timeout",
 * seconds from 0 to VG_MAX_LOCK_TIMEOUT_S) or three words
 *   web1 vdb +10G
 * Blank lines and lines starting with '#' are skipped.  Returns an array of
 * VgRequest*, or NULL with VG_ERROR_INVALID naming the line. */
GPtrArray *vg_batch_parse(const char *text, gsize len, GError **error);

/* Two requests for the same disk of the same domain would race: the error
 * names both lines. */
gboolean vg_batch_check_duplicates(GPtrArray *requests, GError **error);

#endif
