#!/bin/bash
# Filesystems on a whole disk, with no partition table: only the filesystem
# layer grows.  Also: --dry-run plans exactly what the real run then does and
# writes nothing.
#   no-table.sh QGA-GROW
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

# btrfs on the whole disk, mounted.
make_disk 256M; d=$DISK
make_fs btrfs "$d"
mount_fs "$d"
write_data "$MNT"
enlarge "$d" 512M
run_qg 0 "$WORK/g.json" --json "$MNT"
assert_eq "$(jget "$WORK/g.json" '.layers | length')" 1 "layers on a table-less disk"
assert_eq "$(jget "$WORK/g.json" '.layers[0].kind')" filesystem "the only layer"
assert_eq "$(jget "$WORK/g.json" '.layers[0].device')" "$d" "filesystem device"
assert_eq "$(jget "$WORK/g.json" '.layers[0].size')" $((512 << 20)) "btrfs size"
assert_eq "$(fs_size btrfs "$d" "$MNT")" $((512 << 20)) "btrfs size by btrfs-progs"
run_qg 1 "$WORK/g2.json" --json "$d"
check_data "$MNT"
umount "$MNT"
check_fs btrfs "$d"

# ext4 on the whole disk, not mounted: e2fsck + resize2fs.
make_disk 64M; d=$DISK
make_fs ext4 "$d"
mount_fs "$d"; write_data "$MNT"; umount "$MNT"
enlarge "$d" 192M
run_qg 0 "$WORK/e.json" --json "$d"
assert_eq "$(jget "$WORK/e.json" '.layers[0].size')" $((192 << 20)) "ext4 size"
assert_eq "$(fs_size ext4 "$d")" $((192 << 20)) "ext4 size by dumpe2fs"
run_qg 1 "$WORK/e2.json" --json "$d"
check_fs ext4 "$d"
mount_fs "$d"; check_data "$MNT"; umount "$MNT"

# --dry-run: the plan, then the real thing matches it.
for fs in xfs btrfs; do
  make_disk 1G; d=$DISK
  partition "$d" "label: gpt
,500M"
  p=$(part_dev "$d" 1)
  make_fs "$fs" "$p"
  mount_fs "$p"
  enlarge "$d" 2G
  old=$(fs_size "$fs" "$p" "$MNT")
  # (not frozen: a dry run is refused then, as the grow would be; what the
  # filesystem wrote by itself is synced before and after)
  sync
  before=$(fingerprint "$d")
  run_qg 0 "$WORK/plan.json" --dry-run --json "$MNT"
  assert_eq "$(jget "$WORK/plan.json" '.["dry-run"]')" true "dry-run flag"
  assert_eq "$(jget "$WORK/plan.json" .changed)" true "dry run says it would change"
  sync
  assert_eq "$(fingerprint "$d")" "$before" "disk after --dry-run"
  assert_eq "$(fs_size "$fs" "$p" "$MNT")" "$old" "$fs size after --dry-run"
  run_qg 0 "$WORK/real.json" --json "$MNT"
  assert_eq "$(jq -c '[.layers[] | .size]' "$WORK/real.json")" \
    "$(jq -c '[.layers[] | .size]' "$WORK/plan.json")" "sizes reached vs planned ($fs)"
  run_qg 1 "$WORK/plan2.json" --dry-run --json "$MNT"
  assert_eq "$(jget "$WORK/plan2.json" .changed)" false "dry run after the grow"
  umount "$MNT"
done
echo "ok: no partition table, dry run"
