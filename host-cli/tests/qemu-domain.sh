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
jq_is '."guest-preflight"' not-asked "JSON: no agent, so the guest was not asked first"
jq_is '."guest-preflight-note" | startswith("the guest was not asked before the resize: no guest agent")' \
  true "JSON: why not"
jq_is '."connection-lost"' false "JSON: the connection held"
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
expect_rc 2 "shut-off domain, disk in no storage pool: refused"
expect_in "domain vg-stopped is shut off, and its disk vdb ($work/stopped-data.raw) is no volume of an active libvirt storage pool" err "stopped reason"
expect_in "virsh pool-define-as NAME dir --target $work" err "the way to make it a volume"

# A shut-off domain whose disks are volumes of a pool: grown through the
# storage API (by path, and as <disk type='volume'>); the guest at next boot.
mkdir "$work/pool"
V pool-define-as vg-pool dir --target "$work/pool" >/dev/null
V pool-start vg-pool >/dev/null
V vol-create-as vg-pool off-a.raw 64M --format raw >/dev/null
V vol-create-as vg-pool off-b.qcow2 64M --format qcow2 >/dev/null
domain_xml vg-off "<disk type='volume' device='disk'><driver name='qemu' type='qcow2'/><source pool='vg-pool' volume='off-b.qcow2'/><target dev='vde' bus='virtio'/></disk>" |
  sed -e "s#$work/data.raw#$work/pool/off-a.raw#" >"$work/off.xml"
V define "$work/off.xml" >/dev/null
run_vg -c "$URI" vg-off vdb +32M
expect_rc 0 "shut-off domain, pool volume by path: grown"
expect_in "disk vdb grown from 64.0 MiB to 96.0 MiB; the guest grows its side at its next boot" out "offline grow said"
expect_in "guest side: next-boot" out "guest side named"
[ "$(virtual_size "$work/pool/off-a.raw")" = $((96 * M)) ] && ok "volume grew to 96 MiB" || not_ok "off-a $(virtual_size "$work/pool/off-a.raw")"
[ "$(V vol-info --bytes --pool vg-pool off-a.raw | awk '/^Capacity:/ { print $2 }')" = $((96 * M)) ] &&
  ok "libvirt's pool sees 96 MiB" || not_ok "pool capacity"
[ "$(V domstate vg-off)" = "shut off" ] && ok "domain still shut off" || not_ok "domain state $(V domstate vg-off)"
run_vg -c "$URI" --json vg-off vde 128M
expect_rc 0 "shut-off domain, <disk type='volume'> (qcow2): grown"
jq_is .outcome grown "offline JSON outcome"
jq_is '."guest-method"' next-boot "offline JSON guest method"
jq_is '."disk-size-after"' $((128 * M)) "offline JSON size after"
jq_is .guest null "no guest report offline"
[ "$(virtual_size "$work/pool/off-b.qcow2")" = $((128 * M)) ] && ok "qcow2 volume grew" || not_ok "off-b $(virtual_size "$work/pool/off-b.qcow2")"
run_vg -c "$URI" vg-off vde 128M
expect_rc 1 "offline, same size again: nothing to do"
run_vg -c "$URI" --dry-run vg-off vdb +1G
expect_rc 0 "offline dry run would grow"
[ "$(virtual_size "$work/pool/off-a.raw")" = $((96 * M)) ] && ok "offline dry run changed nothing" || not_ok "dry run grew off-a"
run_vg -c "$URI" vg-off vdb 32M
expect_rc 2 "offline shrink refused"
expect_in "refusing to shrink disk vdb" err "offline shrink reason"
[ "$(virtual_size "$work/pool/off-a.raw")" = $((96 * M)) ] && ok "volume still 96 MiB" || not_ok "shrunk?"
V undefine vg-off >/dev/null

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
