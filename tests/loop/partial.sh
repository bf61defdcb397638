#!/bin/bash
# A run that stops after a layer changed: a mounted ext4 whose online grow
# the kernel refuses (the process lacks CAP_SYS_RESOURCE: dropped with
# capsh, so that it holds on any machine).  The partition grows, the
# filesystem fails: exit 3, and the table, --json and qga-grow auto's log
# show the partition
# grown, the filesystem failed with the kernel's reason, the run's error.
# Run again still without the capability: nothing left to write but the
# failing filesystem, exit 2.  A rerun that can grow it (unmounted, with
# resize2fs) completes; then nothing is left to do.  (Before the fix: exit 2,
# and only the error, as if nothing had been written.)
#   partial.sh QGA-GROW
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

# without_resource_cap WANT_EXIT OUT ARGS...: qga-grow ARGS without the
# capability to grow a mounted ext4.
without_resource_cap() {
  local want=$1 out=$2 rc=0
  shift 2
  capsh --drop=cap_sys_resource -- -c '"$0" "$@"' "$QG" "$@" >"$out" 2>"$out.err" || rc=$?
  [ "$rc" = "$want" ] || { cat "$out" "$out.err" >&2; fail "qga-grow $* (no CAP_SYS_RESOURCE): exit $rc, want $want"; }
}

why="the kernel refused to grow ext4 on"
for how in table json auto; do
  # grown_disk's, with 4 KiB blocks: mke2fs gives a filesystem this small
  # 1 KiB ones, which resize2fs grows to a whole page only, leaving a tail
  # that every rerun would try again (a matter of the filesystem's plan)
  make_disk 1G
  partition "$DISK" "label: gpt
,500M"
  d=$DISK p=$(part_dev "$DISK" 1)
  mkfs.ext4 -q -F -b 4096 "$p"
  mount_fs "$p"; mnt=$MNT
  write_data "$mnt"
  enlarge "$d" 2G
  old=$(fs_size ext4 "$p")
  old_part=$(blockdev --getsize64 "$p")
  if [ "$how" = json ]; then
    without_resource_cap 3 "$WORK/run.json" --json "$mnt"
    j=$WORK/run.json
    assert_eq "$(jq -r '[.layers[] | .kind + ":" + .state + ":" + (.changed | tostring)] | join(" ")' "$j")" \
      "partition:grown:true filesystem:failed:false" "layers of the partial run"
    assert_eq "$(jget "$j" .changed)" true "the run's changed"
    assert_eq "$(jget "$j" '.layers[0].size')" "$(blockdev --getsize64 "$p")" "partition size reported"
    assert_eq "$(jget "$j" '.layers[1].size')" "$old" "filesystem size reported"
    jget "$j" '.layers[1].error' | grep -qF "$p: $why $mnt: Operation not permitted" ||
      fail "filesystem error: $(jget "$j" '.layers[1].error')"
    assert_eq "$(jget "$j" .error)" "$(jget "$j" '.layers[1].error')" "the run's error"
    assert_eq "$(jq -r '.layers[0] | has("error")' "$j")" false "an error on the grown partition"
  elif [ "$how" = auto ]; then
    # the udev path: the same report in its log line, exit 3
    printf '%s\n' '[auto]' 'disks=all' >"$WORK/auto.conf"
    without_resource_cap 3 "$WORK/run.auto" auto --config "$WORK/auto.conf" "${d#/dev/}"
    grep -F "$d: stopped partway: $p: $why $mnt: Operation not permitted" "$WORK/run.auto.err" |
      grep -F "partition $p (gpt)" | grep -F " grown;" | grep -qF "filesystem $p (ext4)" ||
      fail "auto's log: $(cat "$WORK/run.auto.err")"
    grep -q "failed$" <(grep -F "stopped partway" "$WORK/run.auto.err" | sed 's/; run again to resume$//') ||
      fail "auto's log: $(cat "$WORK/run.auto.err")"
  else
    without_resource_cap 3 "$WORK/run.txt" "$mnt"
    t=$WORK/run.txt
    grep -Eq "^partition +$p +gpt +- +grown " "$t" || fail "table: $(cat "$t")"
    grep -Eq "^filesystem +$p +ext4 +$mnt +failed " "$t" || fail "table: $(cat "$t")"
    grep -qF "filesystem $p failed: $p: $why $mnt: Operation not permitted" "$t" ||
      fail "table: $(cat "$t")"
    grep -q "^partly grown" "$t" || fail "table: $(cat "$t")"
    grep -qF "qga-grow: $p: $why $mnt: Operation not permitted" "$t.err" ||
      fail "stderr: $(cat "$t.err")"
  fi
  grow_bytes=$(blockdev --getsize64 "$p")
  [ "$grow_bytes" -gt "$old_part" ] || fail "the partition did not grow"
  assert_eq "$(fs_size ext4 "$p")" "$old" "ext4 after the failed grow"

  # Again without the capability: only the filesystem left, which fails
  # again: nothing written, exit 2, the report still there.
  without_resource_cap 2 "$WORK/again.json" --json "$p"
  assert_eq "$(jq -r '[.layers[] | .state] | join(" ")' "$WORK/again.json")" "unchanged failed" \
    "layers of the second partial run"
  assert_eq "$(jget "$WORK/again.json" .changed)" false "changed, second run"

  # Completed by a run that can: unmounted, resize2fs.
  unmount_fs "$mnt"
  run_qg 0 "$WORK/done.json" --json "$p"
  assert_eq "$(jq -r '[.layers[] | .state] | join(" ")' "$WORK/done.json")" "unchanged grown" \
    "layers of the run that completes"
  check_fs_fills "$(fs_size ext4 "$p")" "$old" "$(blockdev --getsize64 "$p")"
  check_fs ext4 "$p"
  rerun_writes_nothing "$d" "$p"
  mount "$p" "$mnt"; check_data "$mnt"; umount "$mnt"
done
echo "ok: partition grown, ext4 failed: exit 3 with each layer's state; completed by a rerun"
