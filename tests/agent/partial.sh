#!/bin/bash
# A grow that stops after it began to write is a reply, not a lost fact:
# qemu-ga runs without CAP_SYS_RESOURCE (capsh --drop), so the kernel
# refuses a mounted ext4's online grow after the partition grew.  The
# reply is a "return" whose "error" says why, with each layer's state
# (partition grown, filesystem failed with its own error) and changed
# true; the partition really grew (sfdisk, blockdev), the filesystem did
# not (dumpe2fs); the same through a job's final status.  A rerun has no
# partition left to grow and writes nothing: an error, as a refusal.
#   partial.sh QGA-GROW QEMU-GA
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../loop/lib.sh"
. "$HERE/lib.sh"
AGENT_WRAP=(/usr/sbin/capsh --drop=cap_sys_resource -- -c 'exec "$0" "$@"')
start_agent
agent_caps=$(awk '/^CapEff/ { print $2 }' "/proc/$AGENT_PID/status")
(( ((16#$agent_caps >> 24) & 1) == 0 )) || fail "qemu-ga still has CAP_SYS_RESOURCE"

# check_partial REPLY DISK PART MNT OLD-PART OLD-FS: partition grown, the
# filesystem failed and still its old size.
check_partial() {
  local r=$1 disk=$2 part=$3 mnt=$4 old_part=$5 old_fs=$6 ss size
  ss=$(blockdev --getss "$disk")
  size=$(part_field "$disk" 1 size)
  note "$(jq -c . "$r")"
  assert_eq "$(jget "$r" '[.changed, .["dry-run"], (.error | type)] | @tsv')" \
    "$(printf 'true\tfalse\tstring')" "changed, dry-run and an error"
  assert_eq "$(jget "$r" '.layers[0] | [.kind, .device, .state, .changed, .["old-size"], .size, has("error")] | @tsv')" \
    "$(printf 'partition\t%s\tgrown\ttrue\t%s\t%s\tfalse' "$part" "$old_part" "$((size * ss))")" \
    "partition layer: grown, as sfdisk says"
  assert_eq "$(blockdev --getsize64 "$part")" "$((size * ss))" "partition size in the kernel"
  [ "$((size * ss))" -gt "$old_part" ] || fail "the partition did not grow"
  assert_eq "$(jget "$r" '.layers[1] | [.kind, .device, .mountpoint, .state, .changed, .["old-size"], (.error | type)] | @tsv')" \
    "$(printf 'filesystem\t%s\t%s\tfailed\tfalse\t%s\tstring' "$part" "$mnt" "$old_fs")" \
    "filesystem layer: failed, with its error"
  assert_eq "$(fs_size ext4 "$part")" "$old_fs" "filesystem size (dumpe2fs)"
}

mounted_disk 256M 512 "label: gpt
,128M" 1 ext4
enlarge "$d" 512M
grow=$(jq -nc --arg m "$mnt" '{mountpoint: $m}')
expect_return "$WORK/partial.json" "$(grow_cmd "$grow")"
check_partial "$WORK/partial.json" "$d" "$p" "$mnt" "$old_part" "$old_fs"
expect_ping_fast "after the partial grow"

# The rerun: nothing left for the partition, and the filesystem's failure
# writes nothing: an error, as any failure before writing.
expect_error GenericError "Operation not permitted|refused" "$(grow_cmd "$grow")"
assert_eq "$(fs_size ext4 "$p")" "$old_fs" "filesystem size after the rerun"

# The same through a job on a second disk.
p1=$p
mounted_disk 256M 512 "label: gpt
,128M" 1 ext4
enlarge "$d" 512M
start_job "$(jq -nc --arg m "$mnt" '{mountpoint: $m}')"
wait_job "$WORK/s.json" "$JOB"
assert_eq "$(jq -c '[.done, .phase, has("error")]' "$WORK/s.json")" '[true,"done",false]' \
  "a partial job's status: done, with a result, not an error"
jq .result "$WORK/s.json" >"$WORK/job.json"
check_partial "$WORK/job.json" "$d" "$p" "$mnt" "$old_part" "$old_fs"
umount "$mnt"
check_fs ext4 "$p"
check_table "$d" gpt
echo "ok: a grow stopped partway is a reply with each layer's state and the error"
