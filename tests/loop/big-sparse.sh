#!/bin/bash
# Large disks on sparse files: 100 GiB -> 2 TiB on GPT for each filesystem,
# and MBR's 2 TiB limit: grow up to it with a warning, then refuse clearly.
#   big-sparse.sh QGA-GROW
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

for fs in xfs btrfs ext4-unmounted; do
  make_disk 100G; d=$DISK
  partition "$d" "label: gpt
,"
  p=$(part_dev "$d" 1)
  kind=${fs%-unmounted}
  make_fs "$kind" "$p"
  mount_fs "$p"
  write_data "$MNT"
  t=$MNT
  if [ "$fs" = ext4-unmounted ]; then umount "$MNT"; t=$d; fi
  enlarge "$d" 2T
  run_qg 0 "$WORK/g.json" --json "$t"
  n=$(sectors_of "$d")
  assert_eq "$(( $(part_field "$d" 1 start) + $(part_field "$d" 1 size) - 1 ))" $((n - 34)) \
    "GPT partition end on 2 TiB ($fs)"
  mountpoint -q "$MNT" || mount_fs "$p"
  size=$(fs_size "$kind" "$p" "$MNT")
  assert_eq "$(jget "$WORK/g.json" '.layers[1].size')" "$size" "$fs size vs its own tools"
  [ "$size" -gt $((2047 << 30)) ] || fail "$fs only reached $size bytes on a 2 TiB disk"
  run_qg 1 "$WORK/g2.json" --json "$t"
  check_data "$MNT"
  umount "$MNT"
  check_fs "$kind" "$p"
  check_table "$d" gpt
  note "$fs: 100 GiB -> $(jget "$WORK/g.json" '.layers[1].size') bytes"
done

# MBR: sizes and starts are 32-bit sector counts: 2 TiB with 512-byte sectors.
make_disk 100G; d=$DISK
partition "$d" "label: dos
,"
p=$(part_dev "$d" 1)
make_fs btrfs "$p"
mount_fs "$p"
enlarge "$d" 3T
# The partition first, alone (growpart mode; a grow cut short after BLKPG
# leaves the same state): at the limit now, the filesystem must still follow.
"$QG" growpart "$d" 1 >"$WORK/gp.out" 2>&1 || fail "growpart mode: $(cat "$WORK/gp.out")"
grep -q "^CHANGED:" "$WORK/gp.out" || fail "growpart mode said: $(cat "$WORK/gp.out")"
assert_eq "$(( $(part_field "$d" 1 start) + $(part_field "$d" 1 size) - 1 ))" 4294967295 \
  "MBR partition end at the format's last sector"
run_qg 0 "$WORK/m.json" --json "$MNT"
grep -q "MBR partition tables end at 2 TiB: 1.0 TiB past that stays unused" "$WORK/m.json.err" ||
  fail "no warning about the MBR limit: $(cat "$WORK/m.json.err")"
assert_eq "$(jget "$WORK/m.json" '.warnings | length')" 1 "warnings in the JSON result"
assert_eq "$(jget "$WORK/m.json" '.layers[0].changed')" false "MBR: the partition already at the limit"
assert_eq "$(jget "$WORK/m.json" '.layers[1].changed')" true "MBR: the filesystem followed it"
[ "$(jget "$WORK/m.json" '.layers[1].size')" -gt $((2047 << 30)) ] ||
  fail "btrfs only reached $(jget "$WORK/m.json" '.layers[1].size') bytes"
check_table "$d" dos
before=$(fingerprint "$d")
run_qg 2 "$WORK/m2.json" --json "$MNT"
grep -q "an MBR partition table cannot address the disk past 2 TiB (1.0 TiB unused); convert it to GPT" \
  "$WORK/m2.json.err" || fail "second MBR run said: $(cat "$WORK/m2.json.err")"
assert_eq "$(fingerprint "$d")" "$before" "MBR disk after the refusal"
umount "$MNT"
check_fs btrfs "$p"
echo "ok: big sparse disks"
