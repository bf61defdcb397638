/* The wire format between a cloud's publisher (virt-grow --broker) and
 * virt-growd: a grow request and its reply, as JSON checked against the one
 * installed schema (wire.schema.json), and what each reply status means.
 * Requests come off the queue UNTRUSTED: vg_wire_request_parse() bounds
 * and checks everything (it is the fuzzing target). */
#ifndef VG_WIRE_H
#define VG_WIRE_H

#include "outcome.h"
#include "request.h"
#include "schema.h"

#include <stdint.h>

#define VG_WIRE_VERSION 1
#define VG_WIRE_MAX_BYTES (64u << 10)  /* a request; more is "oversized" */
#define VG_WIRE_MAX_DEPTH 8
#define VG_WIRE_MAX_REPLY_BYTES (8u << 20)

/* The schema's installed path; the environment's VIRT_GROW_SCHEMA overrides
 * it (tests of an uninstalled build). */
const char *vg_wire_schema_path(void);

#define VG_WIRE_ERROR (vg_wire_error_quark())
GQuark vg_wire_error_quark(void);

/* Why a message is not a request one may act on.  Each is a rule named in
 * replies and dead-letter headers (vg_wire_rule_name). */
typedef enum {
    VG_WIRE_MALFORMED,      /* not JSON, not the schema's request, bad values */
    VG_WIRE_OVERSIZED,      /* more than VG_WIRE_MAX_BYTES */
    VG_WIRE_VERSION_UNKNOWN,/* "version" other than 1 */
    VG_WIRE_RELATIVE_SIZE,  /* "size": "+10G" */
} VgWireErrorCode;

const char *vg_wire_rule_name(VgWireErrorCode code);

typedef struct {
    char *id;          /* a UUID */
    char *project;
    char *domain;
    char *disk;
    uint64_t size;     /* absolute bytes */
    gint64 not_after;  /* unix seconds */
    unsigned timeout_s;  /* 0: not given */
    VgGuestOpts guest;
} VgWireRequest;

void vg_wire_request_free(VgWireRequest *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VgWireRequest, vg_wire_request_free)

/* Bytes off the queue -> a checked request, or NULL with VG_WIRE_ERROR.
 * When the text is a JSON object with a well-formed string "id", *@id_out
 * (may be NULL) gets it even on failure, for the reply. */
VgWireRequest *vg_wire_request_parse(const VgSchema *schema, const char *text, gsize len,
                                     char **id_out, GError **error);

/* One line of JSON (checked against the schema: FALSE/NULL when it does
 * not match, which is a bug in the caller). */
char *vg_wire_request_text(const VgSchema *schema, const VgWireRequest *r, GError **error);

/* The request as the host core takes it. */
VgRequest *vg_wire_request_to_core(const VgWireRequest *r, GError **error);

typedef enum {
    VG_STATUS_GROWN,
    VG_STATUS_NOTHING,
    VG_STATUS_REFUSED,
    VG_STATUS_FAILED,
    VG_STATUS_PARTIAL,
    VG_STATUS_UNCONFIRMED,
    VG_STATUS_EXPIRED,
} VgWireStatus;

const char *vg_wire_status_name(VgWireStatus s);
gboolean vg_wire_status_parse(const char *name, VgWireStatus *out);

/* A grow's outcome as a status: 0 grown, 1 nothing-to-do, 2 refused when
 * nothing was changed on purpose (a refusal, an unknown domain or disk, an
 * impossible size) else failed, 3 unconfirmed, 4 partial when the guest
 * stopped partway else failed. */
VgWireStatus vg_wire_status_from_outcome(const VgOutcome *o);

typedef struct {
    char *id;        /* NULL: none known */
    char *node;
    VgWireStatus status;
    int exit;        /* virt-grow's exit status */
    char *error;     /* NULL when none */
    JsonNode *report;  /* virt-grow --json's object, or NULL */
} VgWireReply;

void vg_wire_reply_free(VgWireReply *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VgWireReply, vg_wire_reply_free)

/* The reply for an outcome of the host core. */
VgWireReply *vg_wire_reply_from_outcome(const char *id, const char *node, const VgOutcome *o);
/* A reply without a grow (refused by a rule, expired, malformed): exit 2. */
VgWireReply *vg_wire_reply_new(const char *id, const char *node, VgWireStatus status,
                               const char *error);

/* One line of JSON, checked against the schema. */
char *vg_wire_reply_text(const VgSchema *schema, const VgWireReply *r, GError **error);
/* A reply from the queue (the requester's side): checked like a request. */
VgWireReply *vg_wire_reply_parse(const VgSchema *schema, const char *text, gsize len,
                                 GError **error);

#endif
