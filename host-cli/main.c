/* virt-grow: grow a running domain's disk, and the partition and filesystem
 * on it inside the guest, in one step from the host. */
#include "broker-client.h"
#include "options.h"
#include "report.h"
#include "run.h"

#include <libvirt/virterror.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#define VG_BATCH_MAX_BYTES (16u << 20)

static void quiet_libvirt(void *data, virErrorPtr error)
{
    (void)data;
    (void)error;  /* errors are reported with their context by the caller */
}

static int usage_error(const GError *e)
{
    fprintf(stderr, "virt-grow: %s\nTry 'virt-grow --help'.\n", e->message);
    return VG_EXIT_ERROR;
}

static char *read_batch(const char *path, gsize *len, GError **error)
{
    if (strcmp(path, "-")) {
        char *text = NULL;
        if (!g_file_get_contents(path, &text, len, error))
            return NULL;
        if (*len > VG_BATCH_MAX_BYTES) {
            g_free(text);
            g_set_error(error, VG_ERROR, VG_ERROR_INVALID, "batch file %s is larger than %u bytes",
                        path, VG_BATCH_MAX_BYTES);
            return NULL;
        }
        return text;
    }
    GString *s = g_string_new(NULL);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0) {
        g_string_append_len(s, buf, (gssize)n);
        if (s->len > VG_BATCH_MAX_BYTES) {
            g_string_free(s, TRUE);
            g_set_error(error, VG_ERROR, VG_ERROR_INVALID, "batch input is larger than %u bytes",
                        VG_BATCH_MAX_BYTES);
            return NULL;
        }
    }
    *len = s->len;
    return g_string_free(s, FALSE);
}

static GPtrArray *requests(const VgOptions *opt, GError **error)
{
    if (opt->batch) {
        gsize len;
        g_autofree char *text = read_batch(opt->batch, &len, error);
        g_autoptr(GPtrArray) reqs = text ? vg_batch_parse(text, len, error) : NULL;
        if (!reqs || !vg_batch_check_duplicates(reqs, error))
            return NULL;
        for (guint i = 0; i < reqs->len; i++)
            vg_request_inherit(reqs->pdata[i], &opt->guest);
        return g_steal_pointer(&reqs);
    }
    VgRequest *req = vg_request_new(NULL, opt->domain, opt->disk, opt->size, error);
    if (!req)
        return NULL;
    vg_request_inherit(req, &opt->guest);
    GPtrArray *reqs = g_ptr_array_new_with_free_func((GDestroyNotify)vg_request_free);
    g_ptr_array_add(reqs, req);
    return reqs;
}

static void print_summary(GPtrArray *outcomes)
{
    unsigned count[VG_EXIT_GUEST_FAILED + 1] = { 0 };
    for (guint i = 0; i < outcomes->len; i++)
        count[((VgOutcome *)outcomes->pdata[i])->exit]++;
    printf("%u requests: %u grown, %u nothing to do, %u errors, %u unconfirmed, "
           "%u guest failures\n", outcomes->len, count[VG_EXIT_GROWN], count[VG_EXIT_NOTHING],
           count[VG_EXIT_ERROR], count[VG_EXIT_UNCONFIRMED], count[VG_EXIT_GUEST_FAILED]);
}

int main(int argc, char **argv)
{
    g_auto(VgOptions) opt = { 0 };
    g_autoptr(GError) e = NULL;
    g_autoptr(GPtrArray) reqs = NULL;
    g_autoptr(GPtrArray) outcomes = NULL;

    /* A connection that breaks (libvirtd restarted, an ssh link gone) must
     * end in a report, not kill us on a write to its socket; so must a
     * reader of our output that went away. */
    signal(SIGPIPE, SIG_IGN);
    if (!vg_options_parse(argc, argv, &opt, &e))
        return usage_error(e);
    if (opt.help) {
        fputs(vg_usage_text, stdout);
        return 0;
    }
    if (opt.version) {
        printf("virt-grow %s\n", QG_VERSION);
        return 0;
    }
    if (opt.broker.url)
        return vg_broker_client_run(&opt);  /* the request goes to the node's virt-growd */
    if (!(reqs = requests(&opt, &e)))
        return usage_error(e);

    if (virInitialize() < 0) {
        fprintf(stderr, "virt-grow: cannot initialize libvirt\n");
        return VG_EXIT_ERROR;
    }
    virSetErrorFunc(NULL, quiet_libvirt);

    VgSettings set = { .dry_run = opt.dry_run, .timeout_s = opt.timeout_s,
                       .qga_grow = opt.qga_grow ? opt.qga_grow : "qga-grow",
                       .no_preflight = opt.no_preflight };
    /* a progress line for people watching a terminal: never a silent wait */
    if (!opt.quiet && !opt.json)
        set.progress = vg_progress_new(stderr);
    outcomes = vg_run_all(reqs, opt.uri, &set, opt.jobs);
    vg_progress_free(set.progress);  /* clears the line */
    gboolean batch = opt.batch != NULL;
    for (guint i = 0; i < outcomes->len; i++) {
        if (batch && i && !opt.json && !opt.quiet)
            putchar('\n');
        vg_report_print(outcomes->pdata[i], opt.json, opt.quiet, !batch, NULL);
    }
    if (batch && !opt.json && !opt.quiet) {
        putchar('\n');
        print_summary(outcomes);
    }
    fflush(stdout);
    return batch ? (int)vg_run_exit_code(outcomes) : (int)((VgOutcome *)outcomes->pdata[0])->exit;
}
