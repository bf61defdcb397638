#!/bin/bash
# A btrfs whose devices are partitions on two disks, mounted through the
# first (issue 11, item 7): growing the second disk finds the filesystem by
# its UUID and grows that disk's member to its partition's end (before the
# fix it was refused as "not mounted"); then the first disk, through which
# it is mounted.  Dry runs equal the real runs, reruns have nothing to do.
# And btrfs's own minimum: the kernel sizes no device under 256 MiB.
#   btrfs-two-disks.sh QGA-GROW
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

new_disk() {  # new_disk SIZE: sets d and p
  make_disk "$1"; d=$DISK
  partition "$d" "label: gpt
,"
  p=$(part_dev "$d" 1)
}
# dev_bytes DEV: the btrfs device's size as btrfs itself reports it
dev_bytes() { btrfs filesystem show --raw "$MNT" | awk -v d="$1" '$NF == d { print $4 }'; }
part_bytes() { echo $(( $(part_field "$1" 1 size) * 512 )); }

new_disk 1G; da=$d pa=$p
new_disk 1G; db=$d pb=$p
mkfs.btrfs -q -f -d single -m raid1 "$pa" "$pb" >/dev/null
mount_fs "$pa"
write_data "$MNT"

# grow_member DISK PART: enlarge DISK, grow it, check what the dry run said
grow_member() {
  local disk=$1 part=$2 other_before
  other_before=$(dev_bytes "$3")
  enlarge "$disk" 2G
  run_qg 0 "$WORK/plan.json" --dry-run --json "$disk"
  assert_eq "$(jget "$WORK/plan.json" '.layers[1].type')" btrfs "layer type ($disk)"
  assert_eq "$(jget "$WORK/plan.json" '.layers[1].mountpoint')" "$MNT" "mountpoint found ($disk)"
  run_qg 0 "$WORK/grow.json" --json "$disk"
  assert_eq "$(jget "$WORK/grow.json" '.layers[1].size')" \
    "$(jget "$WORK/plan.json" '.layers[1].size')" "grown size vs the dry run ($disk)"
  assert_eq "$(dev_bytes "$part")" "$(jget "$WORK/grow.json" '.layers[1].size')" \
    "btrfs device size ($part)"
  local pb; pb=$(part_bytes "$disk")
  [ $((pb - $(dev_bytes "$part"))) -lt 4096 ] || fail "$part not grown to its partition ($pb)"
  assert_eq "$(dev_bytes "$3")" "$other_before" "the other member ($3) left alone"
  run_qg 1 "$WORK/again.json" --json "$disk"
}
grow_member "$db" "$pb" "$pa"   # the disk the filesystem is not mounted through
grow_member "$da" "$pa" "$pb"   # the one it is
check_data "$MNT"
umount "$MNT"
check_fs btrfs "$pa"

# The kernel's minimum: a device grown to under 256 MiB stays as it is,
# and the plan says why.
new_disk 160M
mkfs.btrfs -q -f "$p" >/dev/null
mount_fs "$p"
enlarge "$d" 200M
run_qg 0 "$WORK/small.json" --dry-run --json "$d"
assert_eq "$(jget "$WORK/small.json" '.layers[1].changed')" false "btrfs under 256 MiB would change"
case $(jget "$WORK/small.json" '.layers[1].limit') in *"256 MiB"*) ;;
  *) fail "no 256 MiB limit: $(cat "$WORK/small.json")" ;; esac
run_qg 0 "$WORK/small-grow.json" --json "$d"
assert_eq "$(jget "$WORK/small-grow.json" '.layers[1].size')" \
  "$(jget "$WORK/small.json" '.layers[1].size')" "size under 256 MiB vs the dry run"
run_qg 1 "$WORK/small-again.json" --json "$d"
note "btrfs on two disks: ok"
