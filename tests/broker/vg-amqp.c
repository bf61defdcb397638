/* The broker tests' own client (never installed): messages that the
 * reference publisher, virt-grow --broker, never sends (malformed bodies,
 * forged or missing user_id, an id published twice), and the queues read
 * back.  Built on the same AMQP link as the daemon.
 *   vg-amqp publish URL KEY FILE|- [--exchange E] [--user-id U] [--no-user-id]
 *           [--message-id M] [--times N] [--replies N] [--timeout S]
 *           [--reply-to Q] [--password-file F] [--ca FILE]
 *     publish the body (N times, mandatory, confirmed) to exchange E
 *     (virt-grow) with routing key KEY; with --replies, wait for that many
 *     replies on direct reply-to and print each body on a line.  user_id
 *     is the URL's user unless given or left out.
 *   vg-amqp declare URL QUEUE
 *     a durable classic queue (for replies that must outlive a connection)
 *   vg-amqp get URL QUEUE [--count N] [--timeout S] [--ca FILE]
 *     take N messages (acknowledged) and print each as a JSON line:
 *     {"body": ..., "headers": {...}, "message_id": ..., "user_id": ...}
 * Exit 0; 1 on a broker error (printed); 3 when the replies or messages
 * did not all come within the timeout. */
#include "amqp-link.h"

#include <json-glib/json-glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *exchange, *user_id, *message_id, *reply_to, *password_file, *ca;
    gboolean no_user_id;
    int times, replies, count, timeout_s;
} Opts;

static int die(const char *what, const GError *e)
{
    fprintf(stderr, "vg-amqp: %s%s%s\n", what, e ? ": " : "", e ? e->message : "");
    return 1;
}

static VgLink *connect_to(const char *url_text, const Opts *o, VgBrokerUrl *url, GError **e)
{
    if (!vg_broker_url_parse(url_text, url, e))
        return NULL;
    g_autofree char *pw = o->password_file ? vg_password_file_read(o->password_file, e) : NULL;
    if (o->password_file && !pw)
        return NULL;
    VgLinkOptions lo = { .url = url, .password = pw, .ca_file = o->ca, .heartbeat_s = 30,
                         .timeout_s = 20, .name = "vg-amqp (tests)" };
    return vg_link_open(&lo, e);
}

static GBytes *read_body(const char *path, GError **e)
{
    if (strcmp(path, "-")) {
        char *text = NULL;
        gsize len = 0;
        if (!g_file_get_contents(path, &text, &len, e))
            return NULL;
        return g_bytes_new_take(text, len);
    }
    GString *s = g_string_new(NULL);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0)
        g_string_append_len(s, buf, (gssize)n);
    return g_string_free_to_bytes(s);
}

static int publish(const char *url_text, const char *key, const char *file, const Opts *o)
{
    g_autoptr(GError) e = NULL;
    g_auto(VgBrokerUrl) url = { 0 };
    g_autoptr(VgLink) l = connect_to(url_text, o, &url, &e);
    if (!l)
        return die("connecting", e);
    g_autoptr(VgMessage) m = vg_message_new();
    if (!(m->body = read_body(file, &e)))
        return die(file, e);
    if (!vg_link_channel_open(l, 1, &e) || !vg_link_confirm_select(l, 1, &e))
        return die("opening a channel", e);
    if (o->replies && !vg_link_consume(l, 1, "amq.rabbitmq.reply-to", TRUE, &e))
        return die("consuming direct replies", e);
    m->content_type = g_strdup("application/json");
    m->persistent = TRUE;
    m->message_id = g_strdup(o->message_id);
    m->correlation_id = g_strdup("vg-amqp");
    m->user_id = g_strdup(o->no_user_id ? NULL : o->user_id ? o->user_id : url.user);
    m->reply_to = g_strdup(o->reply_to ? o->reply_to
                                       : o->replies ? "amq.rabbitmq.reply-to" : NULL);
    for (int i = 0; i < o->times; i++)
        if (!vg_link_publish_confirmed(l, 1, o->exchange, key, TRUE, m, o->timeout_s * 1000, &e))
            return die("publishing", e);
    int got = 0;
    gint64 until = g_get_monotonic_time() + (gint64)o->timeout_s * G_USEC_PER_SEC;
    while (got < o->replies) {
        VgEvent ev;
        gint64 left = (until - g_get_monotonic_time()) / 1000;
        int r = left > 0 ? vg_link_next_event(l, (int)left, &ev, &e) : 0;
        if (r < 0)
            return die("waiting for replies", e);
        if (r == 0) {
            fprintf(stderr, "vg-amqp: %d of %d replies within %d s\n", got, o->replies,
                    o->timeout_s);
            return 3;
        }
        if (ev.kind == VG_EVENT_DELIVERY) {
            gsize len;
            const char *b = g_bytes_get_data(ev.msg->body, &len);
            printf("%.*s\n", (int)len, b);
            fflush(stdout);
            got++;
        }
        vg_event_clear(&ev);
    }
    return 0;
}

static int get(const char *url_text, const char *queue, const Opts *o)
{
    g_autoptr(GError) e = NULL;
    g_auto(VgBrokerUrl) url = { 0 };
    g_autoptr(VgLink) l = connect_to(url_text, o, &url, &e);
    if (!l)
        return die("connecting", e);
    if (!vg_link_channel_open(l, 1, &e) || !vg_link_qos(l, 1, 1, &e) ||
        !vg_link_consume(l, 1, queue, FALSE, &e))
        return die("consuming", e);
    int got = 0;
    gint64 until = g_get_monotonic_time() + (gint64)o->timeout_s * G_USEC_PER_SEC;
    while (got < o->count) {
        VgEvent ev;
        gint64 left = (until - g_get_monotonic_time()) / 1000;
        int r = left > 0 ? vg_link_next_event(l, (int)left, &ev, &e) : 0;
        if (r < 0)
            return die("reading", e);
        if (r == 0) {
            fprintf(stderr, "vg-amqp: %d of %d messages within %d s\n", got, o->count,
                    o->timeout_s);
            return 3;
        }
        if (ev.kind != VG_EVENT_DELIVERY) {
            vg_event_clear(&ev);
            continue;
        }
        g_autoptr(JsonBuilder) b = json_builder_new();
        gsize len;
        const char *body = g_bytes_get_data(ev.msg->body, &len);
        g_autofree char *text = g_strndup(body, len);
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "body");
        json_builder_add_string_value(b, g_utf8_validate(text, -1, NULL) ? text : "(not UTF-8)");
        json_builder_set_member_name(b, "message_id");
        json_builder_add_string_value(b, ev.msg->message_id);
        json_builder_set_member_name(b, "user_id");
        json_builder_add_string_value(b, ev.msg->user_id);
        json_builder_set_member_name(b, "headers");
        json_builder_begin_object(b);
        if (ev.msg->header_table) {
            GHashTableIter it;
            gpointer k, v;
            g_hash_table_iter_init(&it, ev.msg->header_table);
            while (g_hash_table_iter_next(&it, &k, &v)) {
                json_builder_set_member_name(b, k);
                json_builder_add_string_value(b, v);
            }
        }
        json_builder_end_object(b);
        json_builder_end_object(b);
        g_autoptr(JsonNode) root = json_builder_get_root(b);
        g_autofree char *line = json_to_string(root, FALSE);
        printf("%s\n", line);
        fflush(stdout);
        if (!vg_link_ack(l, 1, ev.msg->delivery_tag, &e))
            return die("acknowledging", e);
        vg_event_clear(&ev);
        got++;
    }
    return 0;
}

static int declare(const char *url_text, const char *queue, const Opts *o)
{
    g_autoptr(GError) e = NULL;
    g_auto(VgBrokerUrl) url = { 0 };
    g_autoptr(VgLink) l = connect_to(url_text, o, &url, &e);
    if (!l || !vg_link_channel_open(l, 1, &e) || !vg_link_declare_queue(l, 1, queue, NULL, &e))
        return die("declaring", e);
    return 0;
}

int main(int argc, char **argv)
{
    Opts o = { .exchange = "virt-grow", .times = 1, .count = 1, .timeout_s = 30 };
    const char *words[4];
    int nwords = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define OPT(name, field) \
    if (!strcmp(a, name) && v) { field = v; i++; continue; }
#define INT(name, field) \
    if (!strcmp(a, name) && v) { field = atoi(v); i++; continue; }
        OPT("--exchange", o.exchange)
        OPT("--user-id", o.user_id)
        OPT("--message-id", o.message_id)
        OPT("--reply-to", o.reply_to)
        OPT("--password-file", o.password_file)
        OPT("--ca", o.ca)
        INT("--times", o.times)
        INT("--replies", o.replies)
        INT("--count", o.count)
        INT("--timeout", o.timeout_s)
        if (!strcmp(a, "--no-user-id")) {
            o.no_user_id = TRUE;
            continue;
        }
        if (a[0] == '-' && a[1] == '-') {
            fprintf(stderr, "vg-amqp: unknown option %s\n", a);
            return 2;
        }
        if (nwords < 4)
            words[nwords++] = a;
    }
    if (nwords == 4 && !strcmp(words[0], "publish"))
        return publish(words[1], words[2], words[3], &o);
    if (nwords == 3 && !strcmp(words[0], "declare"))
        return declare(words[1], words[2], &o);
    if (nwords == 3 && !strcmp(words[0], "get"))
        return get(words[1], words[2], &o);
    fprintf(stderr, "usage: vg-amqp publish URL KEY FILE|- [options] | declare URL QUEUE | "
            "get URL QUEUE [options]\n");
    return 2;
}
