/* Grows in worker threads.  See worker.h. */
#include "worker.h"
#include "grow.h"
#include "log.h"
#include "owner.h"
#include "policy.h"

#include <errno.h>
#include <sys/eventfd.h>
#include <unistd.h>

typedef struct {
    GMutex lock;
    unsigned users;
} DomainLock;

struct VgdWorkers {
    const VgdConfig *c;
    VgdJournal *journal;
    const VgSchema *schema;
    GThreadPool *pool;
    GAsyncQueue *done;
    int efd;
    gint busy;
    gint stopping;
    GMutex lock;            /* conn and domains */
    virConnectPtr conn;
    GHashTable *domains;    /* UUID -> DomainLock* */
};

VgdJob *vgd_job_new(VgWireRequest *req, const char *requester, const VgdRequester *rule)
{
    VgdJob *job = g_new0(VgdJob, 1);
    job->req = req;
    job->requester = g_strdup(requester);
    job->rule = rule;
    job->received = g_get_monotonic_time();
    return job;
}

void vgd_job_free(VgdJob *job)
{
    if (!job)
        return;
    vg_wire_request_free(job->req);
    g_free(job->requester);
    g_free(job->reply);
    g_free(job->error);
    g_free(job->domain_name);
    g_free(job);
}

/* The reply's text (and the log's status); a reply the schema refuses is a
 * bug, answered as a failure rather than not at all. */
static void set_reply(VgdJob *job, const VgSchema *s, VgWireReply *r)
{
    g_autoptr(GError) e = NULL;
    job->status = r->status;
    job->exit = r->exit;
    g_free(job->error);
    job->error = g_strdup(r->error);
    g_free(job->reply);
    if (!(job->reply = vg_wire_reply_text(s, r, &e))) {
        vgd_log(LOG_ERR, "request %s: its reply does not match the schema (%s): answered "
                "as failed", job->req->id, e->message);
        g_autoptr(VgWireReply) f = vg_wire_reply_new(job->req->id, r->node, VG_STATUS_FAILED,
                                                    "the reply did not match the schema");
        job->reply = vg_wire_reply_text(s, f, NULL);
        job->status = VG_STATUS_FAILED;
    }
}

gboolean vgd_job_answer(VgdJob *job, const VgdConfig *c, const VgSchema *s, VgdJournal *j,
                        VgWireStatus status, const char *error, GError **err)
{
    g_autoptr(VgWireReply) r = vg_wire_reply_new(job->req->id, c->node, status, error);
    set_reply(job, s, r);
    return vgd_journal_finish(j, job->req->id, job->requester, job->reply, err);
}

/* ---- libvirt ---- */

/* The daemon's connection, reopened when it was lost; a reference. */
static virConnectPtr connection(VgdWorkers *w, char **why)
{
    virConnectPtr conn = NULL;
    g_mutex_lock(&w->lock);
    if (w->conn && virConnectIsAlive(w->conn) != 1) {
        vgd_log(LOG_WARNING, "the libvirt connection (%s) is lost: reopening it",
                w->c->libvirt_uri);
        virConnectClose(w->conn);
        w->conn = NULL;
    }
    if (!w->conn)
        w->conn = virConnectOpen(w->c->libvirt_uri);
    if (w->conn) {
        virConnectRef(w->conn);
        conn = w->conn;
    } else {
        *why = g_strdup_printf("cannot connect to libvirt (%s): %s", w->c->libvirt_uri,
                               vg_libvirt_error());
    }
    g_mutex_unlock(&w->lock);
    return conn;
}

/* The domain's lock; *@waited: another grow of it held the lock or waited
 * for it when this one came. */
static DomainLock *domain_lock(VgdWorkers *w, const char *uuid, gboolean *waited)
{
    g_mutex_lock(&w->lock);
    DomainLock *d = g_hash_table_lookup(w->domains, uuid);
    if (!d) {
        d = g_new0(DomainLock, 1);
        g_mutex_init(&d->lock);
        g_hash_table_insert(w->domains, g_strdup(uuid), d);
    }
    *waited = d->users++ > 0;
    g_mutex_unlock(&w->lock);
    g_mutex_lock(&d->lock);
    return d;
}

static void domain_unlock(VgdWorkers *w, const char *uuid, DomainLock *d)
{
    g_mutex_unlock(&d->lock);
    g_mutex_lock(&w->lock);
    if (--d->users == 0) {
        g_hash_table_remove(w->domains, uuid);
        g_mutex_clear(&d->lock);
        g_free(d);
    }
    g_mutex_unlock(&w->lock);
}

/* The request's domain, as virt-grow finds it; *@why when there is none. */
static virDomainPtr find_domain(virConnectPtr conn, const char *name, const char *node,
                                char **why, gboolean *not_found)
{
    g_autoptr(GError) e = NULL;
    virDomainPtr dom = vg_find_domain(conn, name, &e);
    *not_found = !dom && g_error_matches(e, VG_ERROR, VG_ERROR_NOT_FOUND);
    if (!dom)  /* e: "domain NAME: libvirt's words" */
        *why = *not_found ? g_strdup_printf("refused by rule [domain]: node %s has no %s", node,
                                            e->message)
                          : g_strdup(e->message);
    return dom;
}

static gboolean expired(const VgdJob *job)
{
    return g_get_real_time() / G_USEC_PER_SEC > job->req->not_after;
}

static char *expired_text(const VgdJob *job)
{
    return g_strdup_printf("expired: not-after %" G_GINT64_FORMAT " passed (now %" G_GINT64_FORMAT
                           ") before the grow began; nothing was done",
                           job->req->not_after, g_get_real_time() / G_USEC_PER_SEC);
}

/* Everything between the lookup and the reply; the domain's lock held. */
static VgWireReply *grow(VgdWorkers *w, VgdJob *job, virConnectPtr conn, virDomainPtr dom,
                         const char *uuid, gboolean waited)
{
    const VgdConfig *c = w->c;
    g_autofree char *why = NULL;
    g_autofree char *owner = NULL;
    g_autofree char *source = NULL;
    g_autoptr(GError) e = NULL;

    if (waited && g_atomic_int_get(&w->stopping)) {
        /* it waited behind another grow of its domain, and the stop came
         * meanwhile: not begun, so not to be begun now */
        job->not_started = TRUE;
        return NULL;
    }
    if (expired(job)) {
        g_autofree char *t = expired_text(job);
        return vg_wire_reply_new(job->req->id, c->node, VG_STATUS_EXPIRED, t);
    }
    if ((why = vgd_policy_domain(c, job->rule, job->domain_name)))
        return vg_wire_reply_new(job->req->id, c->node, VG_STATUS_REFUSED, why);
    if (!vgd_domain_owner(dom, &owner, &source, &e)) {
        if (g_error_matches(e, VG_ERROR, VG_ERROR_LIBVIRT))
            return vg_wire_reply_new(job->req->id, c->node, VG_STATUS_FAILED, e->message);
        /* owners that disagree, or metadata that cannot be read as one */
        g_autofree char *t = g_strdup_printf("refused by rule [project]: domain %s: %s",
                                             job->domain_name, e->message);
        return vg_wire_reply_new(job->req->id, c->node, VG_STATUS_REFUSED, t);
    }
    if ((why = vgd_policy_owner(c, job->domain_name, job->req->project, owner, source)))
        return vg_wire_reply_new(job->req->id, c->node, VG_STATUS_REFUSED, why);

    if (!vgd_journal_start(w->journal, job->req->id, job->requester, &e)) {
        vgd_log(LOG_ERR, "request %s: %s", job->req->id, e->message);
        return vg_wire_reply_new(job->req->id, c->node, VG_STATUS_FAILED,
                                 "the node cannot write its journal: nothing was done");
    }
    g_autoptr(VgRequest) core = vg_wire_request_to_core(job->req, &e);
    if (!core)
        return vg_wire_reply_new(job->req->id, c->node, VG_STATUS_REFUSED, e->message);
    VgSettings set = {
        .timeout_s = job->req->timeout_s ? job->req->timeout_s : c->timeout_s,
        .qga_grow = "qga-grow",
        .domain_uuid = uuid,
        .not_after = job->req->not_after,
    };
    g_autoptr(VgOutcome) o = vg_grow_one(conn, core, &set);
    return vg_wire_reply_from_outcome(job->req->id, c->node, o);
}

/* The pool's first job: not a request (see vgd_workers_new). */
static VgdJob check_job;

static void check_libvirt(VgdWorkers *w);

static void run_job(gpointer data, gpointer user_data)
{
    VgdJob *job = data;
    VgdWorkers *w = user_data;
    if (job == &check_job) {
        check_libvirt(w);
        return;
    }
    const VgdConfig *c = w->c;
    g_autofree char *why = NULL;
    g_autoptr(VgWireReply) r = NULL;
    g_autoptr(GError) e = NULL;
    gboolean not_found = FALSE;
    virConnectPtr conn = NULL;
    virDomainPtr dom = NULL;

    if (g_atomic_int_get(&w->stopping)) {  /* handed over, not picked up, before the stop */
        job->not_started = TRUE;
    } else if (expired(job)) {
        g_autofree char *t = expired_text(job);
        r = vg_wire_reply_new(job->req->id, c->node, VG_STATUS_EXPIRED, t);
    } else if (!(conn = connection(w, &why))) {
        r = vg_wire_reply_new(job->req->id, c->node, VG_STATUS_FAILED, why);
    } else if (!(dom = find_domain(conn, job->req->domain, c->node, &why, &not_found))) {
        r = vg_wire_reply_new(job->req->id, c->node,
                              not_found ? VG_STATUS_REFUSED : VG_STATUS_FAILED, why);
    } else {
        char uuid[VIR_UUID_STRING_BUFLEN] = "";
        virDomainGetUUIDString(dom, uuid);
        job->domain_name = g_strdup(virDomainGetName(dom));
        gboolean waited;
        DomainLock *d = domain_lock(w, uuid, &waited);
        r = grow(w, job, conn, dom, uuid, waited);
        domain_unlock(w, uuid, d);
    }
    if (!job->not_started) {
        set_reply(job, w->schema, r);
        if (!vgd_journal_finish(w->journal, job->req->id, job->requester, job->reply, &e))
            vgd_log(LOG_ERR, "request %s: %s (its reply goes out; a redelivery would run it "
                    "again)", job->req->id, e->message);
    }
    if (dom)
        virDomainFree(dom);
    if (conn)
        virConnectClose(conn);

    g_async_queue_push(w->done, job);
    uint64_t one = 1;
    while (write(w->efd, &one, sizeof(one)) < 0 && errno == EINTR) {
    }
}

static void check_libvirt(VgdWorkers *w)
{
    g_autofree char *why = NULL;
    virConnectPtr conn = connection(w, &why);
    if (conn) {
        vgd_log(LOG_INFO, "libvirt: connected to %s", w->c->libvirt_uri);
        virConnectClose(conn);
    } else {
        vgd_log(LOG_WARNING, "%s (tried again for each request)", why);
    }
}

VgdWorkers *vgd_workers_new(const VgdConfig *c, VgdJournal *j, const VgSchema *s)
{
    VgdWorkers *w = g_new0(VgdWorkers, 1);
    w->c = c;
    w->journal = j;
    w->schema = s;
    w->done = g_async_queue_new();
    w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    g_mutex_init(&w->lock);
    w->domains = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    w->pool = g_thread_pool_new(run_job, w, (gint)c->concurrency, FALSE, NULL);
    /* the connection now, to say early when libvirt is not there (it is
     * tried again for each request), in a thread of its own: a libvirtd
     * that hangs must not keep the daemon from its broker */
    g_thread_pool_push(w->pool, &check_job, NULL);
    return w;
}

void vgd_workers_push(VgdWorkers *w, VgdJob *job)
{
    g_atomic_int_inc(&w->busy);
    g_thread_pool_push(w->pool, job, NULL);
}

int vgd_workers_fd(VgdWorkers *w)
{
    return w->efd;
}

VgdJob *vgd_workers_pop(VgdWorkers *w)
{
    uint64_t n;
    VgdJob *job = g_async_queue_try_pop(w->done);
    if (!job) {
        (void)!read(w->efd, &n, sizeof(n));  /* drained; more come with a new write */
        job = g_async_queue_try_pop(w->done);
    }
    if (job)
        g_atomic_int_add(&w->busy, -1);
    return job;
}

void vgd_workers_stop(VgdWorkers *w)
{
    g_atomic_int_set(&w->stopping, 1);
}

unsigned vgd_workers_busy(VgdWorkers *w)
{
    return (unsigned)g_atomic_int_get(&w->busy);
}

void vgd_workers_free(VgdWorkers *w)
{
    if (!w)
        return;
    g_thread_pool_free(w->pool, FALSE, TRUE);
    VgdJob *job;
    while ((job = g_async_queue_try_pop(w->done)))
        vgd_job_free(job);
    g_async_queue_unref(w->done);
    close(w->efd);
    if (w->conn)
        virConnectClose(w->conn);
    g_hash_table_unref(w->domains);
    g_mutex_clear(&w->lock);
    g_free(w);
}
