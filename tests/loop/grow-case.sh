#!/bin/bash
# One growth, end to end, on a real loop disk:
#   grow-case.sh QGA-GROW LABEL SECTOR FS NPARTS TARGET
#   LABEL gpt|dos   SECTOR 512|4096   FS ext4|ext4-unmounted|xfs|btrfs
#   NPARTS 1|2      TARGET mountpoint|disk|partition
# Grows the disk image, runs qga-grow, and checks the partition end against
# the table format's limit, the filesystem size against the filesystem's own
# tools, a second run's "nothing to do", the first partition untouched, the
# table (sgdisk -v / sfdisk --verify), fsck, and the data written before.
HERE=$(cd "$(dirname "$0")" && pwd)
case "${4:-}" in ext4) . "$HERE/in-guest-if-needed.sh" "$0" "$@" ;; esac
. "$HERE/lib.sh"

label=$1 ss=$2 fs=$3 nparts=$4 target=$5
mounted=1
[ "$fs" = ext4-unmounted ] && { fs=ext4; mounted=0; }

make_disk 1G "$ss"; disk=$DISK
if [ "$nparts" = 1 ]; then
  partition "$disk" "label: $label
,600M"
else
  partition "$disk" "label: $label
,64M
,536M"
fi
part=$(part_dev "$disk" "$nparts")
make_fs "$fs" "$part"
p1_before=$(sfdisk --dump "$disk" | grep "^$(part_dev "$disk" 1) ")

mount_fs "$part"; mnt=$MNT
write_data "$mnt"
old_fs=$(fs_size "$fs" "$part" "$mnt")
if [ "$mounted" = 0 ]; then unmount_fs "$mnt"; fi

enlarge "$disk" 2G
n=$(sectors_of "$disk")
case $label:$ss in
  gpt:512) want_end=$((n - 34)) ;;   # backup header + 32 sectors of entries
  gpt:4096) want_end=$((n - 6)) ;;   # backup header + 4 sectors of entries
  dos:*) want_end=$((n - 34)) ;;     # growpart's 33 spare sectors
esac

case $target in
  mountpoint) t=$mnt ;;
  disk) t=$disk ;;
  partition) t=$part ;;
esac
out=$WORK/grow.json
run_qg 0 "$out" --json "$t"
note "$(jq -c . "$out")"

start=$(part_field "$disk" "$nparts" start)
size=$(part_field "$disk" "$nparts" size)
assert_eq "$((start + size - 1))" "$want_end" "end of partition $nparts (sectors)"
assert_eq "$(jget "$out" .changed)" true "changed"
assert_eq "$(jget "$out" .disk)" "$disk" "disk"
assert_eq "$(jget "$out" '.layers | length')" 2 "number of layers"
assert_eq "$(jget "$out" '.layers[0].kind')" partition "layer 0 kind"
assert_eq "$(jget "$out" '.layers[0].type')" "$label" "partition table type"
assert_eq "$(jget "$out" '.layers[0].size')" "$(blockdev --getsize64 "$part")" \
  "reported partition size vs the kernel's"
assert_eq "$(jget "$out" '.layers[0].size')" "$((size * ss))" \
  "reported partition size vs the table's"
assert_eq "$(jget "$out" '.layers[1].kind')" filesystem "layer 1 kind"
assert_eq "$(jget "$out" '.layers[1].type')" "$fs" "filesystem type"
assert_eq "$(jget "$out" '.layers[1]["old-size"]')" "$old_fs" "filesystem size before"
[ "$mounted" = 1 ] || mount_fs "$part"; mnt=$MNT
new_fs=$(fs_size "$fs" "$part" "$mnt")
assert_eq "$(jget "$out" '.layers[1].size')" "$new_fs" "filesystem size vs its own tools"
check_fs_fills "$new_fs" "$old_fs" $((size * ss))

# Again: nothing to do, nothing written (a mounted filesystem frozen meanwhile).
if [ "$mounted" = 1 ]; then freeze_fs "$mnt"; else unmount_fs "$mnt"; fi
rerun_writes_nothing "$disk" "$t"
if [ "$mounted" = 1 ]; then thaw_fs; fi

if [ "$nparts" = 2 ]; then
  assert_eq "$(sfdisk --dump "$disk" | grep "^$(part_dev "$disk" 1) ")" "$p1_before" \
    "partition 1 entry"
fi

mountpoint -q "$mnt" && unmount_fs "$mnt"
check_fs "$fs" "$part"
check_table "$disk" "$label"
mount_fs "$part"; mnt=$MNT
check_data "$mnt"
echo "ok: $label $ss $3 nparts=$nparts target=$target"
