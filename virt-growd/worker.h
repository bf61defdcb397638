/* The grows, in a pool of worker threads (the AMQP thread hands them over
 * and must never wait for one).  Each job: the deadline checked again, the
 * domain looked up, its lock taken (grows of one domain run one at a time),
 * the rules that need the domain (domains=, the owner), the start and then
 * the reply written to the journal, and the grow itself through the host
 * core, vg_grow_one(), as virt-grow runs it.  Finished jobs come back
 * through a queue; an eventfd says when. */
#ifndef VGD_WORKER_H
#define VGD_WORKER_H

#include "config.h"
#include "journal.h"
#include "wire.h"

typedef struct {
    /* in */
    VgWireRequest *req;
    char *requester;             /* the validated user_id */
    const VgdRequester *rule;    /* its section (borrowed from the config) */
    gint64 received;             /* g_get_monotonic_time() on receipt */
    /* out */
    char *reply;                 /* the reply's text, as journalled */
    VgWireStatus status;
    int exit;
    char *error;                 /* for the log line */
    char *domain_name;           /* as libvirt names it, when found */
    gboolean not_started;        /* the daemon began to stop before its grow
                                  * began: no reply, back to the queue */
} VgdJob;

VgdJob *vgd_job_new(VgWireRequest *req, const char *requester, const VgdRequester *rule);
void vgd_job_free(VgdJob *job);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VgdJob, vgd_job_free)

/* The reply to a request that never reaches a worker (a rule checked on
 * receipt, expiry), journalled like any other; sets job->reply. */
gboolean vgd_job_answer(VgdJob *job, const VgdConfig *c, const VgSchema *s, VgdJournal *j,
                        VgWireStatus status, const char *error, GError **err);

typedef struct VgdWorkers VgdWorkers;

VgdWorkers *vgd_workers_new(const VgdConfig *c, VgdJournal *j, const VgSchema *s);
void vgd_workers_push(VgdWorkers *w, VgdJob *job);
/* Readable when a job came back; vgd_workers_pop() empties it. */
int vgd_workers_fd(VgdWorkers *w);
VgdJob *vgd_workers_pop(VgdWorkers *w);
/* Stopping: jobs whose grows have not begun come back not_started. */
void vgd_workers_stop(VgdWorkers *w);
/* Jobs pushed and not yet popped. */
unsigned vgd_workers_busy(VgdWorkers *w);
/* Waits for the jobs that run. */
void vgd_workers_free(VgdWorkers *w);

#endif
