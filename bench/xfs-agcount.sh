#!/bin/bash
# The cost of many small xfs allocation groups, behind qga-grow's AG
# guardrail (qga-grow(8), FILESYSTEM LIMITS): an xfs made with 4 groups of
# 128 MiB is grown (xfs_growfs) to N groups, then timed cold: mount, a
# statfs, a 1 GiB fallocate that must search the groups' free space, and
# umount.  Sparse image files on a loop device; needs root.
#   xfs-agcount.sh [N...]   (default 4 64 1024 4096 8192)
set -euo pipefail
W=$(mktemp -d /tmp/qg-agbench.XXXXXX)
L=
cleanup() {
  mountpoint -q "$W/m" && umount "$W/m"
  [ -n "$L" ] && losetup -d "$L"
  rm -rf "$W"
}
trap cleanup EXIT
mkdir "$W/m"
ms() { local t0 t1; t0=$(date +%s%N); "$@" >/dev/null 2>&1; t1=$(date +%s%N); echo $(( (t1 - t0) / 1000000 )); }
printf '%6s %9s %9s %8s %9s %9s %9s %10s\n' AGs size growfs_ms mount_ms statfs_ms falloc_ms umount_ms slab_KiB
for n in "${@:-4 64 1024 4096 8192}"; do
  for n in $n; do
    truncate -s 512M "$W/img"
    L=$(losetup -f --show "$W/img")
    mkfs.xfs -q -f -d agsize=128m "$L"
    mount "$L" "$W/m"
    truncate -s $((n * 128))M "$W/img"; losetup -c "$L"
    g=$(ms xfs_growfs "$W/m")
    umount "$W/m"; echo 3 >/proc/sys/vm/drop_caches
    mt=$(ms mount "$L" "$W/m")
    st=$(ms stat -f "$W/m")
    fa=$(ms fallocate -l 1G "$W/m/f")
    # kernel memory the mounted filesystem holds (per-AG structures)
    sl=$(awk '/^Slab:/ { print $2 }' /proc/meminfo)
    um=$(ms umount "$W/m")
    sl=$(( sl - $(awk '/^Slab:/ { print $2 }' /proc/meminfo) ))
    printf '%6s %9s %9s %8s %9s %9s %9s %10s\n' "$n" "$((n * 128))M" "$g" "$mt" "$st" "$fa" "$um" "$sl"
    losetup -d "$L"; L=
    rm -f "$W/img"
  done
done
