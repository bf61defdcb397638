/* Calls that may block in the kernel, made so that the caller always gets an
 * answer: the call runs in a process of its own and the caller waits for
 * its answer only until a deadline.
 *
 * Why a process, not a thread: a task blocked in the kernel (a filesystem's
 * grow behind fsfreeze, sb_start_write) sleeps uninterruptibly; neither it
 * nor, for a thread, the process around it can be killed until the kernel
 * lets go, so a thread would keep the CLI (or qemu-ga) from exiting, and
 * timeout(1) from ending it.  A process can be left behind.
 *
 * The child is detached: forked twice, so that init (or the nearest
 * subreaper) reaps it whenever it ends and a caller that lives on (qemu-ga)
 * collects no zombies; in a session of its own, so that the terminal's
 * Ctrl-C or timeout(1)'s signal to the caller's process group does not stop
 * a grow tool (resize2fs) halfway.  Its standard streams are /dev/null: a
 * child that outlives the caller holds none of the caller's pipes open. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* What the child writes back: a header, then the error's message. */
typedef struct {
    int32_t ok;
    int32_t code;  /* QgErrorCode of a failure */
} Answer;

static gboolean write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return FALSE;
        p += n;
        len -= (size_t)n;
    }
    return TRUE;
}

/* Close every descriptor from 3 on but @a and @b (-1: none). */
static void close_range_safe(int from, int to)
{
    if (from > to)
        return;
    if (close_range((unsigned)from, (unsigned)to, 0) != 0)
        for (int fd = from; fd <= to && fd < 65536; fd++)
            close(fd);
}

static void close_all_but(int a, int b)
{
    int lo = MIN(a, b), hi = MAX(a, b);
    if (lo < 3) {
        close_range_safe(3, hi - 1);
    } else {
        close_range_safe(3, lo - 1);
        close_range_safe(lo + 1, hi - 1);
    }
    close_range_safe(hi + 1, INT_MAX);
}

static G_GNUC_NORETURN void run_child(QgBoundedFunc fn, void *data, int out, int keep_fd)
{
    /* the caller may have given up: a write to the pipe then fails, and
     * must not kill the child before its call returned */
    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        if (null > 2)
            close(null);
    }
    /* none of the caller's descriptors but the one it hands down: a child
     * that outlives the caller must not hold its files, sockets or (in
     * qemu-ga) the agent's channel open */
    close_all_but(out, keep_fd);
    GError *e = NULL;
    Answer a = { .ok = fn(data, &e) };
    const char *msg = "";
    if (!a.ok) {
        a.code = e ? e->code : QG_ERROR_FAILED;
        msg = e ? e->message : "failed, saying nothing";
    }
    if (write_all(out, &a, sizeof(a)))
        write_all(out, msg, strlen(msg));
    _exit(0);
}

static int64_t now_ms(void)
{
    return g_get_monotonic_time() / 1000;
}

gboolean qg_bounded_run(QgBoundedFunc fn, void *data, unsigned timeout_ms, int keep_fd,
                        QgBoundedTick tick, void *tick_data, gboolean *timed_out,
                        GError **error)
{
    int p[2];
    *timed_out = FALSE;
    if (pipe2(p, O_CLOEXEC) != 0)
        return qg_set_errno_error(error, errno, "cannot make a pipe");
    pid_t pid = fork();
    if (pid < 0) {
        int err = errno;
        close(p[0]);
        close(p[1]);
        return qg_set_errno_error(error, err, "cannot start a process");
    }
    if (pid == 0) {
        close(p[0]);
        setsid();
        pid_t grandchild = fork();
        if (grandchild != 0)
            _exit(grandchild < 0 ? 1 : 0);
        run_child(fn, data, p[1], keep_fd);
    }
    close(p[1]);
    /* the first child only forks: it ends at once */
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;

    g_autoptr(GByteArray) got = g_byte_array_new();
    int64_t deadline = timeout_ms ? now_ms() + timeout_ms : 0;
    gboolean eof = FALSE;
    while (!eof) {
        int wait = QG_BOUNDED_TICK_MS;
        if (deadline) {
            int64_t left = deadline - now_ms();
            if (left <= 0) {
                *timed_out = TRUE;
                break;
            }
            wait = (int)MIN(left, (int64_t)wait);
        }
        struct pollfd pfd = { .fd = p[0], .events = POLLIN };
        int r = poll(&pfd, 1, wait);
        if (r < 0 && errno != EINTR) {
            int err = errno;
            close(p[0]);
            return qg_set_errno_error(error, err, "cannot wait for the process");
        }
        if (r > 0) {
            char buf[4096];
            ssize_t n = read(p[0], buf, sizeof(buf));
            if (n > 0)
                g_byte_array_append(got, (const guint8 *)buf, (guint)n);
            else if (n == 0 || errno != EINTR)
                eof = TRUE;
        } else if (r == 0 && tick) {
            tick(tick_data);
        }
    }
    close(p[0]);  /* past the deadline: the child's answer goes nowhere */
    if (*timed_out)
        return FALSE;
    Answer a;
    if (got->len < sizeof(a)) {
        g_set_error(error, QG_ERROR, QG_ERROR_FAILED,
                    "the process that made the call ended without an answer");
        return FALSE;
    }
    memcpy(&a, got->data, sizeof(a));
    if (a.ok)
        return TRUE;
    g_autofree char *msg = g_strndup((const char *)got->data + sizeof(a), got->len - sizeof(a));
    g_set_error_literal(error, QG_ERROR, a.code, msg);
    return FALSE;
}
