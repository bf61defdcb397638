#!/bin/bash
# "qga-grow auto DISK", what the udev rule runs: the configuration's off
# switch and disk list, errors in the configuration, and --detach (returns
# at once, grows in the background, logs to the kernel log).
#   auto.sh QGA-GROW
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

conf=$WORK/auto.conf
set_conf() { { echo '[auto]'; printf '%s\n' "$@"; } >"$conf"; }

# run_auto WANT_EXIT PATTERN ARGS...: exit code and a stderr line.
run_auto() {
  local want=$1 pattern=$2
  shift 2
  run_qg "$want" "$WORK/auto.out" auto --config "$conf" "$@"
  grep -Eq -- "$pattern" "$WORK/auto.out.err" ||
    fail "qga-grow auto $*: said '$(cat "$WORK/auto.out.err")', not '$pattern'"
}

grown_disk xfs; d=$DISK p=$PART
old=$(fs_size xfs "$p" "$MNT")
name=${d#/dev/}

# Left alone: nothing written while frozen (no background writes either).
freeze_fs "$MNT"
before=$(fingerprint "$d")
set_conf enabled=false
run_auto 1 "$d: automatic growth is off" "$name"
set_conf enabled=true "disks=vdz serial:no-such-serial /dev/qga-grow-no-such-disk"
run_auto 1 "$d: not among the disks" "$name"
set_conf disks=root
run_auto 1 "$d: not among the disks" "$name"   # / is not on this loop disk
assert_eq "$(fingerprint "$d")" "$before" "disk after runs the configuration refused"
thaw_fs

# Mistakes in the configuration: exit 2, saying what is wrong.
set_conf enabled=maybe
run_auto 2 "enabled must be true or false" "$name"
set_conf disks=
run_auto 2 "disks is empty" "$name"
# ... also in the stack's settings, in [auto] or a [disk NAME] group,
# checked when the file loads, whichever disk grows
set_conf "disks=all $name"
run_auto 2 "disks=all means every disk" "$name"
set_conf key-file=relative/key
run_auto 2 "key-file must be an absolute path" "$name"
set_conf lvm=vg
run_auto 2 "lvm must be pv, lv or auto" "$name"
printf '[auto]\n[disk vdz]\nlv=no-slash\n' >"$conf"
run_auto 2 "\\[disk vdz\\] lv must be VG/LV" "$name"
printf '[auto]\n[disk vdz]\nmove-swap=perhaps\n' >"$conf"
run_auto 2 "move-swap must be true or false" "$name"
rm -f "$conf"
run_auto 2 "$conf: .*No such file" "$name"
run_qg 2 "$WORK/auto.out" auto
grep -q "name the disk" "$WORK/auto.out.err" || fail "auto with no disk: $(cat "$WORK/auto.out.err")"
run_qg 2 "$WORK/auto.out" auto --frobnicate "$name"

# Named in the list (by kernel name, beside root and others): grows; the stack's
# settings of its own group and of others' are read, and harmless here.
printf '[auto]\ndisks=root vdz %s\nlvm=pv\n[disk %s]\nkey-file=/nonexistent.key\nlvm=auto\n[disk vdz]\nlv=vg/lv\n' \
  "$name" "$name" >"$conf"
run_auto 0 "$d: grown: partition $p \(gpt\) .* -> .*; filesystem $p \(xfs\)" "$name"
new=$(fs_size xfs "$p" "$MNT")
[ "$new" -gt "$old" ] || fail "xfs did not grow ($old -> $new)"
run_auto 1 "$d: nothing to do" "$d"
# As the rule and qga-grow@DISK:SEQNUM.service name it: the event is logged.
run_auto 1 "$d: nothing to do: .* \[uevent 4711\]$" "$name:4711"
# Named by a symlink, as /dev/disk/by-id/... names it: the same listed disk.
ln -s "$d" "$WORK/by-id-link"
run_auto 1 "$d: nothing to do" "$WORK/by-id-link"

# --detach: returns at once; the grower logs to the kernel log.
enlarge "$d" 3G
set_conf "disks=$d"
marker="qga-grow-auto-test-$$-$RANDOM"   # what the kernel log holds before it is older runs
echo "<14>$marker" >/dev/kmsg
kernel_log() { dmesg | sed -n "/$marker/,\$p"; }
t0=$(date +%s%N)
run_qg 0 "$WORK/detach.out" auto --config "$conf" --detach "$name"
[ ! -s "$WORK/detach.out" ] && [ ! -s "$WORK/detach.out.err" ] ||
  fail "--detach printed: $(cat "$WORK/detach.out" "$WORK/detach.out.err")"
for _ in $(seq 100); do
  [ "$(fs_size xfs "$p" "$MNT")" -gt "$new" ] && break
  sleep 0.1
done
[ "$(fs_size xfs "$p" "$MNT")" -gt "$new" ] || fail "the detached grower did not grow xfs"
note "detached growth seen after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
for _ in $(seq 50); do
  kernel_log | grep -q "qga-grow\[[0-9]*\]: $d: grown" && break
  sleep 0.1
done
kernel_log | grep -q "qga-grow\[[0-9]*\]: $d: grown" || fail "no 'grown' line in the kernel log"
check_data "$MNT"
umount "$MNT"
check_fs xfs "$p"
check_table "$d" gpt
echo "ok: auto mode"
