/* virt-grow's error domain and exit codes. */
#ifndef VG_ERROR_H
#define VG_ERROR_H

#include <glib.h>

#define VG_ERROR (vg_error_quark())
GQuark vg_error_quark(void);

typedef enum {
    VG_ERROR_INVALID,   /* bad argument or batch line */
    VG_ERROR_NOT_FOUND, /* no such domain or disk */
    VG_ERROR_REFUSED,   /* unsafe or impossible: nothing was changed */
    VG_ERROR_LIBVIRT,   /* a libvirt call failed */
    VG_ERROR_NO_AGENT,  /* no guest agent, or it does not answer */
    VG_ERROR_GUEST,     /* the guest answered with an error */
    VG_ERROR_REPLY,     /* the guest's reply is malformed or out of bounds */
    VG_ERROR_TIMEOUT,
    VG_ERROR_CONNECTION,/* the connection to libvirt was lost */
    VG_ERROR_UNSUPPORTED, /* the guest's agent or qga-grow does not know
                           * what it was asked (older than the question) */
    VG_ERROR_EXPIRED,   /* a request's not-after passed before the resize */
} VgErrorCode;

/* Exit codes, one per outcome (documented in virt-grow.1). */
typedef enum {
    VG_EXIT_GROWN = 0,        /* grown, confirmed by the guest (dry run: would grow) */
    VG_EXIT_NOTHING = 1,      /* nothing to do: disk and guest already at size */
    VG_EXIT_ERROR = 2,        /* error or refusal: nothing was changed */
    VG_EXIT_UNCONFIRMED = 3,  /* disk grown (or, the connection lost during the
                               * resize, perhaps grown); the guest's growth is
                               * not confirmed */
    VG_EXIT_GUEST_FAILED = 4, /* disk grown (or already at size); the guest failed */
} VgExit;

#endif
