#!/bin/bash
# guest-grow-disk's move-swap through the patched qemu-ga: partition 1 with
# a swap partition right after it, at the end of a disk that was enlarged.
# Without move-swap (or with it false) the grow is refused naming swap
# partition 2, also as a dry run; a dry run with it reports the partition
# growing and, in its warnings, the swap that would move: member for
# member what "qga-grow --dry-run --json --move-swap" prints.  None of
# these writes a byte.  With move-swap the swap moves to the disk's new end
# with its size, UUID and label (on before, on again after), and the
# partition and its filesystem grow into the space it left: GPT with xfs
# mounted, MBR with ext4 unmounted.  The reply lists the moved swap as a
# layer of its own (kind swap, state moved).  Then the Debian installer's
# layout (root on partition 1, extended partition 2 at the disk's end
# holding swap partition 5): refused without move-swap naming the extended
# partition, with it the extended partition and the swap move to the
# disk's new end, partition numbers kept, the swap on again.  Checked with
# sfdisk, sysfs, blkid, /proc/swaps, sgdisk -v / sfdisk --verify and the
# filesystems' tools.
#   move-swap.sh QGA-GROW QEMU-GA
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../loop/lib.sh"
. "$HERE/lib.sh"
start_agent

swapped_on() { grep -q "^$(readlink -f "$1") " /proc/swaps; }
swapoff_if_on() { ! swapped_on "$1" || swapoff "$1"; }

# swap_disk LABEL FS UUID: a 512 MiB disk with partition 1 of 320 MiB
# holding FS and partition 2, swap (label qgswap, UUID), up to the disk's
# end; then enlarged to 1 GiB.  Sets d, p1, p2, p1_start, old_part, sw (the
# swap's sectors), sw_start, and new_start: where the swap must go, the
# last 1 MiB boundary that leaves room for it before the disk's usable end
# (GPT: before the backup table; MBR: growpart's 33 spare sectors).
swap_disk() {
  make_disk 512M; d=$DISK
  partition "$d" "label: $1
,320M,L
,,S"
  p1=$(part_dev "$d" 1) p2=$(part_dev "$d" 2)
  mkswap -L qgswap -U "$3" "$p2" >/dev/null
  on_exit "swapoff_if_on $p2"
  make_fs "$2" "$p1"
  p1_start=$(part_field "$d" 1 start)
  sw=$(part_field "$d" 2 size) sw_start=$(part_field "$d" 2 start)
  old_part=$(blockdev --getsize64 "$p1")
  enlarge "$d" 1G
  new_start=$(( ($(sectors_of "$d") - 34 + 1 - sw) / 2048 * 2048 ))
  (( new_start > sw_start )) || fail "test setup: the swap would not move ($new_start)"
}

# refused ARGS-JSON: refused, naming swap partition 2 right after partition 1.
refused() {
  expect_error GenericError \
    "^partition 1 of $d cannot grow: swap partition 2 starts right after it at sector $sw_start, and the free space lies past the swap partition" \
    "$(grow_cmd "$1")"
}

# dry_run_mirror ARGS-JSON CLI-TARGET: a dry run with move-swap, its reply
# qga-grow's own; the partition would grow up to where the swap goes, and
# the one warning says so.
dry_run_mirror() {
  expect_return "$WORK/dry.json" "$(grow_cmd "$1")"
  note "$(jq -c . "$WORK/dry.json")"
  run_qg 0 "$WORK/cli.json" --dry-run --json --move-swap "$2"
  assert_eq "$(jq -S . "$WORK/dry.json")" "$(jq -S . "$WORK/cli.json")" \
    "guest-grow-disk reply with move-swap vs qga-grow --dry-run --json --move-swap $2"
  assert_eq "$(jget "$WORK/dry.json" '[.changed, .["dry-run"]] | @tsv')" "$(printf 'true\ttrue')" \
    "changed, dry-run"
  assert_eq "$(jget "$WORK/dry.json" '.layers[0] | [.kind, .device, .partno, .["old-size"], .size, .changed] | @tsv')" \
    "$(printf 'partition\t%s\t1\t%s\t%s\ttrue' "$p1" "$old_part" "$(( (new_start - p1_start) * 512 ))")" \
    "the partition layer of the dry run"
}

# the warning, as the dry run (would move) and the grow (moves) give it
swap_warning() {  # swap_warning VERB [SUFFIX]
  printf 'swap partition 2 (%s, UUID %s) %s from sector %s to sector %s, the disk'"'"'s end%s' \
    "$p2" "$UUID" "$1" "$sw_start" "$new_start" "${2:-}"
}

# check_moved REPLY: the swap at new_start with its size, UUID and label,
# where the kernel sees it too; partition 1 up to it; the table clean.
check_moved() {
  assert_eq "$(part_field "$d" 2 start)" "$new_start" "the swap's new start (sectors)"
  assert_eq "$(part_field "$d" 2 size)" "$sw" "the swap's size (sectors)"
  assert_eq "$(cat "/sys/class/block/$(basename "$p2")/start")" "$new_start" \
    "the swap's start as the kernel sees it"
  assert_eq "$(blockdev --getsize64 "$p2")" "$((sw * 512))" "the swap's size as the kernel sees it"
  assert_eq "$(blkid -p -s TYPE -o value "$p2")" swap "the moved swap's signature"
  assert_eq "$(blkid -p -s UUID -o value "$p2")" "$UUID" "the swap's UUID"
  assert_eq "$(blkid -p -s LABEL -o value "$p2")" qgswap "the swap's label"
  local usable_end
  if [ "$label" = gpt ]; then
    usable_end=$(sfdisk --json "$d" | jq -r .partitiontable.lastlba)
  else
    usable_end=$(( $(sectors_of "$d") - 34 ))
  fi
  (( usable_end - (new_start + sw - 1) < 2048 )) ||
    fail "the swap ends at sector $((new_start + sw - 1)), not at the disk's end ($usable_end)"
  assert_eq "$((p1_start + $(part_field "$d" 1 size)))" "$new_start" \
    "partition 1 ends where the swap starts"
  assert_eq "$(jget "$1" '.layers[0] | [.kind, .device, .type, .partno, .["old-size"], .size, .changed] | @tsv')" \
    "$(printf 'partition\t%s\t%s\t1\t%s\t%s\ttrue' "$p1" "$label" "$old_part" "$(( (new_start - p1_start) * 512 ))")" \
    "the partition layer"
  assert_eq "$(blockdev --getsize64 "$p1")" "$(( (new_start - p1_start) * 512 ))" \
    "partition 1's size as the kernel sees it"
  assert_eq "$(jget "$1" '[.changed, .["dry-run"], (.layers | length)] | @tsv')" \
    "$(printf 'true\tfalse\t3')" "changed, dry-run, number of layers"
  assert_eq "$(jget "$1" '.layers[2] | [.kind, .device, .type, .partno, .["old-size"], .size, .changed, .state] | @tsv')" \
    "$(printf 'swap\t%s\tswap\t2\t%s\t%s\ttrue\tmoved' "$p2" $((sw * 512)) $((sw * 512)))" \
    "the swap's layer"
  check_table "$d" "$label"
}

# GPT, xfs mounted with data, the swap off for the checks that nothing is
# written (an active swap may be written to at any time), then on.
label=gpt UUID=5a5a5a5a-a9e7-4c1b-8d2e-00000000a901
swap_disk gpt xfs "$UUID"
mount_fs "$p1"; mnt=$MNT
write_data "$mnt"
old_fs=$(fs_size xfs "$p1" "$mnt")
freeze_fs "$mnt"   # no background writes by the mounted xfs meanwhile
before=$(fingerprint "$d")
refused "$(jq -nc --arg p "$p1" '{device: $p}')"
refused "$(jq -nc --arg m "$mnt" '{mountpoint: $m}')"
refused "$(jq -nc --arg m "$mnt" '{mountpoint: $m, "move-swap": false}')"
refused "$(jq -nc --arg m "$mnt" '{mountpoint: $m, "dry-run": true}')"
refused "$(jq -nc --arg p "$p1" '{device: $p, "dry-run": true, "move-swap": false}')"
after=$(fingerprint "$d")
if [ "$after" != "$before" ]; then
  sleep 2   # readahead the refusals started (see dry-run.sh)
  after=$(fingerprint "$d")
fi
assert_eq "$after" "$before" "disk image after the refusals"
# thawed for the dry run (frozen, it would be refused as the grow would),
# which writes nothing all the same: the journal synced before and after
thaw_fs
sync
before=$(fingerprint "$d")
dry_run_mirror "$(jq -nc --arg m "$mnt" '{mountpoint: $m, "dry-run": true, "move-swap": true}')" "$mnt"
assert_eq "$(jget "$WORK/dry.json" '.warnings | join("|")')" "$(swap_warning 'would move')" \
  "the dry run's warnings"
sync
after=$(fingerprint "$d")
if [ "$after" != "$before" ]; then
  sleep 2   # readahead the dry runs started (see dry-run.sh)
  after=$(fingerprint "$d")
fi
assert_eq "$after" "$before" "disk image after the dry run"
assert_eq "$(blockdev --getsize64 "$p1")" "$old_part" "partition 1 after the refusals"
assert_eq "$(part_field "$d" 2 start)" "$sw_start" "the swap's start after the refusals"

# the swap on: a dry run says it would be turned off meanwhile, and leaves
# it on; the grow turns it off, moves it and turns it on again
swapon "$p2"
expect_return "$WORK/dry-on.json" \
  "$(grow_cmd "$(jq -nc --arg p "$p1" '{device: $p, "dry-run": true, "move-swap": true}')")"
assert_eq "$(jget "$WORK/dry-on.json" '[.warnings[] | select(test("is frozen") | not)] | join("|")')" \
  "$(swap_warning 'would move' ', turned off meanwhile')" "the dry run's warnings, swap on"
swapped_on "$p2" || fail "the dry run turned the swap off"
assert_eq "$(part_field "$d" 2 start)" "$sw_start" "the swap's start after the dry run"

args=$(jq -nc --arg m "$mnt" '{mountpoint: $m, "move-swap": true, "expect-size": 1073741824}')
expect_return "$WORK/grow.json" "$(grow_cmd "$args")"
note "$(jq -c . "$WORK/grow.json")"
check_moved "$WORK/grow.json"
swapped_on "$p2" || fail "the swap is not on again after the move"
assert_eq "$(jget "$WORK/grow.json" '.warnings | join("|")')" \
  "$(swap_warning moves ', turned off meanwhile')" "the grow's warnings"
assert_eq "$(jget "$WORK/grow.json" '.layers[1] | [.kind, .device, .type, .mountpoint, .["old-size"], .size, .changed] | @tsv')" \
  "$(printf 'filesystem\t%s\txfs\t%s\t%s\t%s\ttrue' "$p1" "$mnt" "$old_fs" "$(fs_size xfs "$p1" "$mnt")")" \
  "the filesystem layer vs xfs_info"
(( $(fs_size xfs "$p1" "$mnt") > old_fs + (400 << 20) )) || fail "xfs did not grow into the swap's space"
swapoff "$p2"
check_nothing_to_do "$d" "$mnt" "$args"
check_data "$mnt"
umount "$mnt"
check_fs xfs "$p1"

# MBR, ext4 not mounted, the swap off (it stays off): by partition.
label=dos UUID=5a5a5a5a-a9e7-4c1b-8d2e-00000000a902
swap_disk dos ext4 "$UUID"
old_fs=$(fs_size ext4 "$p1")
before=$(fingerprint "$d")
refused "$(jq -nc --arg p "$p1" '{device: $p}')"
dry_run_mirror "$(jq -nc --arg p "$p1" '{device: $p, "dry-run": true, "move-swap": true}')" "$p1"
assert_eq "$(jget "$WORK/dry.json" '[.warnings[] | select(test("is frozen") | not)] | join("|")')" "$(swap_warning 'would move')" \
  "the dry run's warnings (MBR)"
after=$(fingerprint "$d")
if [ "$after" != "$before" ]; then
  sleep 2
  after=$(fingerprint "$d")
fi
assert_eq "$after" "$before" "disk image after the refusal and the dry run (MBR)"
expect_return "$WORK/grow.json" \
  "$(grow_cmd "$(jq -nc --arg p "$p1" '{device: $p, "move-swap": true}')")"
note "$(jq -c . "$WORK/grow.json")"
check_moved "$WORK/grow.json"
! swapped_on "$p2" || fail "a swap that was off was turned on"
assert_eq "$(jget "$WORK/grow.json" '.warnings | join("|")')" "$(swap_warning moves)" \
  "the grow's warnings (MBR)"
assert_eq "$(jget "$WORK/grow.json" '.layers[1] | [.kind, .device, .type, has("mountpoint"), .["old-size"], .size, .changed] | @tsv')" \
  "$(printf 'filesystem\t%s\text4\tfalse\t%s\t%s\ttrue' "$p1" "$old_fs" "$(fs_size ext4 "$p1")")" \
  "the filesystem layer vs dumpe2fs"
check_fs ext4 "$p1"

# The Debian installer's layout (tests/loop/lib.sh: debian_mbr_table), xfs
# mounted with data on partition 1, the swap on partition 5 on.
UUID=5a5a5a5a-a9e7-4c1b-8d2e-00000000a903
make_disk 1G; d=$DISK
partition "$d" "$(debian_mbr_table $((1 << 30)) 128)"
p1=$(part_dev "$d" 1) p5=$(part_dev "$d" 5)
mkswap -L qgswap -U "$UUID" "$p5" >/dev/null
on_exit "swapoff_if_on $p5"
swapon "$p5"
make_fs xfs "$p1"
mount_fs "$p1"; mnt=$MNT
write_data "$mnt"
sw=$(part_field "$d" 5 size) ext_start=$(part_field "$d" 2 start)
enlarge "$d" 3G
expect_error GenericError \
  "^partition 1 of $d cannot grow: extended partition 2, which holds swap partition 5 and nothing else, starts after it at sector $ext_start, .*--move-swap" \
  "$(grow_cmd "$(jq -nc --arg m "$mnt" '{mountpoint: $m}')")"
expect_return "$WORK/dry.json" \
  "$(grow_cmd "$(jq -nc --arg m "$mnt" '{mountpoint: $m, "dry-run": true, "move-swap": true}')")"
run_qg 0 "$WORK/cli.json" --dry-run --json --move-swap "$mnt"
assert_eq "$(jq -S . "$WORK/dry.json")" "$(jq -S . "$WORK/cli.json")" \
  "guest-grow-disk reply with move-swap vs qga-grow --dry-run --json --move-swap (extended)"
assert_eq "$(jget "$WORK/dry.json" '[.layers[] | "\(.kind):\(.state)"] | join(" ")')" \
  "partition:planned filesystem:planned swap:planned" "the dry run's layers (extended)"
swapped_on "$p5" || fail "the dry run turned the swap off (extended)"
args=$(jq -nc --arg m "$mnt" '{mountpoint: $m, "move-swap": true}')
expect_return "$WORK/grow.json" "$(grow_cmd "$args")"
note "$(jq -c . "$WORK/grow.json")"
assert_eq "$(jget "$WORK/grow.json" '[.layers[] | "\(.kind):\(.state)"] | join(" ")')" \
  "partition:grown filesystem:grown swap:moved" "the grow's layers (extended)"
assert_eq "$(jget "$WORK/grow.json" '.layers[2] | [.device, .partno, .size] | @tsv')" \
  "$(printf '%s\t5\t%s' "$p5" $((sw * 512)))" "the swap's layer (extended)"
swapped_on "$p5" || fail "the swap is not on again (extended)"
assert_eq "$(blkid -p -s UUID -o value "$p5")" "$UUID" "the swap's UUID (extended)"
assert_eq "$(blkid -p -s LABEL -o value "$p5")" qgswap "the swap's label (extended)"
s5=$(part_field "$d" 5 start)
assert_eq "$(part_field "$d" 5 size)" "$sw" "the swap's size (extended)"
assert_eq "$(part_field "$d" 2 start)" $((s5 - 2)) "the extended partition's new start"
assert_eq "$(cat "/sys/class/block/${p5##*/}/start")" "$s5" "the swap's start as the kernel sees it"
(( $(sectors_of "$d") - 34 - (s5 + sw - 1) < 2048 )) || fail "the swap does not end at the disk's end"
assert_eq "$(( $(part_field "$d" 1 start) + $(part_field "$d" 1 size) ))" $((s5 - 2)) \
  "partition 1 ends where the extended partition starts"
assert_eq "$(sfdisk --json "$d" | jq -r '[.partitiontable.partitions[].node] | join(" ")')" \
  "$p1 $(part_dev "$d" 2) $p5" "the partition numbers (extended)"
check_table "$d" dos
check_data "$mnt"
swapoff "$p5"
check_nothing_to_do "$d" "$mnt" "$args"
umount "$mnt"
check_fs xfs "$p1"
echo "ok: a swap partition in the way moved through qemu-ga with move-swap, refused without it;" \
  "also an extended partition holding the swap"
