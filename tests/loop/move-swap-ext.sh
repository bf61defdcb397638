#!/bin/bash
# --move-swap on the Debian installer's layout (lib.sh: debian_mbr_table):
# root on partition 1, then extended partition 2 at the disk's end holding
# swap partition 5.  Each CASE:
#   SS-FS (SS 512 or 4096, FS ext4, xfs or btrfs): FS mounted with data on
#     partition 1, the swap on (UUID and label set), the disk 1 GiB -> 3 GiB.
#     Without --move-swap refused, naming the extended partition and the
#     option; the dry run shows the move; neither changes a byte.  The grow:
#     the extended partition and the swap at the disk's end, the swap on
#     again with its UUID, label and size, every partition number as it
#     was, partition 1 up to it; sfdisk --verify, the data and fsck clean;
#     a rerun exits 1.
#   refusals: refused by name, every byte left as it was and the swap on: an
#     extended partition that holds a partition that is not swap; swap
#     pages that do not fit in the memory available (the torture build's
#     QG_FAULT_MEM_AVAILABLE_KIB); a kernel whose partition 5 is not the
#     table's.
#   auto: "qga-grow auto DISK" (the udev rule's run) grows the disk's last
#     partition that is not swap, partition 1: refused with move-swap=false
#     in auto.conf, nothing changed; moved with move-swap=true.
#   crash (crash-4096: on 4096-byte sectors): the torture build killed
#     after the swap went off, after the new EBRs were written, after the
#     MBR was written: the next run completes the move (the swap then stays
#     off: nothing turns it on but the run that turned it off).
# Cases with ext4 run in a QEMU guest (its mounted growth needs
# CAP_SYS_RESOURCE, and there the swap is the guest's own); one guest for
# all of them.
#   move-swap-ext.sh QGA-GROW QGA-GROW-FAULTY CASE...
HERE=$(cd "$(dirname "$0")" && pwd)
case " $* " in
  *-ext4\ *)
    GUEST_ALWAYS=${GUEST_ALWAYS:-"mounted ext4 with a swap of its own"}
    . "$HERE/in-guest-if-needed.sh" "$0" "$@" ;;
esac
. "$HERE/lib.sh"
faulty=$(readlink -f "${1:?usage: $0 QGA-GROW QGA-GROW-FAULTY CASE...}")   # lib.sh took QGA-GROW
shift
[ $# -gt 0 ] || fail "no case given"
UUID=6b6b6b6b-2345-5432-bcde-123456789abc
SWAP_MIB=128

swapped_on() { grep -q "^$(readlink -f "$1") " /proc/swaps; }
swapoff_if_on() { ! swapped_on "$1" || swapoff "$1"; }
probe() { blkid -p -o value -s "$2" "$1"; }  # probe DEV UUID|LABEL

# setup SS FS [TABLE]: a 1 GiB disk of SS-byte sectors with the installer's
# table (or TABLE, an sfdisk script), the swap on partition 5 (on), FS with
# data on partition 1, mounted, and the disk grown to 3 GiB.  Sets D, SS,
# FS, P1, P5, SW (the swap's sectors), MNT.
setup() {
  SS=$1 FS=$2
  make_disk 1G "$SS"; D=$DISK
  partition "$D" "${3:-$(debian_mbr_table $((1 << 30)) "$SWAP_MIB" "$SS")}"
  P1=$(part_dev "$D" 1) P5=$(part_dev "$D" 5)
  mkswap -L qgswap -U "$UUID" "$P5" >/dev/null
  on_exit "swapoff_if_on $P5"
  swapon "$P5"
  SW=$(part_field "$D" 5 size)
  if [ "$FS" = ext4 ]; then
    # no lazy initialisation: nothing writes behind the byte-identical checks
    mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$P1"
  else
    make_fs "$FS" "$P1"
  fi
  mount_fs "$P1"
  write_data "$MNT"
  enlarge "$D" 3G
}

# check_moved: the swap and its extended partition end at the disk's end
# (the last MiB before it, the 33 sectors growpart keeps free), the swap on
# with its UUID, label and size, where the kernel has it; partition 1 up to
# the extended partition; the same partition numbers; a clean table, the
# data; a rerun has nothing to do.
check_moved() {
  local s5 e2 end n
  swapped_on "$P5" || fail "the swap is not on again"
  assert_eq "$(probe "$P5" UUID)" "$UUID" "the swap's UUID"
  assert_eq "$(probe "$P5" LABEL)" qgswap "the swap's label"
  assert_eq "$(part_field "$D" 5 size)" "$SW" "the swap's size"
  s5=$(part_field "$D" 5 start) e2=$(part_field "$D" 2 start)
  assert_eq "$e2" $((s5 - 2)) "the extended partition's start, its EBR in front of the swap"
  end=$((s5 + SW))
  assert_eq "$(( $(part_field "$D" 2 start) + $(part_field "$D" 2 size) ))" "$end" \
    "the extended partition's end"
  n=$(( $(sectors_of "$D") - end ))
  (( n >= 33 && n < (1 << 20) / SS + 33 )) || fail "the swap ends $n sectors before the disk's end"
  assert_eq "$(( $(part_field "$D" 1 start) + $(part_field "$D" 1 size) ))" "$e2" \
    "partition 1 ends where the extended partition starts"
  assert_eq "$(part_field "$D" 1 bootable)" true "partition 1's boot flag"
  assert_eq "$(sfdisk --json "$D" | jq -r '[.partitiontable.partitions[].node] | join(" ")')" \
    "$P1 $(part_dev "$D" 2) $P5" "the partition numbers"
  assert_eq "$(cat /sys/class/block/"${P5##*/}"/start)" $((s5 * SS / 512)) "the kernel's swap start"
  check_table "$D" dos
  check_data "$MNT"
  run_qg 1 "$WORK/again" --move-swap "$P1"
}

grow_case() {  # grow_case SS FS
  local before fs_before fs_after
  setup "$1" "$2"
  before=$(fingerprint "$D")
  run_qg 2 "$WORK/no" "$P1"
  grep -q "extended partition 2, which holds swap partition 5 and nothing else" "$WORK/no.err" ||
    fail "refusal said: $(cat "$WORK/no.err")"
  grep -q -- "--move-swap would move it there" "$WORK/no.err" || fail "refusal does not name --move-swap"
  run_qg 0 "$WORK/dry" --dry-run --move-swap --json "$P1"
  grep -q "swap partition 5 (.*) would move from sector .* with extended partition 2" "$WORK/dry.err" ||
    fail "the dry run does not show the move: $(cat "$WORK/dry.err")"
  assert_eq "$(jget "$WORK/dry" '[.layers[] | "\(.kind):\(.state)"] | join(" ")')" \
    "partition:planned filesystem:planned swap:planned" "the dry run's layers"
  assert_fingerprint "$D" "$before" "the disk after the refusal and the dry run"
  swapped_on "$P5" || fail "the dry run turned the swap off"

  fs_before=$(fs_size "$FS" "$P1" "$MNT")
  run_qg 0 "$WORK/move" --json --move-swap "$P1"
  assert_eq "$(jget "$WORK/move" '[.layers[] | "\(.kind):\(.state)"] | join(" ")')" \
    "partition:grown filesystem:grown swap:moved" "the report's layers"
  assert_eq "$(jget "$WORK/move" '.layers[2] | [.device, .type, .partno, .["old-size"], .size, .changed] | @tsv')" \
    "$(printf '%s\tswap\t5\t%s\t%s\ttrue' "$P5" $((SW * SS)) $((SW * SS)))" "the swap's layer"
  check_moved
  fs_after=$(fs_size "$FS" "$P1" "$MNT")
  (( fs_after > fs_before + (1800 << 20) )) || fail "the filesystem did not grow: $fs_before -> $fs_after"
  assert_eq "$(jget "$WORK/move" '.layers[1].size')" "$fs_after" "the report's filesystem size"
  unmount_fs "$MNT"
  check_fs "$FS" "$P1"
  swapoff "$P5"
  note "$1-$2: moved; $FS $fs_before -> $fs_after"
}

# refused WANT-IN-ERR ARGS...: qga-grow (or the torture build, with
# QG_FAULTY=1) is refused naming WANT; not a byte changed, the swap on
refused() {
  local want=$1 before qg=$QG
  shift
  [ -z "${QG_FAULTY:-}" ] || qg=$faulty
  before=$(fingerprint "$D")
  QG=$qg run_qg 2 "$WORK/r" "$@"
  grep -q -- "$want" "$WORK/r.err" || fail "refusal said: $(cat "$WORK/r.err"), want: $want"
  assert_fingerprint "$D" "$before" "the disk after the refusal ($want)"
  swapped_on "$P5" || fail "the refusal ($want) turned the swap off"
  note "refused: $(cat "$WORK/r.err")"
}

refusals() {
  local m=$(( (1 << 20) / 512 ))
  # swap partition 5 and a filesystem on partition 6 in the extended one
  setup 512 xfs "label: dos
start=$m, size=$((700 * m)), type=83
start=$((702 * m - 2)), size=$((320 * m + 2)), type=5
start=$((702 * m)), size=$((128 * m)), type=82
start=$((831 * m)), size=$((191 * m)), type=83"
  mkfs.ext4 -q -F "$(part_dev "$D" 6)"
  refused "it holds partition 6, which is not swap" --move-swap "$P1"
  refused "it holds partition 6, which is not swap" --move-swap --dry-run "$P1"
  refused "extended partition 2 starts after it" "$P1"
  unmount_fs "$MNT"
  swapoff "$P5"

  # the installer's layout, the swap in use beyond what memory can take
  setup 512 xfs
  QG_FAULTY=1 QG_FAULT_MEM_AVAILABLE_KIB=1024 refused "cannot be turned off to move it" \
    --move-swap "$P1"
  # ... and the table changed behind the kernel's back: its partition 5
  # starts 1 MiB later, the kernel's /dev/...p5 is the old one
  local s5 z5
  s5=$(part_field "$D" 5 start) z5=$(part_field "$D" 5 size)
  sfdisk -d "$D" | sed "/${P5##*/} :/s/start= *$s5, size= *$z5,/start=$((s5 + m)), size=$((z5 - m)),/" |
    sfdisk -q --force --no-reread --no-tell-kernel "$D" >/dev/null 2>&1
  assert_eq "$(part_field "$D" 5 start)" $((s5 + m)) "the table's partition 5, 1 MiB after the kernel's"
  refused "the partition numbers the system knows are not the table's" --move-swap "$P1"
  unmount_fs "$MNT"
  swapoff "$P5"

  # a second data entry in partition 5's EBR: the kernel registers it (as
  # partition 6), libfdisk does not read it; moving the extended partition
  # would leave its data inside the grown partition 1
  local ebr=$((702 * m - 2)) hidden=$((831 * m))
  setup 512 xfs "label: dos
start=$m, size=$((700 * m)), type=83
start=$ebr, size=$((320 * m + 2)), type=5
start=$((702 * m)), size=$((128 * m)), type=82"
  # entry 2 of the EBR: type 0x83, start relative to the EBR, 64 MiB
  printf '\x00\x00\x00\x00\x83\x00\x00\x00%b%b' \
    "$(le32 $((hidden - ebr)))" "$(le32 $((64 * m)))" |
    dd of="$D" bs=1 seek=$((ebr * 512 + 462)) conv=notrunc status=none
  sync
  addpart "$D" 6 "$hidden" $((64 * m))
  on_exit "delpart $D 6 2>/dev/null || true"
  ! sfdisk -d "$D" | grep -q "^$(part_dev "$D" 6) " ||
    fail "libfdisk reads the EBR's second data entry: the case shows nothing"
  refused "inside extended partition 2, which the table does not list there" --move-swap "$P1"
  delpart "$D" 6
  unmount_fs "$MNT"
  swapoff "$P5"
}

# le32 N: N as 4 little-endian bytes, printf escapes
le32() { printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)); }

auto_case() {
  local before conf=$WORK/auto.conf
  setup 512 xfs
  printf '[auto]\nmove-swap=false\n' >"$conf"
  before=$(fingerprint "$D")
  run_qg 2 "$WORK/auto" auto --config "$conf" "${D#/dev/}"
  grep -q "partition 1 of $D cannot grow: extended partition 2" "$WORK/auto.err" ||
    fail "auto with move-swap=false said: $(cat "$WORK/auto.err")"
  assert_fingerprint "$D" "$before" "the disk after auto with move-swap=false"
  printf '[auto]\n[disk %s]\nmove-swap=true\n' "${D#/dev/}" >"$conf"
  run_qg 0 "$WORK/auto" auto --config "$conf" "${D#/dev/}"
  grep -q "grown: partition $P1 .*; swap $P5 (swap)" "$WORK/auto.err" ||
    fail "auto with move-swap=true said: $(cat "$WORK/auto.err")"
  check_moved
  unmount_fs "$MNT"
  swapoff "$P5"
  note "auto: $(head -n 1 "$WORK/auto.err")"
}

crashes() {  # crashes SS
  local point old
  setup "$1" xfs
  for point in swap-off ebrs-written table-written; do
    enlarge "$D" $(( $(blockdev --getsize64 "$D") + (512 << 20) ))
    old=$(sfdisk -d "$D")
    QG_FAULT_POINT=$point "$faulty" --move-swap "$P1" >/dev/null 2>&1 &
    wait $! 2>/dev/null && fail "the torture build was not killed at $point"
    swapped_on "$P5" && fail "killed at $point: the swap is still on"
    case $point in
      table-written)
        [ "$(sfdisk -d "$D")" != "$old" ] || fail "killed at $point: the table is as it was"
        [ "$(cat "/sys/class/block/${P5##*/}/start")" != $(( $(part_field "$D" 5 start) * SS / 512 )) ] ||
          fail "killed at $point: the kernel already has the moved swap" ;;
      *)
        assert_eq "$(sfdisk -d "$D")" "$old" "killed at $point: the table"
        assert_eq "$(probe "$P5" UUID)" "$UUID" "killed at $point: the old swap's UUID" ;;
    esac
    run_qg 0 "$WORK/rerun" --move-swap "$P1"
    swapon "$P5"
    check_moved
    note "killed at $point: completed by the rerun ($(tr '\n' ' ' <"$WORK/rerun.err"))"
  done
  unmount_fs "$MNT"
  check_fs "$FS" "$P1"
  swapoff "$P5"
}

for c in "$@"; do
  case $c in
    refusals) refusals ;;
    auto) auto_case ;;
    crash) crashes 512 ;;
    crash-4096) crashes 4096 ;;
    512-*|4096-*) grow_case "${c%%-*}" "${c#*-}" ;;
    *) fail "unknown case $c" ;;
  esac
done
echo "PASS: move-swap-ext $*"
