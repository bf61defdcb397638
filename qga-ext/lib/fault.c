/* Fault injection, compiled only into the test build (qga-grow-faulty):
 * QG_FAULT_POINT=NAME in the environment makes the process SIGKILL itself
 * when it reaches the step NAME, the way a crash or a power cut would stop
 * it there.  The torture tests then check that a rerun completes the grow.
 *
 * QG_FAULT_PAUSE=NAME with QG_FAULT_PAUSE_FILE=PATH makes it stop at NAME
 * instead: it creates PATH.reached and waits until PATH exists, so that a
 * test can change the world right there (freeze the filesystem after the
 * plan).  QG_FAULT_BUSY_TIMEOUT_MS=N sets QgRequest.busy_timeout_ms, which
 * the CLI has no option for.  QG_FAULT_MEM_AVAILABLE_KIB=N makes --move-swap
 * see N KiB of memory available (MemAvailable), to be refused for it.
 *
 * QG_FAULT_HOOK=PROGRAM runs PROGRAM with the step's name as its argument at
 * every step, and waits for it (the power-cut tests mark their write log
 * there: tests/powercut/). */
#include "internal.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const points[] = {
    "locked",          /* the whole-disk lock is held, nothing planned */
    "planned",         /* every layer planned, nothing written */
    "swap-off",        /* --move-swap: the swap is off, nothing written */
    "ebrs-written",    /* --move-swap of an extended partition: its EBRs and
                        * swap headers at the new place, the MBR not */
    "table-written",   /* the new table is on disk, the kernel not told */
    "kernel-told",     /* BLKPG done, the filesystem not grown */
    "crypt-resizing",  /* just before a crypt mapping's resize */
    "pv-resizing",     /* just before pvresize */
    "lv-extending",    /* just before lvextend */
    "md-growing",      /* just before mdadm --grow */
    "fs-growing",      /* just before the filesystem's grow call */
    "fs-grown",        /* the filesystem grew, nothing re-read */
};

static void run_hook(const char *name)
{
    const char *hook = getenv("QG_FAULT_HOOK");
    int status;

    if (!hook || !*hook)
        return;
    pid_t pid = fork();
    if (pid == 0) {
        execl(hook, hook, name, (char *)NULL);
        _exit(127);
    }
    if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
        fprintf(stderr, "qga-grow: QG_FAULT_HOOK %s %s failed\n", hook, name);
        abort();  /* a test that asked for its marks must not lose them */
    }
}

/* Is @want (from the variable @var) NAME, a known point? */
static gboolean at_point(const char *var, const char *name)
{
    const char *want = getenv(var);
    gboolean known = FALSE;

    if (!want || !*want)
        return FALSE;
    for (size_t i = 0; i < G_N_ELEMENTS(points); i++)
        known |= strcmp(points[i], want) == 0;
    if (!known) {
        /* a typo must not pass for a run that survived its fault */
        fprintf(stderr, "qga-grow: %s=%s is no fault point\n", var, want);
        abort();
    }
    return strcmp(want, name) == 0;
}

static void pause_here(void)
{
    const char *file = getenv("QG_FAULT_PAUSE_FILE");
    if (!file || !*file) {
        fprintf(stderr, "qga-grow: QG_FAULT_PAUSE needs QG_FAULT_PAUSE_FILE\n");
        abort();
    }
    g_autofree char *reached = g_strdup_printf("%s.reached", file);
    if (!g_file_set_contents(reached, "", 0, NULL))
        abort();
    while (!g_file_test(file, G_FILE_TEST_EXISTS))
        g_usleep(20000);
}

void qg_fault_point(const char *name)
{
    run_hook(name);
    if (at_point("QG_FAULT_PAUSE", name))
        pause_here();
    if (at_point("QG_FAULT_POINT", name))
        raise(SIGKILL);
}

unsigned qg_fault_busy_timeout(unsigned ms)
{
    const char *v = getenv("QG_FAULT_BUSY_TIMEOUT_MS");
    return v && *v ? (unsigned)strtoul(v, NULL, 10) : ms;
}

uint64_t qg_fault_mem_available(uint64_t kib)
{
    const char *v = getenv("QG_FAULT_MEM_AVAILABLE_KIB");
    return v && *v ? g_ascii_strtoull(v, NULL, 10) : kib;
}
