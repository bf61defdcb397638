/* virt-grow --broker.  See broker-client.h and virt-growd(8) for the wire. */
#include "broker-client.h"
#include "amqp-link.h"
#include "grow.h"
#include "report-parse.h"
#include "report.h"
#include "wire.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#define REPLY_TO "amq.rabbitmq.reply-to"

static int fail(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

static int fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    fprintf(stderr, "virt-grow: %s\nvirt-grow: nothing was sent\n", msg);
    return VG_EXIT_ERROR;
}

/* A relative size, read where it can be: through libvirt at -c URI (the
 * same plan a dry run makes).  FALSE with why. */
static gboolean resolve_relative(const VgOptions *opt, uint64_t *size, char **why)
{
    g_autoptr(GError) e = NULL;
    if (!opt->uri) {
        *why = g_strdup_printf("a relative size (%s) cannot be sent: the disk's size is read "
                               "only where it is, on node %s, and sizes on the wire are "
                               "absolute so that a request delivered twice can never grow "
                               "twice; give the new size (20G), or -c URI to read the size "
                               "through libvirt first", opt->size, opt->broker.node);
        return FALSE;
    }
    g_autoptr(VgRequest) req = vg_request_new(opt->uri, opt->domain, opt->disk, opt->size, &e);
    if (!req) {
        *why = g_strdup(e->message);
        return FALSE;
    }
    if (virInitialize() < 0) {
        *why = g_strdup("cannot initialize libvirt");
        return FALSE;
    }
    virConnectPtr conn = virConnectOpenReadOnly(opt->uri);
    if (!conn) {
        *why = g_strdup_printf("a relative size (%s) needs the disk's size: cannot connect to "
                               "%s: %s", opt->size, opt->uri, vg_libvirt_error());
        return FALSE;
    }
    VgSettings set = { .dry_run = TRUE, .timeout_s = MIN(opt->timeout_s, 30u),
                       .qga_grow = "qga-grow" };
    g_autoptr(VgOutcome) o = vg_grow_one(conn, req, &set);
    virConnectClose(conn);
    if (o->exit == VG_EXIT_ERROR || !o->size_target) {
        *why = g_strdup_printf("a relative size (%s) needs the disk's size: %s", opt->size,
                               o->message ? o->message : "unknown");
        return FALSE;
    }
    *size = o->size_target;
    return TRUE;
}

/* The node's own report, exactly, for --json (NULL: none came). */
static char *report_text(JsonNode *report)
{
    if (!report)
        return NULL;
    g_autoptr(JsonGenerator) g = json_generator_new();
    json_generator_set_root(g, report);
    json_generator_set_pretty(g, TRUE);
    return json_generator_to_data(g, NULL);
}

/* Wait for the reply whose correlation_id is @id. */
static VgWireReply *wait_reply(VgLink *l, const VgSchema *schema, const char *id,
                               gint64 until, GError **error)
{
    for (;;) {
        VgEvent ev;
        gint64 left = (until - g_get_monotonic_time()) / 1000;
        int r = left > 0 ? vg_link_next_event(l, (int)MIN(left, 1000), &ev, error) : 0;
        if (r < 0)
            return NULL;
        if (r == 0) {
            if (g_get_monotonic_time() < until)
                continue;
            g_set_error(error, VG_ERROR, VG_ERROR_TIMEOUT, "no reply");
            return NULL;
        }
        if (ev.kind == VG_EVENT_DELIVERY && ev.msg->correlation_id &&
            !strcmp(ev.msg->correlation_id, id)) {
            gsize len;
            const char *body = g_bytes_get_data(ev.msg->body, &len);
            VgWireReply *reply = vg_wire_reply_parse(schema, body, len, error);
            vg_event_clear(&ev);
            return reply;
        }
        vg_event_clear(&ev);
    }
}

int vg_broker_client_run(const VgOptions *opt)
{
    const VgBrokerOpts *b = &opt->broker;
    g_autoptr(GError) e = NULL;
    g_auto(VgBrokerUrl) url = { 0 };
    g_autofree char *password = NULL;
    VgSizeSpec spec;
    uint64_t size;

    signal(SIGPIPE, SIG_IGN);  /* a lost connection is reported, never a death */
    g_autoptr(VgSchema) schema = vg_schema_load(vg_wire_schema_path(), &e);
    if (!schema)
        return fail("%s", e->message);
    if (!vg_size_spec_parse(opt->size, &spec, &e))
        return fail("%s", e->message);
    if (spec.relative) {
        g_autofree char *why = NULL;
        if (!resolve_relative(opt, &size, &why))
            return fail("%s", why);
    } else {
        size = spec.bytes;
    }
    if (!vg_broker_url_parse(b->url, &url, &e) || !vg_broker_url_check_plain(&url, &e))
        return fail("%s", e->message);
    if (!url.user)
        return fail("--broker %s names no user: the request's user_id is the broker user "
                    "that asks (amqps://USER@HOST/)", b->url);
    if (b->password_file && url.password)
        return fail("the password is in --broker's URL and in --broker-password-file: give "
                    "one");
    if (b->password_file && !(password = vg_password_file_read(b->password_file, &e)))
        return fail("%s", e->message);

    g_autoptr(VgWireRequest) wr = g_new0(VgWireRequest, 1);
    wr->id = g_uuid_string_random();
    wr->project = g_strdup(b->project);
    wr->domain = g_strdup(opt->domain);
    wr->disk = g_strdup(opt->disk);
    wr->size = size;
    wr->not_after = g_get_real_time() / G_USEC_PER_SEC + opt->timeout_s;
    wr->timeout_s = opt->timeout_s;
    wr->guest = opt->guest;
    wr->guest.key_file = g_strdup(opt->guest.key_file);
    wr->guest.lv = g_strdup(opt->guest.lv);
    g_autofree char *body = vg_wire_request_text(schema, wr, &e);
    if (!body)
        return fail("the request does not match %s: %s", vg_schema_path(schema), e->message);

    gint64 until = g_get_monotonic_time() + (gint64)opt->timeout_s * G_USEC_PER_SEC;
    g_autofree char *name = g_strdup_printf("virt-grow --broker (request %s)", wr->id);
    VgLinkOptions lo = { .url = &url, .password = password, .ca_file = b->ca_file,
                         .cert_file = b->cert_file, .key_file = b->key_file,
                         .heartbeat_s = MIN(opt->timeout_s, 60u), .timeout_s = 30,
                         .name = name };
    g_autoptr(VgLink) l = vg_link_open(&lo, &e);
    if (!l || !vg_link_channel_open(l, 1, &e) || !vg_link_confirm_select(l, 1, &e) ||
        !vg_link_consume(l, 1, REPLY_TO, TRUE, &e))
        return fail("%s", e->message);
    g_autoptr(VgMessage) m = vg_message_new();
    m->body = g_bytes_new(body, strlen(body));
    m->content_type = g_strdup("application/json");
    m->message_id = g_strdup(wr->id);
    m->correlation_id = g_strdup(wr->id);
    m->reply_to = g_strdup(REPLY_TO);
    m->user_id = g_strdup(url.user);
    m->app_id = g_strdup("virt-grow");
    m->persistent = TRUE;
    m->timestamp = (uint64_t)(g_get_real_time() / G_USEC_PER_SEC);
    if (!vg_link_publish_confirmed(l, 1, "virt-grow", b->node, TRUE, m, 30000, &e)) {
        if (strstr(e->message, "NO_ROUTE"))
            return fail("node %s is unknown to the broker: no queue takes its requests on "
                        "exchange virt-grow (is virt-growd running there, with node=%s?)",
                        b->node, b->node);
        return fail("%s", e->message);
    }

    g_autoptr(VgWireReply) reply = wait_reply(l, schema, wr->id, until, &e);
    if (!reply) {
        fprintf(stderr, "virt-grow: %s from node %s within %u s (--timeout): request %s was "
                "published and may still run there; it never starts after not-after %"
                G_GINT64_FORMAT "\n",
                g_error_matches(e, VG_ERROR, VG_ERROR_TIMEOUT) ? "no reply" : e->message,
                b->node, opt->timeout_s, wr->id, wr->not_after);
        return VG_EXIT_UNCONFIRMED;
    }

    /* the node's report, printed as a local run prints it; a refusal by
     * the node's own rules has none: its error stands alone */
    g_autoptr(VgRequest) req = NULL;
    g_autoptr(VgOutcome) o = NULL;
    if (reply->report && !(o = vg_report_parse(reply->report, &req, &e))) {
        fprintf(stderr, "virt-grow: node %s answered %s, with a report that does not read: "
                "%s\n", b->node, vg_wire_status_name(reply->status), e->message);
        return reply->exit;
    }
    if (!o) {
        req = vg_request_new(NULL, opt->domain, opt->disk, opt->size, NULL);
        if (!req)
            return fail("the request's words no longer read");
        o = vg_outcome_new(req, FALSE);
        o->exit = (VgExit)reply->exit;
        o->message = g_strdup_printf("node %s: %s", b->node,
                                     reply->error ? reply->error
                                                  : vg_wire_status_name(reply->status));
    }
    g_autofree char *text = opt->json ? report_text(reply->report) : NULL;
    vg_report_print(o, opt->json, opt->quiet, TRUE, text);
    fflush(stdout);
    return reply->exit;
}
