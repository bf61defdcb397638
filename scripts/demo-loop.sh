#!/bin/bash
# The built-in example: a 1 GiB loop disk with a GPT partition and a mounted
# filesystem is enlarged to 4 GiB, the way a hypervisor enlarges a virtual
# disk, and qga-grow grows the partition and the filesystem to follow.
# Everything it creates is removed at the end.
#   scripts/demo-loop.sh [PATH-TO-qga-grow]
set -euo pipefail
QG=$(readlink -f "${1:-build/qga-ext/qga-grow}")
work=$(mktemp -d /tmp/qga-grow-demo.XXXXXX)
disk= mnt=$work/mnt
cleanup() {
  set +e
  mountpoint -q "$mnt" && umount "$mnt"
  [ -n "$disk" ] && losetup -d "$disk"
  rm -rf "$work"
}
trap cleanup EXIT

# ext4 grows online only where root holds CAP_SYS_RESOURCE; some sandboxes
# drop it, so the demo falls back to xfs there.
eff=$(awk '/^CapEff/ { print $2 }' /proc/self/status)
if (( (16#$eff >> 24) & 1 )); then
  fs=ext4
else
  fs=xfs
  echo "(no CAP_SYS_RESOURCE here, which online ext4 growth needs: using xfs)"
fi

truncate -s 1G "$work/disk.img"
disk=$(losetup --find --show --partscan "$work/disk.img")
printf 'label: gpt\n,\n' | sfdisk -q --no-reread "$disk"
partx -u "$disk"
case $fs in
  ext4) mkfs.ext4 -q "${disk}p1" ;;
  xfs) mkfs.xfs -q "${disk}p1" ;;
esac
mkdir "$mnt"
mount "${disk}p1" "$mnt"
echo "== $disk: 1 GiB, GPT, $fs mounted on $mnt"
df -h --output=source,fstype,size,target "$mnt"

truncate -s 4G "$work/disk.img"
losetup -c "$disk"
echo
echo "== the disk is now $(($(blockdev --getsize64 "$disk") >> 30)) GiB; qga-grow --dry-run $mnt:"
"$QG" --dry-run "$mnt" || true
echo
echo "== qga-grow $mnt:"
"$QG" "$mnt"
echo
df -h --output=source,fstype,size,target "$mnt"
echo
echo "== once more: nothing to do (exit 1)"
rc=0; "$QG" "$mnt" >/dev/null || rc=$?
echo "exit $rc"
