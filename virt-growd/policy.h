/* Who may grow what: the rules checked before anything is touched.  Each
 * refusal names its rule (the word in brackets) and where it is set:
 *   [requester]  the broker user is not a [requester NAME] (or no user_id)
 *   [max-size]   the size is past the requester's max-size=
 *   [domains]    the domain's name matches none of the requester's domains=
 *   [project]    the domain's owner is another project
 *   [unowned]    the domain has no owner and [domains] unowned=deny
 * The default is to deny. */
#ifndef VGD_POLICY_H
#define VGD_POLICY_H

#include "config.h"

/* NULL when allowed, else why (g_free it), starting "refused by rule ...". */
char *vgd_policy_requester(const VgdConfig *c, const char *user, const VgdRequester **out);
char *vgd_policy_size(const VgdConfig *c, const VgdRequester *r, uint64_t size);
char *vgd_policy_domain(const VgdConfig *c, const VgdRequester *r, const char *name);
/* @owner: the domain's project, NULL when it has none; @source: where it
 * was read. */
char *vgd_policy_owner(const VgdConfig *c, const char *domain, const char *project,
                       const char *owner, const char *source);

#endif
