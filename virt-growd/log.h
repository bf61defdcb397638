/* virt-growd's log: lines on stderr, which systemd's journal takes (with
 * the priority as a "<N>" prefix when stderr is the journal's stream), or
 * a terminal or file (with the time). */
#ifndef VGD_LOG_H
#define VGD_LOG_H

#include <syslog.h>

void vgd_log(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* systemd's notification protocol (sd_notify(3)), when NOTIFY_SOCKET is
 * set: "READY=1", "STATUS=...", "STOPPING=1". */
void vgd_notify(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
