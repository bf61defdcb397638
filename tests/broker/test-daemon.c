/* virt-growd's parts that need no broker: the strict configuration, the
 * owner read from metadata, the rules, and the journal (on a real
 * directory: written, reopened, a torn last line, its bound, its lock). */
#include "config.h"
#include "journal.h"
#include "log.h"
#include "owner.h"
#include "policy.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static const char BASE[] = "[broker]\nurl = amqps://n1@rabbit.example/\nnode = n1\n";

static VgdConfig *conf(const char *rest, GError **e)
{
    g_autofree char *text = g_strconcat(BASE, rest, NULL);
    return vgd_config_parse("v.conf", text, strlen(text), e);
}

static void test_config(void)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(VgdConfig) c = conf("heartbeat=10\nca-file = /etc/ca.pem\n[libvirt]\nuri = "
                                  "qemu:///system\n[domains]\nunowned = allow\n[daemon]\n"
                                  "concurrency = 8\nstate-dir = /srv/vg\n# a comment\n\n"
                                  "[requester api]\nmax-size = 2T\ndomains = web-* db?\n"
                                  "[requester ops]\nmax-size = 100G\n", &e);
    g_assert_no_error(e);
    g_assert_true(c->url.tls);
    g_assert_cmpstr(c->node, ==, "n1");
    g_assert_cmpuint(c->heartbeat_s, ==, 10);
    g_assert_true(c->unowned_allow);
    g_assert_cmpuint(c->concurrency, ==, 8);
    g_assert_cmpstr(c->state_dir, ==, "/srv/vg");
    g_assert_cmpuint(c->requesters->len, ==, 2);
    const VgdRequester *r = vgd_config_requester(c, "api");
    g_assert_cmpuint(r->max_size, ==, 2ull << 40);
    g_assert_cmpstr(r->domains[1], ==, "db?");
    g_assert_null(vgd_config_requester(c, "Api"));
    g_assert_null(vgd_config_requester(c, NULL));

    /* the defaults: deny unowned, qemu:///system, 4 at once */
    g_autoptr(VgdConfig) d = conf("", &e);
    g_assert_no_error(e);
    g_assert_false(d->unowned_allow);
    g_assert_cmpstr(d->libvirt_uri, ==, "qemu:///system");
    g_assert_cmpuint(d->concurrency, ==, 4);
    g_assert_cmpstr(d->state_dir, ==, "/var/lib/virt-grow");
}

static void test_config_strict(void)
{
    static const struct { const char *rest, *want; } bad[] = {
        { "[Broker]\n", "v.conf:4: unknown section [Broker]" },
        { "[requester api]\nmax-size = 1G\nmaxsize = 2G\n", "v.conf:6: unknown key maxsize=" },
        { "node = n2\n", "v.conf:4: [broker] node= again (first on line 3)" },
        { "[domains]\nunowned = yes\n", "v.conf:5: [domains] unowned= must be deny or allow" },
        { "[domains]\n[domains]\n", "v.conf:5: [domains] again" },
        { "stray words\n", "v.conf:4: \"stray words\" is neither" },
        { "[requester api]\n", "v.conf:4: [requester api] needs max-size=" },
        { "[requester api]\nmax-size = lots\n", "v.conf:5: [requester api] max-size= must be" },
        { "[requester a b]\n", "v.conf:4: [requester a b]: NAME" },
        { "[daemon]\nconcurrency = 0\n", "v.conf:5: [daemon] concurrency= must be a whole number from 1" },
        { "[daemon]\nstate-dir = var/lib\n", "v.conf:5: [daemon] state-dir= must be an absolute path" },
        { "heartbeat =\n", "v.conf:4: [broker] heartbeat= has no value" },
        { "cert-file = /c\n", "[broker]: cert-file= and key-file= go together" },
        { "password-file = /p\n[libvirt]\nuri=x\n", NULL },
        { "\xff\n", "v.conf:4: not valid UTF-8" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) e = NULL;
        g_autoptr(VgdConfig) c = conf(bad[i].rest, &e);
        if (!bad[i].want) {
            g_assert_no_error(e);
            continue;
        }
        g_assert_null(c);
        if (!e || !strstr(e->message, bad[i].want))
            g_error("%s: \"%s\", want \"%s\"", bad[i].rest, e ? e->message : "(accepted)",
                    bad[i].want);
    }
    static const struct { const char *text, *want; } whole[] = {
        { "[broker]\nnode = n1\n", "[broker] url= is missing" },
        { "[broker]\nurl = amqp://n1@10.0.0.5/\n", "refusing plain AMQP to 10.0.0.5" },
        { "[broker]\nurl = amqp://localhost/\n", "names no user" },
        { "[broker]\nurl = amqp://n:pw@localhost/\npassword-file = /p\n", "give one" },
        { "[broker]\nurl = amqp://n@localhost/\nnode = n 1\n", "node= must be" },
        { "url = amqp://n@localhost/\n", "v.conf:1: url= before any section" },
        { "[broker]\nurl = amqp://n@localhost/\0\n", "a NUL byte" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(whole); i++) {
        g_autoptr(GError) e = NULL;
        gsize len = strlen(whole[i].text) + (strstr(whole[i].want, "NUL") ? 2 : 0);
        g_autoptr(VgdConfig) c = vgd_config_parse("v.conf", whole[i].text, len, &e);
        g_assert_null(c);
        if (!strstr(e->message, whole[i].want))
            g_error("%s: \"%s\", want \"%s\"", whole[i].text, e->message, whole[i].want);
    }
}

static void test_config_file_mode(void)
{
    g_autofree char *dir = g_dir_make_tmp("vgd-conf-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "virt-growd.conf", NULL);
    g_autofree char *pw = g_build_filename(dir, "pw", NULL);
    g_autofree char *text = g_strdup_printf("%spassword-file = %s\n", BASE, pw);
    g_autoptr(GError) e = NULL;

    g_assert_true(g_file_set_contents(path, text, -1, NULL));
    g_assert_true(g_file_set_contents(pw, "s3cret\n", -1, NULL));
    g_chmod(path, 0644);
    g_chmod(pw, 0600);
    g_assert_null(vgd_config_load(path, &e));
    g_assert_nonnull(strstr(e->message, "mode 0644 lets others read or change it"));
    g_assert_nonnull(strstr(e->message, "chmod 600"));
    g_clear_error(&e);
    g_chmod(path, 0600);
    g_chmod(pw, 0640);
    g_assert_null(vgd_config_load(path, &e));
    g_assert_nonnull(strstr(e->message, "pw: mode 0640"));
    g_clear_error(&e);
    g_chmod(pw, 0400);
    g_autoptr(VgdConfig) c = vgd_config_load(path, &e);
    g_assert_no_error(e);
    g_assert_cmpstr(c->password, ==, "s3cret");
    g_assert_true(g_file_set_contents(pw, "two\nlines\n", -1, NULL));
    g_chmod(pw, 0600);
    g_autoptr(VgdConfig) c2 = vgd_config_load(path, &e);
    g_assert_null(c2);
    g_assert_nonnull(strstr(e->message, "holds one line"));
    g_clear_error(&e);
    /* no password at all: the login could only fail, later */
    g_assert_true(g_file_set_contents(path, BASE, -1, NULL));
    g_chmod(path, 0600);
    g_assert_null(vgd_config_load(path, &e));
    g_assert_nonnull(strstr(e->message, "[broker] gives no password"));
    g_unlink(pw);
    g_unlink(path);
    g_rmdir(dir);
}

static void test_owner(void)
{
    static const struct { const char *xml; gboolean nova; const char *want; } cases[] = {
        { "<instance xmlns=\"http://openstack.org/xmlns/libvirt/nova/1.1\"><name>x</name>"
          "<owner><user uuid=\"u\">a</user><project uuid=\"p-1\">demo</project></owner>"
          "</instance>", TRUE, "p-1" },
        { "<nova:instance xmlns:nova=\"http://openstack.org/xmlns/libvirt/nova/1.0\">"
          "<nova:owner><nova:project uuid=\"p-2\"/></nova:owner></nova:instance>", TRUE, "p-2" },
        { "<instance><owner><user uuid=\"u\"/></owner></instance>", TRUE, NULL },
        { "<instance><project uuid=\"not-in-owner\"/></instance>", TRUE, NULL },
        { "<vgrow:owner xmlns:vgrow=\"urn:qga-grow:virt-grow:owner:1\" project=\"t-a\"/>", FALSE, "t-a" },
        { "<owner/>", FALSE, NULL },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) e = NULL;
        g_autofree char *p = NULL;
        g_assert_true(vgd_owner_parse(cases[i].xml, cases[i].nova, &p, &e));
        g_assert_no_error(e);
        g_assert_cmpstr(p, ==, cases[i].want);
    }
    static const struct { const char *xml; gboolean nova; } bad[] = {
        { "<instance><owner>", TRUE },
        { "<other project=\"x\"/>", FALSE },
        { "<owner project=\"x\"/>", TRUE },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) e = NULL;
        g_autofree char *p = NULL;
        g_assert_false(vgd_owner_parse(bad[i].xml, bad[i].nova, &p, &e));
        g_assert_null(p);
        g_assert_nonnull(e);
    }
}

static void test_policy(void)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(VgdConfig) c = conf("[requester api]\nmax-size = 1G\ndomains = web-*\n", &e);
    const VgdRequester *r = NULL;
    g_autofree char *w1 = vgd_policy_requester(c, "api", &r);
    g_assert_null(w1);
    g_assert_nonnull(r);
    g_autofree char *w2 = vgd_policy_requester(c, "mallory", &r);
    g_assert_nonnull(strstr(w2, "rule [requester]: broker user mallory"));
    g_autofree char *w3 = vgd_policy_requester(c, NULL, &r);
    g_assert_nonnull(strstr(w3, "no user_id"));
    r = vgd_config_requester(c, "api");
    g_assert_null(vgd_policy_size(c, r, 1ull << 30));
    g_autofree char *w4 = vgd_policy_size(c, r, (1ull << 30) + 1);
    g_assert_nonnull(strstr(w4, "rule [max-size]"));
    g_assert_nonnull(strstr(w4, "v.conf:4"));
    g_assert_null(vgd_policy_domain(c, r, "web-1"));
    g_autofree char *w5 = vgd_policy_domain(c, r, "db-1");
    g_assert_nonnull(strstr(w5, "rule [domains]"));
    g_assert_null(vgd_policy_owner(c, "d", "p", "p", "src"));
    g_autofree char *w6 = vgd_policy_owner(c, "d", "p", "q", "src");
    g_assert_nonnull(strstr(w6, "rule [project]"));
    g_assert_null(strstr(w6, "q"));  /* another tenant's id is not told */
    g_autofree char *w7 = vgd_policy_owner(c, "d", "p", NULL, NULL);
    g_assert_nonnull(strstr(w7, "rule [unowned]"));
    c->unowned_allow = TRUE;
    g_assert_null(vgd_policy_owner(c, "d", "p", NULL, NULL));
}

static void test_journal(void)
{
    g_autofree char *dir = g_dir_make_tmp("vgd-journal-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "journal", NULL);
    g_autoptr(GError) e = NULL;

    VgdJournal *j = vgd_journal_open(dir, 16, &e);
    g_assert_no_error(e);
    /* one daemon per directory */
    g_autoptr(GError) e2 = NULL;
    g_assert_null(vgd_journal_open(dir, 16, &e2));
    g_assert_nonnull(strstr(e2->message, "another virt-growd uses this directory"));
    g_assert_true(vgd_journal_start(j, "id-1", "api", &e));
    g_assert_true(vgd_journal_start(j, "id-2", "api", &e));
    g_assert_true(vgd_journal_start(j, "id-2", "api", &e));
    g_assert_cmpuint(vgd_journal_starts(j, "id-2"), ==, 2);
    g_assert_true(vgd_journal_finish(j, "id-1", "api", "{\"reply\":1}", &e));
    g_assert_true(vgd_journal_finish(j, "id-1", "api", "{\"other\":2}", &e));  /* first stays */
    vgd_journal_free(j);

    /* reopened: what was recorded is there; a torn last line is not */
    int fd = open(path, O_WRONLY | O_APPEND);
    g_assert_cmpint(write(fd, "{\"event\":\"finished\",\"id\":\"id-3\"", 32), ==, 32);
    close(fd);
    j = vgd_journal_open(dir, 16, &e);
    g_assert_no_error(e);
    g_autofree char *who = NULL;
    g_autofree char *r1 = vgd_journal_reply(j, "id-1", &who);
    g_assert_cmpstr(r1, ==, "{\"reply\":1}");
    g_assert_cmpstr(who, ==, "api");
    g_assert_null(vgd_journal_reply(j, "id-3", NULL));
    g_assert_null(vgd_journal_reply(j, "id-2", NULL));
    g_assert_cmpuint(vgd_journal_starts(j, "id-2"), ==, 2);
    g_assert_cmpuint(vgd_journal_starts(j, "id-1"), ==, 0);

    /* bounded: the newest 16 finished ones, the file rewritten */
    for (int i = 0; i < 100; i++) {
        g_autofree char *id = g_strdup_printf("n-%d", i);
        g_assert_true(vgd_journal_finish(j, id, "api", "{}", &e));
    }
    g_assert_cmpuint(vgd_journal_size(j), ==, 16);
    g_assert_null(vgd_journal_reply(j, "n-83", NULL));
    g_autofree char *last = vgd_journal_reply(j, "n-99", NULL);
    g_assert_cmpstr(last, ==, "{}");
    vgd_journal_free(j);
    g_autofree char *text = NULL;
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    guint lines = 0;
    for (char *c = text; *c; c++)
        lines += *c == '\n';
    g_assert_cmpuint(lines, <=, 2 * 16 + 64 + 1);

    /* starts that never finish (their messages never came back): the
     * newest 16 kept, with their counts; the file bounded too */
    j = vgd_journal_open(dir, 16, &e);
    g_assert_no_error(e);
    for (int i = 0; i < 200; i++) {
        g_autofree char *id = g_strdup_printf("c-%d", i);
        g_assert_true(vgd_journal_start(j, id, "api", &e));
    }
    g_assert_true(vgd_journal_start(j, "c-199", "api", &e));
    vgd_journal_free(j);
    g_free(text);
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    lines = 0;
    for (char *c = text; *c; c++)
        lines += *c == '\n';
    g_assert_cmpuint(lines, <=, 2 * 16 + 64 + 1);
    j = vgd_journal_open(dir, 16, &e);
    g_assert_no_error(e);
    g_assert_cmpuint(vgd_journal_starts(j, "c-199"), ==, 2);
    g_assert_cmpuint(vgd_journal_starts(j, "c-184"), ==, 1);
    g_assert_cmpuint(vgd_journal_starts(j, "c-183"), ==, 0);
    g_assert_cmpuint(vgd_journal_starts(j, "id-2"), ==, 0);
    g_assert_cmpuint(vgd_journal_size(j), ==, 16);  /* the finished ones stay */
    g_autofree char *still = vgd_journal_reply(j, "n-99", NULL);
    g_assert_cmpstr(still, ==, "{}");
    vgd_journal_free(j);

    g_autofree char *lock = g_build_filename(dir, "journal.lock", NULL);
    g_unlink(path);
    g_unlink(lock);
    g_rmdir(dir);
}

/* sd_notify's protocol, to a datagram socket of our own */
static void test_notify(void)
{
    g_autofree char *dir = g_dir_make_tmp("vgd-notify-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "notify", NULL);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    char buf[64] = "";
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

    g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
    g_assert_cmpint(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    g_setenv("NOTIFY_SOCKET", path, TRUE);
    vgd_notify("READY=1");
    g_unsetenv("NOTIFY_SOCKET");
    vgd_notify("STATUS=nobody listens");  /* no socket: nothing, no error */
    g_assert_cmpint(recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT), ==, 7);
    g_assert_cmpstr(buf, ==, "READY=1");
    close(fd);
    g_unlink(path);
    g_rmdir(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/daemon/config", test_config);
    g_test_add_func("/daemon/config-strict", test_config_strict);
    g_test_add_func("/daemon/config-file-mode", test_config_file_mode);
    g_test_add_func("/daemon/owner", test_owner);
    g_test_add_func("/daemon/policy", test_policy);
    g_test_add_func("/daemon/journal", test_journal);
    g_test_add_func("/daemon/notify", test_notify);
    return g_test_run();
}
