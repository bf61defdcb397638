/* Agent replies: well-formed ones as qemu-ga and guest-grow-disk send them,
 * and hostile ones that must be refused with an error, never a crash. */
#include "agent-reply.h"
#include "vg-error.h"

#include <string.h>

static const char grow_reply[] =
    "{\"return\": {\"disk\": \"/dev/vdc\", \"disk-size\": 2147483648, \"sector-size\": 512,"
    " \"changed\": true, \"dry-run\": false, \"layers\": ["
    "{\"kind\": \"partition\", \"device\": \"/dev/vdc1\", \"type\": \"gpt\", \"partno\": 1,"
    " \"old-size\": 1072676864, \"size\": 2146418688, \"changed\": true},"
    "{\"kind\": \"filesystem\", \"device\": \"/dev/vdc1\", \"type\": \"ext4\","
    " \"mountpoint\": \"/data\", \"old-size\": 1072676864, \"size\": 2146418688,"
    " \"changed\": true}], \"warnings\": [\"a note\"]}}";

static const char info_reply[] =
    "{\"return\": {\"version\": \"7.2.22\", \"supported_commands\": ["
    "{\"enabled\": true, \"name\": \"guest-get-fsinfo\", \"success-response\": true},"
    "{\"enabled\": false, \"name\": \"guest-grow-disk\", \"success-response\": true},"
    "{\"enabled\": true, \"name\": \"guest-exec\", \"success-response\": true}]}}";

/* As qemu-ga 7.2 answers (address members in its order, -1 where unknown). */
static const char disks_reply[] =
    "{\"return\": [{\"name\": \"/dev/vdb1\", \"dependencies\": [\"/dev/vdb\"],"
    " \"partition\": true, \"address\": {\"serial\": \"DATA\", \"bus-type\": \"virtio\","
    " \"bus\": 0, \"unit\": 0, \"pci-controller\": {\"bus\": 0, \"slot\": 5, \"domain\": 0,"
    " \"function\": 0}, \"dev\": \"/dev/vdb\", \"target\": 0}},"
    "{\"name\": \"/dev/vdb\", \"partition\": false, \"address\": {\"serial\": \"DATA\","
    " \"bus-type\": \"virtio\", \"bus\": 0, \"unit\": 0, \"pci-controller\": {\"bus\": 0,"
    " \"slot\": 5, \"domain\": 0, \"function\": 0}, \"dev\": \"/dev/vdb\", \"target\": 0}},"
    "{\"name\": \"/dev/sr0\", \"partition\": false, \"address\": {\"bus-type\": \"sata\","
    " \"bus\": -1, \"unit\": -1, \"pci-controller\": {\"bus\": -1, \"slot\": -1,"
    " \"domain\": -1, \"function\": -1}, \"target\": -1}},"
    "{\"name\": \"/dev/dm-0\", \"partition\": false}]}";

static const char fsinfo_reply[] =
    "{\"return\": [{\"name\": \"vdb1\", \"total-bytes\": 1031061504, \"mountpoint\": \"/data\","
    " \"disk\": [{\"serial\": \"DATA\", \"bus-type\": \"virtio\", \"bus\": 0, \"unit\": 0,"
    " \"pci-controller\": {\"bus\": 0, \"slot\": 5, \"domain\": 0, \"function\": 0},"
    " \"dev\": \"/dev/vdb\", \"target\": 0}], \"used-bytes\": 24576, \"type\": \"ext4\"},"
    "{\"name\": \"tmpfs\", \"mountpoint\": \"/run\", \"disk\": [], \"type\": \"tmpfs\"}]}";

static void test_grow_disk(void)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(VgGrowReport) r = vg_reply_grow_disk(grow_reply, strlen(grow_reply), &e);
    g_assert_no_error(e);
    g_assert_cmpstr(r->disk, ==, "/dev/vdc");
    g_assert_cmpuint(r->disk_size, ==, 2147483648ULL);
    g_assert_cmpuint(r->sector_size, ==, 512);
    g_assert_true(r->changed);
    g_assert_false(r->dry_run);
    g_assert_cmpuint(r->layers->len, ==, 2);
    const VgGuestLayer *p = r->layers->pdata[0], *f = r->layers->pdata[1];
    g_assert_cmpstr(p->kind, ==, "partition");
    g_assert_true(p->has_partno);
    g_assert_cmpuint(p->partno, ==, 1);
    g_assert_null(p->mountpoint);
    g_assert_cmpstr(f->mountpoint, ==, "/data");
    g_assert_false(f->has_partno);
    g_assert_cmpuint(f->old_size, ==, 1072676864);
    g_assert_cmpstr(r->warnings->pdata[0], ==, "a note");

    /* the bare object, as qga-grow --json prints it */
    const char *bare = strchr(grow_reply, ':') + 1;
    g_autofree char *obj = g_strndup(bare, strlen(bare) - 1);
    g_autoptr(VgGrowReport) r2 = vg_grow_report_parse(obj, strlen(obj), &e);
    g_assert_no_error(e);
    g_assert_cmpuint(r2->layers->len, ==, 2);

    /* sanity check against what the host set */
    g_autoptr(GPtrArray) w = g_ptr_array_new_with_free_func(g_free);
    vg_grow_report_check(r, 2147483648ULL, w);
    g_assert_cmpuint(w->len, ==, 0);
    vg_grow_report_check(r, 4294967296ULL, w);
    g_assert_cmpuint(w->len, ==, 1);
    g_assert_nonnull(strstr(w->pdata[0], "less than"));
}

static char *read_data(const char *name, gsize *len)
{
    g_autofree char *path = g_test_build_filename(G_TEST_DIST, "data", name, NULL);
    g_autoptr(GError) e = NULL;
    char *text = NULL;
    g_assert_true(g_file_get_contents(path, &text, len, &e));
    g_assert_no_error(e);
    return text;
}

/* LVM on LUKS on a GPT partition: every layer kind of that stack, bottom-up,
 * with the members each kind has (partno for the partition, a mountpoint
 * for the mounted filesystem, a VG's name as the PV's type). */
static void test_grow_disk_stack(void)
{
    static const char *const want[][4] = {
        /* kind, device, type, mountpoint */
        { "partition", "/dev/vdb2", "gpt", NULL },
        { "crypt", "/dev/mapper/cryptdata", "luks2", NULL },
        { "lvm-pv", "/dev/mapper/cryptdata", "vg0", NULL },
        { "lvm-lv", "/dev/vg0/srv", "linear", NULL },
        { "filesystem", "/dev/vg0/srv", "ext4", "/srv" },
    };
    g_autoptr(GError) e = NULL;
    gsize len;
    g_autofree char *text = read_data("guest-grow-disk-lvm-on-luks.json", &len);
    g_autoptr(VgGrowReport) r = vg_reply_grow_disk(text, len, &e);

    g_assert_no_error(e);
    g_assert_cmpstr(r->disk, ==, "/dev/vdb");
    g_assert_true(r->changed);
    g_assert_cmpuint(r->layers->len, ==, G_N_ELEMENTS(want));
    for (guint i = 0; i < r->layers->len; i++) {
        const VgGuestLayer *l = r->layers->pdata[i];
        g_assert_cmpstr(l->kind, ==, want[i][0]);
        g_assert_cmpstr(l->device, ==, want[i][1]);
        g_assert_cmpstr(l->type, ==, want[i][2]);
        g_assert_cmpstr(l->mountpoint, ==, want[i][3]);
        g_assert_true(l->has_partno == (i == 0));
        g_assert_true(l->changed);
        g_assert_cmpuint(l->size, >, l->old_size);
    }
    g_assert_cmpuint(((VgGuestLayer *)r->layers->pdata[0])->partno, ==, 2);
    g_assert_cmpuint(((VgGuestLayer *)r->layers->pdata[3])->size, ==, 4273995776ULL);

    /* it adds up: no warnings against the size the host set */
    g_autoptr(GPtrArray) w = g_ptr_array_new_with_free_func(g_free);
    vg_grow_report_check(r, 4294967296ULL, w);
    g_assert_cmpuint(w->len, ==, 0);
}

/* An LV or md array may lie on other disks too and be larger than this
 * one, and so may what is on it; a layer below them may not. */
static void test_grow_disk_spanning(void)
{
    static const char reply[] =
        "{\"return\": {\"disk\": \"/dev/vdc\", \"disk-size\": 2147483648, \"sector-size\": 512,"
        " \"changed\": true, \"dry-run\": false, \"warnings\": [], \"layers\": ["
        "{\"kind\": \"md\", \"device\": \"/dev/md0\", \"type\": \"raid0\","
        " \"old-size\": 2145386496, \"size\": 4290772992, \"changed\": true},"
        "{\"kind\": \"lvm-pv\", \"device\": \"/dev/md0\", \"type\": \"big\","
        " \"old-size\": 2143289344, \"size\": 4286578688, \"changed\": true},"
        "{\"kind\": \"lvm-lv\", \"device\": \"/dev/big/all\", \"type\": \"striped\","
        " \"old-size\": 6438256640, \"size\": 8581545984, \"changed\": true},"
        "{\"kind\": \"filesystem\", \"device\": \"/dev/big/all\", \"type\": \"xfs\","
        " \"mountpoint\": \"/big\", \"old-size\": 6438256640, \"size\": 8581545984,"
        " \"changed\": true}]}}";
    g_autoptr(GError) e = NULL;
    g_autoptr(VgGrowReport) r = vg_reply_grow_disk(reply, strlen(reply), &e);
    g_autoptr(GPtrArray) w = g_ptr_array_new_with_free_func(g_free);

    g_assert_no_error(e);
    g_assert_cmpstr(((VgGuestLayer *)r->layers->pdata[0])->type, ==, "raid0");
    vg_grow_report_check(r, 2147483648ULL, w);
    g_assert_cmpuint(w->len, ==, 0);

    /* a crypt mapping larger than its disk does not add up */
    g_autofree char *text = read_data("guest-grow-disk-lvm-on-luks.json", NULL);
    g_autoptr(VgGrowReport) r2 = vg_reply_grow_disk(text, strlen(text), &e);
    g_assert_no_error(e);
    ((VgGuestLayer *)r2->layers->pdata[1])->size = 8589934592ULL;
    vg_grow_report_check(r2, 4294967296ULL, w);
    g_assert_cmpuint(w->len, ==, 1);
    g_assert_cmpstr(w->pdata[0], ==,
                    "the guest reports crypt /dev/mapper/cryptdata larger than its disk");
}

/* An LVM PV's type is its VG's name: up to LVM's 127 bytes. */
static void test_grow_disk_vg_name(void)
{
    g_autoptr(GError) e = NULL;
    gsize len;
    g_autofree char *text = read_data("guest-grow-disk-lvm-on-luks.json", &len);
    g_autofree char *vg127 = g_strnfill(127, 'v');
    g_autofree char *vg129 = g_strnfill(129, 'v');
    g_auto(GStrv) parts = g_strsplit(text, "\"vg0\"", 2);
    g_autofree char *ok = g_strdup_printf("%s\"%s\"%s", parts[0], vg127, parts[1]);
    g_autofree char *bad = g_strdup_printf("%s\"%s\"%s", parts[0], vg129, parts[1]);

    g_autoptr(VgGrowReport) r = vg_reply_grow_disk(ok, strlen(ok), &e);
    g_assert_no_error(e);
    g_assert_cmpstr(((VgGuestLayer *)r->layers->pdata[2])->type, ==, vg127);
    g_assert_null(vg_reply_grow_disk(bad, strlen(bad), &e));
    g_assert_error(e, VG_ERROR, VG_ERROR_REPLY);
    g_assert_nonnull(strstr(e->message, "layers[2].type: longer than 128"));
}

static void test_guest_info(void)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(VgGuestInfo) gi = vg_reply_guest_info(info_reply, strlen(info_reply), &e);
    g_assert_no_error(e);
    g_assert_cmpstr(gi->version, ==, "7.2.22");
    g_assert_true(vg_guest_info_enabled(gi, "guest-exec"));
    g_assert_false(vg_guest_info_enabled(gi, "guest-grow-disk"));  /* listed, disabled */
    g_assert_false(vg_guest_info_enabled(gi, "guest-exec-status"));  /* not listed */
    g_assert_false(vg_guest_info_enabled(NULL, "guest-exec"));
}

static void test_disks(void)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(GPtrArray) d = vg_reply_get_disks(disks_reply, strlen(disks_reply), &e);
    g_assert_no_error(e);
    g_assert_cmpuint(d->len, ==, 4);
    const VgGuestDisk *vdb = d->pdata[1], *sr0 = d->pdata[2], *dm = d->pdata[3];
    g_assert_false(vdb->partition);
    g_assert_cmpstr(vdb->addr->serial, ==, "DATA");
    g_assert_true(vdb->addr->has_pci);
    g_assert_cmpuint(vdb->addr->pci.slot, ==, 5);
    g_assert_false(sr0->addr->has_pci);  /* -1: unknown, not an error */
    g_assert_null(dm->addr);
}

static void test_fsinfo(void)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(GPtrArray) l = vg_reply_get_fsinfo(fsinfo_reply, strlen(fsinfo_reply), &e);
    g_assert_no_error(e);
    g_assert_cmpuint(l->len, ==, 2);
    const VgGuestFs *fs = l->pdata[0], *tmp = l->pdata[1];
    g_assert_true(fs->has_total);
    g_assert_cmpuint(fs->total_bytes, ==, 1031061504);
    g_assert_cmpstr(((VgGuestDiskAddr *)fs->disks->pdata[0])->dev, ==, "/dev/vdb");
    g_assert_false(tmp->has_total);
    g_assert_cmpuint(tmp->disks->len, ==, 0);
}

static void test_exec(void)
{
    static const char started[] = "{\"return\": {\"pid\": 1234}}";
    /* base64 of "{}\n" and "oops" */
    static const char done[] = "{\"return\": {\"exitcode\": 1, \"out-data\": \"e30K\","
                               " \"err-data\": \"b29wcw==\", \"exited\": true}}";
    static const char running[] = "{\"return\": {\"exited\": false}}";
    g_autoptr(GError) e = NULL;
    int64_t pid = 0;

    g_assert_true(vg_reply_exec(started, strlen(started), &pid, &e));
    g_assert_cmpint(pid, ==, 1234);

    g_autoptr(VgExecStatus) st = vg_reply_exec_status(done, strlen(done), &e);
    g_assert_no_error(e);
    g_assert_true(st->exited && st->has_exitcode);
    g_assert_cmpint(st->exitcode, ==, 1);
    g_assert_cmpmem(g_bytes_get_data(st->out, NULL), g_bytes_get_size(st->out), "{}\n", 3);
    g_assert_cmpmem(g_bytes_get_data(st->err, NULL), g_bytes_get_size(st->err), "oops", 4);

    g_autoptr(VgExecStatus) st2 = vg_reply_exec_status(running, strlen(running), &e);
    g_assert_no_error(e);
    g_assert_false(st2->exited);
    g_assert_cmpuint(g_bytes_get_size(st2->out), ==, 0);
}

/* Each must fail with VG_ERROR_REPLY and a message naming the problem. */
typedef VgGrowReport *(*GrowParser)(const char *, gsize, GError **);

static void expect_grow_refused(const char *text, gsize len, const char *message_part)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(VgGrowReport) r = vg_reply_grow_disk(text, len, &e);
    if (r)
        g_error("accepted hostile reply: %.200s", text);
    g_assert_error(e, VG_ERROR, VG_ERROR_REPLY);
    if (!strstr(e->message, message_part))
        g_error("\"%s\" lacks \"%s\" (reply %.100s)", e->message, message_part, text);
}

/* @member replaced in the good reply by @value. */
static char *with_member(const char *member, const char *value)
{
    g_autofree char *needle = g_strdup_printf("\"%s\": ", member);
    const char *at = strstr(grow_reply, needle);
    g_assert_nonnull(at);
    const char *v = at + strlen(needle);
    const char *end = v;
    if (*end == '"') {
        end = strchr(end + 1, '"') + 1;
    } else if (*end == '[') {  /* the good reply has no brackets in strings */
        int depth = 0;
        do
            depth += *end == '[' ? 1 : *end == ']' ? -1 : 0;
        while (*++end && depth);
    } else
        while (*end && *end != ',' && *end != '}')
            end++;
    return g_strdup_printf("%.*s%s%s", (int)(v - grow_reply), grow_reply, value, end);
}

static void test_hostile_values(void)
{
    static const struct {
        const char *member, *value, *message_part;
    } cases[] = {
        { "disk-size", "-1", "out of range" },
        { "disk-size", "99999999999999999999", "out of range" },  /* json-glib: -1 */
        { "disk-size", "9223372036854775808", "out of range" },   /* wraps negative */
        { "disk-size", "1.5e9", "not an integer" },
        { "disk-size", "\"2147483648\"", "not an integer" },
        { "disk-size", "null", "not an integer" },
        { "disk-size", "true", "not an integer" },
        { "sector-size", "0", "power of two" },
        { "sector-size", "513", "power of two" },
        { "sector-size", "131072", "out of range" },
        { "changed", "1", "not a boolean" },
        { "changed", "\"yes\"", "not a boolean" },
        { "disk", "42", "not a string" },
        { "disk", "\"/dev/\\ud800vdc\"", "not UTF-8" },
        { "layers", "{}", "not an array" },
        { "layers", "\"none\"", "not an array" },
        { "layers", "[1]", "layers[0]: not an object" },
        { "layers", "[{}]", "layers[0].kind: missing" },
        { "partno", "-3", "out of range" },
        { "partno", "70000", "out of range" },
        { "kind", "\"Partition; rm\"", "kind is not a lower-case word" },
        { "kind", "\"\"", "kind is not a lower-case word" },
        { "kind", "\"LVM-PV\"", "kind is not a lower-case word" },
        { "kind", "\"lvm pv\"", "kind is not a lower-case word" },
        { "warnings", "[1]", "warnings[0]: not a string" },
        { "warnings", "\"x\"", "not an array" },
        { "mountpoint", "[]", "not a string" },
        { "old-size", "-1024", "out of range" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *text = with_member(cases[i].member, cases[i].value);
        expect_grow_refused(text, strlen(text), cases[i].message_part);
    }
}

static void test_hostile_shapes(void)
{
    static const struct {
        const char *text, *message_part;
    } cases[] = {
        { "", "empty" },
        { "null", "reply: not an object" },
        { "[]", "reply: not an object" },
        { "{}", "no \"return\"" },
        { "{\"error\": {\"class\": \"GenericError\", \"desc\": \"x\"}}", "no \"return\"" },
        { "{\"return\": []}", "result: not an object" },
        { "{\"return\": {}}", "disk: missing" },
        { "{\"return\": ", "not JSON" },
        { "{\"return\": {\"disk\": \"\\ud800\"}}", "not JSON" },
        { "{\"return\": {\"disk\": \"a\"} } trailing", "not JSON" },
        { "\xff\xfe{}", "not UTF-8" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++)
        expect_grow_refused(cases[i].text, strlen(cases[i].text), cases[i].message_part);

    /* an embedded NUL byte */
    static const char nul[] = "{\"return\": {\"disk\": \"a\0b\"}}";
    expect_grow_refused(nul, sizeof(nul) - 1, "not UTF-8");
}

/* Sizes that would exhaust memory, the stack or the terminal. */
static void test_hostile_sizes(void)
{
    GString *s;

    /* deep nesting crashes json-glib's recursive parser: refused before */
    s = g_string_new("{\"return\": ");
    for (int i = 0; i < 200000; i++)
        g_string_append_c(s, '[');
    expect_grow_refused(s->str, s->len, "nested more than");
    g_string_free(s, TRUE);

    /* brackets inside strings do not count: this fails on length, not depth */
    g_autofree char *many = g_strnfill(1000, '[');
    g_autofree char *quoted_many = g_strdup_printf("\"%s\"", many);
    g_autofree char *t = with_member("type", quoted_many);
    expect_grow_refused(t, strlen(t), "layers[0].type: longer than 128");

    /* more than the whole-reply limit */
    g_autofree char *huge = g_strnfill(VG_REPLY_MAX_BYTES + 1, ' ');
    expect_grow_refused(huge, VG_REPLY_MAX_BYTES + 1, "more than the");

    /* a string longer than a path */
    g_autofree char *longdev = g_strnfill(VG_REPLY_MAX_STRING + 1, 'a');
    g_autofree char *quoted = g_strdup_printf("\"%s\"", longdev);
    g_autofree char *t2 = with_member("disk", quoted);
    expect_grow_refused(t2, strlen(t2), "longer than 4096");

    /* too many layers and warnings */
    s = g_string_new(NULL);
    g_string_append(s, "[");
    for (int i = 0; i <= VG_REPLY_MAX_LAYERS; i++)
        g_string_append_printf(s, "%s{\"kind\": \"partition\", \"device\": \"d\", \"type\": \"gpt\","
                               " \"old-size\": 1, \"size\": 1, \"changed\": false}", i ? "," : "");
    g_string_append(s, "]");
    g_autofree char *t3 = with_member("layers", s->str);
    expect_grow_refused(t3, strlen(t3), "more than 16 elements");
    g_string_free(s, TRUE);
}

/* Each parser as "did it accept the reply?" (what it built, freed). */
typedef gboolean (*Accepts)(const char *text, gsize len, GError **e);

static gboolean accepts_info(const char *t, gsize n, GError **e)
{
    VgGuestInfo *r = vg_reply_guest_info(t, n, e);
    vg_guest_info_free(r);
    return r != NULL;
}

static gboolean accepts_list(GPtrArray *r)
{
    if (r)
        g_ptr_array_unref(r);
    return r != NULL;
}

static gboolean accepts_disks(const char *t, gsize n, GError **e)
{
    return accepts_list(vg_reply_get_disks(t, n, e));
}

static gboolean accepts_fsinfo(const char *t, gsize n, GError **e)
{
    return accepts_list(vg_reply_get_fsinfo(t, n, e));
}

static gboolean accepts_exec_status(const char *t, gsize n, GError **e)
{
    VgExecStatus *r = vg_reply_exec_status(t, n, e);
    vg_exec_status_free(r);
    return r != NULL;
}

static gboolean accepts_grow(const char *t, gsize n, GError **e)
{
    VgGrowReport *r = vg_reply_grow_disk(t, n, e);
    vg_grow_report_free(r);
    return r != NULL;
}

static gboolean accepts_exec(const char *t, gsize n, GError **e)
{
    int64_t pid;
    return vg_reply_exec(t, n, &pid, e);
}

static void expect_all_refused(Accepts accepts, const char *const *replies, gsize n)
{
    for (gsize i = 0; i < n; i++) {
        g_autoptr(GError) e = NULL;
        if (accepts(replies[i], strlen(replies[i]), &e))
            g_error("accepted hostile reply: %s", replies[i]);
        g_assert_error(e, VG_ERROR, VG_ERROR_REPLY);
    }
}

static void test_hostile_other_replies(void)
{
    static const char *const info_bad[] = {
        "{\"return\": {\"supported_commands\": {}}}",
        "{\"return\": {\"supported_commands\": [{\"name\": \"x\"}]}}",
        "{\"return\": {\"supported_commands\": [{\"name\": 5, \"enabled\": true}]}}",
        "{\"return\": {}}",
    };
    static const char *const disks_bad[] = {
        "{\"return\": {}}",
        "{\"return\": [{\"name\": \"/dev/vda\"}]}",
        "{\"return\": [{\"name\": \"/dev/vda\", \"partition\": false, \"address\": 1}]}",
        "{\"return\": [{\"name\": \"/dev/vda\", \"partition\": false, \"address\":"
        " {\"pci-controller\": {\"domain\": 0, \"bus\": 0, \"slot\": 99, \"function\": 0}}}]}",
        "{\"return\": [{\"name\": \"/dev/vda\", \"partition\": false, \"address\":"
        " {\"pci-controller\": {\"domain\": -2, \"bus\": 0, \"slot\": 1, \"function\": 0}}}]}",
    };
    static const char *const fs_bad[] = {
        "{\"return\": [{\"name\": \"vda1\", \"mountpoint\": \"/\", \"type\": \"ext4\"}]}",
        "{\"return\": [{\"name\": \"vda1\", \"mountpoint\": \"/\", \"type\": \"ext4\", "
        "\"total-bytes\": -5, \"disk\": []}]}",
    };
    static const char *const exec_bad[] = {
        "{\"return\": {\"exited\": true, \"out-data\": \"not base64!\"}}",
        "{\"return\": {\"exited\": true, \"out-data\": \"abc\"}}",
        "{\"return\": {\"exited\": true, \"out-data\": \"a=bc\"}}",
        "{\"return\": {\"exited\": true, \"exitcode\": 256}}",
        "{\"return\": {\"exited\": true, \"exitcode\": -1}}",
        "{\"return\": {\"exited\": \"yes\"}}",
    };
    static const char *const pid_bad[] = {
        "{\"return\": {\"pid\": -4}}",
        "{\"return\": {\"pid\": \"4\"}}",
    };
    expect_all_refused(accepts_info, info_bad, G_N_ELEMENTS(info_bad));
    expect_all_refused(accepts_disks, disks_bad, G_N_ELEMENTS(disks_bad));
    expect_all_refused(accepts_fsinfo, fs_bad, G_N_ELEMENTS(fs_bad));
    expect_all_refused(accepts_exec_status, exec_bad, G_N_ELEMENTS(exec_bad));
    expect_all_refused(accepts_exec, pid_bad, G_N_ELEMENTS(pid_bad));
}

/* Random byte flips, cuts and splices of good replies through every parser:
 * each result is either refused or well-formed; nothing crashes.  (A seeded
 * stand-in for the libFuzzer target in fuzz-agent-reply.c.) */
static void test_mutations(void)
{
    static const char *const seeds[] = { grow_reply, info_reply, disks_reply, fsinfo_reply };
    static const char bytes[] = "{}[]\":,-0123456789.eE\\u \x01\x7f\xc2\x9b\xff";
    GRand *rand = g_rand_new_with_seed(20240501);
    unsigned accepted = 0;

    for (int round = 0; round < 20000; round++) {
        const char *seed = seeds[round % G_N_ELEMENTS(seeds)];
        GString *s = g_string_new(seed);
        int edits = g_rand_int_range(rand, 1, 6);
        for (int k = 0; k < edits && s->len; k++) {
            guint at = (guint)g_rand_int_range(rand, 0, (gint32)s->len);
            switch (g_rand_int_range(rand, 0, 3)) {
            case 0:
                s->str[at] = bytes[g_rand_int_range(rand, 0, sizeof(bytes) - 1)];
                break;
            case 1: {
                gint n = g_rand_int_range(rand, 1, 20);
                g_string_erase(s, at, MIN(n, (gint)(s->len - at)));
                break;
            }
            default:
                g_string_insert_len(s, at, seeds[g_rand_int_range(rand, 0, 4)] +
                                    g_rand_int_range(rand, 0, 40), g_rand_int_range(rand, 1, 60));
            }
        }
        static const Accepts parsers[] = { accepts_grow, accepts_info, accepts_disks,
                                           accepts_fsinfo, accepts_exec_status, accepts_exec };
        for (gsize p = 0; p < G_N_ELEMENTS(parsers); p++) {
            GError *e = NULL;
            gboolean ok = parsers[p](s->str, s->len, &e);
            g_assert_true(ok == (e == NULL));  /* an error exactly when refused */
            accepted += ok && p == 0;
            g_clear_error(&e);
        }
        g_string_free(s, TRUE);
    }
    g_rand_free(rand);
    g_test_message("%u of 20000 mutated grow replies still well-formed", accepted);
}

/* Guest bytes become valid UTF-8 text; the characters stay (printers
 * escape them), newlines join lines. */
static void test_sanitize(void)
{
    static const char raw[] = "bad\x1b[2J\nline2\xff\x01\n\n";
    g_autofree char *s = vg_sanitize_guest_text(raw, sizeof(raw) - 1, 100);
    g_assert_cmpstr(s, ==, "bad\x1b[2J / line2\\xff\x01");
    g_autofree char *cut = vg_sanitize_guest_text("abcdef", 6, 3);
    g_assert_cmpstr(cut, ==, "abc...");
    g_autofree char *nul = vg_sanitize_guest_text("a\0b", 3, 100);
    g_assert_cmpstr(nul, ==, "a\\x00b");
}

/* Strings are kept exactly as the guest sent them, whatever they hold:
 * escaping is the printer's job (safe-text.c), the JSON output passes them
 * on.  A reply is not refused for them (the guest may really have grown). */
static void test_strings_kept(void)
{
    static const char *const values[][2] = {
        { "\"/dev/\\u001b[31mvdc\"", "/dev/\x1b[31mvdc" },
        { "\"/dev/\\u009b31mvdc\"", "/dev/\xc2\x9b" "31mvdc" },
        { "\"/dev/vdc\\nFAKE LINE\"", "/dev/vdc\nFAKE LINE" },
        { "\"/dev/\\u202evdc\"", "/dev/\xe2\x80\xae" "vdc" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(values); i++) {
        g_autoptr(GError) e = NULL;
        g_autofree char *text = with_member("disk", values[i][0]);
        g_autoptr(VgGrowReport) r = vg_reply_grow_disk(text, strlen(text), &e);
        g_assert_no_error(e);
        g_assert_cmpstr(r->disk, ==, values[i][1]);
    }
    g_autoptr(GError) e = NULL;
    gsize len;
    g_autofree char *text = read_data("guest-grow-disk-hostile.json", &len);
    g_autoptr(VgGrowReport) r = vg_reply_grow_disk(text, len, &e);
    g_assert_no_error(e);
    const VgGuestLayer *f = r->layers->pdata[1];
    g_assert_cmpstr(f->mountpoint, ==,
                    "/data\xc2\x9b" "31m\xe2\x80\xa8virt-grow: all fine\xef\xbb\xbf");
    g_assert_cmpstr(f->error, ==, "no space\x1b]0;owned\x07\nvirt-grow: grown and confirmed");
    g_assert_cmpstr(r->error, ==, "stopped\x1b[8m hidden");
}

/* A run that stopped after it began to write: each layer's state, its
 * error and limit, and the run's error. */
static void test_partial(void)
{
    g_autoptr(GError) e = NULL;
    gsize len;
    g_autofree char *text = read_data("guest-grow-disk-partial.json", &len);
    g_autoptr(VgGrowReport) r = vg_reply_grow_disk(text, len, &e);

    g_assert_no_error(e);
    g_assert_cmpstr(r->error, ==,
                    "filesystem /dev/vdc1 failed after partition /dev/vdc1 grew: rerun to resume");
    const VgGuestLayer *p = r->layers->pdata[0], *f = r->layers->pdata[1];
    g_assert_cmpstr(p->state, ==, "grown");
    g_assert_null(p->error);
    g_assert_null(p->limit);
    g_assert_false(vg_guest_layer_failed(p));
    g_assert_cmpstr(f->state, ==, "failed");
    g_assert_true(vg_guest_layer_failed(f));
    g_assert_cmpstr(f->error, ==, "resize2fs: Permission denied to resize filesystem");
    g_assert_cmpstr(f->limit, ==, "ext4 without 64bit: at most 2^32 blocks");

    /* the same object bare, as qga-grow --json prints it */
    const char *obj = strchr(text + 1, '{');
    const char *last = strrchr(text, '}');
    g_autoptr(VgGrowReport) bare = vg_grow_report_parse(obj, (gsize)(last - obj), &e);
    g_assert_no_error(e);
    g_assert_cmpstr(bare->error, ==, r->error);
    g_assert_cmpstr(((VgGuestLayer *)bare->layers->pdata[1])->state, ==, "failed");

    /* the new members, hostile */
    static const char *const bad[][3] = {
        { "\"state\": \"failed\"", "\"state\": \"Failed!\"", "state is not a lower-case word" },
        { "\"state\": \"failed\"", "\"state\": 1", "state: not a string" },
        { "\"limit\": \"ext4", "\"limit\": [\"ext4\"], \"x\": \"", "limit: not a string" },
        { "\"error\": \"filesystem", "\"error\": {}, \"x\": \"", "error: not a string" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GString) t = g_string_new(text);
        g_assert_cmpuint(g_string_replace(t, bad[i][0], bad[i][1], 1), ==, 1);
        expect_grow_refused(t->str, t->len, bad[i][2]);
    }

    /* an agent from before: no state, no error */
    g_autoptr(VgGrowReport) old = vg_reply_grow_disk(grow_reply, strlen(grow_reply), &e);
    g_assert_no_error(e);
    g_assert_null(old->error);
    g_assert_null(((VgGuestLayer *)old->layers->pdata[0])->state);
    g_assert_false(vg_guest_layer_failed(old->layers->pdata[0]));
}

/* The asynchronous form: the job's id, then its status while it runs, and
 * once done. */
static void test_async(void)
{
    g_autoptr(GError) e = NULL;
    int64_t job = 0;
    static const char started[] = "{\"return\": {\"job\": 7}}";
    g_assert_true(vg_reply_grow_disk_job(started, strlen(started), &job, &e));
    g_assert_cmpint(job, ==, 7);

    static const char locking[] = "{\"return\": {\"job\": 7, \"done\": false, "
                                  "\"phase\": \"locking\"}}";
    g_autoptr(VgGrowStatus) st = vg_reply_grow_disk_status(locking, strlen(locking), &e);
    g_assert_no_error(e);
    g_assert_cmpint(st->job, ==, 7);
    g_assert_false(st->done);
    g_assert_cmpstr(st->phase, ==, "locking");
    g_assert_null(st->layer_kind);
    g_assert_false(st->has_fraction);
    g_assert_null(st->result);

    static const char growing[] = "{\"return\": {\"job\": 7, \"done\": false, "
        "\"phase\": \"growing\", \"layer\": {\"kind\": \"filesystem\", "
        "\"device\": \"/dev/vdc1\"}, \"index\": 2, \"count\": 2, \"fraction\": 0.25}}";
    g_autoptr(VgGrowStatus) g = vg_reply_grow_disk_status(growing, strlen(growing), &e);
    g_assert_no_error(e);
    g_assert_cmpstr(g->layer_kind, ==, "filesystem");
    g_assert_cmpstr(g->layer_device, ==, "/dev/vdc1");
    g_assert_cmpuint(g->index, ==, 2);
    g_assert_cmpuint(g->count, ==, 2);
    g_assert_true(g->has_fraction);
    g_assert_cmpfloat(g->fraction, ==, 0.25);

    static const char whole[] = "{\"return\": {\"job\": 7, \"done\": false, "
                                "\"phase\": \"growing\", \"fraction\": 1}}";
    g_autoptr(VgGrowStatus) w = vg_reply_grow_disk_status(whole, strlen(whole), &e);
    g_assert_no_error(e);
    g_assert_cmpfloat(w->fraction, ==, 1.0);

    /* done with the result: exactly the synchronous reply's object */
    gsize len;
    g_autofree char *partial = read_data("guest-grow-disk-partial.json", &len);
    const char *obj = strchr(partial + 1, '{');
    const char *last = strrchr(partial, '}');
    g_autofree char *done = g_strdup_printf("{\"return\": {\"job\": 7, \"done\": true, "
                                            "\"phase\": \"done\", \"result\": %.*s}}",
                                            (int)(last - obj), obj);
    g_autoptr(VgGrowStatus) d = vg_reply_grow_disk_status(done, strlen(done), &e);
    g_assert_no_error(e);
    g_assert_true(d->done);
    g_assert_nonnull(d->result);
    g_assert_null(d->error);
    g_assert_cmpuint(d->result->layers->len, ==, 2);
    g_assert_nonnull(d->result->error);

    static const char failed[] = "{\"return\": {\"job\": 7, \"done\": true, "
        "\"phase\": \"done\", \"error\": \"disk /dev/vdc is locked by pid 99\"}}";
    g_autoptr(VgGrowStatus) f = vg_reply_grow_disk_status(failed, strlen(failed), &e);
    g_assert_no_error(e);
    g_assert_null(f->result);
    g_assert_cmpstr(f->error, ==, "disk /dev/vdc is locked by pid 99");
}

static void test_async_hostile(void)
{
    static const struct {
        const char *text, *message_part;
    } jobs[] = {
        { "{\"return\": {\"job\": 0}}", "0 is not a job" },
        { "{\"return\": {\"job\": -3}}", "out of range" },
        { "{\"return\": {\"job\": \"7\"}}", "not an integer" },
        { "{\"return\": {}}", "job: missing" },
        { "{\"return\": 7}", "not an object" },
    }, status[] = {
        { "{\"return\": {\"done\": false, \"phase\": \"locking\"}}", "job: missing" },
        { "{\"return\": {\"job\": 0, \"done\": false, \"phase\": \"x\"}}", "not a job" },
        { "{\"return\": {\"job\": 7, \"phase\": \"locking\"}}", "done: missing" },
        { "{\"return\": {\"job\": 7, \"done\": false}}", "phase: missing" },
        { "{\"return\": {\"job\": 7, \"done\": false, \"phase\": \"Lock\\u001b\"}}",
          "phase: not a lower-case word" },
        { "{\"return\": {\"job\": 7, \"done\": false, \"phase\": \"growing\", "
          "\"fraction\": 1.5}}", "not from 0 to 1" },
        { "{\"return\": {\"job\": 7, \"done\": false, \"phase\": \"growing\", "
          "\"fraction\": -0.1}}", "not from 0 to 1" },
        { "{\"return\": {\"job\": 7, \"done\": false, \"phase\": \"growing\", "
          "\"fraction\": \"50%\"}}", "not a number" },
        { "{\"return\": {\"job\": 7, \"done\": false, \"phase\": \"growing\", "
          "\"index\": 3, \"count\": 2}}", "past count" },
        { "{\"return\": {\"job\": 7, \"done\": false, \"phase\": \"growing\", "
          "\"count\": 99}}", "out of range" },
        { "{\"return\": {\"job\": 7, \"done\": false, \"phase\": \"growing\", "
          "\"layer\": {\"kind\": \"File System\", \"device\": \"x\"}}}",
          "kind: not a lower-case word" },
        { "{\"return\": {\"job\": 7, \"done\": false, \"phase\": \"growing\", "
          "\"layer\": \"fs\"}}", "layer: not an object" },
        { "{\"return\": {\"job\": 7, \"done\": true, \"phase\": \"done\"}}",
          "neither a result nor an error" },
        { "{\"return\": {\"job\": 7, \"done\": true, \"phase\": \"done\", "
          "\"error\": \"x\", \"result\": {\"disk\": \"/dev/vdc\", \"disk-size\": 1, "
          "\"sector-size\": 512, \"changed\": false, \"dry-run\": false, \"layers\": []}}}",
          "both a result and an error" },
        { "{\"return\": {\"job\": 7, \"done\": false, \"phase\": \"growing\", "
          "\"error\": \"x\"}}", "but not done" },
        { "{\"return\": {\"job\": 7, \"done\": true, \"phase\": \"done\", "
          "\"result\": {\"disk\": 1}}}", "disk: not a string" },
        { "{\"return\": {\"job\": 7, \"done\": true, \"phase\": \"done\", "
          "\"result\": []}}", "result: not an object" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(jobs); i++) {
        g_autoptr(GError) e = NULL;
        int64_t job = 0;
        g_assert_false(vg_reply_grow_disk_job(jobs[i].text, strlen(jobs[i].text), &job, &e));
        g_assert_error(e, VG_ERROR, VG_ERROR_REPLY);
        if (!strstr(e->message, jobs[i].message_part))
            g_error("\"%s\" lacks \"%s\"", e->message, jobs[i].message_part);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(status); i++) {
        g_autoptr(GError) e = NULL;
        g_autoptr(VgGrowStatus) st = vg_reply_grow_disk_status(status[i].text,
                                                               strlen(status[i].text), &e);
        if (st)
            g_error("accepted hostile status: %s", status[i].text);
        g_assert_error(e, VG_ERROR, VG_ERROR_REPLY);
        if (!strstr(e->message, status[i].message_part))
            g_error("\"%s\" lacks \"%s\"", e->message, status[i].message_part);
    }
}

static void test_fsfreeze_status(void)
{
    static const struct { const char *text; int want; } cases[] = {
        { "{\"return\": \"frozen\"}", TRUE },
        { "{\"return\": \"thawed\"}", FALSE },
        { "{\"return\": \"Frozen\"}", -1 },
        { "{\"return\": 1}", -1 },
        { "{\"return\": {}}", -1 },
        { "{\"error\": {\"class\": \"GenericError\", \"desc\": \"x\"}}", -1 },
        { "[\"frozen\"]", -1 },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) e = NULL;
        gboolean frozen = 7;
        gboolean ok = vg_reply_fsfreeze_status(cases[i].text, strlen(cases[i].text), &frozen, &e);
        if (cases[i].want < 0) {
            g_assert_false(ok);
            g_assert_nonnull(e);
            g_assert_cmpint(frozen, ==, 7);  /* untouched */
        } else {
            g_assert_no_error(e);
            g_assert_cmpint(frozen, ==, cases[i].want);
        }
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/agent-reply/grow-disk", test_grow_disk);
    g_test_add_func("/agent-reply/grow-disk/lvm-on-luks", test_grow_disk_stack);
    g_test_add_func("/agent-reply/grow-disk/spanning", test_grow_disk_spanning);
    g_test_add_func("/agent-reply/grow-disk/vg-name", test_grow_disk_vg_name);
    g_test_add_func("/agent-reply/guest-info", test_guest_info);
    g_test_add_func("/agent-reply/get-disks", test_disks);
    g_test_add_func("/agent-reply/get-fsinfo", test_fsinfo);
    g_test_add_func("/agent-reply/exec", test_exec);
    g_test_add_func("/agent-reply/fsfreeze-status", test_fsfreeze_status);
    g_test_add_func("/agent-reply/hostile/values", test_hostile_values);
    g_test_add_func("/agent-reply/hostile/shapes", test_hostile_shapes);
    g_test_add_func("/agent-reply/hostile/sizes", test_hostile_sizes);
    g_test_add_func("/agent-reply/hostile/other-replies", test_hostile_other_replies);
    g_test_add_func("/agent-reply/hostile/mutations", test_mutations);
    g_test_add_func("/agent-reply/sanitize", test_sanitize);
    g_test_add_func("/agent-reply/strings-kept", test_strings_kept);
    g_test_add_func("/agent-reply/grow-disk/partial", test_partial);
    g_test_add_func("/agent-reply/async", test_async);
    g_test_add_func("/agent-reply/async/hostile", test_async_hostile);
    return g_test_run();
}
