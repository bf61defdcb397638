/* Fuzz target: auto.conf's strict reader on any bytes.  A refusal names the
 * file and a line of it ("auto.conf:N: ..."); an accepted file answers what
 * it says without touching the disks. */
#include "auto-conf.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(QgAutoConf) conf = qg_auto_conf_parse("auto.conf", (const char *)data, size,
                                                    &error);
    if (!conf) {
        if (!error || !g_str_has_prefix(error->message, "auto.conf:"))
            abort();
        /* the line it names is one of the file's */
        long line = strtol(error->message + strlen("auto.conf:"), NULL, 10);
        size_t lines = 1;
        for (size_t i = 0; i < size; i++)
            lines += data[i] == '\n';
        if (line < 1 || (size_t)line > lines)
            abort();
        return 0;
    }
    if (error)
        abort();
    (void)qg_auto_conf_enabled(conf);
    return 0;
}
