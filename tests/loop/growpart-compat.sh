#!/bin/bash
# "qga-grow growpart DISK N" against cloud-utils growpart itself, on twin
# disks: the same lines (device names aside), the same exit codes, the same
# resulting tables.  The last partition, a partition followed by a gap
# (which grows to the next partition's start), and disk image files (the
# table alone: byte for byte the same files).
#   growpart-compat.sh QGA-GROW
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
command -v growpart >/dev/null || fail "growpart (cloud-guest-utils) is not installed"

# run_both WANT_EXIT ARGS...: growpart ARGS on disk A, ours on disk B.
run_both() {
  local want=$1 ra=0 rb=0
  shift
  growpart "${@/DISK/$a}" >"$WORK/a.out" 2>"$WORK/a.err" || ra=$?
  "$QG" growpart "${@/DISK/$b}" >"$WORK/b.out" 2>"$WORK/b.err" || rb=$?
  assert_eq "$ra" "$want" "growpart $* exit"
  assert_eq "$rb" "$want" "qga-grow growpart $* exit"
  # growpart adds a line about its own backups on some paths; compare the
  # result lines
  grep -E '^(CHANGED|CHANGE|NOCHANGE):' "$WORK/a.out" | sed "s|$a|DISK|g" >"$WORK/a.lines"
  grep -E '^(CHANGED|CHANGE|NOCHANGE):' "$WORK/b.out" | sed "s|$b|DISK|g" >"$WORK/b.lines"
  [ -s "$WORK/a.lines" ] || fail "growpart printed no result line: $(cat "$WORK/a.out" "$WORK/a.err")"
  diff -u "$WORK/a.lines" "$WORK/b.lines" >&2 || fail "output differs from growpart's"
  note "both: $(cat "$WORK/b.lines")"
}

for label in dos gpt; do
  make_disk 256M; a=$DISK
  make_disk 256M; b=$DISK
  # Twin tables, identifiers included, so the dumps compare byte for byte.
  if [ "$label" = gpt ]; then
    table="label: gpt
label-id: 11111111-2222-3333-4444-555555555555
size=32M, uuid=aaaaaaaa-0000-0000-0000-000000000001
size=64M, uuid=aaaaaaaa-0000-0000-0000-000000000002"
  else
    table="label: dos
label-id: 0x12345678
,32M
,64M"
  fi
  for d in "$a" "$b"; do
    partition "$d" "$table"
    make_fs ext4 "$(part_dev "$d" 2)"
    enlarge "$d" 512M
  done
  run_both 0 DISK 2 -N
  run_both 0 DISK 2
  run_both 1 DISK 2
  # The resulting tables are the same, sector for sector.
  assert_eq "$(sfdisk --dump "$b" | sed "s|$b|DISK|g")" "$(sfdisk --dump "$a" | sed "s|$a|DISK|g")" \
    "$label table after growpart vs qga-grow growpart"
  assert_eq "$(blockdev --getsize64 "$(part_dev "$b" 2)")" \
    "$(blockdev --getsize64 "$(part_dev "$a" 2)")" "kernel's partition size"
  check_table "$b" "$label"
  # Growth under the fudge is NOCHANGE for both.
  for d in "$a" "$b"; do enlarge "$d" $(( (512 << 20) + (512 << 10) )); done
  run_both 1 DISK 2
  # A smaller fudge lets it grow; options spelt as growpart takes them.
  for tool in growpart "$QG growpart"; do
    rc=0; $tool --fudge=262144 "$a" 2 >/dev/null 2>&1 || rc=$?
    assert_eq "$rc" 2 "$tool --fudge=N (growpart knows only --fudge N)"
  done
  run_both 0 --update=auto --fudge 262144 DISK 2
  run_both 1 DISK 2
  # --free-percent: 10% of the disk kept free at its end; again, nothing;
  # 50% would cut into the partition: NOCHANGE; without it, to the end.
  for d in "$a" "$b"; do enlarge "$d" 1G; done
  run_both 0 --free-percent=10 DISK 2
  assert_eq "$(sfdisk --dump "$b" | sed "s|$b|DISK|g")" "$(sfdisk --dump "$a" | sed "s|$a|DISK|g")" \
    "$label table after --free-percent=10"
  run_both 1 --free-percent 10 DISK 2
  run_both 1 --free-percent=50 DISK 2
  run_both 0 DISK 2
  check_table "$b" "$label"
done
# Twin tables, identifiers included: label-id, and on GPT the partitions'
# UUIDs (twin_table LABEL LINE...: LINE "start=..., size=...").
twin_table() {
  local label=$1 i=0 l
  shift
  if [ "$label" = gpt ]; then
    echo "label: gpt"
    echo "label-id: 11111111-2222-3333-4444-555555555555"
    for l in "$@"; do
      i=$((i + 1))
      echo "$l, uuid=aaaaaaaa-0000-0000-0000-00000000000$i"
    done
  else
    echo "label: dos"
    echo "label-id: 0x12345678"
    printf '%s\n' "$@"
  fi
}
same_tables() {  # same_tables WHAT
  assert_eq "$(sfdisk --dump "$b" 2>/dev/null | sed "s|$b|DISK|g")" \
    "$(sfdisk --dump "$a" 2>/dev/null | sed "s|$a|DISK|g")" "$1: table after growpart vs qga-grow growpart"
}

# A partition followed by free space grows up to the next partition's
# start, not only the last one.  Partition 1: a gap of 64 MiB after it;
# partition 2: a gap of 512 KiB, under growpart's fudge; partition 3 to the
# disk's end.
for label in dos gpt; do
  make_disk 256M; a=$DISK
  make_disk 256M; b=$DISK
  table=$(twin_table "$label" "start=2048, size=65536" "start=196608, size=130048" \
    "start=327680, size=196575")
  for d in "$a" "$b"; do partition "$d" "$table"; done
  run_both 0 DISK 1 -N
  run_both 0 DISK 1
  same_tables "$label gap"
  assert_eq "$(part_field "$b" 1 size)" $((196608 - 2048)) "$label: partition 1 up to partition 2"
  assert_eq "$(blockdev --getsize64 "$(part_dev "$b" 1)")" \
    "$(blockdev --getsize64 "$(part_dev "$a" 1)")" "kernel's size of partition 1"
  run_both 1 DISK 1
  run_both 1 DISK 2
  run_both 0 --fudge 262144 DISK 2
  same_tables "$label small gap"
  assert_eq "$(blockdev --getsize64 "$(part_dev "$b" 2)")" \
    "$(blockdev --getsize64 "$(part_dev "$a" 2)")" "kernel's size of partition 2"
  run_both 1 DISK 3
  check_table "$b" "$label"
done

# Disk image files: growpart works on the table alone, and so does
# qga-grow growpart.  The files come out byte for byte the same.
for label in dos gpt; do
  a=$WORK/a-$label.img b=$WORK/b-$label.img
  table=$(twin_table "$label" "start=2048, size=65536" "start=196608, size=65536")
  for d in "$a" "$b"; do
    truncate -s 256M "$d"
    printf '%s\n' "$table" | sfdisk -q --wipe always "$d" >/dev/null
  done
  cmp -s "$a" "$b" || fail "setup: twin images differ"
  run_both 0 DISK 1 -N
  cmp -s "$a" "$b" || fail "$label image after a dry run"
  run_both 0 DISK 1
  cmp "$a" "$b" >&2 || fail "$label image after growing partition 1 into the gap"
  # the disk image grows: the last partition follows, GPT's backup moves
  truncate -s 512M "$a" "$b"
  run_both 0 DISK 2 -N
  run_both 0 DISK 2
  cmp "$a" "$b" >&2 || fail "$label image after growing partition 2 to its end"
  run_both 1 DISK 2
  # (Not compared: --free-percent on a partition that is not the last.
  # growpart takes the reserve off the gap too; qga-grow keeps it at the
  # disk's end only, where the option says it is.)
  [ "$label" = gpt ] && { sgdisk -v "$b" | grep -q '^No problems found' || fail "sgdisk -v $b"; }
  sfdisk --verify "$b" >/dev/null 2>&1 || fail "sfdisk --verify $b"
done
echo "ok: growpart compatibility"
