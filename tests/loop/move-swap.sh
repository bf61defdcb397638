#!/bin/bash
# --move-swap: a partition with a swap partition right after it, at the
# disk's end.  Without the option: refused, naming the swap, byte-identical.
# With it: the swap (on, with data on the filesystem) moves to the disk's
# new end with its size, UUID and label, is on again, and the partition and
# its filesystem grow into the space it left; a rerun has nothing to do.
# The report lists the swap as a layer (kind swap, state moved).  A run
# killed after the swap went off, or after the table was written but
# before the kernel heard, is completed by the next run.
#   move-swap.sh QGA-GROW [QGA-GROW-FAULTY] LABEL FS
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
faulty=${1:-} label=${2:-gpt} fs=${3:-xfs}   # lib.sh took QGA-GROW
[ -z "$faulty" ] || faulty=$(readlink -f "$faulty")
UUID=5a5a5a5a-1234-4321-abcd-0123456789ab

swapped_on() { grep -q "^$(readlink -f "$1") " /proc/swaps; }
swapoff_if_on() { ! swapped_on "$1" || swapoff "$1"; }

# a disk whose first partition holds FS with data and whose second, swap
# (on), fills the rest: sets D, P1, P2, MNT
setup() {
  make_disk 512M; D=$DISK
  local t=S
  [ "$label" = dos ] && t=S
  partition "$D" "label: $label
,320M,L
,,$t"
  P1=$(part_dev "$D" 1) P2=$(part_dev "$D" 2)
  mkswap -L qgswap -U "$UUID" "$P2" >/dev/null
  on_exit "swapoff_if_on $P2"
  swapon "$P2"
  make_fs "$fs" "$P1"
  mount_fs "$P1"
  write_data "$MNT"
}

check_moved() {
  local swap_sectors=$1
  swapped_on "$P2" || fail "the swap is not on again"
  assert_eq "$(blkid -s UUID -o value "$P2")" "$UUID" "the swap's UUID"
  assert_eq "$(blkid -s LABEL -o value "$P2")" qgswap "the swap's label"
  assert_eq "$(part_field "$D" 2 size)" "$swap_sectors" "the swap's size"
  local end=$(( $(part_field "$D" 2 start) + swap_sectors ))
  (( $(sectors_of "$D") - end < 2048 + 40 )) || fail "the swap does not end at the disk's end"
  assert_eq "$(( $(part_field "$D" 1 start) + $(part_field "$D" 1 size) ))" \
    "$(part_field "$D" 2 start)" "partition 1 ends where the swap starts"
  assert_eq "$(cat /sys/class/block/"$(basename "$P2")"/start)" \
    "$(( $(part_field "$D" 2 start) * $(blockdev --getss "$D") / 512 ))" "the kernel's swap start"
  run_qg 1 "$WORK/again" --move-swap "$P1"
  check_table "$D" "$label"
  check_data "$MNT"
}

setup
sw=$(part_field "$D" 2 size)
enlarge "$D" 1G
# not without the option: the message names the swap and the option
before=$(fingerprint "$D")
run_qg 2 "$WORK/no" "$P1"
grep -q "swap partition 2" "$WORK/no.err" || fail "refusal said: $(cat "$WORK/no.err")"
grep -q -- "--move-swap" "$WORK/no.err" || fail "refusal does not name --move-swap"
run_qg 0 "$WORK/dry" --dry-run --move-swap --json "$P1"
grep -q "would move" "$WORK/dry.err" || fail "the dry run does not say the swap would move"
assert_fingerprint "$D" "$before" "the disk after the refusal and the dry run"
swapped_on "$P2" || fail "the dry run turned the swap off"
fs_before=$(fs_size "$fs" "$P1" "$MNT")
run_qg 0 "$WORK/move" --json --move-swap "$P1"
check_moved "$sw"
fs_after=$(fs_size "$fs" "$P1" "$MNT")
(( fs_after > fs_before + (400 << 20) )) || fail "the filesystem did not grow: $fs_before -> $fs_after"
assert_eq "$(jget "$WORK/move" '.layers[1].size')" "$fs_after" "the report's filesystem size"
assert_eq "$(jget "$WORK/move" '.layers[2] | [.kind, .device, .partno, .size, .state] | @tsv')" \
  "$(printf 'swap\t%s\t2\t%s\tmoved' "$P2" $((sw * $(blockdev --getss "$D"))))" "the report's swap layer"
assert_eq "$(jget "$WORK/dry" '.layers[2] | [.kind, .state] | @tsv')" "$(printf 'swap\tplanned')" \
  "the dry run's swap layer"
note "moved: filesystem $fs_before -> $fs_after"

if [ -n "$faulty" ]; then
  for point in swap-off table-written; do
    enlarge "$D" $(( $(blockdev --getsize64 "$D") + (256 << 20) ))
    QG_FAULT_POINT=$point "$faulty" --move-swap "$P1" >/dev/null 2>&1 &
    wait $! 2>/dev/null || true
    # the swap may be off after such a crash: nothing turns it on but the
    # run that turned it off
    run_qg 0 "$WORK/rerun" --move-swap "$P1"
    swapped_on "$P2" || swapon "$P2"
    check_moved "$sw"
    note "killed at $point: completed by the rerun ($(cat "$WORK/rerun.err" | tr '\n' ' '))"
  done
fi
unmount_fs "$MNT"
check_fs "$fs" "$P1"
echo "PASS: move-swap $label $fs"
