/* A program built only from the installed header and qga-grow.pc, as the
 * qemu-ga patch builds: proves the .pc lists every library a static link
 * needs.  It asks for a dry run on the device named by argv[1] and expects
 * the library's own error for a path that is not a block device. */
#include <qga-grow.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    QgRequest req = { .device = argc > 1 ? argv[1] : "/", .dry_run = TRUE };
    GError *error = NULL;
    QgResult *res = qg_grow(&req, &error);
    if (res || !g_error_matches(error, QG_ERROR, QG_ERROR_INVALID)) {
        fprintf(stderr, "unexpected result: %s\n", error ? error->message : "success");
        return 1;
    }
    printf("ok: %s\n", error->message);
    g_error_free(error);
    return 0;
}
