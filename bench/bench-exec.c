/* qg-bench-exec: time one contender of the grow benchmark the same way for
 * all: run its commands one after the other (fork + exec, no shell), stop at
 * the first that fails, and print
 *     ELAPSED-NS PEAK-RSS-KIB
 * ELAPSED-NS is CLOCK_MONOTONIC from before the first fork to after the last
 * wait; PEAK-RSS-KIB is getrusage(RUSAGE_CHILDREN).ru_maxrss: the largest
 * resident set of any process the commands ran, their own children included.
 *   qg-bench-exec [-o LOG] -- COMMAND [ARG...] [--- COMMAND [ARG...]]...
 * The commands' output goes to LOG (appended), else to /dev/null.  They get
 * QG_BENCH_START_NS, the start in CLOCK_MONOTONIC nanoseconds, for
 * qg-stage-timer.so (bench/profile.sh).
 * A benchmark tool, never installed. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int usage(void)
{
    fprintf(stderr, "usage: qg-bench-exec [-o LOG] -- COMMAND [ARG...] "
                    "[--- COMMAND [ARG...]]...\n");
    return 2;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Run argv to completion with its output on out_fd; its exit status, or -1. */
static int run(char **argv, int out_fd)
{
    pid_t pid = fork();
    if (pid < 0) {
        perror("qg-bench-exec: fork");
        return -1;
    }
    if (pid == 0) {
        dup2(out_fd, STDOUT_FILENO);
        dup2(out_fd, STDERR_FILENO);
        execvp(argv[0], argv);
        dprintf(out_fd, "qg-bench-exec: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            perror("qg-bench-exec: waitpid");
            return -1;
        }
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    fprintf(stderr, "qg-bench-exec: %s killed by signal %d\n", argv[0], WTERMSIG(status));
    return -1;
}

int main(int argc, char **argv)
{
    const char *log = "/dev/null";
    int i = 1;

    if (i + 1 < argc && strcmp(argv[i], "-o") == 0) {
        log = argv[i + 1];
        i += 2;
    }
    if (i >= argc || strcmp(argv[i], "--") != 0 || i + 1 >= argc)
        return usage();
    i++;

    int out_fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (out_fd < 0) {
        fprintf(stderr, "qg-bench-exec: cannot open %s: %s\n", log, strerror(errno));
        return 2;
    }

    /* Split the command list in place at each "---". */
    for (int j = i; j < argc; j++)
        if (strcmp(argv[j], "---") == 0) {
            if (j == i || j + 1 == argc || strcmp(argv[j + 1], "---") == 0)
                return usage();
            argv[j] = NULL;
        }

    uint64_t start = now_ns();
    char start_text[24];
    snprintf(start_text, sizeof(start_text), "%llu", (unsigned long long)start);
    setenv("QG_BENCH_START_NS", start_text, 1);
    for (int j = i; j < argc; j++) {
        int rc = run(&argv[j], out_fd);
        if (rc != 0) {
            if (rc > 0)
                fprintf(stderr, "qg-bench-exec: %s exited with %d (see %s)\n", argv[j], rc,
                        log);
            return 1;
        }
        while (j < argc && argv[j])
            j++;  /* to the separator; the loop steps past it */
    }
    uint64_t elapsed = now_ns() - start;

    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);
    printf("%llu %ld\n", (unsigned long long)elapsed, ru.ru_maxrss);
    return 0;
}
