/* The wire format's pieces: the strict JSON reader, the schema subset
 * against the installed schema file, requests and replies, statuses,
 * broker URLs. */
#include "broker-url.h"
#include "json-strict.h"
#include "options.h"
#include "report.h"
#include "schema.h"
#include "vg-error.h"
#include "wire.h"

#include <string.h>

static VgSchema *schema;

static JsonNode *parse(const char *text, GError **e)
{
    return vg_json_parse_strict(text, strlen(text), 8, e);
}

static void test_json_strict(void)
{
    static const char *const good[] = {
        "{}", "[]", "0", "-1", "1.5e3", "\"\\u00e9\\ud83d\\ude00\"", " {\"a\" : [1, {\"b\": null}]} ",
        "true", "9223372036854775807",
    };
    static const struct { const char *text, *why; } bad[] = {
        { "", "a value expected" },
        { "{\"a\":1,\"a\":2}", "the member \"a\" is given twice" },
        { "\"\\ud800\"", "a lone surrogate" },
        { "\"\\udc00x\"", "a lone surrogate" },
        { "\"\\u0000\"", "\\u0000" },
        { "9223372036854775808", "out of range" },
        { "01", "leading zero" },
        { "{} x", "something after the value" },
        { "\"a\tb\"", "control character" },
        { "[1,]", "a value expected" },
        { "{'a':1}", "member name" },
        { "\"\xff\"", "not UTF-8" },
        { "nul", "unknown word" },
        { "1.", "digits after its point" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(good); i++) {
        g_autoptr(GError) e = NULL;
        g_autoptr(JsonNode) n = parse(good[i], &e);
        g_assert_no_error(e);
        g_assert_nonnull(n);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) e = NULL;
        g_autoptr(JsonNode) n = parse(bad[i].text, &e);
        g_assert_null(n);
        g_assert_error(e, VG_JSON_ERROR, VG_JSON_ERROR_SYNTAX);
        if (!strstr(e->message, bad[i].why))
            g_error("%s: \"%s\", want \"%s\"", bad[i].text, e->message, bad[i].why);
    }
    /* deep nesting is a limit, not a crash */
    g_autofree char *deep = g_strnfill(100000, '[');
    g_autoptr(GError) e = NULL;
    g_assert_null(vg_json_parse_strict(deep, strlen(deep), 8, &e));
    g_assert_error(e, VG_JSON_ERROR, VG_JSON_ERROR_LIMIT);
    /* integers stay integers, fractions are doubles */
    g_autoptr(JsonNode) i = parse("12", NULL);
    g_assert_cmpint(json_node_get_value_type(i), ==, G_TYPE_INT64);
    g_autoptr(JsonNode) d = parse("12.0", NULL);
    g_assert_cmpint(json_node_get_value_type(d), ==, G_TYPE_DOUBLE);
}

static void test_schema_subset(void)
{
    static const struct { const char *text, *why; } bad[] = {
        { "{\"$defs\": {\"x\": {\"oneOf\": []}}}", "keyword \"oneOf\" is not one" },
        { "{\"$defs\": {\"x\": {\"type\": \"int\"}}}", "unknown type \"int\"" },
        { "{\"$defs\": {\"x\": {\"$ref\": \"#/$defs/y\"}}}", "$ref \"#/$defs/y\"" },
        { "{\"$defs\": {\"x\": {\"pattern\": \"(\"}}}", "does not compile" },
        { "{\"$defs\": {\"x\": {\"additionalProperties\": {}}}}", "true or false" },
        { "{}", "no $defs" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) e = NULL;
        g_autoptr(VgSchema) s = vg_schema_parse("t.json", bad[i].text, strlen(bad[i].text), &e);
        g_assert_null(s);
        g_assert_error(e, VG_SCHEMA_ERROR, VG_SCHEMA_ERROR_LOAD);
        if (!strstr(e->message, bad[i].why))
            g_error("%s: \"%s\", want \"%s\"", bad[i].text, e->message, bad[i].why);
    }
    g_auto(GStrv) props = vg_schema_properties(schema, "request");
    g_assert_nonnull(props);
    g_assert_cmpuint(g_strv_length(props), ==, 9);
    g_assert_true(g_strv_contains((const char *const *)props, "not-after"));
}

static const char *ID = "0b0f2a9c-1d2e-4f50-9a6b-7c8d9e0f1a2b";

static VgWireRequest *req_of(const char *text, GError **e)
{
    return vg_wire_request_parse(schema, text, strlen(text), NULL, e);
}

static void test_request(void)
{
    g_autoptr(GError) e = NULL;
    g_autofree char *text = g_strdup_printf(
        "{\"version\":1,\"id\":\"%s\",\"project\":\"p1\",\"domain\":\"web1\",\"disk\":"
        "\"serial:d1\",\"size\":21474836480,\"not-after\":1700000000,\"timeout\":30,"
        "\"guest\":{\"key-file\":\"/etc/k\",\"lv\":\"vg/lv\",\"lvm\":\"lv\",\"move-swap\":true,"
        "\"force\":false,\"lock-timeout\":0}}", ID);
    g_autoptr(VgWireRequest) r = req_of(text, &e);
    g_assert_no_error(e);
    g_assert_cmpstr(r->id, ==, ID);
    g_assert_cmpstr(r->disk, ==, "serial:d1");
    g_assert_cmpuint(r->size, ==, 21474836480u);
    g_assert_cmpint(r->not_after, ==, 1700000000);
    g_assert_cmpuint(r->timeout_s, ==, 30);
    g_assert_cmpstr(r->guest.key_file, ==, "/etc/k");
    g_assert_true(r->guest.move_swap && r->guest.move_swap_set);
    g_assert_true(!r->guest.force && r->guest.force_set);
    g_assert_true(r->guest.lock_timeout_set && r->guest.lock_timeout_s == 0);

    /* what virt-grow --broker sends reads back the same */
    g_autofree char *again = vg_wire_request_text(schema, r, &e);
    g_assert_no_error(e);
    g_autoptr(VgWireRequest) r2 = req_of(again, &e);
    g_assert_no_error(e);
    g_autofree char *third = vg_wire_request_text(schema, r2, &e);
    g_assert_cmpstr(again, ==, third);

    /* as the host core takes it: absolute bytes */
    g_autoptr(VgRequest) core = vg_wire_request_to_core(r, &e);
    g_assert_no_error(e);
    g_assert_false(core->size.relative);
    g_assert_cmpuint(core->size.bytes, ==, 21474836480u);
    g_assert_cmpstr(core->guest.lv, ==, "vg/lv");
}

static void test_request_refusals(void)
{
    static const struct { const char *members; VgWireErrorCode code; const char *why; } bad[] = {
        { "\"size\":\"+10G\"", VG_WIRE_RELATIVE_SIZE, "relative size \"+10G\" refused" },
        { "\"size\":\"10G\"", VG_WIRE_MALFORMED, "/size: must be an integer, not string" },
        { "\"size\":0", VG_WIRE_MALFORMED, "/size: must be at least 1" },
        { "\"size\":1.5", VG_WIRE_MALFORMED, "/size: must be an integer, not number" },
        { "\"size\":-5", VG_WIRE_MALFORMED, "/size: must be at least 1" },
        { "\"size\":5,\"dry-run\":true", VG_WIRE_MALFORMED, "unknown member \"dry-run\"" },
        { "\"size\":5,\"guest\":{\"lvm\":\"all\"}", VG_WIRE_MALFORMED, "/guest/lvm: must be one of" },
        { "\"size\":5,\"guest\":{\"lv\":\"vg/lv\",\"lvm\":\"pv\"}", VG_WIRE_MALFORMED, "guest.lv" },
        { "\"size\":5,\"guest\":{\"key-file\":\"k\"}", VG_WIRE_MALFORMED, "/guest/key-file" },
        { "\"size\":5,\"timeout\":0", VG_WIRE_MALFORMED, "/timeout: must be at least 1" },
        { "\"size\":5,\"project\":\"a\\nb\"", VG_WIRE_MALFORMED, "given twice" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) e = NULL;
        g_autofree char *text = g_strdup_printf(
            "{\"version\":1,\"id\":\"%s\",\"project\":\"p\",\"domain\":\"d\",\"disk\":\"vdb\","
            "\"not-after\":1,%s}", ID, bad[i].members);
        char *id = NULL;
        g_autoptr(VgWireRequest) r = vg_wire_request_parse(schema, text, strlen(text), &id, &e);
        g_assert_null(r);
        g_assert_error(e, VG_WIRE_ERROR, (gint)bad[i].code);
        if (!strstr(e->message, bad[i].why))
            g_error("%s: \"%s\", want \"%s\"", bad[i].members, e->message, bad[i].why);
        /* the reply can still name it, when the text was JSON */
        g_assert_cmpstr(id, ==, strstr(bad[i].why, "twice") ? NULL : ID);
        g_free(id);
    }
    static const struct { const char *text; VgWireErrorCode code; const char *why; } whole[] = {
        { "[]", VG_WIRE_MALFORMED, "not a JSON object" },
        { "{\"version\":2}", VG_WIRE_VERSION_UNKNOWN, "version 2 is not known" },
        { "{\"version\":1,\"id\":\"x\"}", VG_WIRE_MALFORMED, "is missing" },
        { "{\"version\":1,\"id\":\"0b0f2a9c-1d2e-4f50-9a6b-7c8d9e0f1a2b\",\"project\":\"a\\nb\","
          "\"domain\":\"d\",\"disk\":\"v\",\"size\":1,\"not-after\":1}", VG_WIRE_MALFORMED,
          "/project: does not match" },
        { "{\"version\":1,\"id\":\"not-a-uuid\",\"project\":\"p\",\"domain\":\"d\",\"disk\":"
          "\"v\",\"size\":1,\"not-after\":1}", VG_WIRE_MALFORMED, "/id: does not match" },
        /* a final newline is no match of $ (as in ECMA-262, not PCRE) */
        { "{\"version\":1,\"id\":\"0b0f2a9c-1d2e-4f50-9a6b-7c8d9e0f1a2b\\n\",\"project\":\"p\","
          "\"domain\":\"d\",\"disk\":\"v\",\"size\":1,\"not-after\":1}", VG_WIRE_MALFORMED,
          "/id: does not match" },
        { "{\"version\":1,\"id\":\"0b0f2a9c-1d2e-4f50-9a6b-7c8d9e0f1a2b\",\"project\":\"p\","
          "\"domain\":\"web1\\n\",\"disk\":\"v\",\"size\":1,\"not-after\":1}", VG_WIRE_MALFORMED,
          "/domain: does not match" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(whole); i++) {
        g_autoptr(GError) e = NULL;
        g_assert_null(req_of(whole[i].text, &e));
        g_assert_error(e, VG_WIRE_ERROR, (gint)whole[i].code);
        if (!strstr(e->message, whole[i].why))
            g_error("%s: \"%s\", want \"%s\"", whole[i].text, e->message, whole[i].why);
    }
    g_autofree char *big = g_strnfill(VG_WIRE_MAX_BYTES + 1, ' ');
    g_autoptr(GError) e = NULL;
    g_assert_null(vg_wire_request_parse(schema, big, strlen(big), NULL, &e));
    g_assert_error(e, VG_WIRE_ERROR, VG_WIRE_OVERSIZED);
    g_assert_cmpstr(vg_wire_rule_name(VG_WIRE_RELATIVE_SIZE), ==, "relative-size");
}

static VgOutcome *outcome(VgRequest *req, VgExit exit, VgErrorCode code)
{
    VgOutcome *o = vg_outcome_new(req, FALSE);
    g_autoptr(GError) e = g_error_new(VG_ERROR, code, "why");
    vg_outcome_set(o, exit, exit == VG_EXIT_GROWN || exit == VG_EXIT_NOTHING ? NULL : e);
    return o;
}

static void test_status(void)
{
    g_autoptr(VgRequest) req = vg_request_new(NULL, "d", "vdb", "1G", NULL);
    static const struct { VgExit exit; VgErrorCode code; VgWireStatus want; } cases[] = {
        { VG_EXIT_GROWN, 0, VG_STATUS_GROWN },
        { VG_EXIT_NOTHING, 0, VG_STATUS_NOTHING },
        { VG_EXIT_ERROR, VG_ERROR_REFUSED, VG_STATUS_REFUSED },
        { VG_EXIT_ERROR, VG_ERROR_NOT_FOUND, VG_STATUS_REFUSED },
        { VG_EXIT_ERROR, VG_ERROR_INVALID, VG_STATUS_REFUSED },
        { VG_EXIT_ERROR, VG_ERROR_LIBVIRT, VG_STATUS_FAILED },
        { VG_EXIT_UNCONFIRMED, VG_ERROR_TIMEOUT, VG_STATUS_UNCONFIRMED },
        { VG_EXIT_GUEST_FAILED, VG_ERROR_GUEST, VG_STATUS_FAILED },
        { VG_EXIT_ERROR, VG_ERROR_EXPIRED, VG_STATUS_EXPIRED },  /* before the resize */
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(VgOutcome) o = outcome(req, cases[i].exit, cases[i].code);
        g_assert_cmpint(vg_wire_status_from_outcome(o), ==, cases[i].want);
    }
    /* exit 4 with a guest that stopped partway */
    g_autoptr(VgOutcome) o = outcome(req, VG_EXIT_GUEST_FAILED, VG_ERROR_GUEST);
    o->guest = vg_grow_report_new();
    o->guest->error = g_strdup("stopped");
    g_assert_cmpint(vg_wire_status_from_outcome(o), ==, VG_STATUS_PARTIAL);
    for (int s = VG_STATUS_GROWN; s <= VG_STATUS_EXPIRED; s++) {
        VgWireStatus back;
        g_assert_true(vg_wire_status_parse(vg_wire_status_name(s), &back));
        g_assert_cmpint(back, ==, s);
    }
}

static void test_reply(void)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(VgRequest) req = vg_request_new(NULL, "web1", "vdb", "1G", NULL);
    g_autoptr(VgOutcome) o = outcome(req, VG_EXIT_UNCONFIRMED, VG_ERROR_NO_AGENT);
    g_autoptr(VgWireReply) r = vg_wire_reply_from_outcome(ID, "n1", o);
    g_assert_cmpint(r->status, ==, VG_STATUS_UNCONFIRMED);
    g_assert_cmpint(r->exit, ==, 3);
    g_assert_cmpstr(r->error, ==, "why");
    g_autofree char *text = vg_wire_reply_text(schema, r, &e);
    g_assert_no_error(e);
    g_assert_true(g_str_has_prefix(text, "{\"version\":1,\"id\":\""));
    g_autoptr(VgWireReply) back = vg_wire_reply_parse(schema, text, strlen(text), &e);
    g_assert_no_error(e);
    g_assert_cmpstr(back->id, ==, ID);
    g_assert_cmpstr(back->node, ==, "n1");
    g_assert_cmpint(back->status, ==, VG_STATUS_UNCONFIRMED);
    g_assert_nonnull(back->report);
    g_assert_cmpstr(json_object_get_string_member(json_node_get_object(back->report), "domain"),
                    ==, "web1");

    /* a refusal without a grow: exit 2, no report, the id may be unknown */
    g_autoptr(VgWireReply) nr = vg_wire_reply_new(NULL, "n1", VG_STATUS_REFUSED, "no");
    g_autofree char *nt = vg_wire_reply_text(schema, nr, &e);
    g_assert_no_error(e);
    g_assert_cmpstr(nt, ==, "{\"version\":1,\"id\":null,\"node\":\"n1\",\"status\":\"refused\","
                            "\"exit\":2,\"error\":\"no\",\"report\":null}");
    /* the schema checks replies too */
    const char *odd = "{\"version\":1,\"id\":null,\"node\":\"n1\",\"status\":\"maybe\",\"exit\":2,"
                      "\"error\":null,\"report\":null}";
    g_assert_null(vg_wire_reply_parse(schema, odd, strlen(odd), &e));
    g_assert_error(e, VG_WIRE_ERROR, VG_WIRE_MALFORMED);
}

static void test_url(void)
{
    static const struct { const char *text; gboolean tls; const char *user, *pw, *host; unsigned port; const char *vhost; } good[] = {
        { "amqp://localhost", FALSE, NULL, NULL, "localhost", 5672, "/" },
        { "amqps://n1:p%40ss@rabbit.example:5999/cloud", TRUE, "n1", "p@ss", "rabbit.example", 5999, "cloud" },
        { "amqps://n1@[::1]/%2Fx", TRUE, "n1", NULL, "::1", 5671, "/x" },
        { "amqp://a:b@127.0.0.1:1/", FALSE, "a", "b", "127.0.0.1", 1, "/" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(good); i++) {
        g_autoptr(GError) e = NULL;
        g_auto(VgBrokerUrl) u = { 0 };
        g_assert_true(vg_broker_url_parse(good[i].text, &u, &e));
        g_assert_no_error(e);
        g_assert_cmpint(u.tls, ==, good[i].tls);
        g_assert_cmpstr(u.user, ==, good[i].user);
        g_assert_cmpstr(u.password, ==, good[i].pw);
        g_assert_cmpstr(u.host, ==, good[i].host);
        g_assert_cmpuint(u.port, ==, good[i].port);
        g_assert_cmpstr(u.vhost, ==, good[i].vhost);
        g_autofree char *shown = vg_broker_url_display(&u);
        g_assert_null(u.password ? strstr(shown, u.password) : NULL);
    }
    static const char *const bad[] = {
        "http://x", "amqp://", "amqp://h:0", "amqp://h:70000", "amqp://h:1x", "amqp://h?heartbeat=5",
        "amqp://[::1", "amqp://:pw@h", "amqp://h h",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) e = NULL;
        g_auto(VgBrokerUrl) u = { 0 };
        if (vg_broker_url_parse(bad[i], &u, &e))
            g_error("%s was accepted", bad[i]);
        g_assert_true(g_str_has_prefix(e->message, "broker URL: "));
    }
    g_assert_true(vg_broker_host_is_loopback("127.1.2.3"));
    g_assert_true(vg_broker_host_is_loopback("::1"));
    g_assert_true(vg_broker_host_is_loopback("LOCALHOST"));
    g_assert_false(vg_broker_host_is_loopback("10.0.0.1"));
    g_assert_false(vg_broker_host_is_loopback("localhost.example"));
    g_auto(VgBrokerUrl) plain = { 0 };
    g_autoptr(GError) e = NULL;
    g_assert_true(vg_broker_url_parse("amqp://u@rabbit.example/", &plain, NULL));
    g_assert_false(vg_broker_url_check_plain(&plain, &e));
    g_assert_nonnull(strstr(e->message, "refusing plain AMQP to rabbit.example"));
}

static gboolean parse_args(const char *line, VgOptions *o, GError **e)
{
    g_auto(GStrv) argv = g_strsplit(line, " ", -1);
    return vg_options_parse((int)g_strv_length(argv), argv, o, e);
}

/* virt-grow's --broker options */
static void test_options(void)
{
    g_autoptr(GError) e = NULL;
    g_auto(VgOptions) o = { 0 };
    g_assert_true(parse_args("virt-grow --broker amqps://api@r/ --node n1 --project p "
                             "--broker-password-file /pw --broker-ca /ca web1 vdb 20G", &o, &e));
    g_assert_no_error(e);
    g_assert_cmpstr(o.broker.url, ==, "amqps://api@r/");
    g_assert_cmpstr(o.broker.node, ==, "n1");
    g_assert_cmpstr(o.broker.project, ==, "p");
    g_assert_cmpstr(o.broker.password_file, ==, "/pw");
    g_assert_cmpstr(o.broker.ca_file, ==, "/ca");
    static const struct { const char *line, *why; } bad[] = {
        { "virt-grow --node n1 web1 vdb 20G", "--node goes with --broker URL" },
        { "virt-grow --broker amqps://a@r/ web1 vdb 20G", "--broker needs --node NODE" },
        { "virt-grow --broker amqps://a@r/ --node n --project p --dry-run w v 1G", "no --dry-run" },
        { "virt-grow --broker amqps://a@r/ --node n --project p --batch f", "no --batch" },
        { "virt-grow --broker", "--broker needs a value" },
        { "virt-grow --broker amqps://a@r/ --node n --project p --broker-cert /c w v 1G",
          "--broker-cert and --broker-key go together" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) e2 = NULL;
        g_auto(VgOptions) o2 = { 0 };
        g_assert_false(parse_args(bad[i].line, &o2, &e2));
        if (!strstr(e2->message, bad[i].why))
            g_error("%s: \"%s\", want \"%s\"", bad[i].line, e2->message, bad[i].why);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_autoptr(GError) e = NULL;
    schema = vg_schema_load(vg_wire_schema_path(), &e);
    g_assert_no_error(e);
    g_test_add_func("/wire/json-strict", test_json_strict);
    g_test_add_func("/wire/schema-subset", test_schema_subset);
    g_test_add_func("/wire/request", test_request);
    g_test_add_func("/wire/request-refusals", test_request_refusals);
    g_test_add_func("/wire/status", test_status);
    g_test_add_func("/wire/reply", test_reply);
    g_test_add_func("/wire/url", test_url);
    g_test_add_func("/wire/options", test_options);
    int rc = g_test_run();
    vg_schema_free(schema);
    return rc;
}
