#!/bin/bash
# guest-grow-disk through the patched qemu-ga grows mounted xfs and btrfs
# (online growth that works on this host): the reply against sfdisk,
# blockdev, xfs_info and btrfs; a second call has nothing to do and writes
# nothing; expect-size waits for a disk the "host" enlarges meanwhile;
# tables and filesystems check clean and data written before reads back.
#   grow.sh QGA-GROW QEMU-GA
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../loop/lib.sh"
. "$HERE/lib.sh"
start_agent

# xfs on partition 2 of 2, GPT, by mountpoint; expect-size already reached.
mounted_disk 1G 512 "label: gpt
,64M
,400M" 2 xfs
write_data "$mnt"
p1=$(sfdisk --dump "$d" | grep "^$(part_dev "$d" 1) ")
enlarge "$d" 2G
args=$(jq -nc --arg m "$mnt" '{mountpoint: $m, "expect-size": 2147483648}')
expect_return "$WORK/grow.json" "$(grow_cmd "$args")"
note "$(jq -c . "$WORK/grow.json")"
check_grown "$WORK/grow.json" "$d" 2 xfs "$mnt" "$old_part" "$old_fs"
check_nothing_to_do "$d" "$mnt" "$args"
assert_eq "$(sfdisk --dump "$d" | grep "^$(part_dev "$d" 1) ")" "$p1" "partition 1 entry"
umount "$mnt"
check_fs xfs "$p"
check_table "$d" gpt
mount_fs "$p"; check_data "$MNT"; umount "$MNT"

# btrfs on the only partition, MBR, by whole disk, with expect-size: the
# call waits while the disk is enlarged a second later.
mounted_disk 512M 512 "label: dos
,300M" 1 btrfs
write_data "$mnt"
( sleep 1; enlarge "$d" 1G ) &
enlarger=$!
args=$(jq -nc --arg d "$d" '{device: $d, "expect-size": 1073741824}')
expect_return "$WORK/grow.json" "$(grow_cmd "$args")"
wait "$enlarger"
note "$(jq -c . "$WORK/grow.json")"
assert_eq "$(jget "$WORK/grow.json" '.["disk-size"]')" 1073741824 "disk-size after waiting"
check_grown "$WORK/grow.json" "$d" 1 btrfs "$mnt" "$old_part" "$old_fs"
check_nothing_to_do "$d" "$mnt" "$args"
umount "$mnt"
check_fs btrfs "$p"
check_table "$d" dos
mount_fs "$p"; check_data "$MNT"
echo "ok: xfs and btrfs grown online through qemu-ga"
