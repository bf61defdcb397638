#!/bin/bash
# MBR logical partitions inside an extended one.
#   grow-logical.sh QGA-GROW SECTOR FS
#   SECTOR 512|4096   FS ext4-unmounted|xfs|btrfs
# The disk (1 GiB): primary 1; extended 2 from 128 MiB to the disk's end,
# holding logical 5 (FS, data written) and, after a gap, logical 6 (ext4,
# data written).
#  - logical 5 grows up to the sector before the EBR of logical 6; that
#    EBR, logical 6 and the extended partition are untouched;
#  - the disk grows: logical 5 has no gap left and is refused, naming the
#    EBR of 6, the image byte-identical (sha256);
#  - the whole disk: logical 6, the last, grows, the extended partition
#    first, both to the disk's usable end; the kernel's stub of the
#    extended partition (1 KiB, or one 4096-byte sector) stays as it is;
#  - on an image file, growpart mode: an extended partition followed by a
#    gap and a primary grows into the gap with its last logical partition.
# And sfdisk --verify, fsck of both, data checksums, second runs with
# nothing to do.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

ss=$1 fs=$2
mounted=1
[ "$fs" = ext4-unmounted ] && { fs=ext4; mounted=0; }

dump_line() { sfdisk --dump "$disk" 2>/dev/null | grep "^$(part_dev "$disk" "$1") "; }
# sector S of the disk, hashed
sector_sum() { dd if="$disk" bs="$ss" skip="$1" count=1 status=none | sha256sum; }
kernel_stub() {  # what sysfs says of the extended partition, if partx could add it
  local s=/sys/class/block/$(basename "$(part_dev "$disk" 2)")
  if [ -e "$s" ]; then echo "start=$(cat "$s/start") size=$(cat "$s/size")"; else echo none; fi
}

make_disk 1G "$ss"; disk=$DISK
partition "$disk" "label: dos
start=1MiB, size=64MiB
start=128MiB, type=5
start=130MiB, size=320MiB
start=800MiB, size=100MiB"
p5=$(part_dev "$disk" 5) p6=$(part_dev "$disk" 6)
make_fs ext4 "$p6"
mount_fs "$p6"; write_data "$MNT" p6; umount "$MNT"
make_fs "$fs" "$p5"
mount_fs "$p5"; mnt=$MNT
write_data "$mnt" p5
old_fs=$(fs_size "$fs" "$p5" "$mnt")
[ "$mounted" = 1 ] || unmount_fs "$mnt"

ext_start=$(part_field "$disk" 2 start)
# the first EBR's link entry: where the EBR of logical 6 is
link=$(dd if="$disk" bs="$ss" skip="$ext_start" count=1 status=none | od -An -tu4 -j470 -N4)
ebr6=$((ext_start + link))
[ "$ebr6" -gt "$(( $(part_field "$disk" 5 start) + $(part_field "$disk" 5 size) ))" ] &&
  [ "$ebr6" -lt "$(part_field "$disk" 6 start)" ] || fail "setup: EBR of 6 at $ebr6?"
ebr6_sum=$(sector_sum "$ebr6")
p2_before=$(dump_line 2) p6_before=$(dump_line 6)
stub=$(kernel_stub)
note "extended partition in sysfs: $stub"

target=$p5
[ "$mounted" = 1 ] && target=$mnt
run_qg 0 "$WORK/g5.json" --json "$target"
note "$(jq -c . "$WORK/g5.json")"
size=$(part_field "$disk" 5 size)
assert_eq "$(( $(part_field "$disk" 5 start) + size - 1 ))" "$((ebr6 - 1))" \
  "end of logical 5: right before the EBR of logical 6"
assert_eq "$(sector_sum "$ebr6")" "$ebr6_sum" "EBR of logical 6"
assert_eq "$(dump_line 6)" "$p6_before" "logical 6 entry"
assert_eq "$(dump_line 2)" "$p2_before" "extended partition entry"
assert_eq "$(blockdev --getsize64 "$p5")" "$((size * ss))" "kernel's size of logical 5"
assert_eq "$(jget "$WORK/g5.json" '.layers[0].size')" "$((size * ss))" "reported size of logical 5"
[ "$mounted" = 1 ] || mount_fs "$p5"; mnt=$MNT
new_fs=$(fs_size "$fs" "$p5" "$mnt")
assert_eq "$(jget "$WORK/g5.json" '.layers[1].size')" "$new_fs" "filesystem size vs its own tools"
[ "$new_fs" -gt "$old_fs" ] || fail "filesystem did not grow ($old_fs -> $new_fs)"
[ $((size * ss - new_fs)) -lt $((size * ss / 100)) ] || fail "filesystem $new_fs does not fill logical 5"
if [ "$mounted" = 1 ]; then freeze_fs "$mnt"; else unmount_fs "$mnt"; fi
before=$(fingerprint "$disk")
run_qg 1 "$WORK/again.json" --json "$target"
assert_eq "$(fingerprint "$disk")" "$before" "disk image after the second run on logical 5"

# The disk grows: logical 5 is refused (the EBR of 6 right after it).
enlarge "$disk" 2G
sha=$(sha256sum <"$(image_of "$disk")")
run_qg 2 "$WORK/refused" "$target"
grep -qF "partition 5 of $disk cannot grow: the extended boot record of partition 6 lies right after it at sector $ebr6, nothing was changed" \
  "$WORK/refused.err" || fail "refusal said: $(cat "$WORK/refused.err")"
assert_eq "$(sha256sum <"$(image_of "$disk")")" "$sha" "sha256 of the image after the refusal"
note "refused as expected: $(cat "$WORK/refused.err")"
[ "$mounted" = 1 ] && thaw_fs

# The whole disk: the last logical partition, its extended partition first.
p5_before=$(dump_line 5)
run_qg 0 "$WORK/g6.json" --json "$disk"
note "$(jq -c . "$WORK/g6.json")"
want_end=$(( $(sectors_of "$disk") - 34 ))
assert_eq "$(jget "$WORK/g6.json" '.layers[0].device')" "$p6" "whole-disk target: logical 6"
assert_eq "$(( $(part_field "$disk" 2 start) + $(part_field "$disk" 2 size) - 1 ))" "$want_end" \
  "end of the extended partition"
size6=$(part_field "$disk" 6 size)
assert_eq "$(( $(part_field "$disk" 6 start) + size6 - 1 ))" "$want_end" "end of logical 6"
assert_eq "$(part_field "$disk" 2 start)" "$ext_start" "start of the extended partition"
assert_eq "$(dump_line 5)" "$p5_before" "logical 5 entry"
assert_eq "$(blockdev --getsize64 "$p6")" "$((size6 * ss))" "kernel's size of logical 6"
assert_eq "$(jget "$WORK/g6.json" '.layers[1].size')" "$(fs_size ext4 "$p6")" "ext4 on logical 6"
assert_eq "$(kernel_stub)" "$stub" "the kernel's extended partition (sysfs)"
run_qg 1 "$WORK/again6.json" --json "$disk"
run_qg 1 "$WORK/again5.json" --json "$target"

mountpoint -q "$mnt" && unmount_fs "$mnt"
check_table "$disk" dos
check_fs "$fs" "$p5"
check_fs ext4 "$p6"
mount_fs "$p5"; check_data "$MNT" p5; umount "$MNT"
mount_fs "$p6"; check_data "$MNT" p6; umount "$MNT"

# An image file, growpart mode: extended 2 in the middle, then a gap, then
# primary 3.  Logical 5 (last) takes the gap with its extended partition.
img=$WORK/middle.img
truncate -s 256M "$img"
sfdisk -q --wipe always "$img" >/dev/null <<EOF
label: dos
start=1MiB, size=16MiB
start=32MiB, size=32MiB, type=5
start=33MiB, size=16MiB
start=192MiB
EOF
p3_start=$(sfdisk --json "$img" | jq '.partitiontable.partitions[] | select(.node | endswith("3")) | .start')
rc=0; "$QG" growpart "$img" 5 >"$WORK/img.out" 2>&1 || rc=$?
assert_eq "$rc" 0 "growpart mode on logical 5 of an image"
note "$(cat "$WORK/img.out")"
ext_end=$(sfdisk --json "$img" | jq '.partitiontable.partitions[] | select(.node | endswith("2")) | .start + .size - 1')
l5_end=$(sfdisk --json "$img" | jq '.partitiontable.partitions[] | select(.node | endswith("5")) | .start + .size - 1')
assert_eq "$ext_end" "$((p3_start - 1))" "image: end of the extended partition"
assert_eq "$l5_end" "$((p3_start - 1))" "image: end of logical 5"
sfdisk --verify "$img" >"$WORK/verify.log" 2>&1 || { cat "$WORK/verify.log" >&2; fail "image table"; }
rc=0; "$QG" growpart "$img" 5 >"$WORK/img.out" 2>&1 || rc=$?
assert_eq "$rc" 1 "growpart mode again"
grep -q "^NOCHANGE: partition 5 is size" "$WORK/img.out" || fail "again: $(cat "$WORK/img.out")"
rc=0; "$QG" growpart "$img" 2 >"$WORK/img.out" 2>&1 || rc=$?
assert_eq "$rc" 2 "growpart mode on the extended partition"
grep -q "^FAILED: partition 2 of $img is an extended partition" "$WORK/img.out" ||
  fail "extended: $(cat "$WORK/img.out")"
echo "ok: logical $ss $2"
