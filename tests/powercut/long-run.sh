#!/bin/bash
# The power-cut long run (TORTURE.md): every case of the matrix, every
# flush/FUA cut point of each grow and up to QG_POWERCUT_BETWEEN (default
# 4) distinct in-between points before each, and QG_POWERCUT_FLAKEY_TRIALS
# (default 10) trials of each flakey case.  Each case runs in a QEMU guest
# of its own, two guests at a time (QG_POWERCUT_JOBS) taking the next case
# as one ends; a failed case does not stop the others.
#   long-run.sh BUILD-DIR [SEED [CASE...]]
# (CASEs: a part of the matrix, e.g. to run one case again.)
# Case N runs with seed SEED+N.  Each case's output goes to OUT/CASE.log
# (OUT: QG_POWERCUT_OUT, default a new /tmp/qg-powercut-long.* that is
# kept); a line per case as it ends, then the totals.  Exit 0 only when
# every case passed.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
B=$(readlink -f "${1:?usage: $0 BUILD-DIR [SEED [CASE...]]}")
seed=${2:-$(( $(date +%s%N) % 32768 ))}
shift $(( $# < 2 ? $# : 2 ))
jobs=${QG_POWERCUT_JOBS:-2}

# the slowest first (stacks, then the plain cases, then the flakey ones),
# so that the two guests end close together
cases=()
for s in ext4-lvm-on-luks2 ext4-luks2 xfs-lvm; do
  for how in cli lib; do cases+=("gpt-$s-$how"); done
done
for fs in xfs ext4 btrfs; do
  for label in gpt dos; do
    for how in cli lib; do cases+=("$label-$fs-$how"); done
  done
done
# --move-swap: a swap partition after the partition (GPT, MBR), and the
# Debian installer's extended partition holding the swap, each filesystem
cases+=(gpt-xfs-swap-cli dos-btrfs-swap-lib)
for fs in ext4 xfs btrfs; do
  for how in cli lib; do cases+=("dos-$fs-swapext-$how"); done
done
cases+=(flakey-gpt-ext4-luks2 flakey-gpt-xfs-lvm)
for fs in xfs ext4 btrfs; do
  for label in gpt dos; do cases+=("flakey-$label-$fs"); done
done
[ $# = 0 ] || cases=("$@")

export QG_POWERCUT_POINTS=0 QG_POWERCUT_BETWEEN=${QG_POWERCUT_BETWEEN:-4}
export QG_POWERCUT_FLAKEY_TRIALS=${QG_POWERCUT_FLAKEY_TRIALS:-10}
export QG_GUEST_TIMEOUT=${QG_GUEST_TIMEOUT:-14400}
out=${QG_POWERCUT_OUT:-$(mktemp -d /tmp/qg-powercut-long.XXXXXX)}
mkdir -p "$out"
echo 0 >"$out/next"
: >"$out/results"
echo "power-cut long run: ${#cases[@]} cases, seed $seed, $QG_POWERCUT_BETWEEN in between per" \
  "interval, $QG_POWERCUT_FLAKEY_TRIALS flakey trials, $jobs guests; logs in $out"

# next_case: the queue's next index (shared by the workers)
next_case() {
  # shellcheck disable=SC2016 # expanded by that sh
  flock "$out/next" sh -c 'n=$(cat "$1"); echo $((n + 1)) >"$1"; echo "$n"' _ "$out/next"
}

worker() {
  local n c rc t
  while n=$(next_case) && [ "$n" -lt "${#cases[@]}" ]; do
    c=${cases[n]} t=$SECONDS rc=0
    QG_POWERCUT_SEED=$((seed + n)) "$HERE/powercut.sh" "$B/qga-ext/qga-grow" \
      "$B/qga-ext/qga-grow-faulty" "$B/tests/powercut/pc-grow-lib" \
      "$B/tests/powercut/replay-log" "$c" >"$out/$c.log" 2>&1 || rc=$?
    # shellcheck disable=SC2016 # expanded by that sh
    flock "$out/results" sh -c 'echo "$1" >>"$2"' _ "$c $rc $((SECONDS - t))" "$out/results"
    if [ "$rc" = 0 ]; then
      echo "ok   $c (seed $((seed + n)), $((SECONDS - t)) s): $(grep -o '[0-9]* cut points and [0-9]* flakey trials' "$out/$c.log")"
    else
      echo "FAIL $c (seed $((seed + n)), exit $rc, $((SECONDS - t)) s): $(grep -m1 '^FAIL' "$out/$c.log")"
    fi
  done
}

t_all=$SECONDS
pids=()
for ((i = 0; i < jobs; i++)); do worker & pids+=($!); done
trap 'kill "${pids[@]}" 2>/dev/null' INT TERM
wait "${pids[@]}"

# the totals, from each passed case's PASS line
awk '
  / PASS: powercut / || /^PASS: powercut / {
    match($0, /: [0-9]+ cut points and [0-9]+ flakey trials \([0-9]+ at flush\/FUA, [0-9]+ in between; [0-9]+ reruns grew, [0-9]+ tables and [0-9]+ xfs/)
    if (RSTART) {
      split(substr($0, RSTART, RLENGTH), f, /[^0-9]+/)
      pts += f[2]; fl += f[3]; fua += f[4]; btw += f[5]; grew += f[6]; tab += f[7]; sb += f[8]
    }
    if (match($0, /; [0-9]+ ext4 journals replayed/))
      jf += substr($0, RSTART + 2, RLENGTH - 2) + 0
  }
  END {
    printf "totals: %d cut points (%d at flush/FUA, %d in between), %d flakey trials; %d reruns grew, %d tables and %d sets of xfs secondary superblocks mended by the rerun, %d ext4 journals replayed by e2fsck before the mount\n", pts, fua, btw, fl, grew, tab, sb, jf
  }' "$out"/*.log
passed=$(awk '$2 == 0' "$out/results" | wc -l)
failed=$(awk '$2 != 0 { printf " %s", $1 }' "$out/results")
echo "cases: $passed of ${#cases[@]} passed${failed:+; failed:$failed}; $((SECONDS - t_all)) s; logs in $out"
[ "$passed" = "${#cases[@]}" ]
