#!/bin/bash
# qga-grow --wait-size on an NVMe namespace whose device does not tell the
# kernel that it grew: the wait asks the controller to rescan
# (rescan_controller), as it asks SCSI disks, and the grow goes on.
# The NVMe disk is real NVMe over TCP on the loopback (the kernel's target,
# nvmet-tcp, exporting a loop disk; its host, nvme-tcp): the target reads its
# backing disk's size again only when asked to identify the namespace, so
# the host sees a grown disk only after a rescan.  Runs in a QEMU guest
# (the modules are the guest kernel's).
#   nvme-rescan.sh QGA-GROW
HERE=$(cd "$(dirname "$0")" && pwd)
GUEST_ALWAYS="NVMe over TCP needs the guest kernel's nvmet-tcp and nvme-tcp"
. "$HERE/in-guest-if-needed.sh" "$0" "$@"
. "$HERE/lib.sh"

modprobe nvmet-tcp && modprobe nvme-tcp || fail "no nvmet-tcp or nvme-tcp module"
cfs=/sys/kernel/config
mountpoint -q "$cfs" || mount -t configfs configfs "$cfs" || fail "cannot mount configfs"
ip link set lo up

make_disk 1G; backend=$DISK
nqn=nqn.2026-12.test.qga-grow:nvme-rescan-$$
sub=$cfs/nvmet/subsystems/$nqn
port=$cfs/nvmet/ports/$((4000 + $$ % 1000))
trsvcid=$((20000 + $$ % 20000))
ctrl=
# undone in reverse on exit: the host's controller, the target's port,
# namespace and subsystem (the loop disk and mounts by lib.sh after)
nvme_down() {
  mountpoint -q "${MNT:-/nonexistent}" && umount "$MNT"
  [ -n "$ctrl" ] && [ -e "/sys/class/nvme/$ctrl/delete_controller" ] &&
    echo 1 >"/sys/class/nvme/$ctrl/delete_controller"
  rm -f "$port/subsystems/$nqn"
  [ -d "$port" ] && rmdir "$port"
  [ -d "$sub/namespaces/1" ] && { echo 0 >"$sub/namespaces/1/enable"; rmdir "$sub/namespaces/1"; }
  [ -d "$sub" ] && rmdir "$sub"
  return 0
}
on_exit nvme_down

mkdir "$sub"
echo 1 >"$sub/attr_allow_any_host"
mkdir "$sub/namespaces/1"
echo -n "$backend" >"$sub/namespaces/1/device_path"
echo 1 >"$sub/namespaces/1/enable"
mkdir "$port"
echo ipv4 >"$port/addr_adrfam"
echo tcp >"$port/addr_trtype"
echo 127.0.0.1 >"$port/addr_traddr"
echo "$trsvcid" >"$port/addr_trsvcid"
ln -s "$sub" "$port/subsystems/$nqn"

ls /sys/block | sort >"$WORK/disks.before"
exec 3<>/dev/nvme-fabrics
echo -n "transport=tcp,traddr=127.0.0.1,trsvcid=$trsvcid,nqn=$nqn" >&3
read -r reply <&3
exec 3>&-
ctrl=nvme$(sed -n 's/^instance=\([0-9]*\),.*/\1/p' <<<"$reply")
[ "$ctrl" != nvme ] || fail "connecting said '$reply'"
ns=
for _ in $(seq 100); do
  ls /sys/block | sort >"$WORK/disks.now"
  ns=$(comm -13 "$WORK/disks.before" "$WORK/disks.now" | grep -E '^nvme[0-9]+n[0-9]+$' | head -1)
  [ -n "$ns" ] && [ -b "/dev/$ns" ] && break
  sleep 0.1
done
[ -n "$ns" ] || fail "no NVMe namespace appeared for $ctrl"
d=/dev/$ns
note "NVMe namespace $d on controller $ctrl"
assert_eq "$(blockdev --getsize64 "$d")" $((1 << 30)) "the namespace's size"

partition "$d" "label: gpt
,"
p=$(part_dev "$d" 1)
make_fs xfs "$p"
mount_fs "$p"
write_data "$MNT"
old=$(fs_size xfs "$p" "$MNT")

enlarge "$backend" 2G
sleep 2
# the precondition of the defect: nothing told the host
assert_eq "$(blockdev --getsize64 "$d")" $((1 << 30)) \
  "the namespace's size before anyone rescans (the device tells nobody)"

run_qg 0 "$WORK/g.json" --json --wait-size 2G --wait-timeout 15 "$MNT"
assert_eq "$(blockdev --getsize64 "$d")" $((2 << 30)) "the namespace's size after the wait"
assert_eq "$(jget "$WORK/g.json" '."disk-size"')" $((2 << 30)) "the disk size reported"
new=$(fs_size xfs "$p" "$MNT")
[ "$new" -gt $((old + (800 << 20))) ] || fail "xfs did not grow ($old -> $new)"
run_qg 1 "$WORK/g2.json" --json "$MNT"
check_data "$MNT"
umount "$MNT"
check_fs xfs "$p"
echo "ok: NVMe rescan while waiting for the size"
