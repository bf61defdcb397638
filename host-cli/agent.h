/* The guest agent through libvirt (virDomainQemuAgentCommand): works the
 * same against local and remote URIs. */
#ifndef VG_AGENT_H
#define VG_AGENT_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <libvirt/libvirt.h>

/* Run @command with @arguments (a JSON object, or NULL) and return the raw
 * reply text, {"return": ...}, for agent-reply.c to check.  Errors:
 * VG_ERROR_NO_AGENT (none configured, not connected, not answering in
 * @timeout_s), VG_ERROR_GUEST (the agent answered with an error: its
 * message), VG_ERROR_CONNECTION (the connection to libvirt is gone). */
char *vg_agent_run(virDomainPtr dom, const char *command, JsonObject *arguments, int timeout_s,
                   GError **error);

#endif
