/* The progress line: its text, cut to the terminal, and how it is drawn
 * on a real terminal (a pseudo-terminal) and not at all elsewhere. */
#include "progress.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static void test_line(void)
{
    const char *labels[] = { "web1/vdb", "db/vdc" };
    const char *texts[] = { "guest: growing filesystem /dev/vdc1 (layer 2 of 2) 45%, 12 s",
                            "the guest waits for the disk's lock, 3 s" };
    g_autofree char *one = vg_progress_line(labels, texts, 1, 200);
    g_assert_cmpstr(one, ==, "virt-grow: web1/vdb: guest: growing filesystem /dev/vdc1 "
                             "(layer 2 of 2) 45%, 12 s");
    g_autofree char *two = vg_progress_line(labels, texts, 2, 300);
    g_assert_cmpstr(two, ==, "virt-grow: 2 running: web1/vdb: guest: growing filesystem "
                             "/dev/vdc1 (layer 2 of 2) 45%, 12 s | db/vdc: the guest waits for "
                             "the disk's lock, 3 s");
    /* cut to the width, "..." at the end */
    g_autofree char *cut = vg_progress_line(labels, texts, 2, 40);
    g_assert_cmpuint(g_utf8_strlen(cut, -1), ==, 40);
    g_assert_true(g_str_has_suffix(cut, "..."));
    g_assert_true(g_str_has_prefix(cut, "virt-grow: 2 running: web1/vdb: gue"));
    /* wide characters count twice */
    const char *wide[] = { "\xe6\x95\xb0\xe6\x8d\xae/vdb" };  /* 2 CJK: 4 columns */
    const char *t[] = { "xxxxxxxxxxxxxxxxxxxx" };
    g_autofree char *w = vg_progress_line(wide, t, 1, 20);
    g_assert_cmpstr(w, ==, "virt-grow: \xe6\x95\xb0\xe6\x8d\xae/v...");  /* 11 + 4 + 2 + 3 */
}

/* Not a terminal: nothing at all (and every call takes NULL). */
static void test_not_a_tty(void)
{
    FILE *f = tmpfile();
    g_assert_null(vg_progress_new(f));
    vg_progress_set(NULL, f, "a/b", "x");
    vg_progress_free(NULL);
    g_assert_cmpint(ftell(f), ==, 0);
    fclose(f);
}

static char *drain(int fd)
{
    GString *s = g_string_new(NULL);
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) > 0)
        g_string_append_len(s, buf, n);
    return g_string_free(s, FALSE);
}

/* On a pseudo-terminal 80 columns wide: each redraw clears the line first
 * ("\r\033[K"), guest text escaped, cut to 79 columns, and cleared at the
 * end. */
static void test_tty(void)
{
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0 || grantpt(master) || unlockpt(master)) {
        g_test_skip("no pseudo-terminal");
        return;
    }
    int slave = open(ptsname(master), O_RDWR | O_NOCTTY);
    g_assert_cmpint(slave, >=, 0);
    struct winsize ws = { .ws_row = 24, .ws_col = 80 };
    g_assert_cmpint(ioctl(slave, TIOCSWINSZ, &ws), ==, 0);
    FILE *tty = fdopen(slave, "w");
    /* raw output: no "\n" -> "\r\n" to tell apart */
    fcntl(master, F_SETFL, O_NONBLOCK);

    VgProgress *p = vg_progress_new(tty);
    g_assert_nonnull(p);
    int a, b;
    vg_progress_set(p, &a, "web1/vdb", "the guest waits for the disk's lock");
    vg_progress_set(p, &a, "web1/vdb", "guest: growing filesystem /dev/vdc1\xe2\x80\xae 10%");
    vg_progress_set(p, &b, "db/\x1b[31mvdc", "resizing the disk");
    vg_progress_set(p, &a, NULL, NULL);
    vg_progress_set(p, &b, NULL, NULL);
    vg_progress_free(p);
    g_autofree char *seen = drain(master);
    fclose(tty);
    close(master);

    g_assert_true(g_str_has_prefix(seen, "virt-grow: web1/vdb: the guest waits for the disk's "
                                         "lock\r\033[K"));
    g_assert_nonnull(strstr(seen, "\r\033[Kvirt-grow: web1/vdb: guest: growing filesystem "
                                  "/dev/vdc1\\u202e 10%\r\033[K"));
    const char *both = strstr(seen, "\r\033[Kvirt-grow: 2 running: web1/vdb: guest: growing "
                                    "filesystem /dev/vdc1\\u202e 10...\r\033[K");
    g_assert_nonnull(both);  /* cut to 79 columns */
    g_assert_cmpuint(strstr(both + 1, "\r") - both, ==, 4 + 79);
    g_assert_null(strstr(seen, "\x1b[31m"));
    g_assert_null(strstr(seen, "\xe2\x80\xae"));
    /* the last request gone: one clear, nothing drawn after it */
    g_assert_true(g_str_has_suffix(seen, "\r\033[Kvirt-grow: db/\\x1b[31mvdc: resizing the disk"
                                         "\r\033[K"));
    /* no line wider than 79 columns */
    g_auto(GStrv) parts = g_strsplit(seen, "\r", -1);
    for (char **q = parts; *q; q++)
        g_assert_cmpuint(g_utf8_strlen(*q, -1), <=, 79 + 3);  /* + "\033[K" */
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/progress/line", test_line);
    g_test_add_func("/progress/not-a-tty", test_not_a_tty);
    g_test_add_func("/progress/tty", test_tty);
    return g_test_run();
}
