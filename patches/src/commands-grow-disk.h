/*
 * guest-grow-disk, shared between its files: the reply built from
 * libqga-grow's result (commands-grow-disk-reply.c) and the asynchronous
 * jobs (commands-grow-disk-job.c).
 *
 * Part of the qga-grow patch series, generated from its
 * patches/src/commands-grow-disk.h.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef QGA_COMMANDS_GROW_DISK_H
#define QGA_COMMANDS_GROW_DISK_H

#include "qga-qapi-types.h"

#include <qga-grow.h>

/* QEMU 8.0 dropped the has_ flags of optional pointer members. */
#if QEMU_VERSION_MAJOR < 8
#define GROW_DISK_SET_HAS(obj, member) ((obj)->has_##member = (obj)->member != NULL)
#else
#define GROW_DISK_SET_HAS(obj, member) ((void)0)
#endif

GuestGrowDiskLayerKind grow_disk_kind_to_qapi(QgLayerKind kind);

/*
 * Run the grow (in the calling thread, which must hold the agent's grow
 * gate): the reply, also when the run stopped after it began to write
 * (with its error member and each layer's state), or NULL and @errp when
 * nothing was written.
 */
GuestGrowDiskResult *grow_disk_run(const QgRequest *req, Error **errp);

/*
 * One grow at a time in this agent (the library is not made for two
 * threads at once): wait up to @timeout_ms for the gate (negative: as long
 * as it takes), then hold it for @job (0: a call without "async").  FALSE
 * with @errp naming the job that holds it.
 */
bool grow_disk_gate_enter(int64_t timeout_ms, int64_t job, Error **errp);
void grow_disk_gate_leave(void);

/* The synchronous reply as the command's return value (it returns 'any':
 * this or {"job": N}); takes @res. */
QObject *grow_disk_result_to_qobject(GuestGrowDiskResult *res);

/* Start @req in a job of its own (the request's strings are copied). */
int64_t grow_disk_job_start(const QgRequest *req, Error **errp);

#endif
