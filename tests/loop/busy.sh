#!/bin/bash
# A filesystem grow that the kernel holds up: xfs frozen right after the
# plan (the test build pauses there), then the run goes on with a short busy
# deadline.  The CLI returns although the kernel is blocked: exit 3, the
# partition grown, the filesystem busy, saying that the kernel goes on.  The
# disk stays locked by the grow meanwhile (another run is told who holds
# it).  Thawed, the grow ends; a rerun has nothing left to do.  Then the
# same for the rewrite of stale xfs secondary superblocks.
#   busy.sh QGA-GROW-FAULTY
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

grown_disk xfs; d=$DISK p=$PART mnt=$MNT
old=$(fs_size xfs "$p" "$mnt")
# allocation group 1's superblock before the grow, for the second part
xfs_info "$mnt" >"$WORK/info"
agsize=$(sed -n 's/.*agsize=\([0-9]*\) blks.*/\1/p' "$WORK/info")
bsize=$(sed -n 's/^data *= *bsize=\([0-9]*\).*/\1/p' "$WORK/info")
dd if="$p" of="$WORK/sb.old" bs=512 count=1 skip=$((agsize * bsize / 512)) \
  iflag=direct status=none

go=$WORK/go
# busy_run NAME OUT: the test build's run on the mountpoint, paused after its
# plan; the filesystem frozen there, the run let go; it must return within
# 20 s although the kernel is blocked, with exit 3 (the kernel still
# writing: a change under way); its report in OUT, stderr in OUT.err.
busy_run() {
  local name=$1 out=$2 run i rc=0
  rm -f "$go" "$go.reached"
  QG_FAULT_PAUSE=planned QG_FAULT_PAUSE_FILE=$go QG_FAULT_BUSY_TIMEOUT_MS=1500 \
    "$QG" --json "$mnt" >"$out" 2>"$out.err" &
  run=$!
  on_exit "kill $run 2>/dev/null"
  for ((i = 0; i < 300; i++)); do
    [ -e "$go.reached" ] && break
    kill -0 "$run" 2>/dev/null || fail "the $name ended before its pause: $(cat "$out.err")"
    sleep 0.1
  done
  [ -e "$go.reached" ] || fail "the $name did not reach its pause after planning"
  freeze_fs "$mnt"
  touch "$go"
  for ((i = 0; i < 200; i++)); do
    kill -0 "$run" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$run" 2>/dev/null; then
    thaw_fs; wait "$run" || true
    fail "the $name did not return within 20 s while the kernel was blocked"
  fi
  wait "$run" || rc=$?
  [ "$rc" = 3 ] || { cat "$out" "$out.err" >&2; fail "busy $name: exit $rc, want 3"; }
}

busy_run run "$WORK/run.json"
j=$WORK/run.json
assert_eq "$(jq -r '[.layers[] | .kind + ":" + .state] | join(" ")' "$j")" \
  "partition:grown filesystem:busy" "layers of the busy run"
assert_eq "$(jget "$j" .changed)" true "changed of the busy run"
jget "$j" '.layers[1].error' | grep -qF "$p: the kernel is still growing xfs on $mnt after 1.5 s; it goes on in the background" ||
  fail "busy layer's error: $(jget "$j" '.layers[1].error')"
assert_eq "$(jget "$j" .error)" "$(jget "$j" '.layers[1].error')" "the run's error"
grep -qF "a rerun shows the outcome" "$WORK/run.json.err" || fail "stderr: $(cat "$WORK/run.json.err")"

# The kernel is still at it, and the disk still locked by the grow.
assert_eq "$(fs_size xfs "$p" "$mnt")" "$old" "xfs while frozen"
rc=0; "$QG" --lock-timeout 1 "$mnt" >"$WORK/locked" 2>"$WORK/locked.err" || rc=$?
assert_eq "$rc" 2 "a run while the grow is blocked"
grep -qF "$d is locked by PID" "$WORK/locked.err" || fail "locked: $(cat "$WORK/locked.err")"
grep -qF "(qga-grow-fault" "$WORK/locked.err" || fail "locked: $(cat "$WORK/locked.err")"

# Thawed: the kernel finishes the grow; the rerun waits for it and finds
# nothing left (or, on a slow machine, completes the rest).
thaw_fs
rc=0; "$QG" --json "$mnt" >"$WORK/rerun.json" 2>"$WORK/rerun.err" || rc=$?
[ "$rc" = 1 ] || [ "$rc" = 0 ] || { cat "$WORK/rerun.err" >&2; fail "rerun: exit $rc"; }
run_qg 1 "$WORK/again.json" --json "$mnt"
new=$(fs_size xfs "$p" "$mnt")
check_fs_fills "$new" "$old" "$(blockdev --getsize64 "$p")"

# The same for the rewrite of xfs's secondary superblocks that a power cut
# left stale (xfs-stale-secondaries.sh): with nothing left to grow, the run
# still calls the kernel to rewrite them, and that call too waits behind a
# freeze: busy past the deadline, the disk locked until the kernel is done.
xfs_info "$mnt" >"$WORK/info"
agcount=$(sed -n 's/.*agcount=\([0-9]*\).*/\1/p' "$WORK/info")
for ((ag = 1; ag < agcount; ag++)); do
  dd if="$WORK/sb.old" of="$p" bs=512 seek=$((ag * agsize * bsize / 512)) \
    oflag=direct conv=notrunc status=none
done
busy_run "rewrite run" "$WORK/sb.json"
j=$WORK/sb.json
assert_eq "$(jq -r '[.layers[] | .kind + ":" + .state] | join(" ")' "$j")" \
  "partition:unchanged filesystem:busy" "layers of the busy rewrite"
jq -e --arg m "$mnt" '.warnings | any(contains("secondary superblocks of xfs on " + $m + " are older"))' \
  "$j" >/dev/null || fail "the busy rewrite's report has no warning: $(cat "$j")"
jget "$j" '.layers[1].error' | grep -qF "$p: the kernel is still rewriting the secondary superblocks of xfs on $mnt after 1.5 s" ||
  fail "busy rewrite's error: $(jget "$j" '.layers[1].error')"
rc=0; "$QG" --lock-timeout 1 "$mnt" >"$WORK/locked" 2>"$WORK/locked.err" || rc=$?
assert_eq "$rc" 2 "a run while the rewrite is blocked"
grep -qF "$d is locked by PID" "$WORK/locked.err" || fail "locked: $(cat "$WORK/locked.err")"
# thawed, the kernel rewrites them; the rerun finds them current
thaw_fs
rc=0; "$QG" --json "$mnt" >"$WORK/sb-rerun.json" 2>"$WORK/sb-rerun.err" || rc=$?
[ "$rc" = 1 ] || [ "$rc" = 0 ] || { cat "$WORK/sb-rerun.err" >&2; fail "rerun after the rewrite: exit $rc"; }
run_qg 1 "$WORK/sb-again.json" --json "$mnt"
assert_eq "$(jget "$WORK/sb-again.json" '.warnings | length')" 0 "warnings once the rewrite is done"

check_data "$mnt"
unmount_fs "$mnt"
check_fs xfs "$p"
check_table "$d" gpt
echo "ok: a grow the kernel holds up, and a rewrite of stale xfs secondaries, are reported busy (exit 3) while the kernel goes on; the rerun finds them done"
