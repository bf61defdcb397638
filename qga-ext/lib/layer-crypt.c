/* The dm-crypt layer (LUKS1, LUKS2, plain): the active mapping grows to fill
 * its device, through libcryptsetup's crypt_resize().
 *
 * LUKS1 and plain mappings carry their volume key in the kernel's table, so
 * a resize needs no secret.  A LUKS2 mapping keeps its key in the kernel
 * keyring, which user space cannot read back: the table reload needs the key
 * again.  Tried in order: nothing (a mapping with its key in the table),
 * the header's LUKS2 tokens, then the request's key file (a path; key
 * material never passes through us).  With none that works, the plan refuses
 * before anything is written.  Key slots are never added or removed.
 *
 * A key slot's unlock runs its key derivation (PBKDF2 or Argon2) at the
 * cost the header asks, by design up to seconds: a grow pays it once.  A dry
 * run only checks the key; a real run loads it in the plan, in the thread
 * that resizes later (key_thread), so the refusal still comes before
 * anything is written and the apply needs no second unlock. */
#include "internal.h"

#include <errno.h>
#include <libcryptsetup.h>
#include <string.h>

typedef struct KeyThread KeyThread;

typedef struct {
    struct crypt_device *cd;
    char *name;          /* the mapping's dm name */
    char *below;         /* kernel name of the device it rests on */
    uint64_t offset;     /* bytes of that device before the data */
    uint64_t sector;     /* encryption sector size */
    char *last_error;    /* libcryptsetup's own words, for our messages */
    gboolean in_keyring; /* volume key in the keyring: load it before resizing */
    const char *key_file;
    KeyThread *key;      /* a real run's: the thread that holds the key */
} CryptPriv;

static void key_thread_end(KeyThread *k);

static void crypt_priv_free(void *p)
{
    CryptPriv *c = p;
    if (!c)
        return;
    if (c->key)
        key_thread_end(c->key);
    if (c->cd)
        crypt_free(c->cd);
    g_free(c->name);
    g_free(c->below);
    g_free(c->last_error);
    g_free(c);
}

static void keep_error(int level, const char *msg, void *usrptr)
{
    CryptPriv *c = usrptr;
    if (level != CRYPT_LOG_ERROR)
        return;
    g_free(c->last_error);
    c->last_error = g_strstrip(g_strdup(msg));
}

static const char *type_name(struct crypt_device *cd)
{
    const char *t = crypt_get_type(cd);
    if (!t)
        return "plain";
    if (!strcmp(t, CRYPT_LUKS1))
        return "luks1";
    if (!strcmp(t, CRYPT_LUKS2))
        return "luks2";
    if (!strcmp(t, CRYPT_PLAIN))
        return "plain";
    return NULL;
}

/* What the mapping can hold on a device of @bytes. */
static uint64_t crypt_reach(const CryptPriv *c, uint64_t bytes)
{
    return bytes > c->offset ? (bytes - c->offset) / c->sector * c->sector : 0;
}

/* Verify, or with @load put into the kernel keyring for crypt_resize(), the
 * volume key: from a token, else from the key file.  Returns a negative
 * errno when neither unlocks a key slot. */
static int unlock(CryptPriv *c, gboolean load, const char **how)
{
    uint32_t flags = load ? CRYPT_ACTIVATE_KEYRING_KEY : 0;
    int r = crypt_activate_by_token(c->cd, NULL, CRYPT_ANY_TOKEN, NULL, flags);
    *how = "a LUKS2 token";
    if (r >= 0 || !c->key_file)
        return r;
    *how = "the key file";
    return crypt_activate_by_keyfile_device_offset(c->cd, NULL, CRYPT_ANY_SLOT, c->key_file,
                                                   0, 0, flags);
}

/* The thread that unlocks the volume key into its own keyring during the
 * plan, then waits for the apply's resize (or for the end, when the run
 * stops before it): libcryptsetup puts the key into the calling thread's
 * keyring for the table reload and leaves it there; the thread's keyring
 * goes with the thread, so the key does not stay in a long-lived caller
 * (qemu-ga's main thread). */
struct KeyThread {
    CryptPriv *c;
    GThread *thread;
    GMutex lock;
    GCond cond;
    gboolean unlocked;   /* the unlock has answered: */
    int unlock_r;        /* ... its result */
    const char *how;     /* ... and what it tried last */
    gboolean ordered;    /* the apply (or the end) has come: */
    uint64_t sectors;    /* ... resize to these 512-byte sectors (0: end) */
    gboolean resized;    /* the resize has answered: */
    int resize_r;        /* ... its result */
};

static gpointer key_thread(gpointer data)
{
    KeyThread *k = data;
    const char *how;
    int r = unlock(k->c, TRUE, &how);
    g_mutex_lock(&k->lock);
    k->unlock_r = r;
    k->how = how;
    k->unlocked = TRUE;
    g_cond_broadcast(&k->cond);
    while (r >= 0 && !k->ordered)
        g_cond_wait(&k->cond, &k->lock);
    uint64_t sectors = r >= 0 ? k->sectors : 0;
    g_mutex_unlock(&k->lock);
    r = sectors ? crypt_resize(k->c->cd, k->c->name, sectors) : 0;
    g_mutex_lock(&k->lock);
    k->resize_r = r;
    k->resized = TRUE;
    g_cond_broadcast(&k->cond);
    g_mutex_unlock(&k->lock);
    return NULL;
}

/* Start it and wait for the unlock: its result (a negative errno when
 * nothing unlocked a key slot; the thread has then ended). */
static int key_thread_start(CryptPriv *c, const char **how)
{
    KeyThread *k = g_new0(KeyThread, 1);
    k->c = c;
    g_mutex_init(&k->lock);
    g_cond_init(&k->cond);
    k->thread = g_thread_new("qg-crypt-key", key_thread, k);
    g_mutex_lock(&k->lock);
    while (!k->unlocked)
        g_cond_wait(&k->cond, &k->lock);
    int r = k->unlock_r;
    *how = k->how;
    g_mutex_unlock(&k->lock);
    if (r < 0)
        key_thread_end(k);
    else
        c->key = k;
    return r;
}

/* Order the resize (@sectors; 0: none, the end) and wait for its result. */
static int key_thread_order(KeyThread *k, uint64_t sectors)
{
    g_mutex_lock(&k->lock);
    if (!k->ordered) {
        k->ordered = TRUE;
        k->sectors = sectors;
        g_cond_broadcast(&k->cond);
    }
    while (!k->resized)
        g_cond_wait(&k->cond, &k->lock);
    int r = k->resize_r;
    g_mutex_unlock(&k->lock);
    return r;
}

static void key_thread_end(KeyThread *k)
{
    key_thread_order(k, 0);
    g_thread_join(k->thread);
    g_mutex_clear(&k->lock);
    g_cond_clear(&k->cond);
    g_free(k);
}

static gboolean crypt_plan(QgStep *step, const QgStepCtx *ctx, GError **error)
{
    CryptPriv *c = g_new0(CryptPriv, 1);
    struct crypt_active_device cad;
    const char *type;
    int r;

    step->priv = c;
    c->name = g_strdup(ctx->above->dm_name);
    c->below = g_strdup(ctx->below->name);
    c->key_file = ctx->req->key_file;
    if ((r = crypt_init_by_name(&c->cd, c->name)) < 0)
        return qg_set_errno_error(error, -r, "%s: cannot read the crypt mapping %s",
                                  ctx->above->node, c->name);
    crypt_set_log_callback(c->cd, keep_error, c);
    if ((r = crypt_get_active_device(c->cd, c->name, &cad)) < 0)
        return qg_set_errno_error(error, -r, "%s: cannot read the active crypt mapping",
                                  ctx->above->node);
    if (!(type = type_name(c->cd))) {
        g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                    "%s is a %s mapping; qga-grow grows LUKS1, LUKS2 and plain dm-crypt "
                    "only, nothing was changed", ctx->above->node, crypt_get_type(c->cd));
        return FALSE;
    }
    uint32_t req_flags = 0;
    struct crypt_params_integrity ip = { 0 };
    if ((crypt_persistent_flags_get(c->cd, CRYPT_FLAGS_REQUIREMENTS, &req_flags) == 0 &&
         req_flags) ||
        (crypt_get_integrity_info(c->cd, &ip) == 0 && ip.tag_size > 0)) {
        g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                    "%s is a LUKS2 mapping with %s; qga-grow does not grow it, nothing was "
                    "changed", ctx->above->node,
                    req_flags ? "requirements of its own (a reencryption in progress?)"
                              : "integrity protection");
        return FALSE;
    }
    if (cad.flags & CRYPT_ACTIVATE_READONLY) {
        g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                    "%s is a read-only mapping; nothing was changed", ctx->above->node);
        return FALSE;
    }

    /* The mapping fills its device from its data offset on, in whole
     * encryption sectors. */
    c->sector = crypt_get_sector_size(c->cd) > 0 ? (uint64_t)crypt_get_sector_size(c->cd) : 512;
    c->offset = cad.offset * 512;
    uint64_t reach = crypt_reach(c, ctx->below_bytes);

    QgLayer *layer = qg_layer_new(QG_LAYER_CRYPT, ctx->above->node, type);
    step->layer = layer;
    layer->old_size = cad.size * 512;
    layer->size = MAX(layer->old_size, reach);
    layer->changed = layer->size > layer->old_size;

    c->in_keyring = (cad.flags & CRYPT_ACTIVATE_KEYRING_KEY) != 0;
    if (c->in_keyring && layer->changed && c->key_file &&
        !g_file_test(c->key_file, G_FILE_TEST_IS_REGULAR)) {
        /* a FIFO or a device would block or read forever */
        g_set_error(error, QG_ERROR, QG_ERROR_INVALID,
                    "the key file %s %s; nothing was changed", c->key_file,
                    g_file_test(c->key_file, G_FILE_TEST_EXISTS) ? "is not a regular file"
                                                                 : "does not exist");
        return FALSE;
    }
    if (c->in_keyring && layer->changed) {
        const char *how;
        /* a dry run checks the key; a real run loads it for the apply */
        r = ctx->req->dry_run ? unlock(c, FALSE, &how) : key_thread_start(c, &how);
        if (r < 0) {
            g_autofree char *why = c->key_file
                ? g_strdup_printf("the key file %s unlocks no key slot of it (%s)",
                                  c->key_file, c->last_error ? c->last_error
                                                             : g_strerror(-r))
                : g_strdup("no LUKS2 token of its header unlocked it and no key file "
                           "was given");
            g_set_error(error, QG_ERROR, QG_ERROR_REFUSED,
                        "%s (LUKS2) keeps its volume key in the kernel keyring, so growing "
                        "it needs the key again: %s. Give a key file inside the guest "
                        "(qga-grow --key-file FILE, the agent command's \"key-file\", or "
                        "key-file= in auto.conf) or add a LUKS2 token to the header; "
                        "nothing was changed", ctx->above->node, why);
            return FALSE;
        }
    }
    return TRUE;
}

typedef struct {
    CryptPriv *c;
    uint64_t sectors;  /* the new size: whole encryption sectors (libcryptsetup
                        * refuses a device not a multiple of them, and with 0
                        * it would not round) */
    int r;
} ResizeJob;

/* A mapping with its key in the table (LUKS1, plain): no key to load, but
 * a thread of its own all the same, as key_thread's resize. */
static gpointer resize_thread(gpointer data)
{
    ResizeJob *job = data;
    job->r = crypt_resize(job->c->cd, job->c->name, job->sectors);
    return NULL;
}

static gboolean crypt_apply(QgStep *step, GError **error)
{
    CryptPriv *c = step->priv;
    struct crypt_active_device cad;
    uint64_t below;
    int r;

    /* again from what the kernel says now: another grower may have been
     * here, and a rerun after a crash finds this half of the work done */
    if (!qg_block_size_bytes(c->below, &below, error))
        return FALSE;
    if ((r = crypt_get_active_device(c->cd, c->name, &cad)) < 0)
        return qg_set_errno_error(error, -r, "%s: cannot read the active crypt mapping",
                                  step->layer->device);
    if (crypt_reach(c, below) <= cad.size * 512) {
        step->layer->size = cad.size * 512;
        step->layer->changed = step->layer->size != step->layer->old_size;
        return TRUE;
    }
    qg_fault_point("crypt-resizing");
    ResizeJob job = { c, crypt_reach(c, below) / 512, 0 };
    const char *how;
    if (c->in_keyring && !c->key && (r = key_thread_start(c, &how)) < 0)
        /* (only when the plan found nothing to do here: it loads the key
         * whenever the mapping is to grow) */
        return qg_set_errno_error(error, -r, "%s: %s no longer unlocks the volume key",
                                  step->layer->device, how);
    if (c->key) {
        /* the key the plan loaded, in the thread that holds it */
        job.r = key_thread_order(c->key, job.sectors);
    } else {
        g_autoptr(GThread) th = g_thread_new("qg-crypt-resize", resize_thread, &job);
        g_thread_join(g_steal_pointer(&th));
    }
    if (job.r < 0) {
        return qg_set_errno_error(error, -job.r, "%s: cannot grow the crypt mapping%s%s",
                                  step->layer->device, c->last_error ? ": " : "",
                                  c->last_error ? c->last_error : "");
    }
    if ((r = crypt_get_active_device(c->cd, c->name, &cad)) < 0)
        return qg_set_errno_error(error, -r, "%s: cannot read the grown crypt mapping",
                                  step->layer->device);
    step->layer->size = cad.size * 512;
    step->layer->changed = step->layer->size != step->layer->old_size;
    return TRUE;
}

const QgStepOps qg_step_crypt = {
    .kind = QG_LAYER_CRYPT,
    .plan = crypt_plan,
    .apply = crypt_apply,
    .free_priv = crypt_priv_free,
};
