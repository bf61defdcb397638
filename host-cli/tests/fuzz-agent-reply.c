/* Fuzz target for agent-reply.c: the same bytes through every parser of an
 * untrusted agent reply.
 *
 * With libFuzzer (clang, -Dfuzzing=true, or by hand):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -DVG_FUZZING \
 *     -Ihost-cli host-cli/tests/fuzz-agent-reply.c host-cli/agent-reply.c \
 *     host-cli/vg-error.c $(pkg-config --cflags --libs json-glib-1.0) -o fuzz
 *   ./fuzz host-cli/tests/fuzz-corpus
 * Without it, the same file is a replay program (a meson test): it runs the
 * files or directories named on its command line, the seed corpus. */
#include "agent-reply.h"

#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    GError *e = NULL;
    GPtrArray *list;
    int64_t pid;

    vg_grow_report_free(vg_reply_grow_disk(text, size, &e));
    g_clear_error(&e);
    vg_grow_report_free(vg_grow_report_parse(text, size, &e));
    g_clear_error(&e);
    vg_guest_info_free(vg_reply_guest_info(text, size, &e));
    g_clear_error(&e);
    if ((list = vg_reply_get_disks(text, size, &e)))
        g_ptr_array_unref(list);
    g_clear_error(&e);
    if ((list = vg_reply_get_fsinfo(text, size, &e)))
        g_ptr_array_unref(list);
    g_clear_error(&e);
    vg_reply_exec(text, size, &pid, &e);
    g_clear_error(&e);
    vg_exec_status_free(vg_reply_exec_status(text, size, &e));
    g_clear_error(&e);
    g_free(vg_sanitize_guest_text(text, size, 256));
    return 0;
}

#ifndef VG_FUZZING
static unsigned replay_file(const char *path, unsigned n)
{
    g_autofree char *data = NULL;
    gsize len;
    g_autoptr(GError) e = NULL;

    if (!g_file_get_contents(path, &data, &len, &e)) {
        printf("not ok %u - %s\n", n, e->message);
        return 1;
    }
    LLVMFuzzerTestOneInput((const uint8_t *)data, len);
    printf("ok %u - %s\n", n, path);
    return 0;
}

int main(int argc, char **argv)
{
    unsigned n = 0, failed = 0;

    for (int i = 1; i < argc; i++) {
        g_autoptr(GDir) dir = g_dir_open(argv[i], 0, NULL);
        if (!dir) {
            failed += replay_file(argv[i], ++n);
            continue;
        }
        g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
        for (const char *name; (name = g_dir_read_name(dir));)
            g_ptr_array_add(names, g_build_filename(argv[i], name, NULL));
        g_ptr_array_sort(names, (GCompareFunc)g_strcmp0);
        for (guint j = 0; j < names->len; j++)
            failed += replay_file(names->pdata[j], ++n);
    }
    printf("1..%u\n", n);
    return failed ? 1 : 0;
}
#endif
