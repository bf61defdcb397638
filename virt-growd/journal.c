/* The request journal.  See journal.h. */
#include "journal.h"
#include "json-strict.h"
#include "vg-error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define LINE_MAX_BYTES (16u << 20)

typedef struct {
    char *id;
    char *requester;
    char *reply;     /* NULL: started, not finished */
    unsigned starts;
    gint64 at;
    guint64 seq;     /* order of first sight, for the unfinished ones' bound */
} Entry;

struct VgdJournal {
    GMutex lock;
    char *dir, *path;
    int fd, lock_fd;
    unsigned max;
    GHashTable *entries;  /* id -> Entry* */
    GQueue finished;      /* Entry* (borrowed), oldest first */
    unsigned lines;       /* in the file now */
    guint64 next_seq;
};

static void entry_free(Entry *e)
{
    g_free(e->id);
    g_free(e->requester);
    g_free(e->reply);
    g_free(e);
}

static gboolean G_GNUC_PRINTF(3, 4) jfail(GError **error, const char *path, const char *fmt,
                                          ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(error, VG_ERROR, VG_ERROR_INVALID, "journal %s: %s", path, msg);
    return FALSE;
}

static char *line_of(const Entry *e, gboolean finished)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "event");
    json_builder_add_string_value(b, finished ? "finished" : "started");
    json_builder_set_member_name(b, "id");
    json_builder_add_string_value(b, e->id);
    json_builder_set_member_name(b, "requester");
    json_builder_add_string_value(b, e->requester ? e->requester : "");
    json_builder_set_member_name(b, "at");
    json_builder_add_int_value(b, e->at);
    if (finished) {
        json_builder_set_member_name(b, "reply");
        json_builder_add_string_value(b, e->reply);
    } else {
        json_builder_set_member_name(b, "starts");
        json_builder_add_int_value(b, e->starts);
    }
    json_builder_end_object(b);
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    g_autofree char *text = json_to_string(root, FALSE);
    return g_strdup_printf("%s\n", text);
}

/* Forget the oldest finished requests past the bound. */
static void trim(VgdJournal *j)
{
    while (j->finished.length > j->max) {
        Entry *old = g_queue_pop_head(&j->finished);
        g_hash_table_remove(j->entries, old->id);
    }
}

static Entry *entry_get(VgdJournal *j, const char *id)
{
    Entry *e = g_hash_table_lookup(j->entries, id);
    if (!e) {
        e = g_new0(Entry, 1);
        e->id = g_strdup(id);
        e->seq = j->next_seq++;
        g_hash_table_insert(j->entries, e->id, e);
    }
    return e;
}

static void apply_line(VgdJournal *j, const char *line, gsize len)
{
    g_autoptr(JsonNode) n = vg_json_parse_strict(line, len, 4, NULL);
    if (!n || !JSON_NODE_HOLDS_OBJECT(n))
        return;
    JsonObject *o = json_node_get_object(n);
    const char *event = json_object_get_string_member_with_default(o, "event", "");
    const char *id = json_object_get_string_member_with_default(o, "id", "");
    if (!*id)
        return;
    Entry *e = entry_get(j, id);
    g_free(e->requester);
    e->requester = g_strdup(json_object_get_string_member_with_default(o, "requester", ""));
    e->at = json_object_get_int_member_with_default(o, "at", 0);
    if (!strcmp(event, "finished") && !e->reply) {
        e->reply = g_strdup(json_object_get_string_member_with_default(o, "reply", ""));
        g_queue_push_tail(&j->finished, e);
    } else if (!strcmp(event, "started")) {
        e->starts = (unsigned)json_object_get_int_member_with_default(o, "starts", 1);
    }
}

static gboolean fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return FALSE;
    int r = fsync(fd);
    close(fd);
    return r == 0;
}

static gboolean write_all(int fd, const char *s, gsize len)
{
    while (len) {
        ssize_t n = write(fd, s, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return FALSE;
        s += n;
        len -= (gsize)n;
    }
    return TRUE;
}

static gint by_seq(gconstpointer a, gconstpointer b)
{
    const Entry *x = *(Entry *const *)a, *y = *(Entry *const *)b;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The unfinished starts, oldest first, at most @max of them: the oldest
 * past that are forgotten.  A start stays unfinished only when its message
 * never came back (a queue purged, a broker policy's delivery limit); all
 * it still counts is that message's crashes. */
static GPtrArray *unfinished_kept(VgdJournal *j)
{
    GPtrArray *a = g_ptr_array_new();
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, j->entries);
    while (g_hash_table_iter_next(&it, NULL, &v))
        if (!((Entry *)v)->reply)
            g_ptr_array_add(a, v);
    g_ptr_array_sort(a, by_seq);
    if (a->len > j->max) {
        guint drop = a->len - j->max;
        for (guint i = 0; i < drop; i++)
            g_hash_table_remove(j->entries, ((Entry *)a->pdata[i])->id);
        g_ptr_array_remove_range(a, 0, drop);
    }
    return a;
}

/* Write what is kept to a new file and put it in place of the old one. */
static gboolean rewrite(VgdJournal *j, GError **error)
{
    g_autofree char *tmp = g_strdup_printf("%s.new", j->path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    unsigned lines = 0;
    if (fd < 0)
        return jfail(error, tmp, "%s", g_strerror(errno));
    gboolean ok = TRUE;
    /* unfinished starts first, then the finished ones, each oldest first,
     * so that trimming on reading keeps the newest */
    g_autoptr(GPtrArray) unfinished = unfinished_kept(j);
    for (guint i = 0; ok && i < unfinished->len; i++) {
        g_autofree char *line = line_of(unfinished->pdata[i], FALSE);
        ok = write_all(fd, line, strlen(line));
        lines++;
    }
    for (GList *l = j->finished.head; ok && l; l = l->next) {
        g_autofree char *line = line_of(l->data, TRUE);
        ok = write_all(fd, line, strlen(line));
        lines++;
    }
    ok = ok && fsync(fd) == 0;
    int err = errno;
    close(fd);
    if (!ok || rename(tmp, j->path) < 0) {
        err = ok ? errno : err;
        unlink(tmp);
        return jfail(error, j->path, "cannot rewrite it: %s", g_strerror(err));
    }
    fsync_dir(j->dir);
    if (j->fd >= 0)
        close(j->fd);
    j->fd = open(j->path, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (j->fd < 0)
        return jfail(error, j->path, "%s", g_strerror(errno));
    j->lines = lines;
    return TRUE;
}

static gboolean load(VgdJournal *j, GError **error)
{
    g_autofree char *text = NULL;
    gsize len = 0;
    g_autoptr(GError) e = NULL;

    if (!g_file_get_contents(j->path, &text, &len, &e)) {
        if (g_error_matches(e, G_FILE_ERROR, G_FILE_ERROR_NOENT))
            return TRUE;
        return jfail(error, j->path, "%s", e->message);
    }
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', end - p);
        if (!nl)
            break;  /* a torn last line: never written whole, never counted */
        if ((gsize)(nl - p) <= LINE_MAX_BYTES)
            apply_line(j, p, nl - p);
        p = nl + 1;
    }
    trim(j);
    return TRUE;
}

VgdJournal *vgd_journal_open(const char *dir, unsigned max, GError **error)
{
    g_autoptr(VgdJournal) j = g_new0(VgdJournal, 1);
    g_mutex_init(&j->lock);
    j->dir = g_strdup(dir);
    j->path = g_build_filename(dir, "journal", NULL);
    j->fd = j->lock_fd = -1;
    j->max = MAX(max, 1);
    j->entries = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)entry_free);
    g_queue_init(&j->finished);

    if (g_mkdir_with_parents(dir, 0700) < 0) {
        jfail(error, dir, "cannot make the directory: %s", g_strerror(errno));
        return NULL;
    }
    g_autofree char *lock = g_build_filename(dir, "journal.lock", NULL);
    j->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (j->lock_fd < 0) {
        jfail(error, lock, "%s", g_strerror(errno));
        return NULL;
    }
    if (flock(j->lock_fd, LOCK_EX | LOCK_NB) < 0) {
        jfail(error, dir, "another virt-growd uses this directory (its lock %s is held)", lock);
        return NULL;
    }
    if (!load(j, error) || !rewrite(j, error))
        return NULL;
    return g_steal_pointer(&j);
}

void vgd_journal_free(VgdJournal *j)
{
    if (!j)
        return;
    if (j->fd >= 0)
        close(j->fd);
    if (j->lock_fd >= 0)
        close(j->lock_fd);  /* lets go of the lock */
    g_queue_clear(&j->finished);
    if (j->entries)
        g_hash_table_unref(j->entries);
    g_free(j->dir);
    g_free(j->path);
    g_mutex_clear(&j->lock);
    g_free(j);
}

char *vgd_journal_reply(VgdJournal *j, const char *id, char **requester)
{
    g_mutex_lock(&j->lock);
    Entry *e = g_hash_table_lookup(j->entries, id);
    char *reply = e && e->reply ? g_strdup(e->reply) : NULL;
    if (requester)
        *requester = reply ? g_strdup(e->requester) : NULL;
    g_mutex_unlock(&j->lock);
    return reply;
}

unsigned vgd_journal_starts(VgdJournal *j, const char *id)
{
    g_mutex_lock(&j->lock);
    Entry *e = g_hash_table_lookup(j->entries, id);
    unsigned n = e && !e->reply ? e->starts : 0;
    g_mutex_unlock(&j->lock);
    return n;
}

static gboolean append(VgdJournal *j, const char *line, GError **error)
{
    if (!write_all(j->fd, line, strlen(line)) || fdatasync(j->fd) < 0)
        return jfail(error, j->path, "cannot write: %s", g_strerror(errno));
    j->lines++;
    return TRUE;
}

/* A start and a finish a request, and at most max unfinished starts: the
 * file is rewritten when it holds about twice what is kept. */
static gboolean keep_bounded(VgdJournal *j, GError **error)
{
    return j->lines <= 2 * j->max + 64 || rewrite(j, error);
}

gboolean vgd_journal_start(VgdJournal *j, const char *id, const char *requester, GError **error)
{
    g_mutex_lock(&j->lock);
    Entry *e = entry_get(j, id);
    gboolean ok = TRUE;
    if (!e->reply) {
        e->starts++;
        g_free(e->requester);
        e->requester = g_strdup(requester);
        e->at = g_get_real_time() / G_USEC_PER_SEC;
        g_autofree char *line = line_of(e, FALSE);
        ok = append(j, line, error) && keep_bounded(j, error);
    }
    g_mutex_unlock(&j->lock);
    return ok;
}

gboolean vgd_journal_finish(VgdJournal *j, const char *id, const char *requester,
                            const char *reply, GError **error)
{
    g_mutex_lock(&j->lock);
    Entry *e = entry_get(j, id);
    gboolean ok = TRUE;
    if (!e->reply) {
        e->reply = g_strdup(reply);
        g_free(e->requester);
        e->requester = g_strdup(requester);
        e->at = g_get_real_time() / G_USEC_PER_SEC;
        g_autofree char *line = line_of(e, TRUE);
        ok = append(j, line, error);
        g_queue_push_tail(&j->finished, e);
        trim(j);
        ok = ok && keep_bounded(j, error);
    }
    g_mutex_unlock(&j->lock);
    return ok;
}

unsigned vgd_journal_size(VgdJournal *j)
{
    g_mutex_lock(&j->lock);
    unsigned n = j->finished.length;
    g_mutex_unlock(&j->lock);
    return n;
}
