#!/bin/bash
# A power cut after the kernel's xfs growfs committed its transaction but
# before the secondary superblocks it rewrites outside the log reached the
# disk (found by the power-cut suite, TORTURE.md): the filesystem mounts
# grown and keeps its data, but every secondary superblock still has the old
# geometry, and `xfs_repair -n` stops at "would write modified primary
# superblock".  A rerun finds xfs already full, so it must look at them: the
# state is made on purpose (the secondaries saved before a grow and written
# back after it, as a cut leaves them), then a dry run must report it and
# change nothing, a rerun must warn, rewrite them (exit 0) and leave a clean
# filesystem, and another rerun must have nothing to do (exit 1).
#   xfs-stale-secondaries.sh QGA-GROW
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

grown_disk xfs; p=$PART
# xfs_info: "agcount=4, agsize=20480 blks" and "bsize=4096 blocks=..."
geometry() {
  xfs_info "$MNT" >"$WORK/info"
  agcount=$(sed -n 's/.*agcount=\([0-9]*\).*/\1/p' "$WORK/info")
  agsize=$(sed -n 's/.*agsize=\([0-9]*\) blks.*/\1/p' "$WORK/info")
  bsize=$(sed -n 's/^data *= *bsize=\([0-9]*\).*/\1/p' "$WORK/info")
}
geometry
old_agcount=$agcount
# AG 1's superblock sector as the old geometry has it (all secondaries are
# copies of the primary; the new groups' are written with the old one too)
dd if="$p" of="$WORK/sb.old" bs=512 count=1 skip=$((agsize * bsize / 512)) \
  iflag=direct status=none
run_qg 0 "$WORK/grow.json" --json "$MNT"
geometry
[ "$agcount" -gt "$old_agcount" ] || fail "setup: xfs grew from $old_agcount to $agcount groups"
stale_secondaries() {
  local ag
  for ((ag = 1; ag < agcount; ag++)); do
    dd if="$WORK/sb.old" of="$p" bs=512 seek=$((ag * agsize * bsize / 512)) \
      oflag=direct conv=notrunc status=none
  done
}
repair_refuses() {  # the state a cut leaves, as xfs_repair -n sees it
  umount "$MNT"
  if xfs_repair -n "$p" >"$WORK/repair.log" 2>&1 ||
     ! grep -q 'would write modified primary superblock' "$WORK/repair.log"; then
    cat "$WORK/repair.log" >&2
    fail "$1: xfs_repair -n does not see stale secondaries"
  fi
  mount "$p" "$MNT"
}
stale_secondaries
repair_refuses "setup"

# a dry run says it would mend them, and does not
run_qg 0 "$WORK/dry.json" --json --dry-run "$MNT"
grep -q "secondary superblocks of xfs on $MNT are older than its primary" "$WORK/dry.json.err" ||
  fail "dry run: no warning: $(cat "$WORK/dry.json.err")"
assert_eq "$(jget "$WORK/dry.json" '.layers[-1].changed')" true "dry run: the xfs layer would change"
repair_refuses "after the dry run"

# the rerun mends them
run_qg 0 "$WORK/mend.json" --json "$MNT"
jq -e --arg m "$MNT" '.warnings | any(contains("secondary superblocks of xfs on " + $m))' \
  "$WORK/mend.json" >/dev/null || fail "the rerun's report has no warning: $(cat "$WORK/mend.json")"
assert_eq "$(jget "$WORK/mend.json" '.layers[-1].changed')" true "the rerun: the xfs layer changed"
assert_eq "$(jget "$WORK/mend.json" '.layers[-1].size')" "$(fs_size xfs "$p" "$MNT")" "xfs size"
run_qg 1 "$WORK/again.json" --json "$MNT"
assert_eq "$(jget "$WORK/again.json" '.warnings | length')" 0 "warnings of the second rerun"
check_data "$MNT"
umount "$MNT"
check_fs xfs "$p"

# only the last group's left stale (a cut among the kernel's writes) is found too
mount "$p" "$MNT"
dd if="$WORK/sb.old" of="$p" bs=512 seek=$(((agcount - 1) * agsize * bsize / 512)) \
  oflag=direct conv=notrunc status=none
run_qg 0 "$WORK/last.json" --json "$MNT"
grep -q "1 of the $((agcount - 1)) secondary superblocks" "$WORK/last.json.err" ||
  fail "the last group's: $(cat "$WORK/last.json.err")"
run_qg 1 "$WORK/last2.json" --json "$MNT"
check_data "$MNT"
umount "$MNT"
check_fs xfs "$p"
echo "ok: stale xfs secondary superblocks are found and rewritten"
