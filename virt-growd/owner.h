/* Who owns a domain: the project (tenant) in its libvirt metadata.
 *   Nova:      <instance xmlns="http://openstack.org/xmlns/libvirt/nova/1.1">
 *                <owner><project uuid="PROJECT">name</project></owner>
 *              (and namespace .../nova/1.0, older guests)
 *   our own:   <owner xmlns="urn:qga-grow:virt-grow:owner:1" project="PROJECT"/>
 *              virsh metadata DOM --uri urn:qga-grow:virt-grow:owner:1 \
 *                --key vgrow --set '<owner project="PROJECT"/>' --config
 * A request's "project" must equal the owner's, exactly. */
#ifndef VGD_OWNER_H
#define VGD_OWNER_H

#include <glib.h>
#include <libvirt/libvirt.h>

#define VGD_NOVA_NS_1_1 "http://openstack.org/xmlns/libvirt/nova/1.1"
#define VGD_NOVA_NS_1_0 "http://openstack.org/xmlns/libvirt/nova/1.0"
#define VGD_OWNER_NS "urn:qga-grow:virt-grow:owner:1"

/* The project of one metadata element's XML as libvirt returns it:
 * @nova: Nova's instance/owner/project uuid=, else our owner project=.
 * TRUE with *project NULL when the element names none; FALSE when the XML
 * is not well-formed or the element is not the expected one. */
gboolean vgd_owner_parse(const char *xml, gboolean nova, char **project, GError **error);

/* The domain's owner from its metadata (Nova 1.1, Nova 1.0, ours).  TRUE
 * with *project NULL when it has none; *source names where it was found
 * ("nova:owner 1.1").  Owners that disagree are an error. */
gboolean vgd_domain_owner(virDomainPtr dom, char **project, char **source, GError **error);

#endif
