/* virt-grow --broker: the reference publisher of a cloud's API service.
 * One request to the node's virt-growd over RabbitMQ (published mandatory
 * and confirmed: an unroutable node is an error naming it), its reply
 * waited for on direct reply-to up to --timeout, and printed as a local
 * run prints (the table, or --json), with the same exit status.  A
 * relative SIZE is resolved only where the disk can be read (-c URI);
 * otherwise it is refused, saying why. */
#ifndef VG_BROKER_CLIENT_H
#define VG_BROKER_CLIENT_H

#include "options.h"

/* The exit status: the reply's (virt-grow's), 2 when nothing was sent or
 * the node refused, 3 when no reply came in time (the outcome is unknown). */
int vg_broker_client_run(const VgOptions *opt);

#endif
