/* One LVM process for a whole grow: LVM's own shell ("lvm" with no command),
 * driven the way lvmdbusd drives it.  Each "lvm pvs" costs a process start
 * and LVM's initialisation, about 250 ms under emulation and most of an LVM
 * grow's time (issue 21); the shell pays that once and then runs each
 * command in the same process, with the same locking, metadata archive and
 * backup as the command on its own, and with lvm-dsync.so preloaded (the
 * environment is lvm-tool.c's).
 *
 * The protocol: LVM_COMMAND_PROFILE=lvmdbusd (the profile LVM ships for
 * lvmdbusd: JSON reports in bytes, and a command log) with LVM_REPORT_FD
 * on a pipe of ours.  A command line goes to the shell's standard input;
 * after it, LVM writes one JSON object to the report pipe: the command's
 * report, if any, and its log, whose last row of context "shell" holds the
 * command's return code (1: done).  Its error messages go to that log too:
 * after a failure, "lastlog" gives them.  Nothing is parsed from text meant
 * for people.
 *
 * Reports are kept until the next command that writes, so a step that asks
 * what an earlier one already asked (the PV before pvresize, the free
 * extents before lvextend) is answered without asking LVM again.
 *
 * Without the profile (an LVM without lvmdbusd's profile, or a removed one),
 * or for an argument the shell cannot take (a quote in a device name), each
 * command runs as a process of its own, as before. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <json-glib/json-glib.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define REPORT_FD 3

struct QgLvm {
    gint ref;
    gboolean tried;     /* a start was tried (it is not tried twice) */
    GPid pid;           /* the shell, 0 when none runs */
    int in;             /* its standard input (our end of a socket pair:
                         * a send to a shell that died fails, no SIGPIPE) */
    int out, err, rep;  /* its standard output, error and report pipe */
    gboolean answered;  /* it has answered a command the way we expect */
    GString *pending;   /* report bytes read past the last object */
    GHashTable *cache;  /* command line -> its JSON report, until a write */
};

QgLvm *qg_lvm_new(void)
{
    QgLvm *l = g_new0(QgLvm, 1);
    l->ref = 1;
    l->in = l->out = l->err = l->rep = -1;
    l->pending = g_string_new(NULL);
    l->cache = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    return l;
}

QgLvm *qg_lvm_ref(QgLvm *l)
{
    g_atomic_int_inc(&l->ref);
    return l;
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* End the shell: end of its input makes it exit. */
static void shell_stop(QgLvm *l)
{
    close_fd(&l->in);
    close_fd(&l->out);
    close_fd(&l->err);
    close_fd(&l->rep);
    if (l->pid > 0) {
        while (waitpid(l->pid, NULL, 0) < 0 && errno == EINTR)
            ;
        g_spawn_close_pid(l->pid);
    }
    l->pid = 0;
    g_string_truncate(l->pending, 0);
}

void qg_lvm_unref(QgLvm *l)
{
    if (!l || !g_atomic_int_dec_and_test(&l->ref))
        return;
    shell_stop(l);
    g_string_free(l->pending, TRUE);
    g_hash_table_unref(l->cache);
    g_free(l);
}

/* The profile the shell's protocol rests on, where LVM looks for it. */
static gboolean have_profile(void)
{
    const char *dir = g_getenv("LVM_SYSTEM_DIR");
    g_autofree char *p = g_build_filename(dir && *dir ? dir : "/etc/lvm", "profile",
                                          "lvmdbusd.profile", NULL);
    return access(p, R_OK) == 0;
}

static gboolean shell_start(QgLvm *l, GError **error)
{
    g_autofree char *prog = qg_find_tool("lvm");
    int sv[2], rp[2];
    g_autoptr(GError) e = NULL;

    if (!prog) {
        g_set_error(error, QG_ERROR, QG_ERROR_FAILED, "lvm is needed but not installed");
        return FALSE;
    }
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        return qg_set_errno_error(error, errno, "cannot make a socket pair for lvm");
    if (pipe2(rp, O_CLOEXEC) != 0) {
        int err = errno;
        close(sv[0]);
        close(sv[1]);
        return qg_set_errno_error(error, err, "cannot make a pipe for lvm");
    }
    g_auto(GStrv) env = qg_lvm_env();
    g_autofree char *fd_var = g_strdup_printf("%d", REPORT_FD);
    env = g_environ_setenv(env, "LVM_COMMAND_PROFILE", "lvmdbusd", TRUE);
    env = g_environ_setenv(env, "LVM_REPORT_FD", fd_var, TRUE);
    /* the shell keeps a history in $HOME/.lvm_history, written after every
     * command: none of that for us (the write fails, quietly) */
    env = g_environ_setenv(env, "HOME", "/dev/null", TRUE);
    char *argv[] = { prog, NULL };
    int source[] = { rp[1] }, target[] = { REPORT_FD };
    gboolean ok = g_spawn_async_with_pipes_and_fds(
        NULL, (const char *const *)argv, (const char *const *)env, G_SPAWN_DO_NOT_REAP_CHILD,
        NULL, NULL, sv[1], -1, -1, source, target, 1, &l->pid, NULL, &l->out, &l->err, &e);
    close(sv[1]);
    close(rp[1]);
    if (!ok) {
        close(sv[0]);
        close(rp[0]);
        l->pid = 0;
        g_set_error(error, QG_ERROR, QG_ERROR_FAILED, "cannot run %s: %s", prog, e->message);
        return FALSE;
    }
    l->in = sv[0];
    l->rep = rp[0];
    return TRUE;
}

/* The shell takes an argument whole when it is quoted, with either quote,
 * and has no escapes: NULL when @arg holds both quotes or a line break. */
static char *quoted(const char *arg)
{
    if (strchr(arg, '\n') || strchr(arg, '\r'))
        return NULL;
    if (!strchr(arg, '"'))
        return g_strdup_printf("\"%s\"", arg);
    if (!strchr(arg, '\''))
        return g_strdup_printf("'%s'", arg);
    return NULL;
}

static char *command_line(const char *const *args)
{
    g_autoptr(GString) s = g_string_new(NULL);
    for (const char *const *a = args; *a; a++) {
        g_autofree char *q = quoted(*a);
        if (!q)
            return NULL;
        g_string_append_printf(s, "%s%s", s->len ? " " : "", q);
    }
    g_string_append_c(s, '\n');
    return g_string_free(g_steal_pointer(&s), FALSE);
}

#define NOT_JSON G_MAXSIZE

/* Where the first whole JSON object in @s ends (one past its closing
 * brace), or 0 when none is whole yet, or NOT_JSON when something else
 * comes first (a report in LVM's text format); *start gets where it
 * begins. */
static gsize object_end(const GString *s, gsize *start)
{
    int depth = 0;
    gboolean in_str = FALSE, esc = FALSE;
    for (gsize i = 0; i < s->len; i++) {
        char c = s->str[i];
        if (depth == 0 && c != '{' && !g_ascii_isspace(c) && c != ',')
            return NOT_JSON;
        if (in_str) {
            if (esc)
                esc = FALSE;
            else if (c == '\\')
                esc = TRUE;
            else if (c == '"')
                in_str = FALSE;
        } else if (c == '"') {
            in_str = TRUE;
        } else if (c == '{') {
            if (depth++ == 0)
                *start = i;
        } else if (c == '}' && depth > 0 && --depth == 0) {
            return i + 1;
        }
    }
    return 0;
}

static gboolean drain(int fd, GString *into)
{
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return TRUE;
    if (n <= 0)
        return FALSE;
    if (into)
        g_string_append_len(into, buf, n);
    return TRUE;
}

/* The next JSON object the shell writes to the report pipe (its standard
 * output is read and dropped, its errors kept in @errors). */
static char *read_object(QgLvm *l, GString *errors, GError **error)
{
    for (;;) {
        gsize start = 0, end = object_end(l->pending, &start);
        if (end == NOT_JSON) {
            g_set_error(error, QG_ERROR, QG_ERROR_FAILED,
                        "lvm's report is not JSON (is lvmdbusd.profile changed?)");
            return NULL;
        }
        if (end) {
            char *obj = g_strndup(l->pending->str + start, end - start);
            g_string_erase(l->pending, 0, (gssize)end);
            return obj;
        }
        struct pollfd p[3] = { { .fd = l->rep, .events = POLLIN },
                               { .fd = l->out, .events = POLLIN },
                               { .fd = l->err, .events = POLLIN } };
        if (poll(p, 3, -1) < 0) {
            if (errno == EINTR)
                continue;
            qg_set_errno_error(error, errno, "cannot wait for lvm");
            return NULL;
        }
        gboolean rep_open = TRUE;
        if (p[0].revents && !drain(l->rep, l->pending))
            rep_open = FALSE;
        if (p[1].revents && !drain(l->out, NULL))
            close_fd(&l->out);
        if (p[2].revents && !drain(l->err, errors))
            close_fd(&l->err);
        if (!rep_open) {
            g_set_error(error, QG_ERROR, QG_ERROR_FAILED, "lvm ended before it answered%s%s",
                        errors->len ? ": " : "", g_strstrip(errors->str));
            return NULL;
        }
    }
}

/* The rows of the report object's "log" member, or NULL. */
static JsonArray *log_rows(JsonNode *root)
{
    JsonObject *o = root && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
    JsonNode *log = o ? json_object_get_member(o, "log") : NULL;
    return log && JSON_NODE_HOLDS_ARRAY(log) ? json_node_get_array(log) : NULL;
}

static const char *row_str(JsonObject *row, const char *field)
{
    JsonNode *v = json_object_get_member(row, field);
    return v && JSON_NODE_HOLDS_VALUE(v) && json_node_get_value_type(v) == G_TYPE_STRING
               ? json_node_get_string(v) : NULL;
}

/* The return code the shell logged for the command, or -1 when its log has
 * no such row (not the protocol we know). */
static int shell_status(JsonNode *root)
{
    JsonArray *rows = log_rows(root);
    for (guint i = rows ? json_array_get_length(rows) : 0; i-- > 0;) {
        JsonNode *r = json_array_get_element(rows, i);
        JsonObject *row = JSON_NODE_HOLDS_OBJECT(r) ? json_node_get_object(r) : NULL;
        const char *ctx = row ? row_str(row, "log_context") : NULL;
        const char *code = row ? row_str(row, "log_ret_code") : NULL;
        guint64 n;
        if (ctx && !strcmp(ctx, "shell") && code &&
            g_ascii_string_to_unsigned(code, 10, 0, G_MAXINT, &n, NULL))
            return (int)n;
    }
    return -1;
}

/* One command line in, its JSON object and status out. */
static char *shell_call(QgLvm *l, const char *line, int *status, GString *errors, GError **error)
{
    gsize len = strlen(line), done = 0;
    while (done < len) {
        ssize_t n = send(l->in, line + done, len - done, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            qg_set_errno_error(error, errno, "cannot talk to lvm");
            return NULL;
        }
        done += (gsize)n;
    }
    g_autofree char *obj = read_object(l, errors, error);
    if (!obj)
        return NULL;
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) e = NULL;
    if (!json_parser_load_from_data(parser, obj, -1, &e)) {
        g_set_error(error, QG_ERROR, QG_ERROR_FAILED, "lvm gave no JSON report: %s", e->message);
        return NULL;
    }
    *status = shell_status(json_parser_get_root(parser));
    if (*status < 0) {
        g_set_error(error, QG_ERROR, QG_ERROR_FAILED,
                    "lvm's report has no command status (is lvmdbusd.profile changed?)");
        return NULL;
    }
    return g_steal_pointer(&obj);
}

/* The error messages LVM logged for the last command ("lastlog"). */
static void last_errors(QgLvm *l, GString *msg)
{
    int status;
    g_autoptr(GString) errors = g_string_new(NULL);
    g_autofree char *obj = shell_call(l, "lastlog\n", &status, errors, NULL);
    g_autoptr(JsonParser) parser = json_parser_new();
    if (!obj || !json_parser_load_from_data(parser, obj, -1, NULL))
        return;
    JsonArray *rows = log_rows(json_parser_get_root(parser));
    for (guint i = 0; rows && i < json_array_get_length(rows); i++) {
        JsonNode *r = json_array_get_element(rows, i);
        JsonObject *row = JSON_NODE_HOLDS_OBJECT(r) ? json_node_get_object(r) : NULL;
        const char *type = row ? row_str(row, "log_type") : NULL;
        const char *text = row ? row_str(row, "log_message") : NULL;
        if (type && text && !strcmp(type, "error"))
            g_string_append_printf(msg, "%s%s", msg->len ? "; " : "", text);
    }
}

/* @args through the shell: its JSON object, or NULL with an error; FALSE
 * in *used when the shell cannot run it (not started, an argument it
 * cannot take, or a first report it did not answer as expected: a
 * changed profile), and nothing was written. */
static char *via_shell(QgLvm *l, const char *const *args, gboolean writes, gboolean *used,
                       GError **error)
{
    g_autofree char *line = command_line(args);
    *used = FALSE;
    if (!line)
        return NULL;
    if (!l->pid && !l->tried) {
        l->tried = TRUE;
        if (!have_profile())
            return NULL;
        if (!shell_start(l, NULL))
            return NULL;  /* a process per command then, which says why */
    }
    if (!l->pid)
        return NULL;
    *used = TRUE;
    int status;
    g_autoptr(GString) errors = g_string_new(NULL);
    g_autoptr(GError) e = NULL;
    g_autofree char *obj = shell_call(l, line, &status, errors, &e);
    if (!obj) {
        shell_stop(l);  /* it died, or speaks another protocol: not again */
        if (!l->answered && !writes) {
            *used = FALSE;  /* a report, and the first: a process of its own */
            return NULL;
        }
        g_propagate_error(error, g_steal_pointer(&e));
        return NULL;
    }
    l->answered = TRUE;
    if (status != 1) {
        g_autoptr(GString) msg = g_string_new(NULL);
        last_errors(l, msg);
        if (!msg->len)
            g_string_append(msg, g_strstrip(errors->str));
        g_set_error(error, QG_ERROR, QG_ERROR_FAILED, "lvm %s failed (status %d): %s", args[0],
                    status, msg->len ? msg->str : "it said nothing more");
        return NULL;
    }
    return g_steal_pointer(&obj);
}

char *qg_lvm_call(QgLvm *l, const char *const *args, gboolean writes, GError **error)
{
    g_autofree char *key = g_strjoinv("\x1f", (char **)args);
    if (writes) {
        g_hash_table_remove_all(l->cache);
    } else {
        const char *cached = g_hash_table_lookup(l->cache, key);
        if (cached)
            return g_strdup(cached);
    }
    gboolean used;
    GError *e = NULL;
    char *obj = via_shell(l, args, writes, &used, &e);
    if (!used && !e)
        obj = qg_lvm_exec(args, error);  /* a process of its own */
    else if (e)
        g_propagate_error(error, e);
    if (obj && !writes)
        g_hash_table_insert(l->cache, g_steal_pointer(&key), g_strdup(obj));
    return obj;
}
