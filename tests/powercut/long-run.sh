#!/bin/bash
# The power-cut long run (TORTURE.md): every case of the matrix, every
# flush/FUA cut point of each grow and QG_POWERCUT_BETWEEN (default 2)
# random in-between points before each, and QG_POWERCUT_FLAKEY_TRIALS
# (default 10) trials of each flakey case, in two QEMU guests beside each
# other (half the cases each).
#   long-run.sh BUILD-DIR [SEED]
# Prints each guest's output as it ends; exit 0 only when both passed.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
B=$(readlink -f "${1:?usage: $0 BUILD-DIR [SEED]}")
seed=${2:-$(( $(date +%s%N) % 32768 ))}
cases=()
for label in gpt dos; do
  for fs in ext4 xfs btrfs; do
    for how in cli lib; do cases+=("$label-$fs-$how"); done
  done
done
for s in ext4-luks2 xfs-lvm ext4-lvm-on-luks2; do
  for how in cli lib; do cases+=("gpt-$s-$how"); done
done
# the disk that drops its writes from a random point on (flakey.sh)
for label in gpt dos; do
  for fs in ext4 xfs btrfs; do cases+=("flakey-$label-$fs"); done
done
cases+=(flakey-gpt-ext4-luks2 flakey-gpt-xfs-lvm)
half=()
for i in 0 1; do half[i]=; done
for i in "${!cases[@]}"; do half[i % 2]+=" ${cases[i]}"; done

export QG_POWERCUT_POINTS=0 QG_POWERCUT_BETWEEN=${QG_POWERCUT_BETWEEN:-2}
export QG_POWERCUT_FLAKEY_TRIALS=${QG_POWERCUT_FLAKEY_TRIALS:-10}
export QG_GUEST_TIMEOUT=${QG_GUEST_TIMEOUT:-36000}
out=$(mktemp -d /tmp/qg-powercut-long.XXXXXX)
pids=()
for i in 0 1; do
  # shellcheck disable=SC2086
  QG_POWERCUT_SEED=$((seed + i)) "$HERE/powercut.sh" "$B/qga-ext/qga-grow" \
    "$B/qga-ext/qga-grow-faulty" "$B/tests/powercut/pc-grow-lib" \
    "$B/tests/powercut/replay-log" ${half[i]} >"$out/guest$i.log" 2>&1 &
  pids+=($!)
done
rc=0
for i in 0 1; do
  wait "${pids[i]}" || rc=1
  echo "=== guest $i (seed $((seed + i))):"
  cat "$out/guest$i.log"
done
rm -rf "$out"
exit "$rc"
