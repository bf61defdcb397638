/* Fuzz target: virt-growd's request parser on any bytes, as they come off
 * the queue, against the schema file (wire.schema.json).  A refusal is a
 * VG_WIRE_ERROR naming a rule; an accepted request is what virt-grow
 * --broker would send (its text reads back into the same request), and
 * the reply to it matches the schema too. */
#include "wire.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static VgSchema *schema(void)
{
    static VgSchema *s;
    if (!s && !(s = vg_schema_load(VG_SCHEMA_SRC, NULL)))
        abort();
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *id = NULL;
    g_autoptr(VgWireRequest) r = vg_wire_request_parse(schema(), (const char *)data, size, &id,
                                                       &error);
    if (!r) {
        if (!error || error->domain != VG_WIRE_ERROR || !*vg_wire_rule_name(error->code))
            abort();
        if (id && strlen(id) != 36)
            abort();
        return 0;
    }
    if (error || !r->id || !r->size || strcmp(r->id, id))
        abort();
    g_autofree char *text = vg_wire_request_text(schema(), r, NULL);
    if (!text)
        abort();
    g_autoptr(VgWireRequest) again = vg_wire_request_parse(schema(), text, strlen(text), NULL,
                                                           NULL);
    g_autofree char *text2 = again ? vg_wire_request_text(schema(), again, NULL) : NULL;
    if (!text2 || strcmp(text, text2))
        abort();
    g_autoptr(VgWireReply) reply = vg_wire_reply_new(r->id, "node", VG_STATUS_REFUSED, r->domain);
    g_autofree char *rt = vg_wire_reply_text(schema(), reply, NULL);
    if (!rt)
        abort();
    return 0;
}
