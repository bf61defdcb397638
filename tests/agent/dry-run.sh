#!/bin/bash
# guest-grow-disk with dry-run through the patched qemu-ga: the reply is,
# member for member, what "qga-grow --dry-run --json" prints for the same
# target, and not one byte of the disk changes.  A mounted filesystem on
# the last of two partitions, an unmounted one, a disk with no partition
# table.  The stack's arguments (key-file, lvm) and move-swap on a plain
# partition with no swap after it change nothing of that.  assume-size: the
# plan for a larger disk, equal to the plain dry run once the disk is that
# large.
#   dry-run.sh QGA-GROW QEMU-GA
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../loop/lib.sh"
. "$HERE/lib.sh"
start_agent

# mirror DISK ARGS-JSON CLI-TARGET: the agent's dry run equals the CLI's;
# the disk is the same before and after both.  Leaves the reply in
# $WORK/agent.json.
mirror() {
  local disk=$1 before
  sync   # what the mounted filesystems wrote before is on the disk
  before=$(fingerprint "$disk")
  expect_return "$WORK/agent.json" "$(grow_cmd "$2")"
  note "$(jq -c . "$WORK/agent.json")"
  run_qg 0 "$WORK/cli.json" --dry-run --json "$3"
  assert_eq "$(jq -S . "$WORK/agent.json")" "$(jq -S . "$WORK/cli.json")" \
    "guest-grow-disk reply vs qga-grow --dry-run --json $3"
  sync
  assert_eq "$(fingerprint "$disk")" "$before" "disk image after the dry runs"
}
keys() { jq -c "$1 | keys" "$WORK/agent.json"; }

# xfs, mounted, on partition 2 of 2 (GPT), named by its mountpoint.
mounted_disk 1G 512 "label: gpt
,64M
,400M" 2 xfs
p2=$p p2_size=$old_part
enlarge "$d" 2G
# (frozen, the dry run would be refused as the grow would: thawed, it
# writes nothing all the same, the journal synced before and after)
mirror "$d" "$(jq -nc --arg m "$MNT" '{mountpoint: $m, "dry-run": true}')" "$MNT"
assert_eq "$(keys .)" '["changed","disk","disk-size","dry-run","layers","sector-size","warnings"]' \
  "members of the reply"
assert_eq "$(keys '.layers[0]')" '["changed","device","kind","old-size","partno","size","state","type"]' \
  "members of a partition layer"
assert_eq "$(keys '.layers[1]')" \
  '["changed","device","kind","mountpoint","old-size","size","state","type"]' \
  "members of a mounted filesystem layer"
assert_eq "$(jget "$WORK/agent.json" '[.["dry-run"], .changed, .disk, .["disk-size"]] | @tsv')" \
  "$(printf 'true\ttrue\t%s\t%s' "$d" "$(blockdev --getsize64 "$d")")" \
  "dry-run, changed, disk, disk-size"
assert_eq "$(jget "$WORK/agent.json" '.layers[0] | [.kind, .device, .type, .partno, .["old-size"]] | @tsv')" \
  "$(printf 'partition\t%s\tgpt\t2\t%s' "$p2" "$p2_size")" "partition layer"
assert_eq "$(jget "$WORK/agent.json" '.layers[1] | [.kind, .type, .mountpoint] | @tsv')" \
  "$(printf 'filesystem\txfs\t%s' "$MNT")" "filesystem layer"
assert_eq "$(blockdev --getsize64 "$p2")" "$p2_size" "partition size as the kernel sees it"

# ext4, not mounted, MBR, named by the whole disk: no mountpoint member.
make_disk 256M 4096; d=$DISK
partition "$d" "label: dos
,128M"
make_fs ext4 "$(part_dev "$d" 1)"
enlarge "$d" 512M
mirror "$d" "$(jq -nc --arg d "$d" '{device: $d, "dry-run": true}')" "$d"
assert_eq "$(keys '.layers[1]')" '["changed","device","kind","old-size","size","state","type"]' \
  "members of an unmounted filesystem layer"
assert_eq "$(jget "$WORK/agent.json" '.["sector-size"]')" 4096 "sector-size"

# The stack's arguments (key-file, lvm) on a stack with neither LUKS nor
# LVM, and move-swap with no swap partition in the way: accepted, and
# without effect: the same reply as qga-grow's above, without them (a key
# file that is not there is never opened; there is no PV to grow alone, no
# swap to move), and nothing written.  (tests/agent/move-swap.sh moves one.)
before=$(fingerprint "$d")
for extra in '{"lvm": "pv"}' '{"lvm": "lv"}' '{"lvm": "auto"}' \
    '{"key-file": "/nonexistent/qga-grow-test.key"}' \
    '{"key-file": "/nonexistent/qga-grow-test.key", "lvm": "pv"}' \
    '{"move-swap": true}' '{"move-swap": false}' \
    '{"move-swap": true, "lvm": "pv", "key-file": "/nonexistent/qga-grow-test.key"}'; do
  expect_return "$WORK/agent.json" \
    "$(grow_cmd "$(jq -nc --arg d "$d" --argjson x "$extra" '{device: $d, "dry-run": true} + $x')")"
  assert_eq "$(jq -S . "$WORK/agent.json")" "$(jq -S . "$WORK/cli.json")" \
    "guest-grow-disk reply with $extra vs qga-grow --dry-run --json $d"
done
after=$(fingerprint "$d")
if [ "$after" != "$before" ]; then
  # readahead the dry runs started may still be reading the image: pages
  # cached over its unwritten extents count as data until dropped again
  sleep 2
  after=$(fingerprint "$d")
fi
assert_eq "$after" "$before" "disk image after the dry runs with key-file, lvm and move-swap"

# btrfs on a disk with no partition table: one layer, the filesystem.
make_disk 256M; d=$DISK
make_fs btrfs "$d"
mount_fs "$d"
enlarge "$d" 512M
mirror "$d" "$(jq -nc --arg d "$d" '{device: $d, "dry-run": true}')" "$d"
assert_eq "$(jget "$WORK/agent.json" '[.layers[].kind] | join(",")')" filesystem "layers"

# assume-size: the plan for a size the disk does not have yet, the host's
# question before it grows the disk: the same as qga-grow --assume-size's,
# and, once the disk has that size, the same as a plain dry run's
before=$(fingerprint "$d")
expect_return "$WORK/assumed.json" "$(grow_cmd "$(jq -nc --arg d "$d" '{device: $d, "dry-run": true, "assume-size": 1073741824}')")"
run_qg 0 "$WORK/cli-assumed.json" --dry-run --json --assume-size 1G "$d"
assert_eq "$(jq -S . "$WORK/assumed.json")" "$(jq -S . "$WORK/cli-assumed.json")" \
  "guest-grow-disk assume-size vs qga-grow --assume-size"
assert_eq "$(jget "$WORK/assumed.json" '."disk-size"')" 1073741824 "disk-size of the assumed plan"
sync
assert_eq "$(fingerprint "$d")" "$before" "disk image after the dry runs for an assumed size"
enlarge "$d" 1G
mirror "$d" "$(jq -nc --arg d "$d" '{device: $d, "dry-run": true}')" "$d"
assert_eq "$(jq -S . "$WORK/agent.json")" "$(jq -S . "$WORK/assumed.json")" \
  "the plain dry run on the grown disk vs the plan for that size before"
# not with a real run, nor below the disk's size, nor negative
expect_error GenericError "assume-size goes with a dry run" \
  "$(grow_cmd "$(jq -nc --arg d "$d" '{device: $d, "assume-size": 2147483648}')")"
expect_error GenericError "less than.*never shrinks" \
  "$(grow_cmd "$(jq -nc --arg d "$d" '{device: $d, "dry-run": true, "assume-size": 1048576}')")"
expect_error GenericError "assume-size must be from 0" \
  "$(grow_cmd "$(printf '{"device": "%s", "dry-run": true, "assume-size": -1}' "$d")")"
echo "ok: dry runs through qemu-ga (also for an assumed size) mirror qga-grow --json and write nothing"
