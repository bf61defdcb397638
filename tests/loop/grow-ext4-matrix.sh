#!/bin/bash
# The mounted-ext4 half of the growth matrix (GPT/MBR x 512/4096-byte
# sectors x 1 or 2 partitions), each case by grow-case.sh, all in one run:
# where root lacks CAP_SYS_RESOURCE they need a QEMU guest, and one guest
# for the eight cases costs one boot instead of eight.
#   grow-ext4-matrix.sh QGA-GROW
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/in-guest-if-needed.sh" "$0" "$@"
QG=$(readlink -f "${1:?usage: $0 QGA-GROW}")
failed=()
for label in gpt dos; do
  for ss in 512 4096; do
    for nparts in 1 2; do
      # by mountpoint (the root-style lookup) with one partition, by
      # partition with two, as the rest of the matrix
      target=mountpoint
      [ "$nparts" = 2 ] && target=partition
      echo "# case $label $ss ext4 nparts=$nparts target=$target"
      QG_IN_GUEST=${QG_IN_GUEST:-host} "$HERE/grow-case.sh" "$QG" "$label" "$ss" ext4 \
        "$nparts" "$target" || failed+=("$label-$ss-${nparts}part")
    done
  done
done
[ ${#failed[@]} = 0 ] || { echo "FAIL: mounted ext4 cases: ${failed[*]}" >&2; exit 1; }
echo "ok: all 8 mounted ext4 cases"
