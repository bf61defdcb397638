/* libvirt's errors, as the calling thread last got them, and whether a
 * failed call failed because the connection itself went. */
#include "libvirt-error.h"

#include <libvirt/virterror.h>

const char *vg_libvirt_error(void)
{
    const char *m = virGetLastErrorMessage();
    return m ? m : "unknown libvirt error";
}

gboolean vg_connection_lost(virConnectPtr conn)
{
    return virConnectIsAlive(conn) == 0;
}
