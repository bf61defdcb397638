/* virt-growd's AMQP thread: one connection to the broker (rabbitmq-c is
 * not thread-safe, and heartbeats flow only while this thread calls it),
 * the node's queue consumed with manual acknowledgements, each request
 * checked and answered or handed to a worker, each reply published with a
 * publisher confirm and the request acknowledged only then.  A lost broker
 * is reconnected with backoff and the topology declared again; SIGTERM
 * stops consuming, lets running grows finish (bounded) and acknowledges
 * them. */
#ifndef VGD_DAEMON_H
#define VGD_DAEMON_H

#include "config.h"

/* Runs until SIGTERM or SIGINT (blocked in every thread by the caller and
 * read from @signal_fd, a signalfd).  Returns the exit status. */
int vgd_daemon_run(VgdConfig *c, int signal_fd);

#endif
