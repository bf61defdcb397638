/* auto.conf (qga-grow-auto.conf(5)), read strictly: what grows by itself
 * (the udev path, [auto] and [disk NAME]) and what the host may grow
 * ([agent]).  Shared by "qga-grow auto", "qga-grow --from-host" and
 * qg_agent_allows(), so that all of them read the file the same way.
 * Internal to libqga-grow and its CLI: not installed. */
#ifndef QG_AUTO_CONF_H
#define QG_AUTO_CONF_H

#include "qga-grow.h"

#ifndef QG_AUTO_CONF
#define QG_AUTO_CONF "/etc/qga-grow/auto.conf"
#endif

typedef struct QgAutoConf QgAutoConf;

/* Read @path (NULL: QG_AUTO_CONF).  A missing file is the defaults unless
 * @must_exist.  Any mistake (an unknown section or key, also in another
 * case; a bad value; a key given twice; a line that is none of a section,
 * a key=value, a comment or blank) is QG_ERROR_INVALID "FILE:LINE: ...". */
QgAutoConf *qg_auto_conf_load(const char *path, gboolean must_exist, GError **error);
/* The same on @length bytes of @text, named @name in messages (fuzzing). */
QgAutoConf *qg_auto_conf_parse(const char *name, const char *text, gsize length,
                               GError **error);
void qg_auto_conf_free(QgAutoConf *conf);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(QgAutoConf, qg_auto_conf_free)

const char *qg_auto_conf_path(const QgAutoConf *conf);
/* [auto] enabled= (TRUE when not set). */
gboolean qg_auto_conf_enabled(const QgAutoConf *conf);
/* May the whole disk @disk (a node, "/dev/vdb") grow by itself ([auto]
 * disks=)? */
gboolean qg_auto_conf_auto_allows(const QgAutoConf *conf, const char *disk);
/* The whole disks (nodes, "/dev/vdb") qga-grow-boot.service grows ([auto]
 * boot=; default root, the disk holding "/"), each once; entries naming no
 * disk now go to @missing (when not NULL), as written. */
GPtrArray *qg_auto_conf_boot_disks(const QgAutoConf *conf, GPtrArray *missing);
/* Fill @req's key_file, lv, lvm, move_swap, lock_timeout_ms and force for
 * @disk: [auto]'s, then those of each [disk NAME] group naming it, in the
 * file's order.  The strings stay @conf's. */
void qg_auto_conf_request(const QgAutoConf *conf, const char *disk, QgRequest *req);
/* May the host grow @disk ([agent] disks=)?  FALSE with QG_ERROR_REFUSED
 * naming the file, line and setting. */
gboolean qg_auto_conf_agent_allows(const QgAutoConf *conf, const char *disk, GError **error);

#endif
