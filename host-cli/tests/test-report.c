/* The reports of an outcome with a guest reply read by the real parser:
 * a hostile reply is escaped on the table and exact in the JSON; a partial
 * one shows each layer's state, its error and limit. */
#include "agent-reply.h"
#include "outcome.h"
#include "report.h"
#include "report-parse.h"
#include "safe-text.h"

#include <json-glib/json-glib.h>
#include <string.h>

static char *read_data(const char *name, gsize *len)
{
    g_autofree char *path = g_test_build_filename(G_TEST_DIST, "data", name, NULL);
    g_autoptr(GError) e = NULL;
    char *text = NULL;
    g_assert_true(g_file_get_contents(path, &text, len, &e));
    return text;
}

/* An outcome as guest-side.c leaves it after a guest-grow-disk reply:
 * the disk grown from 1 to 2 GiB, exit 4 (the guest stopped partway). */
static VgOutcome *outcome_with(const VgRequest *req, const char *reply_file)
{
    gsize len;
    g_autofree char *text = read_data(reply_file, &len);
    g_autoptr(GError) e = NULL;
    VgGrowReport *rep = vg_reply_grow_disk(text, len, &e);
    g_assert_no_error(e);

    VgOutcome *o = vg_outcome_new(req, FALSE);
    o->disk = g_new0(VgDisk, 1);
    o->disk->target = g_strdup("vdb");
    o->disk->type = g_strdup("file");
    o->disk->format = g_strdup("qcow2");
    o->disk->source = g_strdup("/images/d.qcow2");
    o->size_before = 1073741824;
    o->size_target = o->size_after = 2147483648;
    o->disk_resized = TRUE;
    o->method = VG_METHOD_GROW_DISK;
    o->guest_disk = g_strdup(rep->disk);
    o->match = VG_MATCH_SERIAL;
    o->guest = rep;
    for (guint i = 0; i < rep->warnings->len; i++)
        vg_outcome_warn(o, "guest: %s", (char *)rep->warnings->pdata[i]);
    g_assert_true(vg_grow_report_partial(rep));
    o->exit = VG_EXIT_GUEST_FAILED;
    o->message = g_strdup(rep->error);
    return o;
}

static void render_table(const VgOutcome *o, char **out, char **err)
{
    size_t n1, n2;
    FILE *f1 = open_memstream(out, &n1), *f2 = open_memstream(err, &n2);
    vg_report_table(f1, f2, o);
    fclose(f1);
    fclose(f2);
}

/* Nothing in @text a terminal would act on or hide. */
static void assert_terminal_safe(const char *text, const char *what)
{
    g_assert_true(g_utf8_validate(text, -1, NULL));
    for (const char *p = text; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (c != '\n' && vg_safe_text_escapes(c))
            g_error("%s holds U+%04X unescaped: %s", what, c, text);
    }
}

static void assert_has(const char *text, const char *part)
{
    if (!strstr(text, part))
        g_error("no \"%s\" in:\n%s", part, text);
}

static void test_hostile(void)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(VgRequest) req = vg_request_new(NULL, "web1", "vdb", "2G", &e);
    g_autoptr(VgOutcome) o = outcome_with(req, "guest-grow-disk-hostile.json");
    g_autofree char *out = NULL, *err = NULL;

    render_table(o, &out, &err);
    assert_terminal_safe(out, "stdout");
    assert_terminal_safe(err, "stderr");
    /* every hostile string is there, escaped */
    assert_has(out, "guest disk /dev/vdc\\u200b (matched by serial)");
    assert_has(out, "/dev/vdc1\\x1b[2K\\x1b[1A");
    assert_has(out, "gpt\\u202e");
    assert_has(out, "ext4\\u2066");
    assert_has(out, "/data\\u009b31m\\u2028virt-grow: all fine\\ufeff");
    assert_has(out, "stops at its limit: \\u202dlimit\\u202c");
    assert_has(out, "the guest grew partway and stopped: stopped\\x1b[8m hidden");
    assert_has(err, "virt-grow: guest: filesystem /dev/vdc1 failed: no space\\x1b]0;owned\\x07"
                    "\\nvirt-grow: grown and confirmed");
    assert_has(err, "virt-grow: warning: guest: see \\u2067/etc\\u2069 \\u00a0now\\r");
    /* the fake lines stay inside theirs */
    g_assert_null(strstr(out, "\nvirt-grow: all fine"));
    g_assert_null(strstr(err, "\nvirt-grow: grown and confirmed"));

    /* the JSON: exactly what the guest sent */
    g_autofree char *json = vg_report_json(o, TRUE);
    g_autoptr(JsonParser) p = json_parser_new();
    g_assert_true(json_parser_load_from_data(p, json, -1, &e));
    JsonObject *root = json_node_get_object(json_parser_get_root(p));
    JsonObject *guest = json_object_get_object_member(root, "guest");
    JsonArray *layers = json_object_get_array_member(guest, "layers");
    JsonObject *l0 = json_array_get_object_element(layers, 0);
    JsonObject *l1 = json_array_get_object_element(layers, 1);
    g_assert_cmpstr(json_object_get_string_member(guest, "disk"), ==, "/dev/vdc\xe2\x80\x8b");
    g_assert_cmpstr(json_object_get_string_member(l0, "device"), ==, "/dev/vdc1\x1b[2K\x1b[1A");
    g_assert_cmpstr(json_object_get_string_member(l0, "type"), ==, "gpt\xe2\x80\xae");
    g_assert_cmpstr(json_object_get_string_member(l1, "mountpoint"), ==,
                    "/data\xc2\x9b" "31m\xe2\x80\xa8virt-grow: all fine\xef\xbb\xbf");
    g_assert_cmpstr(json_object_get_string_member(l1, "state"), ==, "failed");
    g_assert_cmpstr(json_object_get_string_member(l1, "error"), ==,
                    "no space\x1b]0;owned\x07\nvirt-grow: grown and confirmed");
    g_assert_cmpstr(json_object_get_string_member(l1, "limit"), ==,
                    "\xe2\x80\xadlimit\xe2\x80\xac");
    g_assert_cmpstr(json_object_get_string_member(guest, "error"), ==, "stopped\x1b[8m hidden");
    g_assert_cmpstr(json_object_get_string_member(root, "message"), ==, "stopped\x1b[8m hidden");
    g_assert_cmpstr(json_object_get_string_member(root, "outcome"), ==, "guest-failed");
    g_assert_cmpint(json_object_get_int_member(root, "exit-code"), ==, 4);
    /* and the JSON text itself holds no raw control character */
    for (const char *c = json; *c; c++)
        g_assert_true((guchar)*c >= 0x20 || *c == '\n');
}

static void test_partial(void)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(VgRequest) req = vg_request_new(NULL, "web1", "vdb", "2G", &e);
    g_autoptr(VgOutcome) o = outcome_with(req, "guest-grow-disk-partial.json");
    g_autofree char *out = NULL, *err = NULL;

    render_table(o, &out, &err);
    /* a STATE column, the disk's row included */
    assert_has(out, "STATE");
    g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
    gboolean disk = FALSE, part = FALSE, fs = FALSE;
    for (char **l = lines; *l; l++) {
        disk |= g_str_has_prefix(*l, "disk ") && g_str_has_suffix(*l, "  grown");
        part |= g_str_has_prefix(*l, "partition ") && g_str_has_suffix(*l, "  grown");
        fs |= g_str_has_prefix(*l, "filesystem ") && g_str_has_suffix(*l, "  failed");
    }
    g_assert_true(disk && part && fs);
    assert_has(out, "filesystem /dev/vdc1 stops at its limit: ext4 without 64bit: at most 2^32 "
                    "blocks");
    assert_has(out, "disk grown; the guest grew partway and stopped: filesystem /dev/vdc1 "
                    "failed after partition /dev/vdc1 grew: rerun to resume");
    assert_has(err, "virt-grow: guest: filesystem /dev/vdc1 failed: resize2fs: Permission "
                    "denied to resize filesystem");

    g_autofree char *json = vg_report_json(o, FALSE);
    assert_has(json, "\"state\":\"failed\"");
    assert_has(json, "\"limit\":\"ext4 without 64bit: at most 2^32 blocks\"");
    assert_has(json, "\"error\":\"filesystem /dev/vdc1 failed after partition /dev/vdc1 grew: "
                     "rerun to resume\"");
}

/* An agent from before issue 11 (no states): the table has no STATE. */
static void test_no_states(void)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(VgRequest) req = vg_request_new(NULL, "web1", "vdb", "2G", &e);
    gsize len;
    g_autofree char *text = read_data("guest-grow-disk-lvm-on-luks.json", &len);
    g_autoptr(VgOutcome) o = vg_outcome_new(req, FALSE);
    o->disk = g_new0(VgDisk, 1);
    o->disk->target = g_strdup("vdb");
    o->disk->type = g_strdup("file");
    o->size_before = 1073741824;
    o->size_target = o->size_after = 4294967296;
    o->guest = vg_reply_grow_disk(text, len, &e);
    g_assert_no_error(e);
    g_assert_false(vg_grow_report_partial(o->guest));
    o->exit = VG_EXIT_GROWN;
    g_autofree char *out = NULL, *err = NULL;
    render_table(o, &out, &err);
    g_assert_null(strstr(out, "STATE"));
    assert_has(out, "grown and confirmed by the guest");
    g_assert_cmpstr(err, ==, "");
}

/* A refusal by the guest before the resize, and a connection lost during
 * the resize: what the JSON and the table say of each. */
static void test_preflight_and_lost(void)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(VgRequest) req = vg_request_new(NULL, "web1", "vdb", "2G", &e);
    g_autoptr(VgOutcome) o = vg_outcome_new(req, FALSE);
    o->disk = g_new0(VgDisk, 1);
    o->disk->target = g_strdup("vdb");
    o->disk->type = g_strdup("file");
    o->size_before = o->size_after = 1073741824;
    o->size_target = 2147483648;
    o->method = VG_METHOD_GROW_DISK;
    o->preflight = VG_PREFLIGHT_REFUSED;
    o->preflight_note = g_strdup("guest-grow-disk: /dev/mapper/data (LUKS2) needs its key");
    g_autoptr(GError) refusal = g_error_new(VG_ERROR, VG_ERROR_REFUSED, "the guest refuses the "
                                            "new size: %s", o->preflight_note);
    vg_outcome_set(o, VG_EXIT_ERROR, refusal);
    g_assert_true(vg_outcome_refused(o));
    g_autofree char *json = vg_report_json(o, FALSE);
    assert_has(json, "\"disk-resized\":false");
    assert_has(json, "\"guest-preflight\":\"refused\"");
    assert_has(json, "\"guest-preflight-note\":\"guest-grow-disk: /dev/mapper/data (LUKS2) "
                     "needs its key\"");
    assert_has(json, "\"connection-lost\":false");
    assert_has(json, "\"exit-code\":2");
    g_autofree char *out = NULL, *err = NULL;
    render_table(o, &out, &err);
    assert_has(err, "the guest refuses the new size: guest-grow-disk: /dev/mapper/data (LUKS2)");
    assert_has(err, "virt-grow: nothing was changed");

    /* the connection went during the resize: perhaps grown (3), not known */
    g_autoptr(VgOutcome) l = vg_outcome_new(req, FALSE);
    l->disk = g_new0(VgDisk, 1);
    l->disk->target = g_strdup("vdb");
    l->disk->type = g_strdup("file");
    l->size_before = l->size_after = 1073741824;
    l->size_target = 2147483648;
    l->preflight = VG_PREFLIGHT_AGREED;
    l->resize_unknown = l->connection_lost = TRUE;
    g_autoptr(GError) lost = g_error_new(VG_ERROR, VG_ERROR_CONNECTION, "the connection to "
                                         "libvirt was lost during the resize of disk vdb");
    vg_outcome_set(l, VG_EXIT_UNCONFIRMED, lost);
    g_assert_false(vg_outcome_refused(l));
    g_autofree char *ljson = vg_report_json(l, FALSE);
    assert_has(ljson, "\"disk-resized\":null");
    assert_has(ljson, "\"connection-lost\":true");
    assert_has(ljson, "\"outcome\":\"unconfirmed\"");
    g_autofree char *lout = NULL, *lerr = NULL;
    render_table(l, &lout, &lerr);
    assert_has(lout, "the guest agreed to the new size before the disk was resized");
    assert_has(lout, "the disk may have grown; the guest's growth is unconfirmed: the connection");
}

/* A report read back (virt-grow --broker gets a node's) gives the same
 * report again, the preflight and the lost connection included. */
static void assert_round_trip(const VgOutcome *o)
{
    g_autoptr(GError) e = NULL;
    g_autofree char *json = vg_report_json(o, FALSE);
    g_autoptr(JsonNode) node = json_from_string(json, &e);
    g_assert_no_error(e);
    VgRequest *req = NULL;
    VgOutcome *back = vg_report_parse(node, &req, &e);
    g_assert_no_error(e);
    /* what a parsed report cannot know: the disk's type (the table's
     * column shows the format, which the report has) */
    g_autofree char *again = vg_report_json(back, FALSE);
    g_assert_cmpstr(again, ==, json);
    vg_outcome_free(back);
    vg_request_free(req);
}

static void test_round_trip(void)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(VgRequest) req = vg_request_new(NULL, "web1", "vdb", "2G", &e);
    g_autoptr(VgOutcome) o = outcome_with(req, "guest-grow-disk-partial.json");
    o->preflight = VG_PREFLIGHT_AGREED;
    assert_round_trip(o);
    o->preflight = VG_PREFLIGHT_NOT_ASKED;
    o->preflight_note = g_strdup("the guest was not asked before the resize: no guest agent");
    o->resize_unknown = o->connection_lost = TRUE;
    assert_round_trip(o);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/report/hostile", test_hostile);
    g_test_add_func("/report/partial", test_partial);
    g_test_add_func("/report/no-states", test_no_states);
    g_test_add_func("/report/preflight-and-lost", test_preflight_and_lost);
    g_test_add_func("/report/round-trip", test_round_trip);
    return g_test_run();
}
