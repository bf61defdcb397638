/* How the qga-grow CLI prints a result. */
#ifndef QG_CLI_OUTPUT_H
#define QG_CLI_OUTPUT_H

#include "qga-grow.h"
#include <stdio.h>

void qg_print_table(FILE *out, const QgResult *res);
/* The same members the agent's guest-grow-disk command returns. */
char *qg_result_to_json(const QgResult *res);

#endif
