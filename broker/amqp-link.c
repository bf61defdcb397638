/* AMQP over rabbitmq-c.  See amqp-link.h. */
#include "amqp-link.h"
#include "vg-error.h"

#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_ssl_socket.h>
#include <amqp_tcp_socket.h>
#include <string.h>
#include <sys/time.h>

#define FRAME_MAX 131072

G_DEFINE_QUARK(vg-broker-error-quark, vg_broker_error)

struct VgLink {
    amqp_connection_state_t conn;
    char *display;
    char *server;
    gboolean open;        /* logged in, not yet failed */
    GQueue pending;       /* VgEvent* read while waiting for something else */
    uint64_t next_seq[4]; /* per channel in confirm mode: the next publish's number */
    gboolean confirming[4];
    unsigned timeout_s;
};

/* ---- messages ---- */

VgMessage *vg_message_new(void)
{
    return g_new0(VgMessage, 1);
}

void vg_message_free(VgMessage *m)
{
    if (!m)
        return;
    if (m->body)
        g_bytes_unref(m->body);
    g_free(m->content_type);
    g_free(m->message_id);
    g_free(m->correlation_id);
    g_free(m->reply_to);
    g_free(m->user_id);
    g_free(m->app_id);
    g_free(m->type);
    if (m->headers)
        g_ptr_array_unref(m->headers);
    if (m->header_table)
        g_hash_table_unref(m->header_table);
    g_free(m->exchange);
    g_free(m->routing_key);
    g_free(m->reply_text);
    g_free(m);
}

void vg_message_add_header(VgMessage *m, const char *name, const char *value)
{
    if (!m->headers)
        m->headers = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(m->headers, g_strdup(name));
    g_ptr_array_add(m->headers, g_strdup(value));
}

void vg_event_clear(VgEvent *e)
{
    vg_message_free(e->msg);
    memset(e, 0, sizeof(*e));
}

static char *bytes_str(amqp_bytes_t b)
{
    return b.bytes ? g_strndup(b.bytes, b.len) : g_strdup("");
}

static char *prop(const amqp_basic_properties_t *p, amqp_flags_t flag, amqp_bytes_t b)
{
    return (p->_flags & flag) ? bytes_str(b) : NULL;
}

static GHashTable *table_to_hash(const amqp_table_t *t)
{
    GHashTable *h = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    for (int i = 0; i < t->num_entries; i++) {
        const amqp_table_entry_t *e = &t->entries[i];
        char *v = NULL;
        switch (e->value.kind) {
        case AMQP_FIELD_KIND_UTF8:
        case AMQP_FIELD_KIND_BYTES: v = bytes_str(e->value.value.bytes); break;
        case AMQP_FIELD_KIND_I8: v = g_strdup_printf("%d", e->value.value.i8); break;
        case AMQP_FIELD_KIND_U8: v = g_strdup_printf("%u", e->value.value.u8); break;
        case AMQP_FIELD_KIND_I16: v = g_strdup_printf("%d", e->value.value.i16); break;
        case AMQP_FIELD_KIND_U16: v = g_strdup_printf("%u", e->value.value.u16); break;
        case AMQP_FIELD_KIND_I32: v = g_strdup_printf("%d", e->value.value.i32); break;
        case AMQP_FIELD_KIND_U32: v = g_strdup_printf("%u", e->value.value.u32); break;
        case AMQP_FIELD_KIND_I64: v = g_strdup_printf("%" G_GINT64_FORMAT, (gint64)e->value.value.i64); break;
        case AMQP_FIELD_KIND_U64:
        case AMQP_FIELD_KIND_TIMESTAMP:
            v = g_strdup_printf("%" G_GUINT64_FORMAT, (guint64)e->value.value.u64);
            break;
        case AMQP_FIELD_KIND_BOOLEAN: v = g_strdup(e->value.value.boolean ? "true" : "false"); break;
        default: v = g_strdup("(not text)"); break;
        }
        g_hash_table_replace(h, bytes_str(e->key), v);
    }
    return h;
}

static VgMessage *message_from_amqp(const amqp_message_t *am)
{
    const amqp_basic_properties_t *p = &am->properties;
    VgMessage *m = vg_message_new();
    m->body = g_bytes_new(am->body.bytes, am->body.len);
    m->content_type = prop(p, AMQP_BASIC_CONTENT_TYPE_FLAG, p->content_type);
    m->message_id = prop(p, AMQP_BASIC_MESSAGE_ID_FLAG, p->message_id);
    m->correlation_id = prop(p, AMQP_BASIC_CORRELATION_ID_FLAG, p->correlation_id);
    m->reply_to = prop(p, AMQP_BASIC_REPLY_TO_FLAG, p->reply_to);
    m->user_id = prop(p, AMQP_BASIC_USER_ID_FLAG, p->user_id);
    m->app_id = prop(p, AMQP_BASIC_APP_ID_FLAG, p->app_id);
    m->type = prop(p, AMQP_BASIC_TYPE_FLAG, p->type);
    m->persistent = (p->_flags & AMQP_BASIC_DELIVERY_MODE_FLAG) && p->delivery_mode == 2;
    if (p->_flags & AMQP_BASIC_TIMESTAMP_FLAG)
        m->timestamp = p->timestamp;
    if (p->_flags & AMQP_BASIC_HEADERS_FLAG)
        m->header_table = table_to_hash(&p->headers);
    return m;
}

/* ---- errors ---- */

static gboolean G_GNUC_PRINTF(3, 4) link_fail(VgLink *l, GError **error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(error, VG_BROKER_ERROR, 0, "broker %s: %s",
                l && l->display ? l->display : "", msg);
    return FALSE;
}

/* What a server's close says: "406 PRECONDITION_FAILED - ...". */
static char *close_text(uint16_t code, amqp_bytes_t text)
{
    return g_strdup_printf("%u %.*s", code, (int)text.len, (const char *)text.bytes);
}

/* An RPC's reply as an error; the closes the broker sent answered, and a
 * connection close ends the link. */
static gboolean rpc_ok(VgLink *l, uint16_t ch, amqp_rpc_reply_t r, const char *what,
                       GError **error)
{
    switch (r.reply_type) {
    case AMQP_RESPONSE_NORMAL:
        return TRUE;
    case AMQP_RESPONSE_NONE:
        return link_fail(l, error, "%s: no reply", what);
    case AMQP_RESPONSE_LIBRARY_EXCEPTION:
        l->open = FALSE;
        return link_fail(l, error, "%s: %s", what, amqp_error_string2(r.library_error));
    case AMQP_RESPONSE_SERVER_EXCEPTION:
        if (r.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
            const amqp_channel_close_t *c = r.reply.decoded;
            g_autofree char *t = close_text(c->reply_code, c->reply_text);
            amqp_channel_close_ok_t ok = { 0 };
            amqp_send_method(l->conn, ch, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok);
            if (ch < G_N_ELEMENTS(l->confirming))
                l->confirming[ch] = FALSE;
            return link_fail(l, error, "%s: the broker closed the channel: %s", what, t);
        }
        if (r.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
            const amqp_connection_close_t *c = r.reply.decoded;
            g_autofree char *t = close_text(c->reply_code, c->reply_text);
            amqp_connection_close_ok_t ok = { 0 };
            amqp_send_method(l->conn, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok);
            l->open = FALSE;
            return link_fail(l, error, "%s: the broker closed the connection: %s", what, t);
        }
        return link_fail(l, error, "%s: unexpected method 0x%08x", what, r.reply.id);
    }
    return link_fail(l, error, "%s: failed", what);
}

/* ---- connecting ---- */

static char *table_text(const amqp_table_t *t, const char *key)
{
    for (int i = 0; i < t->num_entries; i++)
        if (t->entries[i].key.len == strlen(key) &&
            !memcmp(t->entries[i].key.bytes, key, t->entries[i].key.len) &&
            (t->entries[i].value.kind == AMQP_FIELD_KIND_UTF8 ||
             t->entries[i].value.kind == AMQP_FIELD_KIND_BYTES))
            return bytes_str(t->entries[i].value.value.bytes);
    return NULL;
}

static void timeval_of(unsigned s, struct timeval *tv)
{
    tv->tv_sec = s ? s : 30;
    tv->tv_usec = 0;
}

VgLink *vg_link_open(const VgLinkOptions *opt, GError **error)
{
    g_autoptr(VgLink) l = g_new0(VgLink, 1);
    const VgBrokerUrl *u = opt->url;
    struct timeval tv;
    amqp_socket_t *sock;
    int st;

    g_queue_init(&l->pending);
    l->display = vg_broker_url_display(u);
    l->timeout_s = opt->timeout_s ? opt->timeout_s : 30;
    if (!vg_broker_url_check_plain(u, error))
        return NULL;
    if (!(l->conn = amqp_new_connection())) {
        link_fail(l, error, "out of memory");
        return NULL;
    }
    if (u->tls) {
        if (!(sock = amqp_ssl_socket_new(l->conn))) {
            link_fail(l, error, "cannot set up TLS");
            return NULL;
        }
        amqp_ssl_socket_set_verify_peer(sock, 1);
        amqp_ssl_socket_set_verify_hostname(sock, 1);
        if ((st = amqp_ssl_socket_set_ssl_versions(sock, AMQP_TLSv1_2, AMQP_TLSvLATEST))) {
            link_fail(l, error, "TLS 1.2 or later: %s", amqp_error_string2(st));
            return NULL;
        }
        const char *ca = opt->ca_file ? opt->ca_file : "/etc/ssl/certs/ca-certificates.crt";
        if ((st = amqp_ssl_socket_set_cacert(sock, ca))) {
            link_fail(l, error, "the CA file %s: %s", ca, amqp_error_string2(st));
            return NULL;
        }
        if (opt->cert_file &&
            (st = amqp_ssl_socket_set_key(sock, opt->cert_file,
                                          opt->key_file ? opt->key_file : opt->cert_file))) {
            link_fail(l, error, "the client certificate %s: %s", opt->cert_file,
                      amqp_error_string2(st));
            return NULL;
        }
    } else if (!(sock = amqp_tcp_socket_new(l->conn))) {
        link_fail(l, error, "cannot make a socket");
        return NULL;
    }
    timeval_of(l->timeout_s, &tv);
    if ((st = amqp_socket_open_noblock(sock, u->host, (int)u->port, &tv))) {
        link_fail(l, error, "cannot connect: %s%s", amqp_error_string2(st),
                  u->tls && (st == AMQP_STATUS_SSL_HOSTNAME_VERIFY_FAILED ||
                             st == AMQP_STATUS_SSL_PEER_VERIFY_FAILED)
                      ? " (the broker's certificate must be signed by the CA file and name the "
                        "host as written in the URL)"
                      : "");
        return NULL;
    }
    amqp_set_handshake_timeout(l->conn, &tv);
    amqp_set_rpc_timeout(l->conn, &tv);

    amqp_table_entry_t props[2];
    props[0].key = amqp_cstring_bytes("connection_name");
    props[0].value.kind = AMQP_FIELD_KIND_UTF8;
    props[0].value.value.bytes = amqp_cstring_bytes(opt->name ? opt->name : "virt-grow");
    props[1].key = amqp_cstring_bytes("product");
    props[1].value.kind = AMQP_FIELD_KIND_UTF8;
    props[1].value.value.bytes = amqp_cstring_bytes("qga-grow " QG_VERSION);
    amqp_table_t client_props = { .num_entries = 2, .entries = props };
    const char *password = opt->password ? opt->password : u->password;
    amqp_rpc_reply_t r = amqp_login_with_properties(
        l->conn, u->vhost, 0, FRAME_MAX, (int)opt->heartbeat_s, &client_props,
        AMQP_SASL_METHOD_PLAIN, u->user ? u->user : "guest", password ? password : "");
    if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
        r.library_error == AMQP_STATUS_CONNECTION_CLOSED) {
        link_fail(l, error, "the broker closed the connection while logging in as %s (a "
                  "wrong password, or no access to virtual host %s)",
                  u->user ? u->user : "guest", u->vhost);
        return NULL;
    }
    if (!rpc_ok(l, 0, r, "logging in", error))
        return NULL;
    l->open = TRUE;
    const amqp_table_t *sp = amqp_get_server_properties(l->conn);
    g_autofree char *product = sp ? table_text(sp, "product") : NULL;
    g_autofree char *version = sp ? table_text(sp, "version") : NULL;
    l->server = g_strdup_printf("%s %s", product ? product : "?", version ? version : "?");
    return g_steal_pointer(&l);
}

void vg_link_free(VgLink *l)
{
    if (!l)
        return;
    if (l->conn) {
        if (l->open)
            amqp_connection_close(l->conn, AMQP_REPLY_SUCCESS);
        amqp_destroy_connection(l->conn);
    }
    VgEvent *e;
    while ((e = g_queue_pop_head(&l->pending))) {
        vg_event_clear(e);
        g_free(e);
    }
    g_free(l->display);
    g_free(l->server);
    g_free(l);
}

const char *vg_link_display(const VgLink *l)
{
    return l->display;
}

const char *vg_link_server(const VgLink *l)
{
    return l->server ? l->server : "";
}

int vg_link_fd(const VgLink *l)
{
    return amqp_get_sockfd(l->conn);
}

gboolean vg_link_pending(const VgLink *l)
{
    return l->pending.length > 0 || amqp_frames_enqueued(l->conn) ||
           amqp_data_in_buffer(l->conn);
}

/* ---- channels and declarations ---- */

gboolean vg_link_channel_open(VgLink *l, uint16_t ch, GError **error)
{
    amqp_channel_open(l->conn, ch);
    if (ch < G_N_ELEMENTS(l->confirming))
        l->confirming[ch] = FALSE;
    return rpc_ok(l, ch, amqp_get_rpc_reply(l->conn), "opening a channel", error);
}

gboolean vg_link_confirm_select(VgLink *l, uint16_t ch, GError **error)
{
    amqp_confirm_select(l->conn, ch);
    if (!rpc_ok(l, ch, amqp_get_rpc_reply(l->conn), "asking for publisher confirms", error))
        return FALSE;
    if (ch < G_N_ELEMENTS(l->confirming)) {
        l->confirming[ch] = TRUE;
        l->next_seq[ch] = 1;
    }
    return TRUE;
}

gboolean vg_link_qos(VgLink *l, uint16_t ch, uint16_t prefetch, GError **error)
{
    amqp_basic_qos(l->conn, ch, 0, prefetch, 0);
    return rpc_ok(l, ch, amqp_get_rpc_reply(l->conn), "setting the prefetch count", error);
}

gboolean vg_link_declare_exchange(VgLink *l, uint16_t ch, const char *name, const char *type,
                                  GError **error)
{
    g_autofree char *what = g_strdup_printf("declaring the exchange %s", name);
    amqp_exchange_declare(l->conn, ch, amqp_cstring_bytes(name), amqp_cstring_bytes(type), 0,
                          1, 0, 0, amqp_empty_table);
    return rpc_ok(l, ch, amqp_get_rpc_reply(l->conn), what, error);
}

gboolean vg_link_declare_queue(VgLink *l, uint16_t ch, const char *name,
                               const char *const *args, GError **error)
{
    g_autofree char *what = g_strdup_printf("declaring the queue %s", name);
    amqp_table_entry_t entries[8];
    int n = 0;

    for (const char *const *a = args; a && a[0] && a[1] && n < 8; a += 2, n++) {
        entries[n].key = amqp_cstring_bytes(a[0]);
        if (*a[1] && strspn(a[1], "0123456789") == strlen(a[1])) {
            entries[n].value.kind = AMQP_FIELD_KIND_I64;
            entries[n].value.value.i64 = (int64_t)g_ascii_strtoll(a[1], NULL, 10);
        } else {
            entries[n].value.kind = AMQP_FIELD_KIND_UTF8;
            entries[n].value.value.bytes = amqp_cstring_bytes(a[1]);
        }
    }
    amqp_table_t t = { .num_entries = n, .entries = entries };
    amqp_queue_declare(l->conn, ch, amqp_cstring_bytes(name), 0, 1, 0, 0, t);
    return rpc_ok(l, ch, amqp_get_rpc_reply(l->conn), what, error);
}

gboolean vg_link_bind(VgLink *l, uint16_t ch, const char *queue, const char *exchange,
                      const char *key, GError **error)
{
    g_autofree char *what = g_strdup_printf("binding the queue %s to %s", queue, exchange);
    amqp_queue_bind(l->conn, ch, amqp_cstring_bytes(queue), amqp_cstring_bytes(exchange),
                    amqp_cstring_bytes(key), amqp_empty_table);
    return rpc_ok(l, ch, amqp_get_rpc_reply(l->conn), what, error);
}

gboolean vg_link_consume(VgLink *l, uint16_t ch, const char *queue, gboolean no_ack,
                         GError **error)
{
    g_autofree char *what = g_strdup_printf("consuming from %s", queue);
    g_autofree char *tag = g_strdup_printf("ch%u", ch);
    amqp_basic_consume(l->conn, ch, amqp_cstring_bytes(queue), amqp_cstring_bytes(tag), 0,
                       no_ack, 0, amqp_empty_table);
    return rpc_ok(l, ch, amqp_get_rpc_reply(l->conn), what, error);
}

gboolean vg_link_cancel(VgLink *l, uint16_t ch, GError **error)
{
    g_autofree char *tag = g_strdup_printf("ch%u", ch);
    amqp_basic_cancel(l->conn, ch, amqp_cstring_bytes(tag));
    return rpc_ok(l, ch, amqp_get_rpc_reply(l->conn), "cancelling the consumer", error);
}

/* ---- publishing, acknowledging ---- */

static amqp_bytes_t str_bytes(const char *s)
{
    return amqp_cstring_bytes(s);
}

gboolean vg_link_publish(VgLink *l, uint16_t ch, const char *exchange, const char *key,
                         gboolean mandatory, const VgMessage *m, uint64_t *seq, GError **error)
{
    amqp_basic_properties_t p = { 0 };
    amqp_table_entry_t headers[16];
    int nh = 0;

    if (m->content_type) {
        p._flags |= AMQP_BASIC_CONTENT_TYPE_FLAG;
        p.content_type = str_bytes(m->content_type);
    }
    if (m->message_id) {
        p._flags |= AMQP_BASIC_MESSAGE_ID_FLAG;
        p.message_id = str_bytes(m->message_id);
    }
    if (m->correlation_id) {
        p._flags |= AMQP_BASIC_CORRELATION_ID_FLAG;
        p.correlation_id = str_bytes(m->correlation_id);
    }
    if (m->reply_to) {
        p._flags |= AMQP_BASIC_REPLY_TO_FLAG;
        p.reply_to = str_bytes(m->reply_to);
    }
    if (m->user_id) {
        p._flags |= AMQP_BASIC_USER_ID_FLAG;
        p.user_id = str_bytes(m->user_id);
    }
    if (m->app_id) {
        p._flags |= AMQP_BASIC_APP_ID_FLAG;
        p.app_id = str_bytes(m->app_id);
    }
    if (m->type) {
        p._flags |= AMQP_BASIC_TYPE_FLAG;
        p.type = str_bytes(m->type);
    }
    if (m->timestamp) {
        p._flags |= AMQP_BASIC_TIMESTAMP_FLAG;
        p.timestamp = m->timestamp;
    }
    p._flags |= AMQP_BASIC_DELIVERY_MODE_FLAG;
    p.delivery_mode = m->persistent ? 2 : 1;
    for (guint i = 0; m->headers && i + 1 < m->headers->len && nh < 16; i += 2, nh++) {
        headers[nh].key = str_bytes(m->headers->pdata[i]);
        headers[nh].value.kind = AMQP_FIELD_KIND_UTF8;
        headers[nh].value.value.bytes = str_bytes(m->headers->pdata[i + 1]);
    }
    if (nh) {
        p._flags |= AMQP_BASIC_HEADERS_FLAG;
        p.headers.num_entries = nh;
        p.headers.entries = headers;
    }
    gsize len = 0;
    const void *data = m->body ? g_bytes_get_data(m->body, &len) : "";
    amqp_bytes_t body = { .len = len, .bytes = (void *)data };
    int st = amqp_basic_publish(l->conn, ch, str_bytes(exchange), str_bytes(key), mandatory, 0,
                                &p, body);
    if (st) {
        l->open = FALSE;
        return link_fail(l, error, "publishing to %s: %s", *exchange ? exchange : key,
                         amqp_error_string2(st));
    }
    if (ch < G_N_ELEMENTS(l->confirming) && l->confirming[ch]) {
        if (seq)
            *seq = l->next_seq[ch];
        l->next_seq[ch]++;
    } else if (seq) {
        *seq = 0;
    }
    return TRUE;
}

gboolean vg_link_ack(VgLink *l, uint16_t ch, uint64_t tag, GError **error)
{
    int st = amqp_basic_ack(l->conn, ch, tag, 0);
    if (st) {
        l->open = FALSE;
        return link_fail(l, error, "acknowledging: %s", amqp_error_string2(st));
    }
    return TRUE;
}

gboolean vg_link_reject(VgLink *l, uint16_t ch, uint64_t tag, gboolean requeue, GError **error)
{
    int st = amqp_basic_reject(l->conn, ch, tag, requeue);
    if (st) {
        l->open = FALSE;
        return link_fail(l, error, "rejecting: %s", amqp_error_string2(st));
    }
    return TRUE;
}

/* ---- incoming frames ---- */

/* The content after a deliver or return method. */
static gboolean read_content(VgLink *l, uint16_t ch, VgMessage **out, GError **error)
{
    amqp_message_t am;
    amqp_rpc_reply_t r = amqp_read_message(l->conn, ch, &am, 0);
    if (!rpc_ok(l, ch, r, "reading a message", error))
        return FALSE;
    *out = message_from_amqp(&am);
    amqp_destroy_message(&am);
    return TRUE;
}

static int frame_to_event(VgLink *l, const amqp_frame_t *f, VgEvent *ev, GError **error)
{
    memset(ev, 0, sizeof(*ev));
    ev->channel = f->channel;
    if (f->frame_type != AMQP_FRAME_METHOD)
        return 0;  /* a stray content frame: nothing to do */
    switch (f->payload.method.id) {
    case AMQP_BASIC_DELIVER_METHOD: {
        const amqp_basic_deliver_t *d = f->payload.method.decoded;
        uint64_t tag = d->delivery_tag;
        gboolean redelivered = d->redelivered;
        g_autofree char *exchange = bytes_str(d->exchange);
        g_autofree char *key = bytes_str(d->routing_key);
        if (!read_content(l, f->channel, &ev->msg, error))
            return -1;
        ev->kind = VG_EVENT_DELIVERY;
        ev->msg->delivery_tag = tag;
        ev->msg->redelivered = redelivered;
        ev->msg->exchange = g_steal_pointer(&exchange);
        ev->msg->routing_key = g_steal_pointer(&key);
        return 1;
    }
    case AMQP_BASIC_RETURN_METHOD: {
        const amqp_basic_return_t *rt = f->payload.method.decoded;
        uint16_t code = rt->reply_code;
        g_autofree char *text = bytes_str(rt->reply_text);
        g_autofree char *exchange = bytes_str(rt->exchange);
        g_autofree char *key = bytes_str(rt->routing_key);
        if (!read_content(l, f->channel, &ev->msg, error))
            return -1;
        ev->kind = VG_EVENT_RETURN;
        ev->msg->reply_code = code;
        ev->msg->reply_text = g_steal_pointer(&text);
        ev->msg->exchange = g_steal_pointer(&exchange);
        ev->msg->routing_key = g_steal_pointer(&key);
        return 1;
    }
    case AMQP_BASIC_ACK_METHOD: {
        const amqp_basic_ack_t *a = f->payload.method.decoded;
        ev->kind = VG_EVENT_ACK;
        ev->tag = a->delivery_tag;
        ev->multiple = a->multiple;
        return 1;
    }
    case AMQP_BASIC_NACK_METHOD: {
        const amqp_basic_nack_t *a = f->payload.method.decoded;
        ev->kind = VG_EVENT_NACK;
        ev->tag = a->delivery_tag;
        ev->multiple = a->multiple;
        return 1;
    }
    case AMQP_BASIC_CANCEL_METHOD:
        ev->kind = VG_EVENT_CANCELLED;
        return 1;
    case AMQP_CHANNEL_CLOSE_METHOD: {
        const amqp_channel_close_t *c = f->payload.method.decoded;
        g_autofree char *t = close_text(c->reply_code, c->reply_text);
        amqp_channel_close_ok_t ok = { 0 };
        amqp_send_method(l->conn, f->channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok);
        if (f->channel < G_N_ELEMENTS(l->confirming))
            l->confirming[f->channel] = FALSE;
        link_fail(l, error, "the broker closed channel %u: %s", f->channel, t);
        return -1;
    }
    case AMQP_CONNECTION_CLOSE_METHOD: {
        const amqp_connection_close_t *c = f->payload.method.decoded;
        g_autofree char *t = close_text(c->reply_code, c->reply_text);
        amqp_connection_close_ok_t ok = { 0 };
        amqp_send_method(l->conn, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok);
        l->open = FALSE;
        link_fail(l, error, "the broker closed the connection: %s", t);
        return -1;
    }
    default:
        return 0;  /* e.g. a late consume-ok: nothing to do */
    }
}

int vg_link_next_event(VgLink *l, int timeout_ms, VgEvent *ev, GError **error)
{
    VgEvent *queued = g_queue_pop_head(&l->pending);
    if (queued) {
        *ev = *queued;
        g_free(queued);
        return 1;
    }
    if (!l->open)
        return link_fail(l, error, "the connection is closed") ? -1 : -1;
    gint64 until = g_get_monotonic_time() + (gint64)MAX(timeout_ms, 0) * 1000;
    for (;;) {
        amqp_frame_t f;
        gint64 left = MAX(until - g_get_monotonic_time(), 0);
        struct timeval tv = { .tv_sec = left / G_USEC_PER_SEC, .tv_usec = left % G_USEC_PER_SEC };
        amqp_maybe_release_buffers(l->conn);
        int st = amqp_simple_wait_frame_noblock(l->conn, &f, &tv);
        if (st == AMQP_STATUS_TIMEOUT)
            return 0;
        if (st != AMQP_STATUS_OK) {
            l->open = FALSE;
            link_fail(l, error, "the connection is lost: %s", amqp_error_string2(st));
            return -1;
        }
        int r = frame_to_event(l, &f, ev, error);
        if (r != 0)
            return r;
        if (g_get_monotonic_time() >= until)
            return 0;
    }
}

gboolean vg_link_publish_confirmed(VgLink *l, uint16_t ch, const char *exchange,
                                   const char *key, gboolean mandatory, const VgMessage *m,
                                   int timeout_ms, GError **error)
{
    uint64_t seq = 0;
    g_autofree char *returned = NULL;
    GQueue other = G_QUEUE_INIT;
    gboolean ok = FALSE, done = FALSE;

    if (!vg_link_publish(l, ch, exchange, key, mandatory, m, &seq, error))
        return FALSE;
    gint64 until = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    while (!done) {
        VgEvent ev;
        gint64 left = until - g_get_monotonic_time();
        int r = left > 0 ? vg_link_next_event(l, (int)(left / 1000) + 1, &ev, error) : 0;
        if (r < 0)
            break;
        if (r == 0) {
            link_fail(l, error, "no confirm from the broker within %d s", timeout_ms / 1000);
            break;
        }
        if (ev.channel == ch && ev.kind == VG_EVENT_RETURN && !returned) {
            returned = g_strdup_printf("%u %s", ev.msg->reply_code, ev.msg->reply_text);
            vg_event_clear(&ev);
        } else if (ev.channel == ch && (ev.kind == VG_EVENT_ACK || ev.kind == VG_EVENT_NACK) &&
                   (ev.tag == seq || (ev.multiple && ev.tag > seq))) {
            if (ev.kind == VG_EVENT_NACK)
                link_fail(l, error, "the broker could not take the message (nack)");
            else if (returned)
                link_fail(l, error, "no queue takes messages for \"%s\" on exchange %s (%s)",
                          key, *exchange ? exchange : "(default)", returned);
            else
                ok = TRUE;
            done = TRUE;
        } else {
            g_queue_push_tail(&other, g_memdup2(&ev, sizeof(ev)));
        }
    }
    /* what came meanwhile goes first next time */
    VgEvent *e;
    while ((e = g_queue_pop_tail(&other)))
        g_queue_push_head(&l->pending, e);
    return ok;
}
