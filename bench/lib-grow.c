/* qg-lib-grow: one qg_grow() call in-process, the way qemu-ga makes it, so
 * that the library's own cost can be told from the CLI's process start and
 * dynamic linking.  Prints the call's duration (CLOCK_MONOTONIC):
 *     inproc-ns NANOSECONDS
 *   qg-lib-grow DEVICE|MOUNTPOINT [KEY-FILE]
 * (KEY-FILE: QgRequest.key_file, for a LUKS2 layer.)
 * Exit status as qga-grow's: 0 grown, 1 nothing to do, 2 error.  A benchmark
 * tool, never installed. */
#include "qga-grow.h"

#include <stdio.h>
#include <time.h>

static unsigned long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000000000u + (unsigned long long)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    g_autoptr(GError) error = NULL;
    if (argc != 2 && argc != 3) {
        fprintf(stderr, "usage: qg-lib-grow DEVICE|MOUNTPOINT [KEY-FILE]\n");
        return 2;
    }
    QgRequest req = { .key_file = argc == 3 ? argv[2] : NULL };
    if (g_file_test(argv[1], G_FILE_TEST_IS_DIR))
        req.mountpoint = argv[1];
    else
        req.device = argv[1];
    unsigned long long start = now_ns();
    g_autoptr(QgResult) res = qg_grow(&req, &error);
    unsigned long long elapsed = now_ns() - start;
    if (!res) {
        fprintf(stderr, "qg-lib-grow: %s\n", error->message);
        return 2;
    }
    printf("inproc-ns %llu\n", elapsed);
    return res->changed ? 0 : 1;
}
