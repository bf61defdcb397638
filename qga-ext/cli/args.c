/* Command-line parsing for qga-grow and its growpart mode. */
#include "args.h"
#include "cli-opt.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define invalid(error, ...) \
    (g_set_error((error), QG_ERROR, QG_ERROR_INVALID, __VA_ARGS__), FALSE)

static gboolean parse_timeout(const char *text, unsigned *ms)
{
    char *end = NULL;
    errno = 0;
    double sec = g_ascii_strtod(text, &end);
    /* isfinite: "nan" passes both comparisons below */
    if (errno || end == text || *end || !isfinite(sec) || sec < 0 || sec > 3600)
        return FALSE;
    /* at least 1 ms: 0 is the library's "default" (5 s), and "0" here
     * means look once, do not wait */
    *ms = MAX(1u, (unsigned)(sec * 1000));
    return TRUE;
}

/* --lock-timeout SEC: 0 does not wait (the library's 1 ms; its 0 is the
 * default), "infinity" waits as long as it takes. */
static gboolean parse_lock_timeout(const char *text, int *ms)
{
    unsigned u;
    if (!strcmp(text, "infinity")) {
        *ms = -1;
        return TRUE;
    }
    if (!parse_timeout(text, &u))
        return FALSE;
    *ms = (int)u;
    return TRUE;
}

gboolean qg_cli_valid_lv(const char *text)
{
    return qg_lv_name_valid(text);
}

gboolean qg_cli_parse_lvm_mode(const char *text, QgLvmMode *out)
{
    return qg_lvm_mode_parse(text, out);
}

gboolean qg_cli_parse_args(int argc, char **argv, QgCliArgs *out, GError **error)
{
    g_autoptr(GError) e = NULL;

    memset(out, 0, sizeof(*out));
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            out->help = TRUE;
            return TRUE;
        } else if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
            out->version = TRUE;
            return TRUE;
        } else if (!strcmp(a, "-n") || !strcmp(a, "--dry-run")) {
            out->req.dry_run = TRUE;
        } else if (!strcmp(a, "-j") || !strcmp(a, "--json")) {
            out->json = TRUE;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            out->quiet = TRUE;
        } else if (qg_opt_is(a, "-w", "--wait-size")) {
            if (!(val = qg_opt_value(argc, argv, &i)))
                return invalid(error, "%s needs a size", a);
            if (!qg_parse_size(val, &out->req.expect_size, &e))
                return invalid(error, "--wait-size: %s", e->message);
            if (!out->req.expect_size)
                return invalid(error, "--wait-size must be more than zero");
        } else if (qg_opt_is(a, NULL, "--assume-size")) {
            if (!(val = qg_opt_value(argc, argv, &i)))
                return invalid(error, "%s needs a size", a);
            if (!qg_parse_size(val, &out->req.assume_size, &e))
                return invalid(error, "--assume-size: %s", e->message);
            if (!out->req.assume_size)
                return invalid(error, "--assume-size must be more than zero");
        } else if (qg_opt_is(a, NULL, "--wait-timeout")) {
            val = qg_opt_value(argc, argv, &i);
            if (!val || !parse_timeout(val, &out->req.expect_timeout_ms))
                return invalid(error, "--wait-timeout needs seconds from 0 to 3600, not \"%s\"",
                               val ? val : "");
        } else if (qg_opt_is(a, NULL, "--lock-timeout")) {
            val = qg_opt_value(argc, argv, &i);
            if (!val || !parse_lock_timeout(val, &out->req.lock_timeout_ms))
                return invalid(error, "--lock-timeout needs seconds from 0 to 3600, or "
                                      "infinity, not \"%s\"", val ? val : "");
        } else if (!strcmp(a, "--move-swap")) {
            out->req.move_swap = TRUE;
        } else if (!strcmp(a, "--force")) {
            out->req.force = TRUE;
        } else if (qg_opt_is(a, "-k", "--key-file")) {
            if (!(val = qg_opt_value(argc, argv, &i)) || !*val)
                return invalid(error, "%s needs the path of a key file", a);
            out->req.key_file = val;
        } else if (qg_opt_is(a, NULL, "--lv")) {
            if (!(val = qg_opt_value(argc, argv, &i)) || !qg_cli_valid_lv(val))
                return invalid(error, "--lv needs a logical volume as VG/LV, not \"%s\"",
                               val ? val : "");
            out->req.lv = val;
            if (out->req.lvm == QG_LVM_AUTO)
                out->req.lvm = QG_LVM_LV;
        } else if (qg_opt_is(a, NULL, "--lvm")) {
            val = qg_opt_value(argc, argv, &i);
            if (!val || !qg_cli_parse_lvm_mode(val, &out->req.lvm))
                return invalid(error, "--lvm takes pv, lv or auto, not \"%s\"", val ? val : "");
        } else if (!strcmp(a, "--from-host")) {
            out->from_host = TRUE;
        } else if (qg_opt_is(a, NULL, "--config")) {
            if (!(val = qg_opt_value(argc, argv, &i)) || !*val)
                return invalid(error, "--config needs a file");
            out->config = val;
        } else if (!strcmp(a, "--")) {
            if (i + 1 < argc && !out->target)
                out->target = argv[++i];
            if (i + 1 < argc)
                return invalid(error, "unexpected argument \"%s\"", argv[i + 1]);
        } else if (a[0] == '-' && a[1]) {
            return invalid(error, "unknown option \"%s\"", a);
        } else if (out->target) {
            return invalid(error, "one target only; \"%s\" is one too many", a);
        } else {
            out->target = a;
        }
    }
    if (!out->target)
        return invalid(error, "no target: name a disk, a partition, a mountpoint or "
                              "serial:SERIAL");
    if (out->req.lv && out->req.lvm == QG_LVM_PV)
        return invalid(error, "--lv names an LV to grow, --lvm pv grows none: choose one");
    if (out->req.assume_size && !out->req.dry_run)
        return invalid(error, "--assume-size goes with --dry-run: it plans for a size the "
                              "disk does not have yet");
    if (out->config && !out->from_host)
        return invalid(error, "--config goes with --from-host (the [agent] allow-list); "
                              "qga-grow alone reads no configuration");
    return TRUE;
}

static gboolean parse_partno(const char *text, uint32_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long v = strtoul(text, &end, 10);
    if (errno || end == text || *end || v == 0 || v > 65535 || text[0] == '-')
        return FALSE;
    *out = (uint32_t)v;
    return TRUE;
}

gboolean qg_growpart_parse_args(int argc, char **argv, QgGrowpartArgs *out,
                                GError **error)
{
    const char *pos[2] = { NULL, NULL };
    int npos = 0;
    g_autoptr(GError) e = NULL;

    memset(out, 0, sizeof(*out));
    out->req.partition_only = TRUE;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            out->help = TRUE;
            return TRUE;
        } else if (!strcmp(a, "-N") || !strcmp(a, "--dry-run")) {
            out->req.dry_run = TRUE;
        } else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
            /* nothing more to say */
        } else if (qg_opt_is(a, NULL, "--lock-timeout")) {
            const char *v = qg_opt_value(argc, argv, &i);
            if (!v || !parse_lock_timeout(v, &out->req.lock_timeout_ms))
                return invalid(error, "--lock-timeout needs seconds from 0 to 3600, or "
                                      "infinity, not \"%s\"", v ? v : "");
        } else if (qg_opt_is(a, NULL, "--free-percent")) {
            /* growpart: an integer from 1 to 99 */
            const char *v = qg_opt_value(argc, argv, &i);
            char *end = NULL;
            errno = 0;
            unsigned long pct = v && g_ascii_isdigit(*v) ? strtoul(v, &end, 10) : 0;
            if (!v || errno || !end || *end || pct < 1 || pct > 99)
                return invalid(error, "unknown/invalid --free-percent option: %s", v ? v : "");
            out->req.free_percent = (unsigned)pct;
        } else if (!strcmp(a, "--fudge") || qg_opt_is(a, "-u", "--update")) {
            /* as growpart spells them: --update=MODE too, not --fudge=N */
            gboolean fudge = !strcmp(a, "--fudge");
            const char *v = qg_opt_value(argc, argv, &i);
            if (!v)
                return invalid(error, "%s needs a value", a);
            if (fudge) {
                if (!qg_parse_size(v, &out->req.min_gain, &e))
                    return invalid(error, "--fudge: %s", e->message);
                if (!out->req.min_gain)
                    out->req.min_gain = 1;  /* 0 means "the default" to the library */
            } else if (strcmp(v, "auto") && strcmp(v, "force") && strcmp(v, "on")) {
                return invalid(error, "--update %s is not supported: the kernel is always "
                                      "told (auto, force or on)", v);
            }
        } else if (a[0] == '-' && a[1]) {
            return invalid(error, "unknown option %s", a);
        } else if (npos < 2) {
            pos[npos++] = a;
        } else {
            return invalid(error, "too many arguments: %s", a);
        }
    }
    if (npos != 2)
        return invalid(error, "need a disk and a partition number");
    if (!parse_partno(pos[1], &out->req.partno))
        return invalid(error, "partition number must be a positive integer, not \"%s\"", pos[1]);
    out->req.device = pos[0];
    return TRUE;
}
