/* The progress line.  See progress.h. */
#include "progress.h"
#include "safe-text.h"

#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

struct VgProgress {
    GMutex lock;
    FILE *tty;
    GPtrArray *keys;    /* gconstpointer, in the order they started */
    GPtrArray *labels;  /* char*, escaped */
    GPtrArray *texts;   /* char*, escaped */
    gboolean drawn;     /* a line is on the screen */
};

VgProgress *vg_progress_new(FILE *tty)
{
    if (!tty || !isatty(fileno(tty)))
        return NULL;
    VgProgress *p = g_new0(VgProgress, 1);
    g_mutex_init(&p->lock);
    p->tty = tty;
    p->keys = g_ptr_array_new();
    p->labels = g_ptr_array_new_with_free_func(g_free);
    p->texts = g_ptr_array_new_with_free_func(g_free);
    return p;
}

static void clear_line(VgProgress *p)
{
    if (p->drawn)
        fputs("\r\033[K", p->tty);
    p->drawn = FALSE;
}

void vg_progress_free(VgProgress *p)
{
    if (!p)
        return;
    clear_line(p);
    fflush(p->tty);
    g_ptr_array_unref(p->keys);
    g_ptr_array_unref(p->labels);
    g_ptr_array_unref(p->texts);
    g_mutex_clear(&p->lock);
    g_free(p);
}

/* Columns a character takes (the text is escaped: no controls left). */
static guint char_width(gunichar c)
{
    GUnicodeType t = g_unichar_type(c);
    if (t == G_UNICODE_NON_SPACING_MARK || t == G_UNICODE_ENCLOSING_MARK)
        return 0;
    return g_unichar_iswide(c) ? 2 : 1;
}

/* @s cut to @columns, with "..." when cut. */
static void append_cut(GString *line, const char *s, guint columns)
{
    guint used = 0;
    for (const char *q = s; *q; q = g_utf8_next_char(q))
        used += char_width(g_utf8_get_char(q));
    if (used <= columns) {
        g_string_append(line, s);
        return;
    }
    used = 0;
    for (const char *q = s; *q && columns >= 3; q = g_utf8_next_char(q)) {
        guint w = char_width(g_utf8_get_char(q));
        if (used + w > columns - 3)
            break;
        g_string_append_unichar(line, g_utf8_get_char(q));
        used += w;
    }
    g_string_append(line, columns >= 3 ? "..." : "");
}

char *vg_progress_line(const char *const *labels, const char *const *texts, guint n,
                       guint columns)
{
    g_autoptr(GString) full = g_string_new("virt-grow: ");
    if (n > 1)
        g_string_append_printf(full, "%u running: ", n);
    for (guint i = 0; i < n; i++)
        g_string_append_printf(full, "%s%s: %s", i ? " | " : "", labels[i], texts[i]);
    GString *line = g_string_new(NULL);
    append_cut(line, full->str, columns);
    return g_string_free(line, FALSE);
}

static guint terminal_columns(FILE *tty)
{
    struct winsize ws;
    if (ioctl(fileno(tty), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 10)
        return ws.ws_col;
    return 80;
}

static void draw(VgProgress *p)
{
    clear_line(p);
    if (p->keys->len) {
        /* one column short of the width: no wrap at the last column */
        g_autofree char *line = vg_progress_line((const char *const *)p->labels->pdata,
                                                 (const char *const *)p->texts->pdata,
                                                 p->keys->len, terminal_columns(p->tty) - 1);
        fputs(line, p->tty);
        p->drawn = TRUE;
    }
    fflush(p->tty);
}

void vg_progress_set(VgProgress *p, gconstpointer key, const char *label, const char *text)
{
    if (!p)
        return;
    g_mutex_lock(&p->lock);
    guint i = 0;
    while (i < p->keys->len && p->keys->pdata[i] != key)
        i++;
    if (!text) {
        if (i < p->keys->len) {
            g_ptr_array_remove_index(p->keys, i);
            g_ptr_array_remove_index(p->labels, i);
            g_ptr_array_remove_index(p->texts, i);
        }
    } else if (i < p->keys->len) {
        g_free(p->texts->pdata[i]);
        p->texts->pdata[i] = vg_safe_text(text, -1);
    } else {
        g_ptr_array_add(p->keys, (gpointer)key);
        g_ptr_array_add(p->labels, vg_safe_text(label, -1));
        g_ptr_array_add(p->texts, vg_safe_text(text, -1));
    }
    draw(p);
    g_mutex_unlock(&p->lock);
}
