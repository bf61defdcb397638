#!/bin/bash
# A disk grown while its domain was shut off, end to end: the test guest
# (tests/vm: QEMU, TCG, Debian's kernel) as a domain of a private libvirtd,
# shut off; virt-grow grows its disks through their storage volumes; the
# guest boots with systemd as PID 1, and qga-grow-boot.service (the unit
# from rules/, running this build's qga-grow) grows every layer before the
# job mounts the filesystems.  Checked in the guest (the boot unit's log,
# the agent's guest-get-fsinfo) and on the images afterwards.
#   e2e-offline.sh QGA-GROW VIRT-GROW
# Disks: vdb GPT ext4 (serial vg-off-gpt), vdc MBR ext4 (vg-off-mbr), 1 GiB
# grown to 2 GiB; the udev rule is off (disks=none), so only the boot unit
# can grow them.
HERE=$(cd "$(dirname "$0")" && pwd)
VG=$(readlink -f "${2:?usage: $0 QGA-GROW VIRT-GROW}")
. "$HERE/../../tests/loop/lib.sh"
. "$HERE/../../tests/vm/vm-lib.sh"
. "$HERE/../../tests/vm/e2e-lib.sh"
. "$HERE/../../tests/vm/libvirt-domain.sh"
for tool in virsh libvirtd qemu-system-x86_64 qemu-img jq unshare; do
  PATH=$PATH:/usr/sbin command -v "$tool" >/dev/null || fail "$tool missing (scripts/setup.sh test)"
done
AGENT=$(readlink -f "$("$HERE/stock-qemu-ga.sh" "$VM_CACHE")")
GiB=$((1 << 30))

SERIALS=(vg-off-gpt vg-off-mbr)
declare -A LABEL=([vg-off-gpt]=gpt [vg-off-mbr]=dos)
declare -A FS=([vg-off-gpt]=ext4 [vg-off-mbr]=ext4)
declare -A GMNT=([vg-off-gpt]=/run/mnt/gpt [vg-off-mbr]=/run/mnt/mbr)
declare -A PARTNO=([vg-off-gpt]=1 [vg-off-mbr]=1)
e2e_make_disks
mkdir "$WORK/pool"
for s in "${SERIALS[@]}"; do
  mv "${IMG[$s]}" "$WORK/pool/$s.img"
  IMG[$s]=$WORK/pool/$s.img
done

# The job: systemd mode; the boot unit before the job, which mounts the
# disks and starts the agent.
e2e_write_job systemd "vg-off-gpt:1:/run/mnt/gpt vg-off-mbr:1:/run/mnt/mbr"
e2e_auto_conf "enabled=true" "disks=none" "boot=serial:vg-off-gpt serial:vg-off-mbr"
e2e_systemd_units
sed "s|@QGA_GROW@ auto --boot|$QG auto --config /run/qg-job/auto.conf --boot|" \
  "$E2E_REPO/rules/qga-grow-boot.service.in" >"$JOB/systemd/qga-grow-boot.service"
grep -q "auto --config /run/qg-job/auto.conf --boot$" "$JOB/systemd/qga-grow-boot.service" ||
  fail "the boot unit's ExecStart did not take this build's qga-grow"
echo "Wants=qga-grow-boot.service" >>"$JOB/systemd/qg-e2e.target"
sed -i 's/^DefaultDependencies=no$/&\nAfter=qga-grow-boot.service/' "$JOB/systemd/qg-job.service"

# The domain, defined and shut off; its disks are volumes of a pool.
on_exit '"$HERE/libvirtd.sh" stop "$WORK/libvirt"'
URI=$("$HERE/libvirtd.sh" start "$WORK/libvirt")
V() { virsh -q -c "$URI" "$@"; }
V pool-define-as vg-pool dir --target "$WORK/pool" >/dev/null
V pool-start vg-pool >/dev/null
libvirt_domain_xml vg-off "$JOB" systemd \
  "${IMG[vg-off-gpt]}:vdb:virtio:vg-off-gpt" "${IMG[vg-off-mbr]}:vdc:virtio:vg-off-mbr" \
  >"$WORK/domain.xml"
V define "$WORK/domain.xml" >/dev/null
assert_eq "$(V domstate vg-off)" "shut off" "the domain's state"

for t in vdb vdc; do
  rc=0
  "$VG" -c "$URI" --json vg-off "$t" 2G >"$WORK/vg-$t.json" 2>"$WORK/vg-$t.err" || rc=$?
  assert_eq "$rc" 0 "virt-grow on the shut-off domain, $t ($(cat "$WORK/vg-$t.err"))"
  assert_eq "$(jq -r '.outcome + " " + ."guest-method" + " " + (."disk-size-after" | tostring)' \
    "$WORK/vg-$t.json")" "grown next-boot $((2 * GiB))" "$t: virt-grow's report"
done
for s in "${SERIALS[@]}"; do
  assert_eq "$(qemu-img info -U --output=json "${IMG[$s]}" | jq '."virtual-size"')" $((2 * GiB)) \
    "$s: image after virt-grow"
done
note "both volumes grown while the domain was off"

# guest_run OUT PROGRAM ARGS...: run PROGRAM in the guest through the
# agent's guest-exec; its standard output in OUT.
guest_run() {
  local out=$1 prog=$2 args pid
  shift 2
  args=$(printf '%s\n' "$@" | jq -R . | jq -sc .)
  V qemu-agent-command vg-off "$(jq -nc --arg p "$prog" --argjson a "$args" \
    '{execute: "guest-exec", arguments: {path: $p, arg: $a, "capture-output": true}}')" \
    >"$WORK/exec.json" || guest_failed "guest-exec $prog"
  pid=$(jq -r .return.pid "$WORK/exec.json")
  for _ in $(seq 120); do
    V qemu-agent-command vg-off "{\"execute\":\"guest-exec-status\",\"arguments\":{\"pid\":$pid}}" \
      >"$WORK/status.json" || guest_failed "guest-exec-status"
    [ "$(jq -r .return.exited "$WORK/status.json")" = true ] && break
    sleep 1
  done
  jq -r '.return."out-data" // ""' "$WORK/status.json" | base64 -d >"$out"
}

# Boot: the boot unit grows both stacks, then the job mounts them.
libvirt_start "$WORK/libvirt" vg-off
guest_run "$WORK/boot.log" /bin/journalctl -b -u qga-grow-boot.service -o cat --no-pager
grown=$(grep -Ec "^qga-grow: /dev/vd[a-z]: grown: partition /dev/vd[a-z]1 \((gpt|dos)\)" "$WORK/boot.log" || true)
assert_eq "$grown" 2 "disks the boot unit grew ($(cat "$WORK/boot.log"))"
guest_run "$WORK/unit.txt" /bin/systemctl show -p Result -p ActiveState qga-grow-boot.service
assert_eq "$(sort "$WORK/unit.txt" | tr '\n' ' ')" "ActiveState=active Result=success " \
  "qga-grow-boot.service after boot"
V qemu-agent-command vg-off '{"execute":"guest-get-fsinfo"}' >"$WORK/fsinfo.json" ||
  guest_failed "guest-get-fsinfo"
for s in "${SERIALS[@]}"; do
  total=$(total_bytes "$s")
  [ -n "$total" ] && [ "$total" -gt $((GiB * 3 / 2)) ] ||
    guest_failed "$s: the guest sees ${total:-no} filesystem bytes on ${GMNT[$s]} after boot"
  note "$s: ${GMNT[$s]} holds $total bytes in the guest"
  # every layer as the guest sees it now: nothing left to grow
  guest_run "$WORK/layers-$s.json" "$QG" --dry-run --json "${GMNT[$s]}"
  assert_eq "$(jq -r '[.layers[] | .kind + ":" + .state] | join(" ")' "$WORK/layers-$s.json")" \
    "partition:unchanged filesystem:unchanged" "$s: every layer grown at boot"
  assert_eq "$(jq -r '."disk-size"' "$WORK/layers-$s.json")" $((2 * GiB)) "$s: the guest's disk size"
done

# Off again; the images on the host: table, partition end, fsck, data.
e2e_stop_and_verify $((2 * GiB))
echo "ok: disks grown while the domain was off grew at its next boot (qga-grow-boot.service)"
