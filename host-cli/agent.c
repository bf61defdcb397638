/* Agent commands as JSON text, through libvirt. */
#include "agent.h"
#include "agent-reply.h"
#include "libvirt-error.h"
#include "vg-error.h"

#include <libvirt/libvirt-qemu.h>
#include <libvirt/virterror.h>
#include <string.h>

char *vg_agent_run(virDomainPtr dom, const char *command, JsonObject *arguments, int timeout_s,
                   GError **error)
{
    g_autoptr(JsonObject) cmd = json_object_new();
    g_autoptr(JsonNode) node = json_node_new(JSON_NODE_OBJECT);
    g_autofree char *text = NULL;
    char *reply;

    json_object_set_string_member(cmd, "execute", command);
    if (arguments)
        json_object_set_object_member(cmd, "arguments", json_object_ref(arguments));
    json_node_set_object(node, cmd);
    text = json_to_string(node, FALSE);

    reply = virDomainQemuAgentCommand(dom, text, timeout_s > 0 ? timeout_s : 1, 0);
    if (reply)
        return reply;

    virErrorPtr e = virGetLastError();
    int code = e ? e->code : VIR_ERR_INTERNAL_ERROR;
    /* An agent error's text comes from the guest: make it printable; the
     * guest's own words, without libvirt's wrapping where it has some */
    const char *msg = e && e->message ? e->message : "unknown libvirt error";
    g_autofree char *wrap = g_strdup_printf("unable to execute QEMU agent command '%s': ",
                                            command);
    const char *own = strstr(msg, wrap);
    if (own && own[strlen(wrap)])
        msg = own + strlen(wrap);
    g_autofree char *clean = vg_sanitize_guest_text(msg, strlen(msg), 1024);
    /* the connection itself went (libvirtd restarted, an ssh link broke):
     * not the guest's doing, whatever code the failed call left (the
     * check resets libvirt's last error: read above) */
    if (vg_connection_lost(virDomainGetConnect(dom))) {
        g_set_error(error, VG_ERROR, VG_ERROR_CONNECTION,
                    "%s: the connection to libvirt was lost (%s)", command, clean);
        return NULL;
    }
    gboolean no_agent = code == VIR_ERR_AGENT_UNRESPONSIVE ||
                        code == VIR_ERR_ARGUMENT_UNSUPPORTED ||
                        code == VIR_ERR_OPERATION_INVALID ||
                        code == VIR_ERR_OPERATION_UNSUPPORTED ||
                        code == VIR_ERR_NO_SUPPORT;
    g_set_error(error, VG_ERROR, no_agent ? VG_ERROR_NO_AGENT : VG_ERROR_GUEST, "%s: %s",
                command, clean);
    return NULL;
}
