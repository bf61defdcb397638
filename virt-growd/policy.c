/* The rules.  See policy.h. */
#include "policy.h"
#include "size.h"

#include <string.h>

char *vgd_policy_requester(const VgdConfig *c, const char *user, const VgdRequester **out)
{
    *out = NULL;
    if (!user || !*user)
        return g_strdup("refused by rule [requester]: the message has no user_id, so who asks "
                        "is unknown (the broker validates user_id: publishers set it to their "
                        "own user)");
    if (!(*out = vgd_config_requester(c, user)))
        return g_strdup_printf("refused by rule [requester]: broker user %s is not a "
                               "[requester %s] in %s", user, user, c->path);
    return NULL;
}

char *vgd_policy_size(const VgdConfig *c, const VgdRequester *r, uint64_t size)
{
    if (size <= r->max_size)
        return NULL;
    g_autofree char *want = qg_size_format(size);
    g_autofree char *max = qg_size_format(r->max_size);
    return g_strdup_printf("refused by rule [max-size]: %" G_GUINT64_FORMAT " bytes (%s) is "
                           "more than [requester %s] max-size= %s (%s:%d)", size, want, r->name,
                           max, c->path, r->line);
}

char *vgd_policy_domain(const VgdConfig *c, const VgdRequester *r, const char *name)
{
    if (!r->domains)
        return NULL;
    for (char **g = r->domains; *g; g++)
        if (g_pattern_match_simple(*g, name))
            return NULL;
    g_autofree char *list = g_strjoinv(" ", r->domains);
    return g_strdup_printf("refused by rule [domains]: domain %s is not one of [requester %s] "
                           "domains= %s (%s:%d)", name, r->name, list, c->path, r->line);
}

char *vgd_policy_owner(const VgdConfig *c, const char *domain, const char *project,
                       const char *owner, const char *source)
{
    if (!owner) {
        if (c->unowned_allow)
            return NULL;
        return g_strdup_printf("refused by rule [unowned]: domain %s has no owner in its "
                               "metadata (Nova's nova:owner, or virt-grow's owner), and "
                               "[domains] unowned=deny", domain);
    }
    if (!strcmp(owner, project))
        return NULL;
    return g_strdup_printf("refused by rule [project]: domain %s belongs to another project "
                           "than %s (%s)", domain, project, source);
}
