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

# A typo must not widen what grows: "[Auto]" once made "disks=root" vanish
# and this disk (not the root disk) grow.  Every mistake is an error naming
# the file and line, and nothing grows (the disk is not frozen here: the
# file alone must stop it).  Unfrozen, xfs writes on its own (its log
# worker covers the log; a dry run's probe for a freeze makes a file and
# drops it), so from here on "nothing grew" is the table, the partition's
# size and the filesystem's, not every byte.
layout() { sfdisk -d "$d"; blockdev --getsize64 "$p"; fs_size xfs "$p" "$MNT"; }
before=$(layout)
printf '# the root disk only\n[Auto]\ndisks=root\n' >"$conf"
run_auto 2 "^qga-grow auto: $conf:2: unknown section \\[Auto\\] .*; nothing grows$" "$name"
assert_eq "$(layout)" "$before" "disk after the [Auto] typo"
# run_conf WANT_EXIT PATTERN LINE...: a file of these lines, and its verdict
run_conf() {
  local want=$1 pattern=$2
  shift 2
  printf '%s\n' "$@" >"$conf"
  run_auto "$want" "$pattern" "$name"
}
run_conf 2 "$conf:2: unknown key disk= in \\[auto\\]" '[auto]' 'disk=root'
run_conf 2 "$conf:2: unknown key Disks= in \\[auto\\]" '[auto]' 'Disks=root'
run_conf 2 "$conf:1: unknown section \\[auto \\]" '[auto ]' 'disks=root'
run_conf 2 "$conf:1: unknown section \\[disks vdz\\]" '[disks vdz]'
run_conf 2 "$conf:2: \\[auto\\] enabled must be true or false, not \"yes\"" '[auto]' 'enabled=yes'
run_conf 2 "$conf:3: \\[auto\\] disks= again \\(first on line 2\\)" '[auto]' 'disks=root' 'disks=all'
run_conf 2 "$conf:3: \\[auto\\] again \\(first on line 1\\)" '[auto]' 'disks=root' '[auto]'
run_conf 2 "$conf:2: \"disks root\" is neither" '[auto]' 'disks root'
run_conf 2 "$conf:1: disks= before any section" 'disks=root' '[auto]'
run_conf 2 "$conf:2: \\[auto\\] disks: \"Root\" is not a disk \\(keywords are lower case: root\\)" \
  '[auto]' 'disks=Root'
run_conf 2 "$conf:2: \\[auto\\] disks: \"vd:b\": only serial:SERIAL takes a prefix" '[auto]' 'disks=vd:b'
run_conf 2 "$conf:2: disks=none means no disk; it cannot be combined" '[auto]' "disks=none $name"
run_conf 2 "$conf:1: \\[disk root\\]: \"root\" is not a disk's name" '[disk root]' 'force=true'
printf '[auto]\nenabled=true\n\0disks=all\n' >"$conf"
run_auto 2 "$conf:3: a NUL byte" "$name"
printf '[auto]\ndisks=\377\n' >"$conf"
run_auto 2 "$conf:2: not valid UTF-8" "$name"
rm -f "$conf"; mkdir "$conf"
run_auto 2 "$conf: Is a directory; nothing grows" "$name"
rmdir "$conf"
# lock-timeout (seconds, 0: do not wait) and force, in [auto] and [disk NAME]
for v in -1 5s 0x10 inf 1e3 86401 ''; do
  run_conf 2 "$conf:2: \\[auto\\] lock-timeout( must be seconds from 0 to 86400, not \"$v\"|= has no value)" \
    '[auto]' "lock-timeout=$v"
done
for v in yes 1 True ''; do
  run_conf 2 "$conf:3: \\[disk vdz\\] force( must be true or false, not \"$v\"|= has no value)" \
    '[auto]' '[disk vdz]' "force=$v"
done
run_conf 2 "$conf:2: unknown key force= in \\[agent\\]" '[agent]' 'force=true'
for v in 0 0.5 2.5 30 86400; do
  run_conf 1 "$d: automatic growth is off" '[auto]' 'enabled=false' "lock-timeout=$v" 'force=true' \
    "[disk $name]" "lock-timeout=$v" 'force=false'
done
assert_eq "$(layout)" "$before" "disk after the broken configurations"
# from the rule (--detach): the kernel log says why too, not only stderr
marker="qga-grow-auto-conf-$$-$RANDOM"
echo "<14>$marker" >/dev/kmsg
printf '[Auto]\ndisks=root\n' >"$conf"
run_qg 2 "$WORK/detach-bad.out" auto --config "$conf" --detach "$name:4712"
grep -q "$conf:1: unknown section \\[Auto\\]" "$WORK/detach-bad.out.err" ||
  fail "--detach with a broken file said: $(cat "$WORK/detach-bad.out.err")"
dmesg | sed -n "/$marker/,\$p" | grep -q "qga-grow\[[0-9]*\]: $name:4712: $conf:1: unknown section \\[Auto\\]" ||
  fail "no line about the broken file in the kernel log"
assert_eq "$(layout)" "$before" "disk after the detached run with a broken file"

# The host's way in (--from-host, as virt-grow's guest-exec fallback runs
# it; guest-grow-disk asks the library the same): [agent] disks= binds it.
# run_host WANT_EXIT PATTERN ARGS...: qga-grow --from-host --config FILE
# ARGS, its stderr matching PATTERN ("": nothing on it)
run_host() {
  local want=$1 pattern=$2
  shift 2
  run_qg "$want" "$WORK/host.out" --from-host --config "$conf" "$@"
  if [ -z "$pattern" ]; then [ ! -s "$WORK/host.out.err" ]; else grep -Eq -- "$pattern" "$WORK/host.out.err"; fi ||
    fail "qga-grow --from-host $*: said '$(cat "$WORK/host.out.err")', not '$pattern'"
}
printf '[auto]\ndisks=root\n' >"$conf"   # no [agent]: everything allowed
run_host 0 "" --dry-run "$d"
printf '[agent]\ndisks=all\n' >"$conf"
run_host 0 "" --dry-run "$MNT"
printf '[agent]\ndisks=root %s\n' "$name" >"$conf"
run_host 0 "" --dry-run "$MNT"
printf '[agent]\ndisks=%s\n' "$WORK/by-id-agent" >"$conf"   # a symlink to it
ln -s "$d" "$WORK/by-id-agent"
run_host 0 "" --dry-run "$p"
refusal="^qga-grow: $d: the guest's administrator does not let the host grow this disk \\(\\[agent\\] disks=%s in $conf:%d\\); nothing was changed$"
# shellcheck disable=SC2059
printf '# the host may grow the root disk\n[agent]\ndisks=root vdz serial:no-such-serial\n' >"$conf"
run_host 2 "$(printf "$refusal" "root vdz serial:no-such-serial" 3)" "$MNT"
run_host 2 "$(printf "$refusal" "root vdz serial:no-such-serial" 3)" --dry-run "$d"
printf '[agent]\ndisks=none\n' >"$conf"
run_host 2 "$(printf "$refusal" none 2)" "$p"
assert_eq "$(layout)" "$before" "disk after the refused requests from the host"
printf '[agent]\ndisk=all\n' >"$conf"
run_host 2 "^qga-grow: $conf:2: unknown key disk= in \\[agent\\]" --dry-run "$d"
printf '[Agent]\ndisks=all\n' >"$conf"
run_host 2 "^qga-grow: $conf:1: unknown section \\[Agent\\]" --dry-run "$d"
printf '[agent]\n' >"$conf"
run_host 2 "^qga-grow: $conf:1: \\[agent\\] needs disks=" --dry-run "$d"
rm -f "$conf"
run_host 2 "^qga-grow: $conf: No such file or directory$" --dry-run "$d"
run_qg 2 "$WORK/host.out" --config "$conf" --dry-run "$d"
grep -q -- "--config goes with --from-host" "$WORK/host.out.err" ||
  fail "--config alone said: $(cat "$WORK/host.out.err")"
assert_eq "$(layout)" "$before" "disk after the broken files"

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
