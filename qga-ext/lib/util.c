/* Small helpers: sysfs reads, errno errors, sizes, running tools, BLKPG. */
#include "internal.h"
#include "size.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/blkpg.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>

G_DEFINE_QUARK(qga-grow-error-quark, qg_error)

char *qg_sysfs_read_str(const char *path)
{
    char *text = NULL;
    if (!g_file_get_contents(path, &text, NULL, NULL))
        return NULL;
    return g_strstrip(text);
}

gboolean qg_sysfs_read_u64(const char *path, uint64_t *out, GError **error)
{
    g_autofree char *text = qg_sysfs_read_str(path);
    char *end = NULL;

    if (!text) {
        g_set_error(error, QG_ERROR, QG_ERROR_FAILED, "cannot read %s", path);
        return FALSE;
    }
    errno = 0;
    guint64 v = g_ascii_strtoull(text, &end, 10);
    if (errno || end == text || *end) {
        g_set_error(error, QG_ERROR, QG_ERROR_FAILED,
                    "%s holds \"%s\", not a number", path, text);
        return FALSE;
    }
    *out = v;
    return TRUE;
}

gboolean qg_set_errno_error(GError **error, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(error, QG_ERROR, QG_ERROR_FAILED, "%s: %s", msg, g_strerror(err));
    return FALSE;
}

/* The parsing and formatting live in common/size.c, shared with virt-grow;
 * the library keeps its own names and error domain. */
char *qg_format_bytes(uint64_t bytes)
{
    return qg_size_format(bytes);
}

gboolean qg_parse_size(const char *text, uint64_t *out, GError **error)
{
    g_autoptr(GError) e = NULL;

    if (qg_size_parse(text, out, &e))
        return TRUE;
    g_set_error_literal(error, QG_ERROR, QG_ERROR_INVALID, e->message);
    return FALSE;
}

char *qg_find_tool(const char *name)
{
    static const char *const dirs[] = { "/usr/sbin", "/sbin", "/usr/bin", "/bin" };
    for (size_t i = 0; i < G_N_ELEMENTS(dirs); i++) {
        char *p = g_build_filename(dirs[i], name, NULL);
        if (g_file_test(p, G_FILE_TEST_IS_EXECUTABLE))
            return p;
        g_free(p);
    }
    return NULL;
}

gboolean qg_run_tool_env(const char *const *argv, const char *const *env, const int *ok_codes,
                         char **stdout_text, GError **error)
{
    g_autofree char *prog = qg_find_tool(argv[0]);
    g_autofree char *out = NULL, *err = NULL;
    g_autoptr(GError) e = NULL;
    g_auto(GStrv) envp = g_get_environ();
    int status;

    if (!prog) {
        g_set_error(error, QG_ERROR, QG_ERROR_FAILED,
                    "%s is needed but not installed", argv[0]);
        return FALSE;
    }
    for (const char *const *v = env; v && *v; v++) {
        g_auto(GStrv) kv = g_strsplit(*v, "=", 2);
        envp = g_environ_setenv(envp, kv[0], kv[1] ? kv[1] : "", TRUE);
    }
    g_autofree char **av = g_memdup2(argv, sizeof(char *) * (g_strv_length((char **)argv) + 1));
    av[0] = prog;
    if (!g_spawn_sync(NULL, av, envp, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                      &status, &e)) {
        g_set_error(error, QG_ERROR, QG_ERROR_FAILED, "cannot run %s: %s", prog, e->message);
        return FALSE;
    }
    if (WIFEXITED(status))
        for (const int *c = ok_codes; *c >= 0; c++)
            if (WEXITSTATUS(status) == *c) {
                if (stdout_text)
                    *stdout_text = g_steal_pointer(&out);
                return TRUE;
            }
    g_set_error(error, QG_ERROR, QG_ERROR_FAILED, "%s failed (%s %d): %s", argv[0],
                WIFEXITED(status) ? "exit code" : "signal",
                WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
                g_strstrip(*err ? err : out));
    return FALSE;
}

gboolean qg_run_tool(const char *const *argv, const int *ok_codes, GError **error)
{
    return qg_run_tool_env(argv, NULL, ok_codes, NULL, error);
}

int qg_open_mount(const char *mountpoint, GError **error)
{
    int fd = open(mountpoint, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        qg_set_errno_error(error, errno, "cannot open %s", mountpoint);
    return fd;
}

static gboolean lvm_name_valid(const char *s, size_t n)
{
    if (n == 0 || n > 127 || s[0] == '-' || (n == 1 && s[0] == '.') ||
        (n == 2 && s[0] == '.' && s[1] == '.'))
        return FALSE;
    for (size_t i = 0; i < n; i++)
        if (!g_ascii_isalnum(s[i]) && !strchr("+_.-", s[i]))
            return FALSE;
    return TRUE;
}

gboolean qg_lv_name_valid(const char *text)
{
    const char *slash = text ? strchr(text, '/') : NULL;
    return slash && lvm_name_valid(text, (size_t)(slash - text)) &&
           lvm_name_valid(slash + 1, strlen(slash + 1));
}

gboolean qg_lvm_mode_parse(const char *text, QgLvmMode *out)
{
    static const struct { const char *name; QgLvmMode mode; } modes[] = {
        { "pv", QG_LVM_PV }, { "lv", QG_LVM_LV }, { "auto", QG_LVM_AUTO },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(modes); i++)
        if (!strcmp(text, modes[i].name)) {
            *out = modes[i].mode;
            return TRUE;
        }
    return FALSE;
}

gboolean qg_blkpg(int fd, int op, uint32_t pno, uint64_t start, uint64_t length)
{
    struct blkpg_partition part = {
        .start = (long long)start, .length = (long long)length, .pno = (int)pno,
    };
    struct blkpg_ioctl_arg arg = { .op = op, .datalen = sizeof(part), .data = &part };
    return ioctl(fd, BLKPG, &arg) == 0;
}
