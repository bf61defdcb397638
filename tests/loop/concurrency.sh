#!/bin/bash
# Many growers on one disk at once, through the CLI and growpart mode: the
# whole-disk lock lets exactly one change it; the rest find nothing to do.
#   concurrency.sh QGA-GROW
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

for fs in xfs btrfs; do
  make_disk 1G; d=$DISK
  partition "$d" "label: gpt
,500M"
  p=$(part_dev "$d" 1)
  make_fs "$fs" "$p"
  mount_fs "$p"
  write_data "$MNT"
  enlarge "$d" 3G
  pids=()
  for i in $(seq 1 8); do
    case $((i % 3)) in
      0) "$QG" --json "$MNT" ;;
      1) "$QG" --json "$p" ;;
      2) "$QG" --json "$d" ;;
    esac >"$WORK/c$i.json" 2>"$WORK/c$i.err" &
    pids+=($!)
  done
  "$QG" growpart "$d" 1 >"$WORK/gp.out" 2>&1 &
  pids+=($!)
  codes=()
  for pid in "${pids[@]}"; do
    rc=0; wait "$pid" || rc=$?
    codes+=("$rc")
  done
  note "$fs exit codes: ${codes[*]}"
  grown=$(printf '%s\n' "${codes[@]}" | grep -c '^0$' || true)
  idle=$(printf '%s\n' "${codes[@]}" | grep -c '^1$' || true)
  # growpart mode grows only the partition: if it won the race, one CLI run
  # still grew the filesystem, so up to two may have changed something.
  if grep -q '^CHANGED:' "$WORK/gp.out"; then want=2; else want=1; fi
  assert_eq "$grown" "$want" "runs that changed something ($fs)"
  assert_eq "$idle" $((9 - want)) "runs that found nothing to do ($fs)"
  n=$(sectors_of "$d")
  assert_eq "$(( $(part_field "$d" 1 start) + $(part_field "$d" 1 size) - 1 ))" $((n - 34)) \
    "partition end"
  size=$(fs_size "$fs" "$p" "$MNT")
  for i in $(seq 1 8); do
    assert_eq "$(jget "$WORK/c$i.json" '.layers[1].size')" "$size" "size seen by grower $i"
  done
  check_data "$MNT"
  umount "$MNT"
  check_fs "$fs" "$p"
  check_table "$d" gpt
done
echo "ok: concurrent growers"
