/* Fuzz target: virt-grow's parsers of guest agent replies
 * (host-cli/agent-reply.c), the host's untrusted input from inside the
 * guest.  The same bytes go through every parser; none may crash, leak or
 * trip a sanitizer, whatever the guest sends. */
#include "agent-reply.h"
#include "safe-text.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    GError *e = NULL;
    GPtrArray *list;
    int64_t pid;

    vg_grow_report_free(vg_reply_grow_disk(text, size, &e));
    g_clear_error(&e);
    vg_grow_report_free(vg_grow_report_parse(text, size, &e));
    g_clear_error(&e);
    vg_guest_info_free(vg_reply_guest_info(text, size, &e));
    g_clear_error(&e);
    if ((list = vg_reply_get_disks(text, size, &e)))
        g_ptr_array_unref(list);
    g_clear_error(&e);
    if ((list = vg_reply_get_fsinfo(text, size, &e)))
        g_ptr_array_unref(list);
    g_clear_error(&e);
    vg_reply_exec(text, size, &pid, &e);
    g_clear_error(&e);
    vg_exec_status_free(vg_reply_exec_status(text, size, &e));
    g_clear_error(&e);
    vg_reply_grow_disk_job(text, size, &pid, &e);
    g_clear_error(&e);
    vg_grow_status_free(vg_reply_grow_disk_status(text, size, &e));
    g_clear_error(&e);
    g_free(vg_sanitize_guest_text(text, size, 256));
    g_free(vg_safe_text(text, (gssize)size));
    return 0;
}
