/* The journal of requests: which ids started, and the reply each finished
 * one got, so that a request delivered twice (redelivered after a crash or
 * a lost connection, or published twice) is answered with the recorded
 * reply and never run again.  An append-only file, STATE-DIR/journal: one
 * JSON line per event, each written with fdatasync before it counts; a
 * torn last line (a crash while writing) is dropped on opening.  Bounded:
 * the newest @max finished requests are kept, and the newest @max starts
 * that never finished (their messages never came back); the file is
 * rewritten (temporary file, fsync, rename) when it holds twice that.
 * Thread-safe.
 * One daemon per directory (a lock file says who has it). */
#ifndef VGD_JOURNAL_H
#define VGD_JOURNAL_H

#include <glib.h>

typedef struct VgdJournal VgdJournal;

VgdJournal *vgd_journal_open(const char *dir, unsigned max, GError **error);
void vgd_journal_free(VgdJournal *j);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VgdJournal, vgd_journal_free)

/* The reply recorded for @id (g_free it), and who asked (*@requester, may
 * be NULL); NULL when the id never finished. */
char *vgd_journal_reply(VgdJournal *j, const char *id, char **requester);

/* How often @id started without finishing (crashes in the middle). */
unsigned vgd_journal_starts(VgdJournal *j, const char *id);

/* Record a start, before anything is touched. */
gboolean vgd_journal_start(VgdJournal *j, const char *id, const char *requester,
                           GError **error);

/* Record the finished request's reply (the exact text sent). */
gboolean vgd_journal_finish(VgdJournal *j, const char *id, const char *requester,
                            const char *reply, GError **error);

/* Finished requests it holds now. */
unsigned vgd_journal_size(VgdJournal *j);

#endif
