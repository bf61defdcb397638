#!/bin/bash
# guest-grow-disk through the patched qemu-ga grows a MOUNTED ext4 and its
# partition (named by its device node), checked with sfdisk, blockdev and
# dumpe2fs; again by mountpoint: nothing to do, nothing written; then
# e2fsck, sgdisk -v and the data written before.  Online ext4 growth needs
# CAP_SYS_RESOURCE: where root lacks it, this runs in a QEMU guest.
#   grow-ext4.sh QGA-GROW QEMU-GA
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../loop/in-guest-if-needed.sh" "$0" "$@"
. "$HERE/../loop/lib.sh"
. "$HERE/lib.sh"
start_agent

mounted_disk 1G 4096 "label: gpt
,500M" 1 ext4
write_data "$mnt"
enlarge "$d" 2G
expect_return "$WORK/grow.json" "$(grow_cmd "$(jq -nc --arg p "$p" '{device: $p}')")"
note "$(jq -c . "$WORK/grow.json")"
check_grown "$WORK/grow.json" "$d" 1 ext4 "$mnt" "$old_part" "$old_fs"
check_nothing_to_do "$d" "$mnt" "$(jq -nc --arg m "$mnt" '{mountpoint: $m}')"
umount "$mnt"
check_fs ext4 "$p"
check_table "$d" gpt
mount_fs "$p"; check_data "$MNT"
echo "ok: mounted ext4 grown online through qemu-ga"
