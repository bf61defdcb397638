#!/usr/bin/python3
# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-2.0-or-later
"""Ansible module virt_grow: grow a libvirt domain's disk, and the storage
stack on it inside the guest, by running virt-grow --json on the hypervisor
the task runs on."""

DOCUMENTATION = r'''
---
module: virt_grow
short_description: Grow a libvirt domain's disk and the guest's storage on it
description:
  - Runs C(virt-grow --json) on the hypervisor the task runs on. virt-grow
    enlarges the domain's disk through libvirt (never shrinking it) and has
    the guest grow the partition, dm-crypt, LVM, md and filesystem layers on
    it (through the qemu-ga command guest-grow-disk, or qga-grow via
    guest-exec); for a shut-off domain the disk's storage volume grows and
    the guest follows at its next boot.
  - C(changed) follows virt-grow's exit status; the whole virt-grow report
    (every layer's size before and after) is returned as C(report).
  - In check mode virt-grow runs with C(--dry-run) and changes nothing.
  - With C(broker), the request goes over RabbitMQ to the virt-growd of
    compute node C(node) (C(virt-grow --broker)), which checks that the
    domain belongs to C(project) and grows it there; the task then runs
    wherever the broker can be reached (the API host, localhost). The report
    is the node's. Check mode sends nothing (the wire format has no dry run).
options:
  domain:
    description: Name or UUID of the domain.
    type: str
    required: true
  disk:
    description: The disk, as its target (vdb), its source path, or serial:SERIAL.
    type: str
    required: true
  size:
    description: The new size (20G, 20GiB, 20GB, bytes), or +SIZE to add to it.
      Never smaller than the disk is now.
    type: str
    required: true
  uri:
    description: libvirt connection URI (default, libvirt's default URI).
    type: str
  dry_run:
    description: Only check and report what would grow (as check mode does).
    type: bool
    default: false
  timeout:
    description: Seconds the guest side may take (virt-grow --timeout).
    type: int
  key_file:
    description: A key file's path inside the guest (never the key) for a
      LUKS2 mapping on the disk.
    type: str
  lv:
    description: VG/LV, the logical volume that takes its volume group's new space.
    type: str
  lvm:
    description: pv grows the LVM physical volume only; lv grows a logical volume too.
    type: str
    choices: [pv, lv]
  preflight:
    description: Ask the guest for its plan at the new size before the disk
      is resized (the default), so that a refusal the guest can foresee (a
      LUKS2 key missing, its allow-list, a frozen filesystem, LVs with none
      named, ...) fails the task with the disk untouched. false resizes
      first (virt-grow --no-preflight).
    type: bool
    default: true
  broker:
    description: A RabbitMQ URL, amqps://USER@HOST:PORT/VHOST (plain amqp://
      only to localhost); the request goes to C(node)'s virt-growd instead of
      growing here. SIZE must then be absolute (a relative one needs C(uri) to
      read the disk's size).
    type: str
  node:
    description: The compute node that runs the domain (with C(broker)).
    type: str
  project:
    description: The tenant that must own the domain (with C(broker)).
    type: str
  broker_password_file:
    description: A file (mode 0600) with the broker user's password.
    type: path
  broker_ca:
    description: The CA file that signs the broker's certificate.
    type: path
  broker_cert:
    description: A client certificate for the TLS connection to the broker (with C(broker_key)).
    type: path
  broker_key:
    description: The client certificate's key (with C(broker_cert)).
    type: path
  executable:
    description: The virt-grow command to run.
    type: path
    default: virt-grow
author:
  - qga-grow maintainers
'''

EXAMPLES = r'''
- name: Give every web server's data disk 40 GiB
  virt_grow:
    domain: "{{ item }}"
    disk: vdb
    size: 40GiB
  loop: "{{ web_domains }}"

- name: Through the cloud's request path (virt-growd on node cn12)
  virt_grow:
    broker: amqps://cloud-api@rabbit.example/
    broker_password_file: /etc/cloud/broker.password
    node: cn12
    project: 3f1c9e0a7b2d4c6e8f0a1b2c3d4e5f60
    domain: instance-0000a1b2
    disk: vdb
    size: 40G
  delegate_to: localhost

- name: Add 10 GiB to a disk on a remote hypervisor's session daemon
  virt_grow:
    uri: qemu:///session
    domain: db1
    disk: serial:db1-data
    size: +10G
'''

RETURN = r'''
report:
  description: virt-grow's JSON report for the request (see virt-grow(1)),
    with the guest's layers under C(guest).
  returned: when virt-grow printed one
  type: dict
outcome:
  description: grown, would-grow, nothing-to-do, error, unconfirmed, guest-failed.
  returned: when virt-grow printed a report
  type: str
exit_code:
  description: virt-grow's exit status.
  returned: always
  type: int
disk_size_before:
  description: The disk's size in bytes before.
  returned: when the disk was found
  type: int
disk_size_after:
  description: The disk's size in bytes after (a dry run, the size it would have).
  returned: when the disk was found
  type: int
'''

import json

from ansible.module_utils.basic import AnsibleModule

# virt-grow's exit statuses (virt-grow(1))
GROWN, NOTHING, ERROR, UNCONFIRMED, GUEST_FAILED = 0, 1, 2, 3, 4


def build_command(module, virt_grow):
    p = module.params
    cmd = [virt_grow, '--json']
    if p['uri']:
        cmd += ['--connect', p['uri']]
    if p['broker']:
        cmd += ['--broker', p['broker'], '--node', p['node'], '--project', p['project']]
        for name, option in (('broker_password_file', '--broker-password-file'),
                             ('broker_ca', '--broker-ca'),
                             ('broker_cert', '--broker-cert'),
                             ('broker_key', '--broker-key')):
            if p[name]:
                cmd += [option, p[name]]
    elif p['dry_run'] or module.check_mode:
        cmd.append('--dry-run')
    if p['timeout'] is not None:
        cmd += ['--timeout', str(p['timeout'])]
    if not p['preflight'] and not p['broker']:  # a node always asks first
        cmd.append('--no-preflight')
    for name, option in (('key_file', '--key-file'), ('lv', '--lv'), ('lvm', '--lvm')):
        if p[name]:
            cmd += [option, p[name]]
    # "--" ends the options: a domain name may start with "-"
    return cmd + ['--', p['domain'], p['disk'], p['size']]


def parse_report(stdout):
    """virt-grow --json prints one object for one request."""
    try:
        report = json.loads(stdout)
    except ValueError:
        return None
    return report if isinstance(report, dict) else None


def main():
    module = AnsibleModule(
        argument_spec=dict(
            domain=dict(type='str', required=True),
            disk=dict(type='str', required=True),
            size=dict(type='str', required=True),
            uri=dict(type='str'),
            dry_run=dict(type='bool', default=False),
            timeout=dict(type='int'),
            key_file=dict(type='str', no_log=False),
            lv=dict(type='str'),
            lvm=dict(type='str', choices=['pv', 'lv']),
            preflight=dict(type='bool', default=True),
            broker=dict(type='str'),
            node=dict(type='str'),
            project=dict(type='str'),
            broker_password_file=dict(type='path', no_log=False),
            broker_ca=dict(type='path'),
            broker_cert=dict(type='path'),
            broker_key=dict(type='path'),
            executable=dict(type='path', default='virt-grow'),
        ),
        required_together=[('broker', 'node', 'project'), ('broker_cert', 'broker_key')],
        mutually_exclusive=[('broker', 'dry_run')],
        supports_check_mode=True,
    )
    if module.params['broker'] and module.check_mode:
        # a request sent is a grow: the wire format has no dry run
        module.exit_json(changed=True, msg='check mode: the request was not sent to node %s'
                         % module.params['node'])
    virt_grow = module.get_bin_path(module.params['executable'], required=True)
    cmd = build_command(module, virt_grow)
    rc, stdout, stderr = module.run_command(cmd)
    report = parse_report(stdout)
    result = dict(changed=False, cmd=cmd, exit_code=rc, stderr=stderr)
    if report is not None:
        result['report'] = report
        result['outcome'] = report.get('outcome')
        for key in ('disk-size-before', 'disk-size-after'):
            if key in report:
                result[key.replace('-', '_')] = report[key]
    message = (report or {}).get('message') or stderr.strip() or stdout.strip()

    if rc == GROWN:
        result['changed'] = True
    elif rc == NOTHING:
        pass
    elif rc == UNCONFIRMED:
        # the disk grew (or, the libvirt connection lost during the resize,
        # may have); the guest's side is not confirmed
        result['changed'] = True
        module.warn('virt-grow: %s' % (message or 'the guest side is unconfirmed'))
    elif rc == GUEST_FAILED:
        result['changed'] = bool(report and report.get('disk-resized'))
        module.fail_json(msg='virt-grow: %s' % message, **result)
    else:
        module.fail_json(msg='virt-grow: %s' % (message or 'exit status %d' % rc), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
