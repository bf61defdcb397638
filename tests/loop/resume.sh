#!/bin/bash
# A grow interrupted between its steps is completed by the next run:
#  - table written, kernel not told (a crash before BLKPG);
#  - table and kernel grown, filesystem not (a crash before the fs ioctl,
#    or growpart run alone).
#   resume.sh QGA-GROW
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

for fs in xfs btrfs; do
  make_disk 1G; d=$DISK
  partition "$d" "label: gpt
,500M"
  p=$(part_dev "$d" 1)
  make_fs "$fs" "$p"
  mount_fs "$p"
  write_data "$MNT"
  enlarge "$d" 2G
  # Grow the table only: sfdisk without re-read, the kernel keeps the old size.
  echo ', +' | sfdisk -q --no-reread --no-tell-kernel -N 1 "$d" >/dev/null 2>&1
  table_bytes=$(( $(part_field "$d" 1 size) * 512 ))
  kernel_bytes=$(blockdev --getsize64 "$p")
  [ "$kernel_bytes" -lt "$table_bytes" ] || fail "setup: the kernel already knows the new size"
  run_qg 0 "$WORK/r.json" --json "$MNT"
  assert_eq "$(jget "$WORK/r.json" '.layers[0].changed')" true "partition layer (kernel told)"
  assert_eq "$(jget "$WORK/r.json" '.layers[0]["old-size"]')" "$kernel_bytes" "old size: the kernel's"
  assert_eq "$(blockdev --getsize64 "$p")" "$table_bytes" "kernel's size after the rerun"
  assert_eq "$(jget "$WORK/r.json" '.layers[1].size')" "$(fs_size "$fs" "$p" "$MNT")" "$fs size"
  [ "$(jget "$WORK/r.json" '.layers[1].size')" -gt $((1 << 30)) ] || fail "$fs did not grow"
  run_qg 1 "$WORK/r2.json" --json "$MNT"
  check_data "$MNT"

  # Partition and kernel grown by growpart, filesystem left behind.
  enlarge "$d" 3G
  growpart "$d" 1 >/dev/null
  run_qg 0 "$WORK/f.json" --json "$MNT"
  assert_eq "$(jget "$WORK/f.json" '.layers[0].changed')" false "partition layer after growpart"
  assert_eq "$(jget "$WORK/f.json" '.layers[1].changed')" true "filesystem layer after growpart"
  [ "$(jget "$WORK/f.json" '.layers[1].size')" -gt $((2 << 30)) ] || fail "$fs did not grow"
  check_data "$MNT"
  umount "$MNT"
  check_fs "$fs" "$p"
  check_table "$d" gpt
done
echo "ok: interrupted grows are completed"
