#!/bin/bash
# The deep-stack benchmark in one command (as root, from anywhere):
#   bench/stacks.sh [--runs N] [--floor-runs N] [--profile-runs N] [--out DIR] [STACK...]
# Builds, then in one throwaway QEMU guest (TCG) runs bench/stack-bench.sh
# (qga-grow against the classic chain on each storage stack, interleaved,
# and the floor), and in a second one its profile (qg-stage-timer.so in
# qga-grow on each stack); writes DIR (default bench/results): stacks.csv
# (one line a run), STACKS.md (machine, load during the run, the table) and
# STACKS-PROFILE.md.  See BENCHMARKS.md, "Storage stacks".
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
runs=5 floor_runs=3 profile_runs=3 out=$ROOT/bench/results
while [ $# -gt 0 ]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --floor-runs) floor_runs=$2; shift 2 ;;
    --profile-runs) profile_runs=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
               exit 0 ;;
    -*) echo "stacks.sh: unknown argument $1 (try --help)" >&2; exit 2 ;;
    *) break ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "stacks.sh: run as root" >&2; exit 2; }
cd "$ROOT"
started=$SECONDS
if [ ! -f build/build.ninja ]; then meson setup build -Dwerror=true >/dev/null; fi
ninja -C build qga-ext/qga-grow qga-ext/lvm-dsync.so bench/qg-bench-exec bench/qg-resize-floor \
  bench/qg-lib-grow bench/libqg-stage-timer.so >/dev/null
tools=(build/qga-ext/qga-grow build/bench/qg-bench-exec build/bench/qg-resize-floor
       build/bench/qg-lib-grow)
mkdir -p "$out"
logs=$(mktemp -d /tmp/qg-stacks-run.XXXXXX)
sampler=
trap '[ -n "$sampler" ] && kill "$sampler" 2>/dev/null; rm -rf "$logs"' EXIT
load() { cut -d' ' -f1-3 /proc/loadavg; }
# the 1-minute load average every 10 s: the figures are as good as the
# machine was quiet
(
  trap 'kill "$nap" 2>/dev/null; exit 0' TERM
  while :; do cut -d' ' -f1 /proc/loadavg; sleep 10 & nap=$!; wait "$nap"; done
) >"$logs/load.txt" &
sampler=$!
load_start=$(load)
export QG_GUEST_TIMEOUT=${QG_GUEST_TIMEOUT:-5400} LC_ALL=C
export QG_LVM_DSYNC=$ROOT/build/qga-ext/lvm-dsync.so
# (QG_IN_GUEST: tests/stack/lib.sh runs the script where it is, the guest)
guest() { QG_IN_GUEST=1 tests/vm/run-in-guest.sh --mem 2048 --timeout "$QG_GUEST_TIMEOUT" -- "$@"; }
{ guest bench/stack-bench.sh --runs "$runs" --floor-runs "$floor_runs" "${tools[@]}" "$@" \
    2>&1 >"$out/stacks.csv" | tee "$logs/bench.log"; } >&2
bench_s=$((SECONDS - started)) load_bench=$(load)
{
  echo "# Where qga-grow's time goes on each storage stack"
  echo
  echo "Made by \`bench/stacks.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'), commit" \
       "$(git rev-parse --short HEAD 2>/dev/null || echo unknown), in the QEMU guest (TCG):"
  echo "qg-stage-timer.so in qga-grow, microseconds, median of $profile_runs runs each."
  echo
  guest bench/stack-bench.sh --profile "$profile_runs" build/bench/libqg-stage-timer.so "${tools[@]}" "$@"
} >"$out/STACKS-PROFILE.md" 2>"$logs/profile.log"
total_s=$((SECONDS - started))
kill "$sampler" 2>/dev/null; sampler=
{
  echo "# Deep-stack benchmark results"
  echo
  echo "Made by \`bench/stacks.sh --runs $runs --floor-runs $floor_runs\` on" \
       "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)."
  echo
  echo "- machine: $(nproc) CPUs, $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- |
       sed 's/^ *//'), $(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM"
  grep -h '^# guest: kernel' "$logs/bench.log" | head -1 | sed 's/^# /- /' || true
  echo "- load averages (1, 5, 15 min): start $load_start; after the benchmark $load_bench" \
       "(${bench_s} s)"
  sort -n "$logs/load.txt" | awk '{ v[NR] = $1 } END {
    printf "- 1-minute load average, sampled every 10 s during the run: min %s, median %s, max %s (%d samples)\n",
      v[1], v[int((NR + 1) / 2)], v[NR], NR }'
  echo "- total run time of bench/stacks.sh: ${total_s} s, profile included"
  echo
  bench/stack-summary.py "$out/stacks.csv"
} >"$out/STACKS.md"
cat "$out/STACKS.md"
