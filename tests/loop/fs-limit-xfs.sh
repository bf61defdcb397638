#!/bin/bash
# xfs's own limits in the plan (issue 11):
#   tail   the kernel leaves out a last allocation group of fewer than 64
#          blocks: the dry run says so and equals the real run (before the
#          fix it planned the whole partition and disagreed), the rerun has
#          nothing to do.
#   ags    the allocation-group guardrail: a grow that takes the AG count
#          past 64 warns; past 1024 it is refused (exit 2, the disk byte for
#          byte as it was, also as a dry run), and --force grows it.
#   fs-limit-xfs.sh QGA-GROW tail|ags
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
CASE=${1:?usage: $0 QGA-GROW tail|ags}
AG=$((128 << 20))   # small AGs (mkfs.xfs makes none under 16 MiB, and its log of 64 MiB must fit in one)

# new_disk SIZE: a GPT disk with one partition holding a mounted xfs of
# 128 MiB allocation groups; sets d, p, MNT.
new_disk() {
  make_disk "$1"; d=$DISK
  partition "$d" "label: gpt
,"
  p=$(part_dev "$d" 1)
  mkfs.xfs -q -f -b size=4096 -d agsize=128m "$p"
  mount_fs "$p"
  write_data "$MNT"
}
# disk_for PART_BYTES: the disk size whose GPT partition holds PART_BYTES.
disk_for() { echo $(( $1 + (2048 + 34) * 512 )); }
agcount() { xfs_info "$1" | sed -n 's/.*agcount=\([0-9]*\).*/\1/p'; }

case $CASE in
tail)
  new_disk 1G
  # 30 whole AGs and 40 blocks: the kernel leaves the 40 out
  enlarge "$d" "$(disk_for $((30 * AG + 40 * 4096)))"
  run_qg 0 "$WORK/plan.json" --dry-run --json "$MNT"
  plan=$(jget "$WORK/plan.json" '.layers[1].size')
  assert_eq "$plan" $((30 * AG)) "planned xfs size (30 whole AGs)"
  case $(jget "$WORK/plan.json" '.layers[1].limit') in
    *"allocation group"*"64 blocks"*) ;;
    *) fail "no limit about the last allocation group: $(cat "$WORK/plan.json")" ;;
  esac
  run_qg 0 "$WORK/grow.json" --json "$MNT"
  assert_eq "$(jget "$WORK/grow.json" '.layers[1].size')" "$plan" "grown size vs the dry run"
  assert_eq "$(fs_size xfs "$p" "$MNT")" "$plan" "xfs_info size vs the dry run"
  assert_eq "$(jget "$WORK/grow.json" '.layers[1].limit')" \
    "$(jget "$WORK/plan.json" '.layers[1].limit')" "limit vs the dry run"
  freeze_fs "$MNT"
  rerun_writes_nothing "$d" "$MNT"
  run_qg 1 "$WORK/plan2.json" --dry-run --json "$MNT"
  thaw_fs
  ;;
ags)
  new_disk 1G
  before=$(agcount "$MNT")
  # 100 AGs: past the warning threshold (64), under the hard one (1024)
  enlarge "$d" "$(disk_for $((100 * AG)))"
  run_qg 0 "$WORK/warn.json" --json "$MNT"
  assert_eq "$(agcount "$MNT")" 100 "AG count after the grow to 100"
  jq -e '.warnings | any(test("from '"$before"' to 100 allocation groups.*more than 64"))' \
    "$WORK/warn.json" >/dev/null || fail "no AG warning: $(cat "$WORK/warn.json")"
  # 1100 AGs: past the hard threshold
  enlarge "$d" "$(disk_for $((1100 * AG)))"
  freeze_fs "$MNT"
  fp=$(fingerprint "$d")
  for dry in --dry-run ""; do
    run_qg 2 "$WORK/refused.out" $dry "$MNT"
    grep -q "from 100 to 1100 allocation groups.*limit of 1024.*--force" "$WORK/refused.out.err" ||
      fail "refusal does not name the count, the limit and --force: $(cat "$WORK/refused.out.err")"
  done
  assert_eq "$(fingerprint "$d")" "$fp" "disk image after the refusals"
  thaw_fs
  assert_eq "$(agcount "$MNT")" 100 "AG count after the refusal"
  run_qg 0 "$WORK/forced.json" --json --force "$MNT"
  assert_eq "$(agcount "$MNT")" 1100 "AG count with --force"
  jq -e '.warnings | any(test("1100 allocation groups.*1024, the limit --force lifts"))' \
    "$WORK/forced.json" >/dev/null || fail "no warning on the forced grow: $(cat "$WORK/forced.json")"
  ;;
*) fail "unknown case $CASE" ;;
esac
check_data "$MNT"
umount "$MNT"
check_fs xfs "$p"
note "xfs $CASE: ok"
