/* virt-grow --json's report read back into an outcome: a grow that ran on
 * another node (virt-grow --broker gets it in virt-growd's reply) printed
 * with the same table as a local one.  The report comes over the network
 * and carries the guest's text: every member is bounded and checked (the
 * guest's layers by vg_grow_report_parse), and printing escapes it. */
#ifndef VG_REPORT_PARSE_H
#define VG_REPORT_PARSE_H

#include "outcome.h"

#include <json-glib/json-glib.h>

/* The outcome and the request it refers to (*@req, which the outcome
 * borrows: free it after the outcome); NULL with VG_ERROR_REPLY. */
VgOutcome *vg_report_parse(JsonNode *report, VgRequest **req, GError **error);

/* The names the report uses, back to their values; FALSE when unknown. */
gboolean vg_method_parse(const char *name, VgMethod *out);
gboolean vg_match_parse(const char *name, VgMatch *out);
gboolean vg_preflight_parse(const char *name, VgPreflight *out);

#endif
