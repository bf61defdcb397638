/* Small helpers: sysfs reads, errno errors, size formatting and parsing. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
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

char *qg_format_bytes(uint64_t bytes)
{
    static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
    double v = (double)bytes;
    unsigned i = 0;
    while (v >= 1024 && i < G_N_ELEMENTS(unit) - 1) {
        v /= 1024;
        i++;
    }
    return i ? g_strdup_printf("%.1f %s", v, unit[i])
             : g_strdup_printf("%" G_GUINT64_FORMAT " B", bytes);
}

/* "K"/"KiB" are powers of 1024, "KB" powers of 1000 (as virsh reads them). */
gboolean qg_parse_size(const char *text, uint64_t *out, GError **error)
{
    static const char units[] = "KMGTPE";
    const char *p = text;
    uint64_t value = 0;

    if (!text || !*text) {
        g_set_error(error, QG_ERROR, QG_ERROR_INVALID, "empty size");
        return FALSE;
    }
    if (!g_ascii_isdigit(*p)) {
        g_set_error(error, QG_ERROR, QG_ERROR_INVALID,
                    "size \"%s\" does not start with a digit", text);
        return FALSE;
    }
    for (; g_ascii_isdigit(*p); p++) {
        unsigned d = (unsigned)(*p - '0');
        if (value > (UINT64_MAX - d) / 10)
            goto overflow;
        value = value * 10 + d;
    }
    if ((*p == 'B' || *p == 'b') && p[1] == '\0')
        p++;  /* plain bytes with a "B" */
    if (*p) {
        const char *u = strchr(units, g_ascii_toupper(*p));
        uint64_t base = 1024;
        if (!u)
            goto bad_unit;
        p++;
        if (g_ascii_strcasecmp(p, "iB") == 0 || *p == '\0')
            base = 1024;
        else if (g_ascii_strcasecmp(p, "B") == 0)
            base = 1000;
        else
            goto bad_unit;
        for (const char *k = units; k <= u; k++) {
            if (value > UINT64_MAX / base)
                goto overflow;
            value *= base;
        }
    }
    *out = value;
    return TRUE;

bad_unit:
    g_set_error(error, QG_ERROR, QG_ERROR_INVALID,
                "size \"%s\" has an unknown unit (use bytes, K, M, G, T, P, E, "
                "with optional iB, or KB, MB, GB... for powers of 1000)", text);
    return FALSE;
overflow:
    g_set_error(error, QG_ERROR, QG_ERROR_INVALID,
                "size \"%s\" is too large (more than 16 EiB)", text);
    return FALSE;
}

gboolean qg_run_tool(const char *const *argv, const int *ok_codes, GError **error)
{
    static const char *const dirs[] = { "/usr/sbin", "/sbin", "/usr/bin", "/bin" };
    g_autofree char *prog = NULL;
    g_autofree char *out = NULL, *err = NULL;
    g_autoptr(GError) e = NULL;
    int status;

    for (size_t i = 0; i < G_N_ELEMENTS(dirs) && !prog; i++) {
        char *p = g_build_filename(dirs[i], argv[0], NULL);
        if (g_file_test(p, G_FILE_TEST_IS_EXECUTABLE))
            prog = p;
        else
            g_free(p);
    }
    if (!prog) {
        g_set_error(error, QG_ERROR, QG_ERROR_FAILED,
                    "%s is needed but not installed", argv[0]);
        return FALSE;
    }
    g_autofree char **av = g_memdup2(argv, sizeof(char *) * (g_strv_length((char **)argv) + 1));
    av[0] = prog;
    if (!g_spawn_sync(NULL, av, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                      &status, &e)) {
        g_set_error(error, QG_ERROR, QG_ERROR_FAILED, "cannot run %s: %s", prog, e->message);
        return FALSE;
    }
    if (WIFEXITED(status))
        for (const int *c = ok_codes; *c >= 0; c++)
            if (WEXITSTATUS(status) == *c)
                return TRUE;
    g_set_error(error, QG_ERROR, QG_ERROR_FAILED, "%s failed (%s %d): %s", argv[0],
                WIFEXITED(status) ? "exit code" : "signal",
                WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
                g_strstrip(*err ? err : out));
    return FALSE;
}

int qg_open_mount(const char *mountpoint, GError **error)
{
    int fd = open(mountpoint, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        qg_set_errno_error(error, errno, "cannot open %s", mountpoint);
    return fd;
}
