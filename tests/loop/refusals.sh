#!/bin/bash
# What qga-grow must refuse: exit 2, a message naming the device and the
# reason, and not one byte of the disk changed.
#   refusals.sh QGA-GROW
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

# expect_refusal DISK PATTERN ARGS...: exit 2, stderr matches, disk untouched.
expect_refusal() {
  local disk=$1 pattern=$2 before
  shift 2
  before=$(fingerprint "$disk")
  run_qg 2 "$WORK/out" "$@"
  grep -Eq -- "$pattern" "$WORK/out.err" ||
    fail "qga-grow $*: message '$(cat "$WORK/out.err")' does not match '$pattern'"
  assert_eq "$(fingerprint "$disk")" "$before" "disk image after refused 'qga-grow $*'"
  note "refused as expected: $(cat "$WORK/out.err")"
}

# sha256 of the image too, for the refusals this file has them for.
image_sha() { sha256sum <"$(image_of "$1")"; }

# No gap: partition 2 starts right after partition 1, the disk's new space
# lies past partition 2.  Partition 1 cannot grow; the refusal names 2.
make_disk 512M; d=$DISK
partition "$d" "label: gpt
,128M
,128M"
make_fs btrfs "$(part_dev "$d" 1)"
mount_fs "$(part_dev "$d" 1)"
enlarge "$d" 1G
freeze_fs "$MNT"   # no background writes by the mounted btrfs meanwhile
sha=$(image_sha "$d")
p2_start=$(part_field "$d" 2 start)
msg="partition 1 of $d cannot grow: partition 2 starts right after it at sector $p2_start, nothing was changed"
expect_refusal "$d" "$msg" "$(part_dev "$d" 1)"
expect_refusal "$d" "$msg" "$MNT"
expect_refusal "$d" "$msg" --dry-run "$MNT"
# growpart mode names the partition by number: same refusal.
before=$(fingerprint "$d")
rc=0; "$QG" growpart "$d" 1 >"$WORK/gp" 2>&1 || rc=$?
assert_eq "$rc" 2 "growpart mode exit on a partition with another right after it"
grep -qF "FAILED: $msg" "$WORK/gp" || fail "growpart mode said: $(cat "$WORK/gp")"
assert_eq "$(fingerprint "$d")" "$before" "disk after refused growpart"
assert_eq "$(image_sha "$d")" "$sha" "sha256 of the image after the refusals"
thaw_fs
umount "$MNT"

# A swap partition right after it, the disk's last: refused, naming the swap
# partition and --move-swap.  Swap told by its type (GPT) or by its
# signature in a partition of Linux type (MBR).
for label in gpt dos; do
  make_disk 512M; d=$DISK
  if [ "$label" = gpt ]; then
    partition "$d" "label: gpt
,128M
,64M,S"
  else
    partition "$d" "label: dos
,128M
,64M,L"
  fi
  mkswap -q "$(part_dev "$d" 2)"
  make_fs btrfs "$(part_dev "$d" 1)"
  mount_fs "$(part_dev "$d" 1)"
  enlarge "$d" 1G
  freeze_fs "$MNT"
  sha=$(image_sha "$d")
  expect_refusal "$d" "partition 1 of $d cannot grow: swap partition 2 starts right after it at sector $(part_field "$d" 2 start), and the free space lies past the swap partition \\(--move-swap would move it there\\), nothing was changed" "$MNT"
  rc=0; "$QG" growpart "$d" 1 >"$WORK/gp" 2>&1 || rc=$?
  assert_eq "$rc" 2 "growpart mode exit with swap after the partition ($label)"
  grep -q "^FAILED: .*swap partition 2 starts right after it" "$WORK/gp" ||
    fail "growpart mode said: $(cat "$WORK/gp")"
  assert_eq "$(image_sha "$d")" "$sha" "sha256 of the image after the swap refusals ($label)"
  thaw_fs
  umount "$MNT"
done

# A table shrunk behind the kernel's back (the mounted filesystem still
# fills the kernel's larger partition): whoever did it meant something that
# a grow must not guess at.
make_disk 256M; d=$DISK
partition "$d" "label: gpt
,128M"
make_fs btrfs "$(part_dev "$d" 1)"
mount_fs "$(part_dev "$d" 1)"
echo ', 64M' | sfdisk -q --no-reread --no-tell-kernel -N 1 "$d" >/dev/null 2>&1
enlarge "$d" 512M
freeze_fs "$MNT"
expect_refusal "$d" "$(part_dev "$d" 1): the kernel has the partition at 134217728 bytes but the table at 67108864; re-read the table first" "$MNT"
thaw_fs
umount "$MNT"

# Read-only mount.
make_disk 256M; d=$DISK
partition "$d" "label: gpt
,128M"
make_fs btrfs "$(part_dev "$d" 1)"
mount_fs "$(part_dev "$d" 1)" ro
enlarge "$d" 512M
expect_refusal "$d" "$(part_dev "$d" 1) is mounted read-only on $MNT" "$MNT"
umount "$MNT"

# A filesystem qga-grow does not know (swap), and no filesystem at all.
make_disk 64M; d=$DISK
partition "$d" "label: dos
,32M"
mkswap -q "$(part_dev "$d" 1)"
enlarge "$d" 128M
expect_refusal "$d" "$(part_dev "$d" 1) holds a swap filesystem, which qga-grow cannot grow" "$d"
wipefs -q -a "$(part_dev "$d" 1)"
expect_refusal "$d" "$(part_dev "$d" 1) holds no filesystem" "$d"

# xfs grows only while mounted.
make_disk 1G; d=$DISK
partition "$d" "label: gpt
,400M"
make_fs xfs "$(part_dev "$d" 1)"
enlarge "$d" 2G
expect_refusal "$d" "holds xfs, which grows only while mounted" "$d"

# An MBR extended partition named as the target: it is a container, the
# kernel shows it as a 1 KiB stub.  Refused; its logical partition grows.
make_disk 64M; d=$DISK
partition "$d" "label: dos
,16M
,,E
,16M"
make_fs ext4 "$(part_dev "$d" 5)"
enlarge "$d" 128M
expect_refusal "$d" "partition 2 of $d is an extended partition, a container for logical partitions" \
  "$(part_dev "$d" 2)"
rc=0; "$QG" growpart "$d" 2 >"$WORK/gp" 2>&1 || rc=$?
assert_eq "$rc" 2 "growpart mode on an extended partition"
grep -q "^FAILED: partition 2 of $d is an extended partition" "$WORK/gp" ||
  fail "growpart mode said: $(cat "$WORK/gp")"

# A disk that shrank under its GPT: the backup header lies past the end.
make_disk 256M; d=$DISK
partition "$d" "label: gpt
,64M"
make_fs ext4 "$(part_dev "$d" 1)"
truncate -s 128M "$(image_of "$d")"; losetup -c "$d"
expect_refusal "$d" "protective MBR but no valid GPT" "$d"

# A partition table with no partition.
make_disk 64M; d=$DISK
partition "$d" "label: gpt"
enlarge "$d" 128M
expect_refusal "$d" "$d has a partition table but no partition to grow" "$d"

# Bad targets and arguments: exit 2 with a clear message, nothing touched.
expect_refusal "$d" "no target" 
expect_refusal "$d" "one target only" "$d" "$d"
expect_refusal "$d" "/dev/qga-grow-no-such-disk: No such file or directory" /dev/qga-grow-no-such-disk
touch "$WORK/plain-file"
expect_refusal "$d" "is not a block device" "$WORK/plain-file"
expect_refusal "$d" "is not a mountpoint" "$WORK"
expect_refusal "$d" "no disk has serial qga-grow-no-such-serial" serial:qga-grow-no-such-serial
expect_refusal "$d" "empty disk serial" serial:
expect_refusal "$d" "unknown option" --frobnicate "$d"
expect_refusal "$d" "unknown unit" --wait-size 10Q "$d"
expect_refusal "$d" "too large" --wait-size 99999999999999999999 "$d"
expect_refusal "$d" "must be more than zero" --wait-size 0 "$d"
expect_refusal "$d" "needs a size" "$d" --wait-size
expect_refusal "$d" "wait-timeout needs seconds" --wait-timeout soon "$d"
expect_refusal "$d" "still sees 134217728 bytes after 200 ms, expected at least 1073741824" \
  --wait-size 1G --wait-timeout 0.2 "$d"
expect_refusal "$d" "still sees 134217728 bytes after 1 ms" --wait-size 1G --wait-timeout 0 "$d"
expect_refusal "$d" "not backed by a block device" /proc
for a in "" "x" "0" "-1" "1x" "70000"; do
  rc=0; "$QG" growpart "$d" "$a" >"$WORK/gp" 2>&1 || rc=$?
  assert_eq "$rc" 2 "growpart with partition number '$a'"
  grep -q "^FAILED:" "$WORK/gp" || fail "growpart '$a' said: $(cat "$WORK/gp")"
done
rc=0; "$QG" growpart "$d" >"$WORK/gp" 2>&1 || rc=$?
assert_eq "$rc" 2 "growpart with no partition number"
echo "ok: refusals"
