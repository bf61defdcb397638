#!/bin/bash
# guest-grow-disk's lock-timeout, through the patched qemu-ga: while a
# process of this test holds the disk's lock (a BSD flock on its node, as
# every grower takes it), a call waits at most lock-timeout seconds (0: not
# at all; absent: 10), then fails naming the lock and its holder's PID;
# nothing is written and guest-ping answers right after; the same in a
# job's final status.  Once the lock is let go the grow works.
#   lock.sh QGA-GROW QEMU-GA
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../loop/lib.sh"
. "$HERE/lib.sh"
start_agent

make_disk 256M 512; d=$DISK
partition "$d" "label: gpt
,128M"
p=$(part_dev "$d" 1)
make_fs ext4 "$p"   # unmounted: nothing else writes to it
old_part=$(blockdev --getsize64 "$p")
enlarge "$d" 512M
before=$(fingerprint "$d")
hold_lock "$d"

# locked_call ARGS-JSON MIN MAX: refused, naming the lock's holder, after
# MIN to MAX seconds (MAX loose: a loaded machine's client takes seconds).
locked_call() {
  local t0=$SECONDS took
  expect_error GenericError "lock.*(^|[^0-9])$LOCK_PID([^0-9]|$)" "$(grow_cmd "$1")"
  took=$((SECONDS - t0))
  [ "$took" -ge "$2" ] && [ "$took" -le "$3" ] ||
    fail "refused after $took s, want $2 to $3 s: $1"
  expect_ping_fast "after the refused call"
}
locked_call "$(jq -nc --arg d "$d" '{device: $d, "lock-timeout": 0}')" 0 15
locked_call "$(jq -nc --arg d "$d" '{device: $d, "lock-timeout": 3}')" 3 20
locked_call "$(jq -nc --arg d "$d" '{device: $d}')" 10 25
# a dry run needs the lock too (shared), and gives up the same way
locked_call "$(jq -nc --arg d "$d" '{device: $d, "dry-run": true, "lock-timeout": 1}')" 1 15
start_job "$(jq -nc --arg d "$d" '{device: $d, "lock-timeout": 1}')"
wait_job "$WORK/s.json" "$JOB" 30
assert_eq "$(jq -c '[.done, .phase, has("result")]' "$WORK/s.json")" '[true,"done",false]' \
  "a locked-out job's status"
jq -r .error "$WORK/s.json" | grep -Eq "lock.*(^|[^0-9])$LOCK_PID([^0-9]|$)" ||
  fail "the job's error does not name the lock's holder $LOCK_PID: $(jq -c . "$WORK/s.json")"
assert_eq "$(fingerprint "$d")" "$before" "disk image after the refused calls"

release_lock
expect_return "$WORK/grow.json" "$(grow_cmd "$(jq -nc --arg d "$d" '{device: $d, "lock-timeout": 0}')")"
assert_eq "$(jget "$WORK/grow.json" '[.changed, (.layers[] | .state)] | map(tostring) | join(",")')" \
  true,grown,grown "the grow once the lock is free"
[ "$(blockdev --getsize64 "$p")" -gt "$old_part" ] || fail "the partition did not grow"
check_fs ext4 "$p"
echo "ok: lock-timeout bounds the wait for a locked disk and names its holder"
