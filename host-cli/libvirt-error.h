/* libvirt's last error, and a connection that went. */
#ifndef VG_LIBVIRT_ERROR_H
#define VG_LIBVIRT_ERROR_H

#include <glib.h>
#include <libvirt/libvirt.h>

/* libvirt's last error message, for the calling thread. */
const char *vg_libvirt_error(void);

/* After a failed call: is @conn gone (libvirtd restarted, an ssh link
 * broke)?  A libvirt call itself, it resets the thread's last error: read
 * the failed call's first. */
gboolean vg_connection_lost(virConnectPtr conn);

#endif
