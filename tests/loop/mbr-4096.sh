#!/bin/bash
# MBR's limit is 2^32 sectors: 16 TiB on a disk of 4096-byte sectors, not
# the 2 TiB of 512-byte ones.  A 15 TiB disk grown to 20 TiB: the partition
# grows to 16 TiB with a warning that says so, a rerun is refused saying so.
# The image is a sparse file on a tmpfs of our own (the host's ext4 holds no
# file past 16 TiB).
#   mbr-4096.sh QGA-GROW
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

big=$WORK/big
mkdir "$big"
mount -t tmpfs -o size=512M qg-mbr-4096 "$big"
img=$big/disk.img
truncate -s 15T "$img"
d=$(losetup --find --show --partscan --sector-size 4096 "$img")
# in this order on exit: the filesystem, the loop device (by its number,
# while it still shows our image), the tmpfs
on_exit 'mountpoint -q "${MNT:-/nonexistent}" && umount "$MNT";
  [ "$(image_of "$d" 2>/dev/null)" = "$img" ] && losetup -d "$d";
  umount "$big"'
assert_eq "$(blockdev --getss "$d")" 4096 "logical sector size"
partition "$d" "label: dos
,"
p=$(part_dev "$d" 1)
make_fs btrfs "$p"
mount_fs "$p"
write_data "$MNT"
enlarge "$d" 20T

run_qg 0 "$WORK/g.json" --json "$MNT"
grep -q "MBR partition tables end at 16 TiB: 4.0 TiB past that stays unused" "$WORK/g.json.err" ||
  fail "the warning about MBR's limit: $(cat "$WORK/g.json.err")"
assert_eq "$(jget "$WORK/g.json" '.warnings[0]')" \
  "$d: MBR partition tables end at 16 TiB: 4.0 TiB past that stays unused (convert to GPT to use it)" \
  "the warning in the JSON result"
assert_eq "$(( $(part_field "$d" 1 start) + $(part_field "$d" 1 size) - 1 ))" 4294967295 \
  "MBR partition end at the format's last sector"
[ "$(jget "$WORK/g.json" '.layers[1].size')" -gt $((16383 << 30)) ] ||
  fail "btrfs reached only $(jget "$WORK/g.json" '.layers[1].size') bytes"

before=$(fingerprint "$d")
run_qg 2 "$WORK/g2.json" --json "$MNT"
grep -q "an MBR partition table cannot address the disk past 16 TiB (4.0 TiB unused); convert it to GPT" \
  "$WORK/g2.json.err" || fail "the rerun said: $(cat "$WORK/g2.json.err")"
assert_eq "$(fingerprint "$d")" "$before" "disk after the refusal"
# growpart mode says the same
"$QG" growpart "$d" 1 >"$WORK/gp.out" 2>&1 && fail "growpart mode grew: $(cat "$WORK/gp.out")"
grep -q "past 16 TiB" "$WORK/gp.out" || fail "growpart mode said: $(cat "$WORK/gp.out")"
check_data "$MNT"
umount "$MNT"
check_fs btrfs "$p"
echo "ok: MBR on 4096-byte sectors ends at 16 TiB"
