#!/bin/bash
# The disk's lock held by another process: --lock-timeout bounds the wait
# (main command and growpart mode), the error names the holder by PID and
# command, nothing is written; once the lock is let go the disk grows.
# (Before the fix the run waited for the lock as long as it was held.)
#   lock-timeout.sh QGA-GROW
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

grown_disk xfs; d=$DISK p=$PART mnt=$MNT
old=$(fs_size xfs "$p" "$mnt")

# The holder: a shell of this test's that opens the disk, locks it with
# flock(1) (which then exits: /proc/locks names a process that is gone) and
# becomes sleep, keeping the locked descriptor.  Stopped by its PID.
( exec 9<"$d"; flock -x 9; exec sleep 600 ) &
holder=$!
on_exit "kill $holder 2>/dev/null; wait $holder 2>/dev/null"
for ((i = 0; i < 50; i++)); do
  grep -q FLOCK /proc/$holder/fdinfo/9 2>/dev/null && grep -q "^lock:" /proc/$holder/fdinfo/9 && break
  sleep 0.1
done
grep -q "^lock:" /proc/$holder/fdinfo/9 || fail "the holder did not take the lock"

# bounded WANT_EXIT MAX_SEC OUT ARGS...: qga-grow ends within MAX_SEC.
bounded() {
  local want=$1 max=$2 out=$3 rc=0 t0
  shift 3
  t0=$(date +%s%N)
  timeout -s KILL $((max + 20)) "$QG" "$@" >"$out" 2>"$out.err" || rc=$?
  local ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  [ "$rc" = 137 ] && fail "qga-grow $* still waited for the lock after $((max + 20)) s"
  [ "$rc" = "$want" ] || { cat "$out" "$out.err" >&2; fail "qga-grow $*: exit $rc, want $want"; }
  ((ms <= max * 1000)) || fail "qga-grow $* took $ms ms, more than $max s"
  note "qga-grow $*: exit $rc after $ms ms"
}

freeze_fs "$mnt"   # no background writes by the mounted xfs meanwhile
before=$(fingerprint "$d")
want="$d is locked by PID $holder (sleep)"
bounded 2 5 "$WORK/run" --lock-timeout 1 "$mnt"
grep -qF "$want" "$WORK/run.err" || fail "--lock-timeout 1 said: $(cat "$WORK/run.err")"
grep -qF "waited 1.0 s" "$WORK/run.err" || fail "--lock-timeout 1 said: $(cat "$WORK/run.err")"
bounded 2 2 "$WORK/run" --lock-timeout 0 --dry-run "$p"
grep -qF "$want" "$WORK/run.err" || fail "--lock-timeout 0 said: $(cat "$WORK/run.err")"
grep -qF "did not wait" "$WORK/run.err" || fail "--lock-timeout 0 said: $(cat "$WORK/run.err")"
bounded 2 5 "$WORK/gp" growpart --lock-timeout=1 "$d" 1
grep -qF "FAILED: $want" "$WORK/gp" || fail "growpart mode said: $(cat "$WORK/gp")"
# the udev path: auto.conf's lock-timeout= (for the disk, in [disk NAME])
printf '%s\n' '[auto]' 'disks=all' 'lock-timeout=30' "[disk ${d#/dev/}]" 'lock-timeout=0' \
  >"$WORK/auto.conf"
bounded 2 2 "$WORK/auto" auto --config "$WORK/auto.conf" "${d#/dev/}"
grep -qF "$want" "$WORK/auto.err" || fail "auto with lock-timeout=0 said: $(cat "$WORK/auto.err")"
assert_eq "$(fingerprint "$d")" "$before" "disk after the runs that found it locked"
thaw_fs

# bad values
for v in -1 abc 3601 ''; do
  run_qg 2 "$WORK/bad" --lock-timeout "$v" "$mnt"
  grep -q -- "--lock-timeout needs seconds" "$WORK/bad.err" || fail "--lock-timeout '$v': $(cat "$WORK/bad.err")"
done

# Let go while a run waits: it goes on and grows.
"$QG" --lock-timeout 30 --json "$mnt" >"$WORK/wait.json" 2>"$WORK/wait.err" &
waiter=$!
on_exit "kill $waiter 2>/dev/null"
sleep 1
kill -0 "$waiter" 2>/dev/null || fail "the run did not wait for the lock: $(cat "$WORK/wait.err")"
kill "$holder"; wait "$holder" 2>/dev/null || true
rc=0; wait "$waiter" || rc=$?
assert_eq "$rc" 0 "exit of the run that waited for the lock ($(cat "$WORK/wait.err"))"
new=$(fs_size xfs "$p" "$mnt")
check_fs_fills "$new" "$old" "$(blockdev --getsize64 "$p")"
assert_eq "$(jq -r '[.layers[].state] | join(" ")' "$WORK/wait.json")" "grown grown" "layer states"
echo "ok: a locked disk is refused within --lock-timeout (and auto.conf's lock-timeout=) naming its holder; let go, it grows"
