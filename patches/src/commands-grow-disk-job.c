/*
 * guest-grow-disk with "async": the grow runs in a thread of its own, so
 * that qemu-ga's main loop answers meanwhile (an ext4 grown by terabytes
 * takes minutes), and guest-grow-disk-status reports where it is and,
 * once, how it ended; then the job is forgotten, as guest-exec-status does.
 *
 * One grow at a time: jobs and calls without "async" pass one gate (the
 * library is not made for two threads at once, and two grows of one disk
 * would only wait for its lock).  A call without "async" waits for the
 * gate no longer than its lock-timeout, so the main loop is never held
 * for long by a job.
 *
 * Part of the qga-grow patch series, generated from its
 * patches/src/commands-grow-disk-job.c.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qga-qapi-commands.h"
#include "guest-agent-core.h"
#include "commands-grow-disk.h"

/* jobs unfinished or unread at a time */
#define GROW_DISK_JOBS_MAX 16
/* how long a stopping agent waits for its running jobs */
#define GROW_DISK_EXIT_WAIT_S 60

typedef struct GrowDiskJob {
    int64_t id;
    QgRequest req;          /* its strings are the copies below */
    char *device, *serial, *mountpoint, *key_file, *lv;
    /* The rest under grow_jobs_lock: the worker writes, the status reads. */
    bool done;
    QgPhase phase;
    bool has_layer;         /* growing: the layer being grown */
    QgLayerKind layer_kind;
    char *layer_device;
    unsigned index, count;
    double fraction;        /* below 0: not known */
    GuestGrowDiskResult *result;  /* done: the reply, or ... */
    char *error;                  /* ... why it failed before writing */
} GrowDiskJob;

static GMutex grow_jobs_lock;
static GCond grow_jobs_cond;       /* the gate was left, or a job finished */
static GPtrArray *grow_jobs;       /* unfinished or unread, GrowDiskJob * */
static int64_t grow_jobs_last_id;  /* ids are never reused */
static int64_t gate_holder = -1;   /* -1: free; 0: a call; else a job */
static bool stopping;              /* the agent exits: start no more grows */

bool grow_disk_gate_enter(int64_t timeout_ms, int64_t job, Error **errp)
{
    gint64 end = g_get_monotonic_time() + timeout_ms * G_TIME_SPAN_MILLISECOND;
    int64_t holder;

    g_mutex_lock(&grow_jobs_lock);
    while (gate_holder >= 0) {
        if (timeout_ms < 0) {
            g_cond_wait(&grow_jobs_cond, &grow_jobs_lock);
        } else if (!g_cond_wait_until(&grow_jobs_cond, &grow_jobs_lock, end)) {
            break;
        }
    }
    holder = gate_holder;
    if (holder < 0) {
        gate_holder = job;
    }
    g_mutex_unlock(&grow_jobs_lock);
    if (holder >= 0) {
        /* only a call waits with a deadline, and only a job can hold it then */
        error_setg(errp, "this agent is growing a disk in job %" PRId64 " (one grow at a "
                   "time): wait for it with guest-grow-disk-status, or give a longer "
                   "lock-timeout; nothing was changed", holder);
        return false;
    }
    return true;
}

void grow_disk_gate_leave(void)
{
    g_mutex_lock(&grow_jobs_lock);
    gate_holder = -1;
    g_cond_broadcast(&grow_jobs_cond);
    g_mutex_unlock(&grow_jobs_lock);
}

static void job_free(GrowDiskJob *job)
{
    g_free(job->device);
    g_free(job->serial);
    g_free(job->mountpoint);
    g_free(job->key_file);
    g_free(job->lv);
    g_free(job->layer_device);
    qapi_free_GuestGrowDiskResult(job->result);
    g_free(job->error);
    g_free(job);
}

/* The library's progress callback, in the job's thread. */
static void job_progress(const QgProgress *p, void *opaque)
{
    GrowDiskJob *job = opaque;

    if (p->phase == QG_PHASE_DONE) {
        return;     /* done is when the reply is there (job_run) */
    }
    g_mutex_lock(&grow_jobs_lock);
    job->phase = p->phase;
    job->has_layer = p->phase == QG_PHASE_GROWING && p->layer;
    g_clear_pointer(&job->layer_device, g_free);
    if (job->has_layer) {
        job->layer_kind = p->layer->kind;
        job->layer_device = g_strdup(p->layer->device);
    }
    job->index = p->index;
    job->count = p->count;
    job->fraction = p->phase == QG_PHASE_GROWING ? p->fraction : -1;
    g_mutex_unlock(&grow_jobs_lock);
}

/* slog() belongs to the main loop's thread: a job's log line goes there. */
static gboolean log_in_main_loop(gpointer msg)
{
    slog("%s", (const char *)msg);
    return G_SOURCE_REMOVE;
}

static void log_from_job(char *msg)
{
    g_idle_add_full(G_PRIORITY_DEFAULT_IDLE, log_in_main_loop, msg, g_free);
}

static gpointer job_run(gpointer opaque)
{
    GrowDiskJob *job = opaque;
    GuestGrowDiskResult *res = NULL;
    Error *err = NULL;
    bool stop;

    grow_disk_gate_enter(-1, job->id, &error_abort);
    g_mutex_lock(&grow_jobs_lock);
    stop = stopping;
    g_mutex_unlock(&grow_jobs_lock);
    if (stop) {
        error_setg(&err, "the agent stopped before job %" PRId64 " began; nothing was "
                   "changed", job->id);
    } else {
        res = grow_disk_run(&job->req, &err);
    }
    grow_disk_gate_leave();

    if (!res) {
        log_from_job(g_strdup_printf("guest-grow-disk job %" PRId64 " failed: %s",
                                     job->id, error_get_pretty(err)));
    } else if (res->error) {
        log_from_job(g_strdup_printf("guest-grow-disk job %" PRId64 ": %s partly grown: %s",
                                     job->id, res->disk, res->error));
    } else {
        log_from_job(g_strdup_printf("guest-grow-disk job %" PRId64 ": %s %s", job->id,
                                     res->changed && !res->dry_run ? "grew" : "finished on",
                                     res->disk));
    }
    g_mutex_lock(&grow_jobs_lock);
    job->result = res;
    job->error = err ? g_strdup(error_get_pretty(err)) : NULL;
    job->done = true;
    job->phase = QG_PHASE_DONE;
    g_cond_broadcast(&grow_jobs_cond);
    g_mutex_unlock(&grow_jobs_lock);
    error_free(err);
    return NULL;
}

/*
 * A stopping agent (its main loop ended) waits a while for running jobs,
 * so that a service restart does not cut a grow between two layers; a
 * grow cut there anyway is resumed by the next call, as after a crash.
 * Jobs not yet begun do not begin.
 */
static void grow_jobs_at_exit(void)
{
    gint64 end = g_get_monotonic_time() + GROW_DISK_EXIT_WAIT_S * G_TIME_SPAN_SECOND;
    bool running = true;

    g_mutex_lock(&grow_jobs_lock);
    stopping = true;
    while (running) {
        running = false;
        for (guint i = 0; i < grow_jobs->len; i++) {
            running |= !((GrowDiskJob *)grow_jobs->pdata[i])->done;
        }
        if (running && !g_cond_wait_until(&grow_jobs_cond, &grow_jobs_lock, end)) {
            break;
        }
    }
    g_mutex_unlock(&grow_jobs_lock);
}

int64_t grow_disk_job_start(const QgRequest *req, Error **errp)
{
    g_autoptr(GError) gerr = NULL;
    GrowDiskJob *job;
    GThread *thread;
    int64_t id;

    g_mutex_lock(&grow_jobs_lock);
    if (!grow_jobs) {
        grow_jobs = g_ptr_array_new();
        atexit(grow_jobs_at_exit);
    }
    if (grow_jobs->len >= GROW_DISK_JOBS_MAX) {
        g_mutex_unlock(&grow_jobs_lock);
        error_setg(errp, "%d guest-grow-disk jobs are unfinished or unread: read a "
                   "finished one's status with guest-grow-disk-status first; nothing "
                   "was started", GROW_DISK_JOBS_MAX);
        return 0;
    }
    job = g_new0(GrowDiskJob, 1);
    job->req = *req;
    job->req.device = job->device = g_strdup(req->device);
    job->req.serial = job->serial = g_strdup(req->serial);
    job->req.mountpoint = job->mountpoint = g_strdup(req->mountpoint);
    job->req.key_file = job->key_file = g_strdup(req->key_file);
    job->req.lv = job->lv = g_strdup(req->lv);
    job->req.progress = job_progress;
    job->req.progress_data = job;
    job->phase = QG_PHASE_LOCKING;   /* first the gate, then the disk's lock */
    job->fraction = -1;
    job->id = id = grow_jobs_last_id + 1;
    thread = g_thread_try_new("guest-grow-disk", job_run, job, &gerr);
    if (!thread) {
        g_mutex_unlock(&grow_jobs_lock);
        job_free(job);
        error_setg(errp, "cannot start a thread for the job: %s; nothing was started",
                   gerr->message);
        return 0;
    }
    grow_jobs_last_id = id;
    g_ptr_array_add(grow_jobs, job);
    g_mutex_unlock(&grow_jobs_lock);
    g_thread_unref(thread);     /* it ends by itself; the job stays for its status */
    return id;
}

static GuestGrowDiskPhase phase_to_qapi(QgPhase phase)
{
    switch (phase) {
    case QG_PHASE_WAITING_SIZE:
        return GUEST_GROW_DISK_PHASE_WAITING_SIZE;
    case QG_PHASE_LOCKING:
        return GUEST_GROW_DISK_PHASE_LOCKING;
    case QG_PHASE_PLANNING:
        return GUEST_GROW_DISK_PHASE_PLANNING;
    case QG_PHASE_GROWING:
        return GUEST_GROW_DISK_PHASE_GROWING;
    case QG_PHASE_DONE:
        return GUEST_GROW_DISK_PHASE_DONE;
    }
    g_assert_not_reached();
}

GuestGrowDiskStatus *qmp_guest_grow_disk_status(int64_t id, Error **errp)
{
    GuestGrowDiskStatus *st;
    GrowDiskJob *job = NULL;

    g_mutex_lock(&grow_jobs_lock);
    for (guint i = 0; grow_jobs && i < grow_jobs->len && !job; i++) {
        if (((GrowDiskJob *)grow_jobs->pdata[i])->id == id) {
            job = grow_jobs->pdata[i];
        }
    }
    if (!job) {
        g_mutex_unlock(&grow_jobs_lock);
        error_setg(errp, "no guest-grow-disk job %" PRId64 ": unknown, or its final "
                   "status was read already", id);
        return NULL;
    }
    st = g_new0(GuestGrowDiskStatus, 1);
    st->job = id;
    st->done = job->done;
    st->phase = phase_to_qapi(job->phase);
    if (job->done) {
        st->result = g_steal_pointer(&job->result);
        GROW_DISK_SET_HAS(st, result);
        st->error = g_steal_pointer(&job->error);
        GROW_DISK_SET_HAS(st, error);
        g_ptr_array_remove(grow_jobs, job);     /* given once, then forgotten */
        job_free(job);
    } else if (job->phase == QG_PHASE_GROWING) {
        if (job->has_layer) {
            st->layer = g_new0(GuestGrowDiskJobLayer, 1);
            st->layer->kind = grow_disk_kind_to_qapi(job->layer_kind);
            st->layer->device = g_strdup(job->layer_device);
        }
        GROW_DISK_SET_HAS(st, layer);
        st->has_index = st->has_count = true;
        st->index = job->index;
        st->count = job->count;
        st->has_fraction = job->fraction >= 0;
        st->fraction = st->has_fraction ? job->fraction : 0;
    }
    g_mutex_unlock(&grow_jobs_lock);
    return st;
}
