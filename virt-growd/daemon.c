/* The AMQP thread.  See daemon.h and virt-growd(8). */
#include "daemon.h"
#include "amqp-link.h"
#include "journal.h"
#include "log.h"
#include "policy.h"
#include "worker.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#define EXCHANGE "virt-grow"
#define DEAD_EXCHANGE "virt-grow.dead-letter"
#define CH_CONSUME 1
#define CH_PUBLISH 2
#define BACKOFF_MAX_S 30
#define EVENTS_PER_ROUND 64

/* One delivery of a request, waiting for its reply. */
typedef struct {
    uint64_t tag;
    guint gen;          /* the connection it came on */
    char *reply_to;
    char *correlation_id;
    char *user;         /* its validated user_id */
} Delivery;

typedef struct {
    VgdConfig *c;
    VgSchema *schema;
    VgdJournal *journal;
    VgdWorkers *workers;
    VgLink *link;
    guint gen;              /* connections so far: a delivery's tag is its connection's */
    char *queue, *dead_queue;
    VgLinkOptions lopt;
    GHashTable *inflight;   /* request id -> GPtrArray of Delivery* */
    GHashTable *confirms;   /* publish number -> delivery tag to acknowledge then (0: none) */
    int sigfd;
    gboolean stopping;
    gint64 stop_deadline;
    unsigned backoff_s;
    gint64 next_connect;
    gboolean idle_read;     /* the last read found no whole frame */
} Daemon;

static void delivery_free(Delivery *d)
{
    g_free(d->user);
    g_free(d->reply_to);
    g_free(d->correlation_id);
    g_free(d);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Delivery, delivery_free)

static Delivery *delivery_of(const VgMessage *m, guint gen)
{
    Delivery *d = g_new0(Delivery, 1);
    d->tag = m->delivery_tag;
    d->gen = gen;
    d->reply_to = g_strdup(m->reply_to && *m->reply_to ? m->reply_to : NULL);
    d->correlation_id = g_strdup(m->correlation_id ? m->correlation_id : m->message_id);
    d->user = g_strdup(m->user_id);
    return d;
}

/* ---- the connection ---- */

static void disconnect(Daemon *d, const GError *why)
{
    if (!d->link)
        return;
    vgd_log(LOG_WARNING, "%s; the unacknowledged requests go back to the queue, the "
            "journal answers them once they return", why ? why->message : "disconnected");
    vgd_notify("STATUS=disconnected: %s", why ? why->message : "");
    vg_link_free(d->link);
    d->link = NULL;
    g_hash_table_remove_all(d->confirms);
    d->backoff_s = 1;
    d->next_connect = g_get_monotonic_time() + G_USEC_PER_SEC;
}

/* The node's queue, a quorum queue where the broker has them (then a
 * broker policy may set delivery-limit), else classic; dead letters to
 * the dead-letter exchange with the node's name as key. */
static gboolean declare_queue(Daemon *d, const char *name, gboolean dead_letters, GError **error)
{
    const char *quorum[] = { "x-queue-type", "quorum", "x-dead-letter-exchange", DEAD_EXCHANGE,
                             "x-dead-letter-routing-key", d->c->node, NULL };
    const char *classic[] = { "x-dead-letter-exchange", DEAD_EXCHANGE,
                              "x-dead-letter-routing-key", d->c->node, NULL };
    g_autoptr(GError) e = NULL;

    if (!dead_letters) {
        quorum[2] = NULL;
        classic[0] = NULL;
    }
    if (vg_link_declare_queue(d->link, CH_CONSUME, name, quorum, &e))
        return TRUE;
    /* an older broker, or the queue there already as a classic one: the
     * refusal closed the channel */
    if (!vg_link_channel_open(d->link, CH_CONSUME, error))
        return FALSE;
    if (!vg_link_declare_queue(d->link, CH_CONSUME, name, classic, error)) {
        g_prefix_error(error, "(as a quorum queue: %s) ", e->message);
        return FALSE;
    }
    vgd_log(LOG_INFO, "queue %s is a classic queue (%s)", name, e->message);
    return TRUE;
}

static gboolean connect_broker(Daemon *d, GError **error)
{
    g_autoptr(VgLink) l = vg_link_open(&d->lopt, error);
    if (!l)
        return FALSE;
    d->link = g_steal_pointer(&l);
    gboolean ok = vg_link_channel_open(d->link, CH_CONSUME, error) &&
                  vg_link_channel_open(d->link, CH_PUBLISH, error) &&
                  vg_link_confirm_select(d->link, CH_PUBLISH, error) &&
                  vg_link_declare_exchange(d->link, CH_CONSUME, EXCHANGE, "direct", error) &&
                  vg_link_declare_exchange(d->link, CH_CONSUME, DEAD_EXCHANGE, "direct", error) &&
                  declare_queue(d, d->dead_queue, FALSE, error) &&
                  vg_link_bind(d->link, CH_CONSUME, d->dead_queue, DEAD_EXCHANGE, d->c->node,
                               error) &&
                  declare_queue(d, d->queue, TRUE, error) &&
                  vg_link_bind(d->link, CH_CONSUME, d->queue, EXCHANGE, d->c->node, error) &&
                  vg_link_qos(d->link, CH_CONSUME, (uint16_t)d->c->concurrency, error) &&
                  vg_link_consume(d->link, CH_CONSUME, d->queue, FALSE, error);
    if (!ok) {
        vg_link_free(d->link);
        d->link = NULL;
        return FALSE;
    }
    d->gen++;
    d->backoff_s = 0;
    d->idle_read = FALSE;
    vgd_log(LOG_INFO, "connected to %s (%s) as node %s: consuming %s", vg_link_display(d->link),
            vg_link_server(d->link), d->c->node, d->queue);
    vgd_notify("STATUS=consuming %s on %s", d->queue, vg_link_display(d->link));
    return TRUE;
}

static void try_connect(Daemon *d)
{
    g_autoptr(GError) e = NULL;
    if (connect_broker(d, &e))
        return;
    /* 1, 2, 4 ... 30 s, and a little jitter so that nodes do not come back
     * all at once */
    d->backoff_s = d->backoff_s ? MIN(d->backoff_s * 2, BACKOFF_MAX_S) : 1;
    gint64 jitter = g_random_int_range(0, 250) * 1000;
    d->next_connect = g_get_monotonic_time() + d->backoff_s * G_USEC_PER_SEC + jitter;
    vgd_log(LOG_WARNING, "%s; trying again in %u s", e->message, d->backoff_s);
    vgd_notify("STATUS=cannot connect: %s", e->message);
}

/* ---- publishing ---- */

static gboolean publish(Daemon *d, const char *exchange, const char *key, const VgMessage *m,
                        uint64_t ack_tag)
{
    g_autoptr(GError) e = NULL;
    uint64_t seq = 0;
    if (!vg_link_publish(d->link, CH_PUBLISH, exchange, key, FALSE, m, &seq, &e)) {
        disconnect(d, e);
        return FALSE;
    }
    g_hash_table_insert(d->confirms, g_memdup2(&seq, sizeof(seq)), g_memdup2(&ack_tag,
                                                                             sizeof(ack_tag)));
    return TRUE;
}

static void ack_now(Daemon *d, uint64_t tag)
{
    g_autoptr(GError) e = NULL;
    if (!vg_link_ack(d->link, CH_CONSUME, tag, &e))
        disconnect(d, e);
}

/* A reply's message: @text (the reply's JSON) for the requester's
 * @correlation_id. */
static VgMessage *reply_message(const char *text, const char *correlation_id)
{
    VgMessage *m = vg_message_new();
    m->body = g_bytes_new(text, strlen(text));
    m->content_type = g_strdup("application/json");
    m->correlation_id = g_strdup(correlation_id);
    m->app_id = g_strdup("virt-growd");
    m->type = g_strdup("virt-grow-reply");
    m->persistent = TRUE;
    return m;
}

/* The reply to one delivery, then (once confirmed) its acknowledgement. */
static void answer(Daemon *d, const Delivery *dl, const char *reply)
{
    if (!d->link || dl->gen != d->gen)
        return;  /* its connection is gone: it comes again, redelivered */
    if (!dl->reply_to) {
        ack_now(d, dl->tag);
        return;
    }
    g_autoptr(VgMessage) m = reply_message(reply, dl->correlation_id);
    m->timestamp = (uint64_t)(g_get_real_time() / G_USEC_PER_SEC);
    publish(d, "", dl->reply_to, m, dl->tag);
}

/* A message that is not a request one may act on: an annotated copy to
 * the dead-letter exchange (the broker cannot add a reason to a reject),
 * a reply saying why when it has a reply_to, and the original
 * acknowledged once the copy is confirmed.  Never requeued. */
static void dead_letter(Daemon *d, const VgMessage *m, const char *id, const char *rule,
                        const char *reason, VgWireStatus status)
{
    g_autoptr(VgMessage) copy = vg_message_new();
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    g_autofree char *when = g_date_time_format_iso8601(now);

    vgd_log(LOG_WARNING, "message %s from %s dead-lettered [%s]: %s",
            id ? id : m->message_id ? m->message_id : "(no id)",
            m->user_id ? m->user_id : "(no user_id)", rule, reason);
    copy->body = g_bytes_ref(m->body);
    copy->content_type = g_strdup(m->content_type);
    copy->message_id = g_strdup(m->message_id);
    copy->correlation_id = g_strdup(m->correlation_id);
    copy->reply_to = g_strdup(m->reply_to);
    copy->app_id = g_strdup(m->app_id);
    copy->type = g_strdup(m->type);
    copy->timestamp = m->timestamp;
    copy->persistent = TRUE;
    /* user_id cannot be copied: the broker takes only our own */
    vg_message_add_header(copy, "x-virt-grow-rule", rule);
    vg_message_add_header(copy, "x-virt-grow-reason", reason);
    vg_message_add_header(copy, "x-virt-grow-node", d->c->node);
    vg_message_add_header(copy, "x-virt-grow-user-id", m->user_id ? m->user_id : "");
    vg_message_add_header(copy, "x-virt-grow-time", when);
    vg_message_add_header(copy, "x-virt-grow-redelivered", m->redelivered ? "true" : "false");
    if (m->reply_to && *m->reply_to) {
        g_autoptr(VgWireReply) r = vg_wire_reply_new(id, d->c->node, status, reason);
        g_autofree char *text = vg_wire_reply_text(d->schema, r, NULL);
        g_autoptr(Delivery) dl = delivery_of(m, d->gen);
        if (text) {
            g_autoptr(VgMessage) rm = reply_message(text, dl->correlation_id);
            if (!publish(d, "", m->reply_to, rm, 0))
                return;
        }
    }
    publish(d, DEAD_EXCHANGE, d->c->node, copy, m->delivery_tag);
}
static void on_confirm(Daemon *d, const VgEvent *ev)
{
    g_autoptr(GList) keys = g_hash_table_get_keys(d->confirms);
    for (GList *k = keys; k; k = k->next) {
        uint64_t seq = *(uint64_t *)k->data;
        if (seq != ev->tag && !(ev->multiple && seq < ev->tag))
            continue;
        uint64_t tag = *(uint64_t *)g_hash_table_lookup(d->confirms, k->data);
        g_hash_table_remove(d->confirms, k->data);
        if (!tag || !d->link)
            continue;
        g_autoptr(GError) e = NULL;
        /* a nack: the broker could not keep the reply; the request goes
         * back to the queue and its redelivery sends the journal's reply */
        gboolean ok = ev->kind == VG_EVENT_ACK ? vg_link_ack(d->link, CH_CONSUME, tag, &e)
                                               : vg_link_reject(d->link, CH_CONSUME, tag, TRUE, &e);
        if (!ok) {
            disconnect(d, e);
            return;
        }
    }
}

/* ---- requests ---- */

static void log_request(const VgWireRequest *r, const char *user, const char *how,
                        VgWireStatus status, int exit, const char *error, gint64 since)
{
    double secs = (double)(g_get_monotonic_time() - since) / G_USEC_PER_SEC;
    vgd_log(status == VG_STATUS_GROWN || status == VG_STATUS_NOTHING ? LOG_INFO : LOG_NOTICE,
            "request %s from %s: domain %s disk %s size %" G_GUINT64_FORMAT ": %s%s (exit %d, "
            "%.1f s)%s%s", r->id, user, r->domain, r->disk, r->size, how,
            vg_wire_status_name(status), exit, secs, error ? ": " : "", error ? error : "");
}

/* A finished grow: its reply to every delivery of its id. */
static void on_job_done(Daemon *d, VgdJob *job)
{
    g_autoptr(GPtrArray) dls = NULL;
    g_autofree char *key = NULL;
    g_hash_table_steal_extended(d->inflight, job->req->id, (gpointer *)&key, (gpointer *)&dls);
    if (job->not_started) {
        /* the stop came before its grow began: for the next start (or
         * another node's daemon on this queue), untouched */
        vgd_log(LOG_INFO, "request %s from %s: domain %s disk %s size %" G_GUINT64_FORMAT
                ": not begun before the stop: back to the queue", job->req->id,
                job->requester, job->req->domain, job->req->disk, job->req->size);
        for (guint i = 0; dls && i < dls->len; i++) {
            const Delivery *dl = dls->pdata[i];
            g_autoptr(GError) e = NULL;
            if (d->link && dl->gen == d->gen &&
                !vg_link_reject(d->link, CH_CONSUME, dl->tag, TRUE, &e)) {
                disconnect(d, e);
                break;
            }
        }
        vgd_job_free(job);
        return;
    }
    log_request(job->req, job->requester, "", job->status, job->exit, job->error,
                job->received);
    for (guint i = 0; dls && i < dls->len; i++)
        answer(d, dls->pdata[i], job->reply);
    vgd_job_free(job);
}

static gboolean is_uuid_text(const char *s)
{
    if (!s || strlen(s) != 36)
        return FALSE;
    for (int i = 0; i < 36; i++)
        if ((i == 8 || i == 13 || i == 18 || i == 23) ? s[i] != '-' : !g_ascii_isxdigit(s[i]))
            return FALSE;
    return TRUE;
}

static void on_request(Daemon *d, VgMessage *m)
{
    g_autoptr(GError) e = NULL;
    g_autofree char *id = NULL;
    g_autofree char *why = NULL;
    gsize len = 0;
    const char *body = g_bytes_get_data(m->body, &len);
    const VgdRequester *rule = NULL;
    const char *msg_id = is_uuid_text(m->message_id) ? m->message_id : NULL;

    if (d->stopping) {
        /* past basic.cancel: back to the queue for the next start */
        vgd_log(LOG_INFO, "message %s from %s: arrived while stopping: back to the queue",
                msg_id ? msg_id : "(no message_id)", m->user_id ? m->user_id : "(no user_id)");
        if (!vg_link_reject(d->link, CH_CONSUME, m->delivery_tag, TRUE, &e))
            disconnect(d, e);
        return;
    }
    g_autoptr(VgWireRequest) req = vg_wire_request_parse(d->schema, body, len, &id, &e);
    if (!req) {
        dead_letter(d, m, id ? id : msg_id, vg_wire_rule_name((VgWireErrorCode)e->code),
                    e->message, VG_STATUS_REFUSED);
        return;
    }
    if (m->message_id && strcmp(m->message_id, req->id)) {
        g_autofree char *t = g_strdup_printf("malformed request: the message's message_id "
                                             "(%.64s) is not its id", m->message_id);
        dead_letter(d, m, req->id, "malformed", t, VG_STATUS_REFUSED);
        return;
    }
    if ((why = vgd_policy_requester(d->c, m->user_id, &rule))) {
        dead_letter(d, m, req->id, "requester", why, VG_STATUS_REFUSED);
        return;
    }

    /* answered before: the recorded reply, nothing run again */
    g_autofree char *who = NULL;
    g_autofree char *recorded = vgd_journal_reply(d->journal, req->id, &who);
    if (recorded && strcmp(who, m->user_id)) {
        dead_letter(d, m, req->id, "duplicate-id", "refused: this id was used before by "
                    "another requester", VG_STATUS_REFUSED);
        return;
    }
    g_autoptr(Delivery) dl = delivery_of(m, d->gen);
    if (recorded) {
        vgd_log(LOG_INFO, "request %s from %s: %s: answered before, the recorded reply sent "
                "again", req->id, m->user_id, m->redelivered ? "redelivered" : "a duplicate");
        answer(d, dl, recorded);
        return;
    }
    /* running now (a duplicate, or redelivered after a reconnection while
     * its grow went on): answered when it ends */
    GPtrArray *waiting = g_hash_table_lookup(d->inflight, req->id);
    if (waiting && waiting->len && g_strcmp0(((Delivery *)waiting->pdata[0])->user, m->user_id)) {
        dead_letter(d, m, req->id, "duplicate-id", "refused: this id is in use by another "
                    "requester", VG_STATUS_REFUSED);
        return;
    }
    if (waiting) {
        vgd_log(LOG_INFO, "request %s from %s: %s while it runs: answered when it ends",
                req->id, m->user_id, m->redelivered ? "redelivered" : "a duplicate");
        g_ptr_array_add(waiting, g_steal_pointer(&dl));
        return;
    }

    g_autoptr(VgdJob) job = vgd_job_new(g_steal_pointer(&req), m->user_id, rule);
    VgWireStatus early = VG_STATUS_GROWN;
    g_autofree char *early_why = NULL;
    unsigned starts = vgd_journal_starts(d->journal, job->req->id);
    if (g_get_real_time() / G_USEC_PER_SEC > job->req->not_after) {
        early = VG_STATUS_EXPIRED;
        early_why = g_strdup_printf("expired: not-after %" G_GINT64_FORMAT " passed (now %"
                                    G_GINT64_FORMAT ") before the request was received; "
                                    "nothing was done", job->req->not_after,
                                    g_get_real_time() / G_USEC_PER_SEC);
    } else if ((early_why = vgd_policy_size(d->c, rule, job->req->size))) {
        early = VG_STATUS_REFUSED;
    } else if (starts >= d->c->delivery_limit) {
        early = VG_STATUS_FAILED;
        early_why = g_strdup_printf("started %u times without finishing (did the node stop in "
                                    "the middle?): [daemon] delivery-limit=%u reached, not run "
                                    "again", starts, d->c->delivery_limit);
    }
    if (early != VG_STATUS_GROWN) {
        if (!vgd_job_answer(job, d->c, d->schema, d->journal, early, early_why, &e))
            vgd_log(LOG_ERR, "request %s: %s", job->req->id, e->message);
        if (early != VG_STATUS_FAILED)  /* a dead letter has its own line */
            log_request(job->req, job->requester, "", job->status, job->exit, job->error,
                        job->received);
        if (early == VG_STATUS_FAILED) {
            dead_letter(d, m, job->req->id, "delivery-limit", early_why, VG_STATUS_FAILED);
            return;
        }
        answer(d, dl, job->reply);
        return;
    }
    GPtrArray *dls = g_ptr_array_new_with_free_func((GDestroyNotify)delivery_free);
    g_ptr_array_add(dls, g_steal_pointer(&dl));
    g_hash_table_insert(d->inflight, g_strdup(job->req->id), dls);
    vgd_workers_push(d->workers, g_steal_pointer(&job));
}

static void on_event(Daemon *d, VgEvent *ev)
{
    switch (ev->kind) {
    case VG_EVENT_DELIVERY:
        if (ev->channel == CH_CONSUME)
            on_request(d, ev->msg);
        break;
    case VG_EVENT_ACK:
    case VG_EVENT_NACK:
        if (ev->channel == CH_PUBLISH)
            on_confirm(d, ev);
        break;
    case VG_EVENT_CANCELLED: {
        g_autoptr(GError) e = g_error_new(VG_BROKER_ERROR, 0,
                                          "the broker cancelled our consumer (was the queue "
                                          "%s deleted?)", d->queue);
        disconnect(d, e);
        break;
    }
    case VG_EVENT_RETURN:
        break;  /* replies are not mandatory */
    }
}

/* ---- the loop ---- */

static void begin_stop(Daemon *d, const char *signal_name)
{
    if (d->stopping)
        return;
    d->stopping = TRUE;
    d->stop_deadline = g_get_monotonic_time() + (gint64)d->c->stop_timeout_s * G_USEC_PER_SEC;
    vgd_log(LOG_INFO, "%s: no new requests; waiting up to %u s for %u running", signal_name,
            d->c->stop_timeout_s, vgd_workers_busy(d->workers));
    vgd_workers_stop(d->workers);
    /* systemd's stop timeout (the unit's TimeoutStopSec=) stretched to ours */
    vgd_notify("STOPPING=1\nEXTEND_TIMEOUT_USEC=%" G_GUINT64_FORMAT,
               ((guint64)d->c->stop_timeout_s + 30) * G_USEC_PER_SEC);
    if (d->link) {
        g_autoptr(GError) e = NULL;
        if (!vg_link_cancel(d->link, CH_CONSUME, &e))
            disconnect(d, e);
    }
}

static void read_signals(Daemon *d)
{
    struct signalfd_siginfo si;
    while (read(d->sigfd, &si, sizeof(si)) == sizeof(si))
        begin_stop(d, si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
}

static int poll_timeout_ms(Daemon *d)
{
    /* heartbeats are sent and checked only inside rabbitmq-c's calls */
    int ms = (int)MIN(1000u, d->c->heartbeat_s * 1000u / 4);
    if (d->link && vg_link_pending(d->link) && !d->idle_read)
        return 0;
    if (!d->link && !d->stopping) {
        gint64 left = (d->next_connect - g_get_monotonic_time()) / 1000;
        ms = (int)CLAMP(left, 0, 1000);
    }
    return ms;
}

static int loop(Daemon *d)
{
    for (;;) {
        if (d->stopping && !vgd_workers_busy(d->workers) &&
            (!d->link || !g_hash_table_size(d->confirms)))
            return 0;
        if (d->stopping && g_get_monotonic_time() > d->stop_deadline) {
            vgd_log(LOG_WARNING, "stop-timeout passed with %u grows running: exiting; their "
                    "requests go back to the queue (a redelivery finds a finished one in the "
                    "journal)", vgd_workers_busy(d->workers));
            return 1;
        }
        if (!d->link && !d->stopping && g_get_monotonic_time() >= d->next_connect)
            try_connect(d);

        struct pollfd p[3] = {
            { .fd = d->sigfd, .events = POLLIN },
            { .fd = vgd_workers_fd(d->workers), .events = POLLIN },
            { .fd = d->link ? vg_link_fd(d->link) : -1, .events = POLLIN },
        };
        if (poll(p, 3, poll_timeout_ms(d)) < 0 && errno != EINTR) {
            vgd_log(LOG_ERR, "poll: %s", g_strerror(errno));
            return 1;
        }
        read_signals(d);
        VgdJob *job;
        while ((job = vgd_workers_pop(d->workers)))
            on_job_done(d, job);
        /* whatever the link has (and heartbeats sent when due) */
        for (int i = 0; d->link && i < EVENTS_PER_ROUND; i++) {
            g_autoptr(GError) e = NULL;
            VgEvent ev;
            int r = vg_link_next_event(d->link, 0, &ev, &e);
            d->idle_read = r == 0;
            if (r < 0)
                disconnect(d, e);
            if (r <= 0)
                break;
            on_event(d, &ev);
            vg_event_clear(&ev);
        }
    }
}

int vgd_daemon_run(VgdConfig *c, int signal_fd)
{
    g_autoptr(GError) e = NULL;
    Daemon d = { .c = c, .sigfd = signal_fd };
    int status = 1;

    if (!(d.schema = vg_schema_load(vg_wire_schema_path(), &e))) {
        vgd_log(LOG_ERR, "%s", e->message);
        return 1;
    }
    if (!(d.journal = vgd_journal_open(c->state_dir, c->journal_size, &e))) {
        vgd_log(LOG_ERR, "%s", e->message);
        vg_schema_free(d.schema);
        return 1;
    }
    d.queue = g_strdup_printf("%s.%s", EXCHANGE, c->node);
    d.dead_queue = g_strdup_printf("%s.%s", DEAD_EXCHANGE, c->node);
    g_autofree char *name = g_strdup_printf("virt-growd %s", c->node);
    d.lopt = (VgLinkOptions){
        .url = &c->url, .password = c->password, .ca_file = c->ca_file,
        .cert_file = c->cert_file, .key_file = c->key_file, .heartbeat_s = c->heartbeat_s,
        .timeout_s = 30, .name = name,
    };
    d.inflight = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                       (GDestroyNotify)g_ptr_array_unref);
    d.confirms = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
    d.workers = vgd_workers_new(c, d.journal, d.schema);
    vgd_log(LOG_INFO, "node %s: %u requesters, unowned domains %s, %u at once, journal %s "
            "(%u finished requests remembered)", c->node, c->requesters->len,
            c->unowned_allow ? "allowed" : "denied", c->concurrency, c->state_dir,
            vgd_journal_size(d.journal));
    vgd_notify("READY=1");

    status = loop(&d);
    if (d.link)
        vg_link_free(d.link);
    if (status != 0) {
        /* grows still run (stop-timeout): the process ends under them,
         * their requests return to the queue */
        vgd_log(LOG_INFO, "stopped");
        return status;
    }
    vgd_workers_free(d.workers);
    g_hash_table_unref(d.inflight);
    g_hash_table_unref(d.confirms);
    vgd_journal_free(d.journal);
    vg_schema_free(d.schema);
    g_free(d.queue);
    g_free(d.dead_queue);
    vgd_log(LOG_INFO, "stopped");
    return status;
}
