#!/bin/bash
# virt-grow against a real libvirtd running a real QEMU domain (TCG) that
# boots no OS: block resize of a running domain's disks for real, through
# the libvirt API over a socket, and the agent-less outcome "disk grown,
# guest unconfirmed".  The images' sizes are checked with qemu-img.
#   qemu-domain.sh VIRT-GROW
VG=$1
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
for tool in virsh libvirtd virtlogd qemu-system-x86_64 qemu-img jq unshare; do
  command -v "$tool" >/dev/null || PATH=$PATH:/usr/sbin command -v "$tool" >/dev/null || {
    echo "1..0 # SKIP $tool missing (scripts/install-deps.sh test, install-vm-deps.sh)"; exit 77; }
done

work=$(mktemp -d /tmp/vg-qemu-domain.XXXXXX)
cleanup() {
  "$HERE/libvirtd.sh" stop "$work/libvirt" || true
  rm -rf "$work"
}
trap cleanup EXIT
URI=$("$HERE/libvirtd.sh" start "$work/libvirt")
V() { virsh -q -c "$URI" "$@"; }
virtual_size() { qemu-img info -U --output=json "$1" | jq '."virtual-size"'; }
capacity() { V domblkinfo "$1" "$2" | awk '/^Capacity:/ { print $2 }'; }
M=$((1024 * 1024))

qemu-img create -q -f raw "$work/data.raw" 64M
qemu-img create -q -f qcow2 "$work/data.qcow2" 64M
qemu-img create -q -f raw "$work/ro.raw" 16M
# vdb: raw with a serial; vdc: qcow2, no serial; vdd read-only; an empty
# cdrom; an agent channel nobody answers on (no OS boots).
domain_xml() {
  cat <<EOX
<domain type='qemu'>
  <name>$1</name>
  <memory unit='MiB'>32</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
  <on_poweroff>destroy</on_poweroff><on_reboot>destroy</on_reboot>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/><source file='$work/data.raw'/>
      <target dev='vdb' bus='virtio'/><serial>VG-DATA-1</serial>
    </disk>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/><source file='$work/data.qcow2'/>
      <target dev='vdc' bus='virtio'/>
    </disk>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/><source file='$work/ro.raw'/>
      <target dev='vdd' bus='virtio'/><readonly/>
    </disk>
    <disk type='file' device='cdrom'>
      <target dev='sda' bus='sata'/><readonly/>
    </disk>
    $2
    <memballoon model='none'/>
  </devices>
</domain>
EOX
}
domain_xml vg-run "<channel type='unix'><source mode='bind'/><target type='virtio' name='org.qemu.guest_agent.0'/></channel>" >"$work/run.xml"
domain_xml vg-stopped "" | sed "s#$work/data#$work/stopped-data#" >"$work/stopped.xml"
V define "$work/run.xml" >/dev/null
V define "$work/stopped.xml" >/dev/null
V start vg-run >/dev/null
ok "a QEMU domain runs under the private libvirtd"

# grow by serial, relative: the image really grows, the guest is unconfirmed
run_vg -c "$URI" vg-run serial:VG-DATA-1 +32M
expect_rc 3 "grown by serial, no agent: unconfirmed"
expect_in "disk grown; the guest's growth is unconfirmed: no guest agent" out "unconfirmed, and why"
expect_in "64.0 MiB  96.0 MiB" out "table: before and after"
[ "$(virtual_size "$work/data.raw")" = $((96 * M)) ] && ok "image is 96 MiB" || not_ok "image size $(virtual_size "$work/data.raw")"
[ "$(capacity vg-run vdb)" = $((96 * M)) ] && ok "libvirt sees 96 MiB" || not_ok "capacity $(capacity vg-run vdb)"

# by source path, absolute, JSON, to a size that needs rounding
run_vg -c "$URI" --json vg-run "$work/data.qcow2" 100000001
expect_rc 3 "qcow2 by path, JSON"
jq_is .outcome unconfirmed "JSON outcome"
jq_is '."disk-size-before"' $((64 * M)) "JSON size before"
jq_is '."disk-size-after"' 100000256 "JSON size after (rounded up to 512)"
jq_is '."guest-method"' none "JSON guest method"
jq_is '.warnings[0]' "SIZE 100000001 rounded up to 100000256 bytes (a multiple of 512)" "rounding warned"
[ "$(virtual_size "$work/data.qcow2")" = 100000256 ] && ok "qcow2 grew" || not_ok "qcow2 $(virtual_size "$work/data.qcow2")"

# the same absolute size again: nothing to do, nothing touched
run_vg -c "$URI" vg-run vdb 96M
expect_rc 1 "same size again: nothing to do"

# refusals leave the images as they are
before=$(cksum <"$work/data.raw")
run_vg -c "$URI" vg-run vdb 32M
expect_rc 2 "shrink refused (libvirt itself would shrink)"
expect_in "refusing to shrink disk vdb from 96.0 MiB" err "shrink reason"
[ "$(virtual_size "$work/data.raw")" = $((96 * M)) ] && ok "image still 96 MiB" || not_ok "image changed"
[ "$(cksum <"$work/data.raw")" = "$before" ] && ok "image content untouched" || not_ok "content changed"
run_vg -c "$URI" --dry-run vg-run vdb +1G
expect_rc 0 "dry run would grow"
[ "$(virtual_size "$work/data.raw")" = $((96 * M)) ] && ok "dry run changed nothing" || not_ok "dry run grew it"
run_vg -c "$URI" vg-run vdd +1M
expect_rc 2 "read-only disk refused"
[ "$(virtual_size "$work/ro.raw")" = $((16 * M)) ] && ok "read-only image untouched" || not_ok "ro changed"
run_vg -c "$URI" vg-run sda +1M
expect_rc 2 "cdrom refused"
run_vg -c "$URI" vg-stopped vdb +1M
expect_rc 2 "stopped domain refused"
expect_in "domain vg-stopped is shut off" err "stopped reason"

# a batch, concurrently, over one connection
run_vg -c "$URI" --jobs 2 --json --batch - <<<"vg-run vdb +8M
vg-run vdc 128M"
expect_rc 3 "batch of two: both unconfirmed"
[ "$(virtual_size "$work/data.raw")" = $((104 * M)) ] && ok "batch grew vdb" || not_ok "vdb $(virtual_size "$work/data.raw")"
[ "$(virtual_size "$work/data.qcow2")" = $((128 * M)) ] && ok "batch grew vdc" || not_ok "vdc $(virtual_size "$work/data.qcow2")"

# no agent channel at all: the same outcome, said differently
V destroy vg-run >/dev/null
V undefine vg-run >/dev/null
domain_xml vg-run "" >"$work/run.xml"
V define "$work/run.xml" >/dev/null
V start vg-run >/dev/null
run_vg -c "$URI" vg-run vdb +1M
expect_rc 3 "no agent channel: unconfirmed"
expect_in "no guest agent" out "no agent said"

finish
