/* Requests in a bounded pool of threads, sharing connections per URI
 * (libvirt connections are thread-safe).  A connection that is lost
 * (libvirtd restarted, an ssh link broke) is opened again, once, for the
 * URI's later requests; the requests it was lost under end with their own
 * report. */
#include "run.h"

#include <libvirt/virterror.h>

typedef struct {
    GMutex lock;
    GHashTable *conns;   /* uri ("" for the default) -> virConnectPtr, or NULL after a failure */
    GHashTable *errors;  /* uri -> char* message of the failed open */
    GHashTable *reopened;/* uris whose connection was opened again once */
    GPtrArray *requests;
    GPtrArray *outcomes;
    const char *default_uri;
    const VgSettings *set;
} Run;

static virConnectPtr open_conn(Run *run, const char *uri, const char *key, const char *again)
{
    virConnectPtr conn = virConnectOpenAuth(uri, virConnectAuthPtrDefault, 0);
    g_hash_table_insert(run->conns, g_strdup(key), conn);
    if (!conn)
        g_hash_table_insert(run->errors, g_strdup(key),
                            g_strdup_printf("cannot connect to %s%s: %s",
                                            uri ? uri : "libvirt's default URI", again,
                                            vg_libvirt_error()));
    return conn;
}

/* The connection for @uri (a reference of the caller's, virConnectClose
 * it), opened once, and once more after it was lost; NULL with *message on
 * failure. */
static virConnectPtr connection(Run *run, const char *uri, char **message)
{
    const char *key = uri ? uri : "";
    virConnectPtr conn;

    g_mutex_lock(&run->lock);
    if (!g_hash_table_contains(run->conns, key))
        open_conn(run, uri, key, "");
    conn = g_hash_table_lookup(run->conns, key);
    if (conn && virConnectIsAlive(conn) == 0) {
        if (!g_hash_table_contains(run->reopened, key)) {
            g_hash_table_add(run->reopened, g_strdup(key));
            /* requests still running under the old one hold their own
             * references to it */
            conn = open_conn(run, uri, key, " again after the connection was lost");
        } else {
            g_hash_table_insert(run->conns, g_strdup(key), NULL);
            g_hash_table_insert(run->errors, g_strdup(key),
                                g_strdup_printf("the connection to %s was lost twice; not "
                                                "opened a third time",
                                                uri ? uri : "libvirt's default URI"));
            conn = NULL;
        }
    }
    if (conn)
        virConnectRef(conn);
    else
        *message = g_strdup(g_hash_table_lookup(run->errors, key));
    g_mutex_unlock(&run->lock);
    return conn;
}

static void run_one(gpointer data, gpointer user_data)
{
    Run *run = user_data;
    guint i = GPOINTER_TO_UINT(data) - 1;
    const VgRequest *req = run->requests->pdata[i];
    g_autofree char *message = NULL;
    virConnectPtr conn = connection(run, req->uri ? req->uri : run->default_uri, &message);
    VgOutcome *o;

    if (conn) {
        o = vg_grow_one(conn, req, run->set);
        virConnectClose(conn);
    } else {
        o = vg_outcome_new(req, run->set->dry_run);
        o->message = g_steal_pointer(&message);
    }
    /* distinct slots: no lock needed */
    run->outcomes->pdata[i] = o;
}

static void close_conn(gpointer conn)
{
    if (conn)
        virConnectClose(conn);
}

GPtrArray *vg_run_all(GPtrArray *requests, const char *default_uri, const VgSettings *set,
                      unsigned jobs)
{
    Run run = {
        .conns = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, close_conn),
        .errors = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free),
        .reopened = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
        .requests = requests,
        .outcomes = g_ptr_array_new_full(requests->len, (GDestroyNotify)vg_outcome_free),
        .default_uri = default_uri,
        .set = set,
    };
    g_mutex_init(&run.lock);
    g_ptr_array_set_size(run.outcomes, (gint)requests->len);

    if (requests->len == 1 || jobs <= 1) {
        for (guint i = 0; i < requests->len; i++)
            run_one(GUINT_TO_POINTER(i + 1), &run);
    } else {
        GThreadPool *pool = g_thread_pool_new(run_one, &run, (gint)MIN(jobs, requests->len),
                                              FALSE, NULL);
        for (guint i = 0; i < requests->len; i++)
            g_thread_pool_push(pool, GUINT_TO_POINTER(i + 1), NULL);
        g_thread_pool_free(pool, FALSE, TRUE);  /* waits for every request */
    }
    g_hash_table_unref(run.conns);
    g_hash_table_unref(run.errors);
    g_hash_table_unref(run.reopened);
    g_mutex_clear(&run.lock);
    return run.outcomes;
}

VgExit vg_run_exit_code(GPtrArray *outcomes)
{
    VgExit worst = VG_EXIT_NOTHING;
    gboolean grew = FALSE;

    for (guint i = 0; i < outcomes->len; i++) {
        VgExit e = ((VgOutcome *)outcomes->pdata[i])->exit;
        if (e == VG_EXIT_GROWN)
            grew = TRUE;
        else if (e != VG_EXIT_NOTHING && (worst == VG_EXIT_NOTHING || e > worst))
            worst = e;
    }
    if (worst != VG_EXIT_NOTHING)
        return worst;
    return grew ? VG_EXIT_GROWN : VG_EXIT_NOTHING;
}
