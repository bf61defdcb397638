/* Fuzz target: qg_parse_size on any text.  When it accepts, the value
 * written back as plain bytes must parse to the same value. */
#include "qga-grow.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *text = g_strndup((const char *)data, size);
    g_autoptr(GError) error = NULL;
    uint64_t value = 0, again = 0;
    char plain[32];

    if (!qg_parse_size(text, &value, &error)) {
        if (!error || !error->message || !*error->message)
            abort();  /* every refusal says why */
        return 0;
    }
    snprintf(plain, sizeof(plain), "%" PRIu64, value);
    if (!qg_parse_size(plain, &again, NULL) || again != value)
        abort();
    g_free(qg_format_bytes(value));
    return 0;
}
