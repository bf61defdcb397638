/* qg_agent_allows(), as the agent command calls it: the error codes and
 * messages the agent passes on.  The disks are this machine's own: the one
 * under "/" where it can be resolved (else those cases are skipped). */
#include "qga-grow.h"

#include <glib/gstdio.h>
#include <string.h>

static char *dir;

static char *conf(const char *name, const char *text)
{
    char *path = g_build_filename(dir, name, NULL);
    g_assert_true(g_file_set_contents(path, text, -1, NULL));
    return path;
}

static void test_no_section(void)
{
    g_autofree char *path = conf("no-agent.conf", "[auto]\ndisks=root\n");
    /* allowed without even resolving the target */
    QgRequest req = { .device = "/dev/qga-grow-no-such-disk" };
    g_autoptr(GError) e = NULL;
    g_assert_true(qg_agent_allows(path, &req, &e));
    g_assert_no_error(e);

    g_autofree char *all = conf("all.conf", "# every disk\n[agent]\ndisks=all\n");
    g_assert_true(qg_agent_allows(all, &req, &e));
    g_assert_no_error(e);
}

static void test_none(void)
{
    g_autofree char *path = conf("none.conf", "[agent]\ndisks=none\n");
    QgRequest req = { .device = "/dev/qga-grow-no-such-disk" };
    g_autoptr(GError) e = NULL;
    g_assert_false(qg_agent_allows(path, &req, &e));
    g_assert_error(e, QG_ERROR, QG_ERROR_REFUSED);
    g_autofree char *where = g_strdup_printf("([agent] disks=none in %s:2)", path);
    g_assert_nonnull(strstr(e->message, where));
}

static void test_broken(void)
{
    QgRequest req = { .mountpoint = "/" };
    static const struct {
        const char *text;
        int line;
        const char *says;
    } cases[] = {
        { "[agent]\ndisks=all\ndisks=none\n", 3, "[agent] disks= again (first on line 2)" },
        { "[Agent]\ndisks=root\n", 1, "unknown section [Agent]" },
        { "[agent]\nallow=root\n", 2, "unknown key allow= in [agent]" },
        { "[agent]\n", 1, "[agent] needs disks=" },
        { "\n\n[agent]\ndisks=all root\n", 4, "disks=all means every disk" },
        { "[agent]\ndisks=ROOT\n", 2, "\"ROOT\" is not a disk" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *path = conf("broken.conf", cases[i].text);
        g_autoptr(GError) e = NULL;
        g_assert_false(qg_agent_allows(path, &req, &e));
        g_assert_error(e, QG_ERROR, QG_ERROR_INVALID);
        g_autofree char *head = g_strdup_printf("%s:%d: ", path, cases[i].line);
        g_assert_true(g_str_has_prefix(e->message, head));
        g_assert_nonnull(strstr(e->message, cases[i].says));
    }
    g_autofree char *missing = g_build_filename(dir, "missing.conf", NULL);
    g_autoptr(GError) e = NULL;
    g_assert_false(qg_agent_allows(missing, &req, &e));
    g_assert_error(e, QG_ERROR, QG_ERROR_INVALID);
}

static void test_root_disk(void)
{
    QgRequest root = { .mountpoint = "/" };
    g_autoptr(GError) re = NULL;
    g_autofree char *disk = qg_target_disk(&root, &re);
    if (!disk) {
        g_test_skip("the disk under / cannot be resolved here");
        return;
    }
    g_autoptr(GError) e = NULL;
    g_autofree char *by_root = conf("root.conf", "[agent]\ndisks=root\n");
    g_assert_true(qg_agent_allows(by_root, &root, &e));
    g_assert_no_error(e);
    g_autofree char *text = g_strdup_printf("[agent]\ndisks=vdz %s\n", disk + strlen("/dev/"));
    g_autofree char *by_name = conf("name.conf", text);
    g_assert_true(qg_agent_allows(by_name, &root, &e));
    g_assert_no_error(e);

    g_autofree char *other = conf("other.conf", "[agent]\ndisks=qga-grow-no-such-disk\n");
    g_assert_false(qg_agent_allows(other, &root, &e));
    g_assert_error(e, QG_ERROR, QG_ERROR_REFUSED);
    g_autofree char *says = g_strdup_printf("%s: the guest's administrator does not let the "
                                            "host grow this disk ([agent] "
                                            "disks=qga-grow-no-such-disk in %s:2)",
                                            disk, other);
    g_assert_true(g_str_has_prefix(e->message, says));
}

static void test_unresolvable(void)
{
    /* a list to check against, a target that is not there: the target's
     * own error, never an allowance */
    g_autofree char *path = conf("list.conf", "[agent]\ndisks=vdz\n");
    QgRequest req = { .device = "/dev/qga-grow-no-such-disk" };
    g_autoptr(GError) e = NULL;
    g_assert_false(qg_agent_allows(path, &req, &e));
    g_assert_error(e, QG_ERROR, QG_ERROR_NOT_FOUND);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    dir = g_dir_make_tmp("qg-agent-allows.XXXXXX", NULL);
    g_assert_nonnull(dir);
    g_test_add_func("/agent-allows/no-section", test_no_section);
    g_test_add_func("/agent-allows/none", test_none);
    g_test_add_func("/agent-allows/broken", test_broken);
    g_test_add_func("/agent-allows/root-disk", test_root_disk);
    g_test_add_func("/agent-allows/unresolvable", test_unresolvable);
    int rc = g_test_run();
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *f = g_build_filename(dir, name, NULL);
        g_unlink(f);
    }
    g_rmdir(dir);
    return rc;
}
