/* A main() for the fuzz targets in ordinary builds: run every file named,
 * or every file in the directories named, through the target once.  Used
 * to replay the committed corpora as regression tests with gcc. */
#include <glib.h>
#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
    g_autofree char *data = NULL;
    gsize len = 0;
    g_autoptr(GError) error = NULL;
    if (!g_file_get_contents(path, &data, &len, &error)) {
        fprintf(stderr, "%s\n", error->message);
        return 1;
    }
    LLVMFuzzerTestOneInput((const uint8_t *)data, len);
    return 0;
}

int main(int argc, char **argv)
{
    int bad = 0, n = 0;
    for (int i = 1; i < argc; i++) {
        if (!g_file_test(argv[i], G_FILE_TEST_IS_DIR)) {
            bad |= run_file(argv[i]);
            n++;
            continue;
        }
        g_autoptr(GDir) dir = g_dir_open(argv[i], 0, NULL);
        const char *name;
        while (dir && (name = g_dir_read_name(dir))) {
            g_autofree char *path = g_build_filename(argv[i], name, NULL);
            bad |= run_file(path);
            n++;
        }
    }
    printf("%d inputs replayed\n", n);
    return bad || n == 0;
}
