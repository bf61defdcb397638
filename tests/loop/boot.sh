#!/bin/bash
# qga-grow auto --boot (qga-grow-boot.service): disks enlarged while the
# machine was off raise no uevent; at boot the disks of [auto] boot= grow,
# each with its [disk NAME] settings, and what cannot be grown is logged.
#   boot.sh QGA-GROW
# Never with the defaults on this host: boot=root and boot=all would name the
# machine's own disks.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
conf=$WORK/auto.conf
set_conf() { { echo '[auto]'; printf '%s\n' "$@"; } >"$conf"; }
# run_boot WANT_EXIT PATTERN: qga-grow auto --boot, its exit and a stderr line
run_boot() {
  local rc=0
  "$QG" auto --config "$conf" --boot >"$WORK/boot.out" 2>"$WORK/boot.err" || rc=$?
  [ "$rc" = "$1" ] || { cat "$WORK/boot.err" >&2; fail "auto --boot: exit $rc, want $1"; }
  grep -Eq -- "$2" "$WORK/boot.err" || fail "auto --boot said: $(cat "$WORK/boot.err")"
}

# Two disks "grown while off": GPT with ext4 (unmounted, as before the
# mounts), MBR with ext4; a third, grown too, that boot= leaves alone.
declare -a D P OLD
for i in 0 1 2; do
  make_disk 1G
  partition "$DISK" "label: $([ $i = 1 ] && echo dos || echo gpt)
,500M"
  D[$i]=$DISK P[$i]=$(part_dev "$DISK" 1)
  make_fs ext4 "${P[$i]}"
  OLD[$i]=$(fs_size ext4 "${P[$i]}")
  enlarge "$DISK" 2G
done
n0=${D[0]#/dev/} n1=${D[1]#/dev/} n2=${D[2]#/dev/}
untouched=$(fingerprint "${D[2]}")

set_conf enabled=false "boot=$n0"
run_boot 1 "at boot: automatic growth is off"
set_conf boot=none
run_boot 1 "at boot: no disk to grow"
set_conf "boot=$n0 /dev/qga-grow-no-such-disk"
run_boot 0 "qga-grow-no-such-disk names no disk here"
grep -q "${D[0]}: grown: partition ${P[0]} (gpt)" "$WORK/boot.err" || fail "the first disk: $(cat "$WORK/boot.err")"
set_conf "boot=$n0,$n1" "disks=none"   # disks= is for uevents only
run_boot 0 "${D[1]}: grown: partition ${P[1]} \(dos\)"
grep -q "${D[0]}: nothing to do" "$WORK/boot.err" || fail "the first disk again: $(cat "$WORK/boot.err")"
for i in 0 1; do
  check_fs_fills "$(fs_size ext4 "${P[$i]}")" "${OLD[$i]}" "$(blockdev --getsize64 "${P[$i]}")"
  check_fs ext4 "${P[$i]}"
done
assert_eq "$(fingerprint "${D[2]}")" "$untouched" "the disk boot= does not name"
run_boot 1 "${D[1]}: nothing to do"   # the next boot

# its [disk NAME] settings apply: lock-timeout=0 with the disk locked
( exec 9<"${D[2]}"; flock -x 9; exec sleep 600 ) &
holder=$!
on_exit "kill $holder 2>/dev/null; wait $holder 2>/dev/null"
for ((i = 0; i < 300; i++)); do grep -q "^lock:" /proc/$holder/fdinfo/9 2>/dev/null && break; sleep 0.1; done
grep -q "^lock:" /proc/$holder/fdinfo/9 2>/dev/null || fail "the lock holder did not take the lock in 30 s"
set_conf "boot=$n2" "lock-timeout=60" "[disk $n2]" "lock-timeout=0"
t0=$SECONDS
run_boot 2 "${D[2]} is locked by PID $holder"
((SECONDS - t0 < 10)) || fail "auto --boot waited for the lock despite lock-timeout=0"
assert_eq "$(fingerprint "${D[2]}")" "$untouched" "the locked disk"

# mistakes: in the file (nothing grows), on the command line
set_conf "boot=Root"
run_boot 2 "$conf:2: .*Root"
rc=0; "$QG" auto --boot "$n0" 2>"$WORK/u.err" || rc=$?
assert_eq "$rc" 2 "auto --boot with a disk"
grep -q "it takes no DISK" "$WORK/u.err" || fail "usage: $(cat "$WORK/u.err")"
echo "ok: auto --boot grows boot='s disks with their settings, logs the rest"
