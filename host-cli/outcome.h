/* What happened to one request: everything the report prints. */
#ifndef VG_OUTCOME_H
#define VG_OUTCOME_H

#include "agent-reply.h"
#include "domain-disks.h"
#include "guest-match.h"
#include "request.h"
#include "vg-error.h"

/* How the guest side is reached, best first. */
typedef enum {
    VG_METHOD_NONE,       /* no usable agent: the guest side is not confirmed */
    VG_METHOD_GROW_DISK,  /* the patched agent's guest-grow-disk */
    VG_METHOD_EXEC,       /* guest-exec of qga-grow --json */
    VG_METHOD_UDEV,       /* the guest's udev rule, confirmed by guest-get-fsinfo */
    VG_METHOD_NEXT_BOOT,  /* a shut-off domain: the guest grows at its next boot */
} VgMethod;

const char *vg_method_name(VgMethod m);

/* The question put to the guest before the disk is resized: would it grow
 * to the new size, or refuse?  (Its plan for a size the disk does not have
 * yet: guest-grow-disk's assume-size, qga-grow --assume-size.) */
typedef enum {
    VG_PREFLIGHT_NONE,      /* the run never came to it, or had no need:
                             * the disk already had its size, or the domain
                             * is shut off */
    VG_PREFLIGHT_AGREED,    /* "agreed": the guest's plan grows to the size */
    VG_PREFLIGHT_REFUSED,   /* "refused": nothing was resized */
    VG_PREFLIGHT_NOT_ASKED, /* "not-asked": the guest could not answer (no
                             * agent, one without guest-exec, an agent or
                             * qga-grow older than the question); the disk
                             * grows as it did before the question existed */
    VG_PREFLIGHT_SKIPPED,   /* "skipped": --no-preflight */
} VgPreflight;

/* Its name in the JSON report, or NULL for VG_PREFLIGHT_NONE. */
const char *vg_preflight_name(VgPreflight p);

typedef struct {
    const VgRequest *req;   /* borrowed */
    gboolean dry_run;
    VgDisk *disk;           /* the host disk; NULL if never found */
    uint64_t size_before;   /* libvirt's capacity before, bytes */
    uint64_t size_target;
    uint64_t size_after;
    gboolean disk_resized;
    gboolean resize_unknown;  /* the connection went during the resize call:
                               * whether the disk grew is not known */
    gboolean connection_lost; /* the libvirt connection was lost on the way */
    VgPreflight preflight;
    char *preflight_note;     /* why the guest was not asked, or what it said */
    VgMethod method;
    char *method_note;      /* why this method (e.g. why not a better one) */
    char *guest_disk;       /* "/dev/vdc", NULL if unknown */
    VgMatch match;
    VgGrowReport *guest;    /* the guest's layers; NULL if none */
    GPtrArray *warnings;    /* char* */
    char *message;          /* error or reason for exit codes 2, 3, 4 */
    gboolean has_error_code;
    VgErrorCode error_code; /* the error behind @message, when set */
    VgExit exit;
} VgOutcome;

VgOutcome *vg_outcome_new(const VgRequest *req, gboolean dry_run);
void vg_outcome_free(VgOutcome *o);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VgOutcome, vg_outcome_free)
void vg_outcome_warn(VgOutcome *o, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* Set exit code and message (takes @error's message and, when it is a
 * VG_ERROR, its code; @error may be NULL). */
void vg_outcome_set(VgOutcome *o, VgExit exit, const GError *error);
/* Exit 2 because something refused (virt-grow's own checks, the guest's
 * preflight): nothing was changed on purpose, as opposed to a failure. */
gboolean vg_outcome_refused(const VgOutcome *o);

#endif
