/* Fault injection, compiled only into the test build (qga-grow-faulty):
 * QG_FAULT_POINT=NAME in the environment makes the process SIGKILL itself
 * when it reaches the step NAME, the way a crash or a power cut would stop
 * it there.  The torture tests then check that a rerun completes the grow.
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

void qg_fault_point(const char *name)
{
    const char *want = getenv("QG_FAULT_POINT");
    gboolean known = FALSE;

    run_hook(name);
    if (!want || !*want)
        return;
    for (size_t i = 0; i < G_N_ELEMENTS(points); i++)
        known |= strcmp(points[i], want) == 0;
    if (!known) {
        /* a typo must not pass for a run that survived its fault */
        fprintf(stderr, "qga-grow: QG_FAULT_POINT=%s is no fault point\n", want);
        abort();
    }
    if (strcmp(want, name) == 0)
        raise(SIGKILL);
}
