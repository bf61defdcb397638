/* Logging and readiness.  See log.h. */
#include "log.h"

#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static GMutex log_lock;

void vgd_log(int priority, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    /* one line, whatever the message holds */
    for (char *c = msg; *c; c++)
        if (*c == '\n' || *c == '\r')
            *c = ' ';
    g_mutex_lock(&log_lock);
    if (g_getenv("JOURNAL_STREAM")) {
        fprintf(stderr, "<%d>%s\n", priority, msg);
    } else {
        g_autoptr(GDateTime) now = g_date_time_new_now_local();
        g_autofree char *t = g_date_time_format(now, "%Y-%m-%d %H:%M:%S");
        fprintf(stderr, "%s virt-growd[%d]: %s%s\n", t, (int)getpid(),
                priority <= LOG_ERR ? "error: " : priority == LOG_WARNING ? "warning: " : "",
                msg);
    }
    fflush(stderr);
    g_mutex_unlock(&log_lock);
}

void vgd_notify(const char *fmt, ...)
{
    const char *path = g_getenv("NOTIFY_SOCKET");
    struct sockaddr_un sa = { .sun_family = AF_UNIX };

    if (!path || (path[0] != '/' && path[0] != '@') || strlen(path) >= sizeof(sa.sun_path))
        return;
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    strcpy(sa.sun_path, path);
    if (path[0] == '@')
        sa.sun_path[0] = '\0';  /* an abstract socket */
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return;
    socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
    (void)sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sa, len);
    close(fd);
}
