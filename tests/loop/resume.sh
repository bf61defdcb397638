#!/bin/bash
# A grow interrupted between its steps is completed by the next run:
#  - table written, kernel not told (a crash before BLKPG);
#  - table and kernel grown, filesystem not (a crash before the fs ioctl,
#    or growpart run alone);
#  - the table write itself cut short (found by the crash torture): the new
#    backup GPT written, the primary's entries too but not its header (a CRC
#    mismatch), or everything but the protective MBR.  libfdisk reads the
#    valid backup and sees the partition grown; the rerun must still
#    rewrite the table whole.
#   resume.sh QGA-GROW
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

for fs in xfs btrfs; do
  grown_disk "$fs"; d=$DISK p=$PART
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
# The table write cut short.  The grown table is written with sfdisk (the
# kernel not told), then parts of the old one are put back: LBA 0 (the
# protective MBR) and LBA 1 (the primary header).
for cut in header pmbr; do
  grown_disk xfs; d=$DISK p=$PART
  dd if="$d" of="$WORK/old-head" bs=512 count=2 status=none
  echo ', +' | sfdisk -q --no-reread --no-tell-kernel -N 1 "$d" >/dev/null 2>&1
  case $cut in
    header) dd if="$WORK/old-head" of="$d" bs=512 count=2 conv=notrunc status=none ;;
    pmbr) dd if="$WORK/old-head" of="$d" bs=512 count=1 conv=notrunc status=none ;;
  esac
  blockdev --flushbufs "$d"
  sgdisk -v "$d" >"$WORK/sgdisk.log" 2>&1 || true
  [ "$cut" = pmbr ] || ! grep -q '^No problems found' "$WORK/sgdisk.log" ||
    fail "setup ($cut): the table is not damaged"
  grown_end=$(( $(part_field "$d" 1 start) + $(part_field "$d" 1 size) - 1 ))
  assert_eq "$grown_end" $(( $(sectors_of "$d") - 34 )) "setup ($cut): libfdisk reads the grown copy"
  run_qg 0 "$WORK/cut.json" --json "$MNT"
  case $cut in
    header) want="primary GPT header or entries fail their CRC" ;;
    pmbr) want="protective MBR does not cover the disk" ;;
  esac
  jget "$WORK/cut.json" '.warnings[]' | grep -q "$want" ||
    fail "$cut: warnings $(jq -c .warnings "$WORK/cut.json"), want '$want'"
  assert_eq "$(jget "$WORK/cut.json" '.layers[0].changed')" true "$cut: partition layer (rewritten)"
  assert_eq "$(blockdev --getsize64 "$p")" $(( $(part_field "$d" 1 size) * 512 )) "$cut: kernel's size"
  assert_eq "$(jget "$WORK/cut.json" '.layers[1].size')" "$(fs_size xfs "$p" "$MNT")" "$cut: xfs size"
  assert_eq "$(od -An -tu4 -j 458 -N 4 "$d" | tr -d ' ')" $(( $(sectors_of "$d") - 1 )) \
    "$cut: the protective MBR's size"
  run_qg 1 "$WORK/cut2.json" --json "$MNT"
  assert_eq "$(jq -c .warnings "$WORK/cut2.json")" "[]" "$cut: warnings on the rerun"
  check_data "$MNT"
  umount "$MNT"
  check_fs xfs "$p"
  check_table "$d" gpt
done
# Not damage, and left byte-identical on a table with nothing to grow: a
# protective MBR that claims more than the disk (some tools write
# 0xFFFFFFFF whatever the size).
make_disk 1G; d=$DISK
partition "$d" "label: gpt
,"
make_fs ext4 "$(part_dev "$d" 1)"
printf '\xff\xff\xff\xff' | dd of="$d" bs=1 seek=458 conv=notrunc status=none
blockdev --flushbufs "$d"
sha_before=$(head -c 1M "$d" | sha256sum)
run_qg 1 "$WORK/max.json" --json "$d"
assert_eq "$(jq -c .warnings "$WORK/max.json")" "[]" "PMBR 0xFFFFFFFF: warnings"
assert_eq "$(head -c 1M "$d" | sha256sum)" "$sha_before" "PMBR 0xFFFFFFFF: the table's bytes"
# Nor a hybrid MBR, as gdisk makes one: the 0xEE entry covering the
# sectors before partition 1, which a second entry (0x83) maps.  libfdisk
# leaves a hybrid MBR as it is, so a "rewrite" would find it on every run.
le32() { printf '\\x%02x' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)); }
p1_start=$(part_field "$d" 1 start) p1_size=$(part_field "$d" 1 size)
printf "$(le32 $((p1_start - 1)))" | dd of="$d" bs=1 seek=$((446 + 12)) conv=notrunc status=none
printf "\\x00\\xff\\xff\\xff\\x83\\xff\\xff\\xff$(le32 "$p1_start")$(le32 "$p1_size")" |
  dd of="$d" bs=1 seek=$((446 + 16)) conv=notrunc status=none
blockdev --flushbufs "$d"
sha_before=$(head -c 1M "$d" | sha256sum)
run_qg 1 "$WORK/hybrid.json" --json "$d"
assert_eq "$(jq -c .warnings "$WORK/hybrid.json")" "[]" "hybrid MBR: warnings"
assert_eq "$(head -c 1M "$d" | sha256sum)" "$sha_before" "hybrid MBR: the table's bytes"
# A partition grown into the gap before the next one: the table written,
# the kernel not told, and the disk grown meanwhile (free space past
# partition 2).  The rerun completes the grow (kernel, filesystem); only
# the one after it, with nothing left to do, is refused for partition 2.
for label in gpt dos; do
  make_disk 1G; d=$DISK
  partition "$d" "label: $label
start=1MiB, size=320MiB
start=768MiB"
  p=$(part_dev "$d" 1)
  make_fs xfs "$p"
  mount_fs "$p"
  write_data "$MNT"
  p2_start=$(part_field "$d" 2 start)
  echo ", $((p2_start - $(part_field "$d" 1 start)))" |
    sfdisk -q --no-reread --no-tell-kernel -N 1 "$d" >/dev/null 2>&1
  enlarge "$d" 2G
  table_bytes=$(( $(part_field "$d" 1 size) * 512 ))
  [ "$(blockdev --getsize64 "$p")" -lt "$table_bytes" ] || fail "setup ($label gap): kernel grown"
  run_qg 0 "$WORK/gap.json" --json "$MNT"
  assert_eq "$(jget "$WORK/gap.json" '.layers[0].changed')" true "$label gap: partition layer (kernel told)"
  assert_eq "$(blockdev --getsize64 "$p")" "$table_bytes" "$label gap: kernel's size after the rerun"
  assert_eq "$(jget "$WORK/gap.json" '.layers[1].size')" "$(fs_size xfs "$p" "$MNT")" "$label gap: xfs size"
  [ "$(jget "$WORK/gap.json" '.layers[1].size')" -gt $((700 << 20)) ] || fail "$label gap: xfs did not grow"
  run_qg 2 "$WORK/gap2" "$MNT"
  grep -q "partition 1 of $d cannot grow: partition 2 starts right after it at sector $p2_start" \
    "$WORK/gap2.err" || fail "$label gap, third run: $(cat "$WORK/gap2.err")"
  check_data "$MNT"
  umount "$MNT"
  check_fs xfs "$p"
  # (no table write happened here, so a GPT backup stays where it was,
  # short of the disk's new end, which sgdisk -v calls a problem)
  sfdisk --verify "$d" >"$WORK/verify.log" 2>&1 || { cat "$WORK/verify.log" >&2; fail "$label gap: table"; }
done
echo "ok: interrupted grows are completed"
