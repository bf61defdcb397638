/* The qga-grow CLI's commands and exit codes (growpart's convention). */
#ifndef QG_CLI_H
#define QG_CLI_H

enum {
    QG_EXIT_GROWN = 0,    /* something grew (dry run: would grow) */
    QG_EXIT_NOTHING = 1,  /* nothing to do */
    QG_EXIT_ERROR = 2,    /* error or refusal; nothing was written */
    QG_EXIT_PARTIAL = 3,  /* partly grown: the run stopped after a layer
                           * changed (one failed, or the kernel is still
                           * busy with it); a rerun resumes */
};

int qg_cmd_growpart(int argc, char **argv);
int qg_cmd_auto(int argc, char **argv);

#endif
