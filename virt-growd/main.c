/* virt-growd: the compute node's service for grow requests over RabbitMQ.
 * See virt-growd(8). */
#include "config.h"
#include "daemon.h"
#include "log.h"
#include "vg-error.h"

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>

static const char usage[] =
    "Usage: virt-growd [--config FILE] [--check]\n"
    "\n"
    "Take grow requests for this compute node off RabbitMQ (queue virt-grow.NODE),\n"
    "check who asks and who owns the domain, grow as virt-grow does, and reply\n"
    "with virt-grow's JSON report.  Runs in the foreground; logs to stderr.\n"
    "\n"
    "  -c, --config FILE  the configuration (default " VGD_CONFIG_PATH ")\n"
    "      --check        read the configuration (and the password file), say\n"
    "                     what is wrong or \"ok\", and exit\n"
    "  -h, --help         show this help\n"
    "  -V, --version      show the version\n"
    "\n"
    "See virt-growd(8).\n";

static void quiet_libvirt(void *data, virErrorPtr error)
{
    (void)data;
    (void)error;  /* every error is reported with its request */
}

int main(int argc, char **argv)
{
    const char *path = VGD_CONFIG_PATH;
    gboolean check = FALSE;
    g_autoptr(GError) e = NULL;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage, stdout);
            return 0;
        } else if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
            printf("virt-growd %s\n", QG_VERSION);
            return 0;
        } else if (!strcmp(a, "--check")) {
            check = TRUE;
        } else if ((!strcmp(a, "-c") || !strcmp(a, "--config")) && i + 1 < argc) {
            path = argv[++i];
        } else if (g_str_has_prefix(a, "--config=")) {
            path = a + strlen("--config=");
        } else {
            fprintf(stderr, "virt-growd: %s \"%s\"\nTry 'virt-growd --help'.\n",
                    !strcmp(a, "-c") || !strcmp(a, "--config") ? "a value is missing after"
                                                               : "unknown argument", a);
            return 2;
        }
    }

    /* a lost libvirt or broker connection is an error to report, never a
     * death (issue 19) */
    signal(SIGPIPE, SIG_IGN);
    /* SIGTERM and SIGINT are read by the AMQP thread; blocked here, before
     * any thread starts, so that no worker takes them */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    int sigfd = signalfd(-1, &stop, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sigfd < 0) {
        vgd_log(LOG_ERR, "signalfd: %s", g_strerror(errno));
        return 1;
    }

    g_autoptr(VgdConfig) c = vgd_config_load(path, &e);
    if (!c) {
        vgd_log(LOG_ERR, "%s", e->message);
        return check ? 2 : 1;
    }
    if (check) {
        printf("%s: ok (node %s, %u requesters)\n", path, c->node, c->requesters->len);
        return 0;
    }
    if (virInitialize() < 0) {
        vgd_log(LOG_ERR, "cannot initialize libvirt");
        return 1;
    }
    virSetErrorFunc(NULL, quiet_libvirt);
    return vgd_daemon_run(c, sigfd);
}
