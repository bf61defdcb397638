#!/bin/bash
# A frozen filesystem (fsfreeze -f) on the stack: refused before anything is
# written, at once, by mountpoint, by device and on the udev path (qga-grow
# auto), with a message that names it and says how to thaw it; a dry run,
# also one for a size the disk does not have yet (--assume-size, the host's
# question before it grows the disk), is refused with the very same words;
# thawed, it grows.  (Before the fix the run wrote the table, then
# hung in the kernel, unkillable, until the thaw.)
#   frozen.sh QGA-GROW
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

LIMIT=20   # seconds a refused run may take at most (the probe waits 5)

# run_bounded WANT_EXIT OUT ARGS...: qga-grow ARGS must end within LIMIT
# seconds with exit WANT_EXIT.  One that hangs is let go by a thaw (so that
# it can end and be cleaned up) and fails the test.
run_bounded() {
  local want=$1 out=$2 pid rc=0 i
  shift 2
  "$QG" "$@" >"$out" 2>"$out.err" &
  pid=$!
  for ((i = 0; i < LIMIT * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    thaw_fs
    wait "$pid" || true
    fail "qga-grow $* did not return within $LIMIT s on a frozen filesystem"
  fi
  wait "$pid" || rc=$?
  if [ "$rc" != "$want" ]; then
    cat "$out" "$out.err" >&2
    fail "qga-grow $*: exit $rc, want $want"
  fi
}

# Each refused run waits out the probe's 5 s, so the ways in (mountpoint,
# partition, disk, --json, the udev path, a dry run: the same lookup and
# report for every filesystem type) are tried on the first filesystem; the
# others by mountpoint.
first=1
for fs in ${QG_FROZEN_FS:-xfs btrfs ext4}; do
  grown_disk "$fs"; d=$DISK p=$PART mnt=$MNT
  old=$(fs_size "$fs" "$p" "$mnt")
  freeze_fs "$mnt"
  before=$(fingerprint "$d")
  targets=("$mnt")
  [ "$first" = 0 ] || targets+=("$p" "$d")
  for target in "${targets[@]}"; do
    t0=$(date +%s)
    run_bounded 2 "$WORK/run" "$target"
    grep -qF "the filesystem on $mnt ($p) is frozen" "$WORK/run.err" ||
      fail "$fs by $target: said '$(cat "$WORK/run.err")'"
    grep -qF "fsfreeze -u $mnt" "$WORK/run.err" || fail "$fs by $target: no word of the thaw"
    grep -qF "nothing was changed" "$WORK/run.err" || fail "$fs by $target: $(cat "$WORK/run.err")"
    note "$fs by $target: refused in $(( $(date +%s) - t0 )) s"
  done
  if [ "$first" = 1 ]; then
    # --json: the same refusal, nothing on stdout but an error on stderr
    run_bounded 2 "$WORK/run" --json "$mnt"
    # the udev path
    printf '[auto]\ndisks=%s\n' "$d" >"$WORK/auto.conf"
    run_bounded 2 "$WORK/auto" auto --config "$WORK/auto.conf" "${d#/dev/}"
    grep -qF "the filesystem on $mnt ($p) is frozen" "$WORK/auto.err" ||
      fail "$fs auto: said '$(cat "$WORK/auto.err")'"
    # a dry run says what the real run would: the same refusal, word for
    # word, and so does one planning for a larger disk
    run_bounded 2 "$WORK/dry" --dry-run "$mnt"
    run_bounded 2 "$WORK/assumed" --dry-run --assume-size $(( $(blockdev --getsize64 "$d") + (512 << 20) )) "$mnt"
    run_bounded 2 "$WORK/real" "$mnt"
    cmp -s "$WORK/dry.err" "$WORK/real.err" && cmp -s "$WORK/assumed.err" "$WORK/real.err" ||
      fail "$fs: dry runs and the real run refused differently: $(cat "$WORK/dry.err" "$WORK/assumed.err" "$WORK/real.err")"
  fi
  first=0
  assert_eq "$(fingerprint "$d")" "$before" "$fs: disk after the refused runs"
  thaw_fs
  # Thawed, the probe itself writes nothing: a dry run (which probes) leaves
  # every byte as it was, the filesystems' journals synced before and after
  # (an O_TMPFILE probe made and freed an inode, which reached the journal).
  # (ext4's lazy inode table initialisation writes in the background: off)
  [ "$fs" != ext4 ] || mount -o remount,noinit_itable "$mnt"
  sync
  before=$(fingerprint "$d")
  run_bounded 0 "$WORK/dry-thawed" --dry-run "$mnt"
  sync
  assert_eq "$(fingerprint "$d")" "$before" "$fs: disk after a dry run on the thawed filesystem"

  if [ "$fs" = ext4 ]; then
    # online ext4 growth needs CAP_SYS_RESOURCE, which root may lack here
    # (partial.sh is about that): grown unmounted
    unmount_fs "$mnt"
    run_qg 0 "$WORK/grown.json" --json "$p"
    new=$(fs_size "$fs" "$p")
  else
    run_qg 0 "$WORK/grown.json" --json "$mnt"
    new=$(fs_size "$fs" "$p" "$mnt")
    unmount_fs "$mnt"
  fi
  check_fs_fills "$new" "$old" "$(blockdev --getsize64 "$p")"
  check_fs "$fs" "$p"
done
echo "ok: frozen xfs, btrfs and ext4 refused (CLI by mountpoint; by partition, disk, --json, auto, dry runs on xfs, as the real run); thawed, probed without a write, grown"
