/* pc-grow-lib: one grow through libqga-grow in-process, as qemu-ga's
 * guest-grow-disk makes it, for the power-cut tests.
 *   pc-grow-lib [--mark DM-NAME] [--key-file FILE] [--move-swap] TARGET
 * TARGET is a mountpoint (a directory) or a device.  With --mark, every
 * progress report of the library is also written into the dm-log-writes
 * log of the device-mapper device DM-NAME as a mark ("lib-PHASE", and
 * "lib-growing-KIND-INDEX" per layer), so that a replayed cut point can be
 * told by the step it fell in.  Prints one line per layer; exit status as
 * qga-grow's: 0 grown, 1 nothing to do, 2 error or refusal, 3 stopped after
 * some layer changed. */
#include "qga-grow.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static const char *mark_dev;

/* dmsetup message DEV 0 mark NAME: queued in the log at once, in order
 * with the flushes and FUA writes around it. */
static void mark(const char *name)
{
    if (!mark_dev)
        return;
    const char *argv[] = { "dmsetup", "message", mark_dev, "0", "mark", name, NULL };
    gint status = 0;
    g_autoptr(GError) e = NULL;
    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
                      &status, &e) ||
        !g_spawn_check_wait_status(status, &e))
        fprintf(stderr, "pc-grow-lib: cannot mark %s: %s\n", name, e->message);
}

static void on_progress(const QgProgress *p, void *data)
{
    (void)data;
    g_autofree char *name = NULL;
    if (p->phase == QG_PHASE_GROWING && p->layer) {
        if (p->fraction > 0)
            return;  /* one mark per layer, not per progress tick */
        name = g_strdup_printf("lib-growing-%s-%u", qg_layer_kind_name(p->layer->kind), p->index);
    } else {
        name = g_strdup_printf("lib-%s", qg_phase_name(p->phase));
    }
    mark(name);
}

int main(int argc, char **argv)
{
    const char *key_file = NULL, *target = NULL;
    gboolean move_swap = FALSE;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--mark") && i + 1 < argc)
            mark_dev = argv[++i];
        else if (!strcmp(argv[i], "--key-file") && i + 1 < argc)
            key_file = argv[++i];
        else if (!strcmp(argv[i], "--move-swap"))
            move_swap = TRUE;
        else if (argv[i][0] != '-' && !target)
            target = argv[i];
        else {
            fprintf(stderr, "usage: pc-grow-lib [--mark DM-NAME] [--key-file FILE] "
                            "[--move-swap] TARGET\n");
            return 2;
        }
    }
    if (!target) {
        fprintf(stderr, "usage: pc-grow-lib [--mark DM-NAME] [--key-file FILE] "
                        "[--move-swap] TARGET\n");
        return 2;
    }
    QgRequest req = { .key_file = key_file, .move_swap = move_swap, .progress = on_progress };
    struct stat st;
    if (stat(target, &st) == 0 && S_ISDIR(st.st_mode))
        req.mountpoint = target;
    else
        req.device = target;

    g_autoptr(GError) error = NULL;
    QgResult *partial = NULL;
    mark("lib-start");
    g_autoptr(QgResult) res = qg_grow_full(&req, &partial, &error);
    mark("lib-returned");
    QgResult *show = res ? res : partial;
    for (guint i = 0; show && i < show->layers->len; i++) {
        const QgLayer *l = show->layers->pdata[i];
        printf("%s %s %s: %" G_GUINT64_FORMAT " -> %" G_GUINT64_FORMAT " %s%s%s\n",
               qg_layer_kind_name(l->kind), l->device, l->type ? l->type : "-", l->old_size,
               l->size, qg_layer_state_name(l->state), l->error ? ": " : "",
               l->error ? l->error : "");
    }
    for (guint i = 0; show && i < show->warnings->len; i++)
        fprintf(stderr, "pc-grow-lib: warning: %s\n", (char *)show->warnings->pdata[i]);
    if (!res) {
        fprintf(stderr, "pc-grow-lib: %s\n", error->message);
        gboolean wrote = partial && partial->changed;
        if (partial)
            qg_result_free(partial);
        return wrote ? 3 : 2;
    }
    return res->changed ? 0 : 1;
}
