#!/bin/bash
# A partition that is not the last, followed by free space: it grows into
# the gap, up to the next partition's start, and nothing else changes.
#   grow-gap.sh QGA-GROW LABEL SECTOR FS
#   LABEL gpt|dos   SECTOR 512|4096   FS ext4-unmounted|xfs|btrfs
# The disk: partition 1 (FS, data written) of 320 MiB, a gap of about
# 447 MiB, partition 2 (ext4 with data) to the disk's end.  Checks: partition
# 1 ends right before partition 2, whose entry, data and filesystem are
# untouched; the filesystem fills partition 1 (its own tools' view); a
# second run has nothing to do and writes nothing; once the disk grows,
# partition 1 (no gap left) is refused naming partition 2 and the image
# stays byte-identical (sha256), while the disk's last partition still
# grows; sgdisk -v / sfdisk --verify, fsck of both, data checksums.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

label=$1 ss=$2 fs=$3
mounted=1
[ "$fs" = ext4-unmounted ] && { fs=ext4; mounted=0; }

make_disk 1G "$ss"; disk=$DISK
partition "$disk" "label: $label
start=1MiB, size=320MiB
start=768MiB"
p1=$(part_dev "$disk" 1) p2=$(part_dev "$disk" 2)
make_fs "$fs" "$p1"
make_fs ext4 "$p2"
mount_fs "$p2"; write_data "$MNT" p2; umount "$MNT"
mount_fs "$p1"; mnt=$MNT
write_data "$mnt" p1
old_fs=$(fs_size "$fs" "$p1" "$mnt")
[ "$mounted" = 1 ] || unmount_fs "$mnt"
p2_before=$(sfdisk --dump "$disk" 2>/dev/null | grep "^$p2 ")
p2_start=$(part_field "$disk" 2 start)

target=$p1
[ "$mounted" = 1 ] && target=$mnt
out=$WORK/grow.json
run_qg 0 "$out" --json "$target"
note "$(jq -c . "$out")"

start=$(part_field "$disk" 1 start)
size=$(part_field "$disk" 1 size)
assert_eq "$((start + size - 1))" "$((p2_start - 1))" "end of partition 1: right before partition 2"
assert_eq "$(sfdisk --dump "$disk" 2>/dev/null | grep "^$p2 ")" "$p2_before" "partition 2 entry"
assert_eq "$(jget "$out" .changed)" true "changed"
assert_eq "$(jget "$out" '.layers[0].kind')" partition "layer 0 kind"
assert_eq "$(jget "$out" '.layers[0].device')" "$p1" "partition grown"
assert_eq "$(jget "$out" '.layers[0].size')" "$(blockdev --getsize64 "$p1")" \
  "reported partition size vs the kernel's"
assert_eq "$(jget "$out" '.layers[0].size')" "$((size * ss))" "reported partition size vs the table's"
assert_eq "$(blockdev --getsize64 "$p2")" "$(( $(part_field "$disk" 2 size) * ss ))" \
  "kernel's size of partition 2"
[ "$mounted" = 1 ] || mount_fs "$p1"; mnt=$MNT
new_fs=$(fs_size "$fs" "$p1" "$mnt")
assert_eq "$(jget "$out" '.layers[1].size')" "$new_fs" "filesystem size vs its own tools"
assert_eq "$(jget "$out" '.layers[1]["old-size"]')" "$old_fs" "filesystem size before"
check_fs_fills "$new_fs" "$old_fs" $((size * ss))

# Again: nothing to do (no free space left anywhere), nothing written.
if [ "$mounted" = 1 ]; then freeze_fs "$mnt"; else unmount_fs "$mnt"; fi
rerun_writes_nothing "$disk" "$target"

# The disk grows: partition 1 has no gap left, the free space lies past
# partition 2.  Refused, naming partition 2; not a byte changes.
enlarge "$disk" 2G
sha=$(sha256sum <"$(image_of "$disk")")
before=$(fingerprint "$disk")
msg="partition 1 of $disk cannot grow: partition 2 starts right after it at sector $p2_start, nothing was changed"
run_qg 2 "$WORK/refused" "$target"
grep -qF -- "$msg" "$WORK/refused.err" || fail "refusal said: $(cat "$WORK/refused.err")"
run_qg 2 "$WORK/refused" --dry-run "$p1"
grep -qF -- "$msg" "$WORK/refused.err" || fail "dry-run refusal said: $(cat "$WORK/refused.err")"
rc=0; "$QG" growpart "$disk" 1 >"$WORK/gp" 2>&1 || rc=$?
assert_eq "$rc" 2 "growpart mode on partition 1"
grep -qF -- "FAILED: $msg" "$WORK/gp" || fail "growpart mode said: $(cat "$WORK/gp")"
assert_eq "$(fingerprint "$disk")" "$before" "disk image after the refusals"
assert_eq "$(sha256sum <"$(image_of "$disk")")" "$sha" "sha256 of the image after the refusals"
note "refused as expected: $(cat "$WORK/refused.err")"
[ "$mounted" = 1 ] && thaw_fs

# ... while the last partition grows to the disk's end, as ever.
p1_entry=$(sfdisk --dump "$disk" 2>/dev/null | grep "^$p1 ")
run_qg 0 "$WORK/last.json" --json "$disk"
n=$(sectors_of "$disk")
case $label:$ss in
  gpt:512) want_end=$((n - 34)) ;;
  gpt:4096) want_end=$((n - 6)) ;;
  dos:*) want_end=$((n - 34)) ;;
esac
assert_eq "$(( $(part_field "$disk" 2 start) + $(part_field "$disk" 2 size) - 1 ))" "$want_end" \
  "end of partition 2, the last"
assert_eq "$(jget "$WORK/last.json" '.layers[0].device')" "$p2" "whole-disk target: the last partition"
assert_eq "$(sfdisk --dump "$disk" 2>/dev/null | grep "^$p1 ")" "$p1_entry" "partition 1 entry after growing 2"

mountpoint -q "$mnt" && unmount_fs "$mnt"
check_fs "$fs" "$p1"
check_fs ext4 "$p2"
check_table "$disk" "$label"
mount_fs "$p1"; check_data "$MNT" p1; umount "$MNT"
mount_fs "$p2"; check_data "$MNT" p2; umount "$MNT"
echo "ok: gap $label $ss $3"
