/* One growth request: which domain, which disk, what size. */
#ifndef VG_REQUEST_H
#define VG_REQUEST_H

#include "size-spec.h"

typedef struct {
    char *uri;        /* libvirt URI; NULL: the command line's or libvirt's default */
    char *domain;     /* name or UUID */
    char *disk;       /* target ("vdb"), source path, or "serial:XYZ" */
    char *size_text;  /* as written, for messages */
    VgSizeSpec size;
    unsigned line;    /* batch line number; 0 on the command line */
} VgRequest;

/* Check and copy the three fields; VG_ERROR_INVALID naming what is wrong. */
VgRequest *vg_request_new(const char *uri, const char *domain, const char *disk,
                          const char *size, GError **error);
void vg_request_free(VgRequest *req);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VgRequest, vg_request_free)

/* Batch input: one request a line, either a JSON object
 *   {"domain": "web1", "disk": "vdb", "size": "+10G", "uri": "qemu:///system"}
 * ("uri" optional; "size" a string or a number of bytes) or three words
 *   web1 vdb +10G
 * Blank lines and lines starting with '#' are skipped.  Returns an array of
 * VgRequest*, or NULL with VG_ERROR_INVALID naming the line. */
GPtrArray *vg_batch_parse(const char *text, gsize len, GError **error);

/* Two requests for the same disk of the same domain would race: the error
 * names both lines. */
gboolean vg_batch_check_duplicates(GPtrArray *requests, GError **error);

#endif
