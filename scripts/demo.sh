#!/bin/bash
# The built-in example, end to end: a running demo VM's disks are grown from
# the host with virt-grow, and the guest's partitions and filesystems follow.
#   scripts/demo.sh [BUILD-DIR]      (scripts/setup.sh demo builds first)
# A private libvirtd (its own sockets and state, stopped at the end) runs
# the demo VM under QEMU (TCG): Debian's kernel, systemd-udevd, the patched
# qemu-ga; its "/" (ext4) on the last partition of a 1 GiB disk, vda, and a
# 1 GiB data disk with serial demo-data, GPT + ext4 on /data.  virt-grow
# grows the data disk to 3 GiB, named by its serial, then the root disk by
# 1 GiB, named by its target, and prints every layer before -> after as the
# guest reported it.  Then the data disk to 4 GiB as a cloud grows it: a
# private RabbitMQ, virt-growd on this node, virt-grow --broker publishing
# the request (and another tenant refused).  Then the guest's own view
# (guest-get-fsinfo), and, once the VM is off, fsck and the tables checked
# on the images.
# Everything it creates is removed at the end, also on failure.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(readlink -f "${1:-$top/build}")
VG=$build/host-cli/virt-grow
AGENT=$build/qemu-ga-7.2/qemu-ga
for f in "$build/qga-ext/qga-grow" "$VG" "$build/virt-growd/virt-growd" "$AGENT"; do
  [ -x "$f" ] || { echo "demo: $f is missing: run scripts/setup.sh demo" >&2; exit 2; }
done
# The tests' disk, guest and libvirt helpers: the demo VM is the test guest.
. "$top/tests/loop/lib.sh" "$build/qga-ext/qga-grow"
. "$top/tests/vm/vm-lib.sh"
. "$top/tests/vm/e2e-lib.sh"
. "$top/tests/vm/libvirt-domain.sh"
say() { printf '\n== %s\n' "$*"; }

SERIALS=(qg-root demo-data)
declare -A LABEL=([qg-root]=gpt [demo-data]=gpt)
declare -A FS=([qg-root]=ext4 [demo-data]=ext4)
declare -A GMNT=([qg-root]=/ [demo-data]=/data)
declare -A PARTNO=([qg-root]=2 [demo-data]=1)
say "making the demo VM's disks (1 GiB each) and starting a private libvirtd"
e2e_make_disks
say "booting the demo VM (QEMU without KVM: about half a minute)"
# Its udev rule stays off, so that the agent command does the growing and
# reports it (with the rule on, whichever comes first grows).
libvirt_guest_up qga-grow-demo "demo-data:1:/data" \
  "${IMG[qg-root]}:vda:virtio:qg-root" "${IMG[demo-data]}:vdb:virtio:demo-data"
V() { virsh -q -c "$URI" "$@"; }
V domblklist qga-grow-demo --details

fsinfo_table() {
  V qemu-agent-command qga-grow-demo '{"execute":"guest-get-fsinfo"}' | jq -r '
    ["MOUNTPOINT", "DEVICE", "TYPE", "TOTAL-BYTES"],
    (.return[] | select(.disk | length > 0) |
      [.mountpoint, .name, .type, (."total-bytes" | tostring)]) | @tsv' | column -t
}
say "the guest's filesystems before, as its agent reports them"
fsinfo_table

say "virt-grow -c \$URI qga-grow-demo serial:demo-data 3G"
"$VG" -c "$URI" qga-grow-demo serial:demo-data 3G
say "virt-grow -c \$URI qga-grow-demo vda +1G      (the disk holding the guest's /)"
"$VG" -c "$URI" qga-grow-demo vda +1G
say "once more: nothing to do (exit 1)"
rc=0; "$VG" -c "$URI" qga-grow-demo vda 2G >/dev/null || rc=$?
echo "exit $rc"

# As a cloud grows it: the API publishes a request to RabbitMQ, the compute
# node's virt-growd checks who asks and who owns the domain, grows, replies.
say "the cloud's way: a private RabbitMQ and virt-growd on this node (about 20 s to start)"
VGD=$build/virt-growd/virt-growd
. "$top/tests/broker/lib.sh"
broker_up
NODE_LIBVIRT_URI=$URI node_up demo-node "[daemon]" "state-dir = $WORK/demo-node/state" \
  "[requester api]" "max-size = 8G"
echo "virt-growd consumes virt-grow.demo-node on 127.0.0.1:$PORT; requester api may ask up to 8G"
say "the domain's owner, in its metadata (Nova writes nova:owner; this is virt-grow's own)"
V metadata qga-grow-demo --uri urn:qga-grow:virt-grow:owner:1 --key vgrow \
  --set '<owner project="demo-tenant"/>' --live --config
V metadata qga-grow-demo --uri urn:qga-grow:virt-grow:owner:1
say "virt-grow --broker amqp://api@127.0.0.1:$PORT/ --node demo-node --project demo-tenant qga-grow-demo serial:demo-data 4G"
"$VG" --broker "$(url_of api)" --broker-password-file "$WORK/pw/api" --node demo-node \
  --project demo-tenant qga-grow-demo serial:demo-data 4G
say "another tenant asks for the same disk: refused before anything is touched (exit 2)"
rc=0; "$VG" --broker "$(url_of api)" --broker-password-file "$WORK/pw/api" --node demo-node \
  --project other-tenant qga-grow-demo serial:demo-data 5G || rc=$?
echo "exit $rc"
say "virt-growd's log: one line per request"
grep -E "request [0-9a-f-]+ from" "$WORK/demo-node/log" | sed 's/^.*virt-growd\[[0-9]*\]: //'
daemon_stop demo-node

say "the guest's filesystems after"
fsinfo_table

say "powering the VM off; checking the images on the host"
touch "$JOB/stop"
vm_wait_exit 120 || guest_failed "the demo VM did not power off"
for s in "${SERIALS[@]}"; do
  d=$(losetup --find --show --partscan "${IMG[$s]}")
  LOOPS+=("$d")
  partx -u "$d" 2>/dev/null || true
  check_table "$d" gpt
  check_fs ext4 "$(part_dev "$d" "${PARTNO[$s]}")"
  echo "$s: $(blockdev --getsize64 "$d") bytes, GPT verified (sgdisk -v), e2fsck clean"
  losetup -d "$d"
done
say "done in $((SECONDS - E2E_T0)) s; the libvirtd, the VM and its disks are removed"
