/* The whole-disk lock: a BSD flock on the disk's device node, the convention
 * systemd-udevd honours (it does not re-read a locked disk's table) and that
 * serialises concurrent growers: the second waits, then finds nothing to do.
 * The wait has a deadline; past it the error names who holds the lock. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* " 00:05:123 " as /proc/locks and fdinfo's lock: lines name a file: its
 * filesystem's device (hex major:minor) and inode. */
static char *lock_file_id(const char *node)
{
    struct stat st;
    if (stat(node, &st) != 0)
        return NULL;
    return g_strdup_printf(" %02x:%02x:%lu ", major(st.st_dev), minor(st.st_dev),
                           (unsigned long)st.st_ino);
}

static void add_holder(GString *out, GHashTable *seen, long pid)
{
    if (!g_hash_table_add(seen, GINT_TO_POINTER(pid)))
        return;
    g_autofree char *path = g_strdup_printf("/proc/%ld/comm", pid);
    g_autofree char *comm = qg_sysfs_read_str(path);
    g_string_append_printf(out, "%sPID %ld", out->len ? ", " : "", pid);
    if (comm)
        g_string_append_printf(out, " (%s)", comm);
}

/* Is one of @text's lines a BSD lock ("FLOCK") held (not waited for: "->")
 * on the file @id? */
static gboolean holds_flock(const char *text, const char *id)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l; l++)
        if (strstr(*l, "FLOCK") && !strstr(*l, "->") && strstr(*l, id))
            return TRUE;
    return FALSE;
}

/* Does process @pid hold the lock on @id (one of its open files does)? */
static gboolean pid_holds(const char *pid, const char *id)
{
    g_autofree char *dir = g_strdup_printf("/proc/%s/fdinfo", pid);
    g_autoptr(GDir) fds = g_dir_open(dir, 0, NULL);
    const char *fd;
    while (fds && (fd = g_dir_read_name(fds))) {
        g_autofree char *path = g_build_filename(dir, fd, NULL);
        g_autofree char *text = NULL;
        if (g_file_get_contents(path, &text, NULL, NULL) && strstr(text, "lock:") &&
            holds_flock(text, id))
            return TRUE;
    }
    return FALSE;
}

/* Every process holding the lock: a BSD lock belongs to an open file that
 * processes share (a child inherits it), and each process's fdinfo lists
 * the locks its open files hold.  /proc/locks names only the process that
 * took the lock, which may be gone while its child holds on (flock(1)'s
 * command; a filesystem grow the kernel is still busy with), its PID even
 * reused: it is asked first, and the whole of /proc when it does not hold
 * the lock itself. */
char *qg_lock_holders(const char *node)
{
    g_autofree char *id = lock_file_id(node);
    g_autoptr(GString) out = g_string_new(NULL);
    g_autoptr(GHashTable) seen = g_hash_table_new(g_direct_hash, g_direct_equal);
    g_autofree char *locks = NULL;

    if (!id)
        return NULL;
    if (g_file_get_contents("/proc/locks", &locks, NULL, NULL)) {
        /* "1: FLOCK  ADVISORY  WRITE 1234 00:05:123 0 EOF" */
        g_auto(GStrv) lines = g_strsplit(locks, "\n", -1);
        for (char **l = lines; *l; l++) {
            long pid;
            if (!holds_flock(*l, id) || sscanf(*l, "%*d: %*s %*s %*s %ld", &pid) != 1)
                continue;
            g_autofree char *name = g_strdup_printf("%ld", pid);
            if (pid_holds(name, id))
                add_holder(out, seen, pid);
        }
    }
    if (out->len)
        return g_string_free(g_steal_pointer(&out), FALSE);
    g_autoptr(GDir) proc = g_dir_open("/proc", 0, NULL);
    const char *pid;
    while (proc && (pid = g_dir_read_name(proc)))
        if (g_ascii_isdigit(*pid) && pid_holds(pid, id))
            add_holder(out, seen, strtol(pid, NULL, 10));
    return out->len ? g_string_free(g_steal_pointer(&out), FALSE) : NULL;
}

static gboolean locked_error(const char *node, int timeout_ms, GError **error)
{
    g_autofree char *who = qg_lock_holders(node);
    g_autofree char *waited = timeout_ms <= 1 ? g_strdup("did not wait")
                                              : g_strdup_printf("waited %.1f s", timeout_ms / 1000.0);
    g_set_error(error, QG_ERROR, QG_ERROR_LOCKED,
                "%s is locked by %s%s (another grow, or a partitioning tool, at work on "
                "it); %s for it, nothing was changed", node,
                who ? who : "another process", who ? "" : " (the kernel does not say which)",
                waited);
    return FALSE;
}

int qg_lock_disk_wait(const char *node, gboolean exclusive, int timeout_ms, GError **error)
{
    /* Read-only: writers reopen the node, so that a run that changes nothing
     * does not look like a write to udev. */
    int fd = open(node, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        qg_set_errno_error(error, errno, "cannot open %s", node);
        return -1;
    }
    int how = exclusive ? LOCK_EX : LOCK_SH;
    if (timeout_ms == 0)
        timeout_ms = QG_DEFAULT_LOCK_TIMEOUT_MS;
    /* a deadline: ask without blocking, and again, more slowly, until it
     * comes (the kernel has no flock with a timeout) */
    int64_t deadline = g_get_monotonic_time() + (int64_t)timeout_ms * 1000;
    unsigned nap_ms = 5;
    for (;;) {
        if (flock(fd, timeout_ms < 0 ? how : how | LOCK_NB) == 0)
            return fd;
        if (errno == EINTR)
            continue;
        if (errno != EWOULDBLOCK) {
            qg_set_errno_error(error, errno, "cannot lock %s", node);
            break;
        }
        int64_t left_ms = (deadline - g_get_monotonic_time()) / 1000;
        if (left_ms <= 0) {
            locked_error(node, timeout_ms, error);
            break;
        }
        g_usleep(MIN((int64_t)nap_ms, left_ms) * 1000);
        nap_ms = MIN(nap_ms * 2, 100u);
    }
    close(fd);
    return -1;
}

int qg_lock_disk(const char *node, gboolean exclusive, GError **error)
{
    return qg_lock_disk_wait(node, exclusive, 0, error);
}
