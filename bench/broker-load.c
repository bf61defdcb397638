/* qg-broker-load: the request path's load generator (bench/broker-bench.sh).
 * As a cloud's API would: one connection, direct replies, N grow requests
 * spread over the nodes' domains, at most WINDOW unanswered at once and
 * never two for one domain (each asks for a size one step above the
 * domain's last, so that every request grows).  It times each request
 * from its publish to its reply, checks that every request is answered
 * exactly once, and prints one JSON object:
 *   {"requests", "seconds", "per-second", "p50-ms", "p99-ms", "max-ms",
 *    "statuses": {...}, "unanswered", "duplicates", "strangers"}
 *   qg-broker-load URL PASSWORD-FILE PROJECT REQUESTS WINDOW START-BYTES STEP-BYTES
 *                  NODE:DOMAIN...
 * Exit 0 when every request was answered exactly once and grown.
 * A benchmark tool, never installed. */
#include "amqp-link.h"
#include "wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *node, *domain;
    gboolean busy;
    uint64_t size;
} Target;

typedef struct {
    gint64 sent;
    int answers;
} Pending;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    g_autoptr(GError) e = NULL;
    if (argc < 9) {
        fprintf(stderr, "usage: qg-broker-load URL PASSWORD-FILE PROJECT REQUESTS WINDOW "
                        "START-BYTES STEP-BYTES NODE:DOMAIN...\n");
        return 2;
    }
    const char *project = argv[3];
    int total = atoi(argv[4]), window = atoi(argv[5]);
    uint64_t start = g_ascii_strtoull(argv[6], NULL, 10), step = g_ascii_strtoull(argv[7], NULL, 10);
    int ntargets = argc - 8;
    Target *t = g_new0(Target, ntargets);
    for (int i = 0; i < ntargets; i++) {
        g_auto(GStrv) nd = g_strsplit(argv[8 + i], ":", 2);
        t[i].node = g_strdup(nd[0]);
        t[i].domain = g_strdup(nd[1]);
        t[i].size = start;
    }

    g_autoptr(VgSchema) schema = vg_schema_load(vg_wire_schema_path(), &e);
    g_auto(VgBrokerUrl) url = { 0 };
    g_autofree char *pw = NULL;
    if (!schema || !vg_broker_url_parse(argv[1], &url, &e) ||
        !(pw = vg_password_file_read(argv[2], &e))) {
        fprintf(stderr, "qg-broker-load: %s\n", e->message);
        return 2;
    }
    VgLinkOptions lo = { .url = &url, .password = pw, .heartbeat_s = 30, .timeout_s = 30,
                         .name = "qg-broker-load" };
    g_autoptr(VgLink) l = vg_link_open(&lo, &e);
    if (!l || !vg_link_channel_open(l, 1, &e) || !vg_link_confirm_select(l, 1, &e) ||
        !vg_link_consume(l, 1, "amq.rabbitmq.reply-to", TRUE, &e)) {
        fprintf(stderr, "qg-broker-load: %s\n", e->message);
        return 2;
    }

    GHashTable *pending = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    GHashTable *owner = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    GHashTable *statuses = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    double *lat = g_new0(double, total);
    int sent = 0, answered = 0, outstanding = 0, duplicates = 0, strangers = 0, next = 0;
    gint64 t0 = g_get_monotonic_time(), deadline = t0 + 1800 * G_USEC_PER_SEC;

    while (answered < total && g_get_monotonic_time() < deadline) {
        /* fill the window: the next domain with nothing outstanding */
        while (sent < total && outstanding < window) {
            int pick = -1;
            for (int k = 0; k < ntargets && pick < 0; k++) {
                int c = (next + k) % ntargets;
                if (!t[c].busy)
                    pick = c;
            }
            if (pick < 0)
                break;
            next = (pick + 1) % ntargets;
            t[pick].size += step;
            g_autoptr(VgWireRequest) r = g_new0(VgWireRequest, 1);
            r->id = g_uuid_string_random();
            r->project = g_strdup(project);
            r->domain = g_strdup(t[pick].domain);
            r->disk = g_strdup("vdb");
            r->size = t[pick].size;
            r->not_after = g_get_real_time() / G_USEC_PER_SEC + 600;
            g_autofree char *body = vg_wire_request_text(schema, r, &e);
            g_autoptr(VgMessage) m = vg_message_new();
            m->body = g_bytes_new(body, strlen(body));
            m->content_type = g_strdup("application/json");
            m->message_id = g_strdup(r->id);
            m->correlation_id = g_strdup(r->id);
            m->reply_to = g_strdup("amq.rabbitmq.reply-to");
            m->user_id = g_strdup(url.user);
            m->persistent = TRUE;
            Pending *p = g_new0(Pending, 1);
            p->sent = g_get_monotonic_time();
            g_hash_table_insert(pending, g_strdup(r->id), p);
            g_hash_table_insert(owner, g_strdup(r->id), GINT_TO_POINTER(pick));
            /* mandatory and confirmed, as virt-grow --broker publishes */
            if (!vg_link_publish_confirmed(l, 1, "virt-grow", t[pick].node, TRUE, m, 30000, &e)) {
                fprintf(stderr, "qg-broker-load: %s\n", e->message);
                return 2;
            }
            t[pick].busy = TRUE;
            sent++;
            outstanding++;
        }
        VgEvent ev;
        int r = vg_link_next_event(l, 1000, &ev, &e);
        if (r < 0) {
            fprintf(stderr, "qg-broker-load: %s\n", e->message);
            return 2;
        }
        if (r == 0)
            continue;
        if (ev.kind == VG_EVENT_DELIVERY) {
            gsize len;
            const char *b = g_bytes_get_data(ev.msg->body, &len);
            g_autoptr(VgWireReply) rep = vg_wire_reply_parse(schema, b, len, NULL);
            Pending *p = ev.msg->correlation_id ? g_hash_table_lookup(pending, ev.msg->correlation_id)
                                                : NULL;
            if (!p || !rep) {
                strangers++;
            } else if (p->answers++) {
                duplicates++;
            } else {
                lat[answered++] = (double)(g_get_monotonic_time() - p->sent) / 1000.0;
                outstanding--;
                t[GPOINTER_TO_INT(g_hash_table_lookup(owner, ev.msg->correlation_id))].busy = FALSE;
                const char *s = vg_wire_status_name(rep->status);
                g_hash_table_insert(statuses, g_strdup(s),
                                    GINT_TO_POINTER(GPOINTER_TO_INT(g_hash_table_lookup(statuses, s)) + 1));
            }
        }
        vg_event_clear(&ev);
    }
    /* late duplicates: a little longer */
    gint64 until = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;
    double secs = (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC;
    while (g_get_monotonic_time() < until) {
        VgEvent ev;
        if (vg_link_next_event(l, 200, &ev, NULL) == 1) {
            if (ev.kind == VG_EVENT_DELIVERY)
                duplicates++;
            vg_event_clear(&ev);
        }
    }
    qsort(lat, (size_t)answered, sizeof(double), cmp_double);
    double p50 = answered ? lat[answered / 2] : 0;
    double p99 = answered ? lat[MIN(answered - 1, (int)(answered * 0.99))] : 0;
    double max = answered ? lat[answered - 1] : 0;
    printf("{\"requests\": %d, \"window\": %d, \"seconds\": %.2f, \"per-second\": %.1f, "
           "\"p50-ms\": %.1f, \"p99-ms\": %.1f, \"max-ms\": %.1f, \"statuses\": {",
           total, window, secs, answered / secs, p50, p99, max);
    GHashTableIter it;
    gpointer k, v;
    int first = 1, grown = 0;
    g_hash_table_iter_init(&it, statuses);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        printf("%s\"%s\": %d", first ? "" : ", ", (char *)k, GPOINTER_TO_INT(v));
        if (!strcmp(k, "grown"))
            grown = GPOINTER_TO_INT(v);
        first = 0;
    }
    printf("}, \"unanswered\": %d, \"duplicates\": %d, \"strangers\": %d}\n", total - answered,
           duplicates, strangers);
    return answered == total && !duplicates && !strangers && grown == total ? 0 : 1;
}
