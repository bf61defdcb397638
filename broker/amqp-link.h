/* One AMQP 0-9-1 connection to the broker, over rabbitmq-c: TLS (the
 * broker's certificate and host name verified) or plain on loopback, the
 * declarations, publishing with confirms, and the frames that come in, as
 * events.  rabbitmq-c is not thread-safe and services heartbeats only
 * inside its calls: a VgLink belongs to one thread, which must call
 * vg_link_next_event() (or another call that reads) at least every
 * heartbeat interval. */
#ifndef VG_AMQP_LINK_H
#define VG_AMQP_LINK_H

#include "broker-url.h"

#include <glib.h>
#include <stdint.h>

/* Errors of the link: the connection, a channel, a refusal by the broker. */
#define VG_BROKER_ERROR (vg_broker_error_quark())
GQuark vg_broker_error_quark(void);

typedef struct {
    const VgBrokerUrl *url;
    const char *password;      /* the url's when NULL */
    const char *ca_file;       /* TLS: the CAs that sign the broker's certificate */
    const char *cert_file;     /* TLS: a client certificate (optional) ... */
    const char *key_file;      /* ... and its key */
    unsigned heartbeat_s;      /* 0: none */
    unsigned timeout_s;        /* connecting, logging in, each declaration */
    const char *name;          /* the connection's name (rabbitmqctl list_connections name) */
} VgLinkOptions;

/* A message in or out.  Strings NULL when absent. */
typedef struct {
    GBytes *body;
    char *content_type;
    char *message_id;
    char *correlation_id;
    char *reply_to;
    char *user_id;
    char *app_id;
    char *type;
    gboolean persistent;
    uint64_t timestamp;        /* 0: none */
    GPtrArray *headers;        /* out: name, value, name, value... (strings); NULL: none */
    GHashTable *header_table;  /* in: name -> value as text (strings and numbers) */
    /* deliveries and returns */
    char *exchange;
    char *routing_key;
    uint64_t delivery_tag;
    gboolean redelivered;
    uint16_t reply_code;       /* a return's */
    char *reply_text;
} VgMessage;

VgMessage *vg_message_new(void);
void vg_message_free(VgMessage *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VgMessage, vg_message_free)
void vg_message_add_header(VgMessage *m, const char *name, const char *value);

typedef struct VgLink VgLink;

VgLink *vg_link_open(const VgLinkOptions *opt, GError **error);
/* Closes politely when it still can; NULL-safe. */
void vg_link_free(VgLink *l);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VgLink, vg_link_free)

/* "amqps://user@host:5671/" for messages. */
const char *vg_link_display(const VgLink *l);
/* The broker's product and version ("RabbitMQ 3.10.8"). */
const char *vg_link_server(const VgLink *l);

gboolean vg_link_channel_open(VgLink *l, uint16_t ch, GError **error);
gboolean vg_link_confirm_select(VgLink *l, uint16_t ch, GError **error);
gboolean vg_link_qos(VgLink *l, uint16_t ch, uint16_t prefetch, GError **error);

gboolean vg_link_declare_exchange(VgLink *l, uint16_t ch, const char *name, const char *type,
                                  GError **error);
/* A durable queue; its arguments as name, value pairs of strings (values
 * that are all digits are sent as numbers), NULL-terminated.  A refusal by
 * the broker closes the channel: reopen it before the next call. */
gboolean vg_link_declare_queue(VgLink *l, uint16_t ch, const char *name,
                               const char *const *args, GError **error);
gboolean vg_link_bind(VgLink *l, uint16_t ch, const char *queue, const char *exchange,
                      const char *key, GError **error);
gboolean vg_link_consume(VgLink *l, uint16_t ch, const char *queue, gboolean no_ack,
                         GError **error);
gboolean vg_link_cancel(VgLink *l, uint16_t ch, GError **error);

/* Publish; on a channel in confirm mode *@seq (may be NULL) gets the
 * number the broker's confirm will carry. */
gboolean vg_link_publish(VgLink *l, uint16_t ch, const char *exchange, const char *key,
                         gboolean mandatory, const VgMessage *m, uint64_t *seq,
                         GError **error);
gboolean vg_link_ack(VgLink *l, uint16_t ch, uint64_t tag, GError **error);
/* Reject: back to the queue (@requeue) or dropped / dead-lettered. */
gboolean vg_link_reject(VgLink *l, uint16_t ch, uint64_t tag, gboolean requeue,
                        GError **error);

typedef enum {
    VG_EVENT_DELIVERY,  /* msg: a message from a consumed queue */
    VG_EVENT_RETURN,    /* msg: a mandatory publish nobody could take */
    VG_EVENT_ACK,       /* tag (and all before it when multiple): confirmed */
    VG_EVENT_NACK,      /* tag (multiple): the broker could not take it */
    VG_EVENT_CANCELLED, /* the broker cancelled our consumer (queue deleted) */
} VgEventKind;

typedef struct {
    VgEventKind kind;
    uint16_t channel;
    uint64_t tag;
    gboolean multiple;
    VgMessage *msg;     /* owned by the event */
} VgEvent;

void vg_event_clear(VgEvent *e);

/* The next event within @timeout_ms (0: only what is there; heartbeats are
 * sent and checked meanwhile).  1: *@ev filled; 0: none in time; -1: the
 * connection is gone or a channel was closed, with the reason. */
int vg_link_next_event(VgLink *l, int timeout_ms, VgEvent *ev, GError **error);

/* For poll(): the socket, and whether frames already wait in rabbitmq-c's
 * buffers (then do not wait on the socket). */
int vg_link_fd(const VgLink *l);
gboolean vg_link_pending(const VgLink *l);

/* Publish mandatory with confirms on @ch and wait for the outcome: TRUE
 * when the broker took it; a return (no queue bound for @key) or a nack is
 * an error naming it.  Events for other publishes or deliveries meanwhile
 * are queued for the next vg_link_next_event(). */
gboolean vg_link_publish_confirmed(VgLink *l, uint16_t ch, const char *exchange,
                                   const char *key, gboolean mandatory, const VgMessage *m,
                                   int timeout_ms, GError **error);

#endif
