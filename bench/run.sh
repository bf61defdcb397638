#!/bin/bash
# The grow benchmark, all of it, in one command (as root, from anywhere):
#   bench/run.sh [--runs N] [--no-guest] [--no-profile] [--out DIR]
# Installs what it needs, builds, then runs bench/grow-bench.sh twice:
#   host   xfs and btrfs (this host's root may not grow a mounted ext4:
#          it lacks CAP_SYS_RESOURCE in some sandboxes)
#   guest  ext4, xfs and btrfs inside one throwaway QEMU guest (TCG), all
#          contenders under the same emulation
# and writes to DIR (default bench/results): host.csv and guest.csv (one
# line a run), summary.csv, and RESULTS.md (machine, load, run time and the
# tables that BENCHMARKS.md quotes), and PROFILE.md (unless --no-profile):
# where qga-grow's time goes (bench/profile.sh), for xfs and btrfs 1G->2G on
# the host and ext4 1G->2G in the guest.  Takes about 15 minutes.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
runs=5 guest=1 profile=1 out=$ROOT/bench/results
while [ $# -gt 0 ]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --no-guest) guest=0; shift ;;
    --no-profile) profile=0; shift ;;
    --out) out=$2; shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
               exit 0 ;;
    *) echo "run.sh: unknown argument $1 (try --help)" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "run.sh: run as root (loop devices, mounts)" >&2; exit 2; }
cd "$ROOT"
started=$SECONDS

"$ROOT/scripts/install-deps.sh" test
"$ROOT/scripts/install-vm-deps.sh"
# perf: instruction counts, where the CPU has them; the rest for the profile
"$ROOT/scripts/apt-install.sh" linux-perf strace valgrind
if [ ! -f build/build.ninja ]; then meson setup build -Dwerror=true >/dev/null; fi
ninja -C build qga-ext/qga-grow bench/qg-lib-grow bench/qg-bench-exec bench/qg-resize-floor \
  bench/libqg-stage-timer.so >/dev/null
tools=(build/qga-ext/qga-grow build/bench/qg-lib-grow build/bench/qg-bench-exec
       build/bench/qg-resize-floor)

mkdir -p "$out"
logs=$(mktemp -d /tmp/qg-bench-run.XXXXXX)
sampler=
trap '[ -n "$sampler" ] && kill "$sampler" 2>/dev/null; rm -rf "$logs"' EXIT
load() { cut -d' ' -f1-3 /proc/loadavg; }
# The 1-minute load average every 10 s while the benchmark runs: the
# figures are only as good as the machine was quiet.
(
  trap 'kill "$nap" 2>/dev/null; exit 0' TERM
  while :; do cut -d' ' -f1 /proc/loadavg; sleep 10 & nap=$!; wait "$nap"; done
) >"$logs/load.txt" &
sampler=$!

load_start=$(load)
t0=$SECONDS
# (stdout, the CSV, to its file; progress to the terminal and a log)
{ bench/grow-bench.sh --env host --runs "$runs" --fs "xfs btrfs" --perf-event auto \
    "${tools[@]}" 2>&1 >"$out/host.csv" | tee "$logs/host.log"; } >&2
host_s=$((SECONDS - t0)) load_host=$(load)
raw=("$out/host.csv")

if [ "$guest" = 1 ]; then
  t0=$SECONDS
  # One guest for all rows; 2 GiB holds the sparse images' written blocks
  # in the guest's tmpfs /tmp.
  { tests/vm/run-in-guest.sh --mem 2048 --timeout 2400 -- \
      bench/grow-bench.sh --env guest --runs "$runs" --fs "ext4 xfs btrfs" --perf-event auto \
      "${tools[@]}" 2>&1 >"$out/guest.csv" | tee "$logs/guest.log"; } >&2
  guest_s=$((SECONDS - t0)) load_guest=$(load)
  raw+=("$out/guest.csv")
fi

if [ "$profile" = 1 ]; then
  {
    echo "# Where qga-grow's time goes"
    echo
    echo "Made by \`bench/run.sh\` (bench/profile.sh) on $(date -u '+%Y-%m-%d %H:%M UTC')."
    echo
    for fs in xfs btrfs; do bench/profile.sh build "$fs" 1G 2G; echo; done
    if [ "$guest" = 1 ]; then
      echo "QEMU guest (TCG): times inflated by the emulation."
      echo
      tests/vm/run-in-guest.sh --mem 2048 --timeout 1200 -- bench/profile.sh build ext4 1G 2G
    fi
  } >"$out/PROFILE.md"
fi

bench/summarize.py --csv "$out/summary.csv" "${raw[@]}" >"$logs/tables.md"
total_s=$((SECONDS - started))
kill "$sampler" 2>/dev/null; sampler=
{
  echo "# Grow benchmark results"
  echo
  echo "Made by \`bench/run.sh --runs $runs\` on $(date -u '+%Y-%m-%d %H:%M UTC'), commit" \
       "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)."
  echo
  echo "- machine: $(nproc) CPUs, $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- |
       sed 's/^ *//'), $(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM"
  echo "- host OS: $(. /etc/os-release && echo "$PRETTY_NAME")"
  # "# ENV: kernel K, N CPU, MODEL, perf event: E" from grow-bench.sh
  grep -h '^# [a-z]*: kernel' "$logs"/*.log | sed 's/^# /- /' || true
  echo "- load averages (1, 5, 15 min): start $load_start; after the host rows $load_host" \
       "(${host_s} s)${load_guest:+; after the guest rows $load_guest (${guest_s} s)}"
  sort -n "$logs/load.txt" | awk '{ v[NR] = $1 } END {
    printf "- 1-minute load average, sampled every 10 s during the run: min %s, median %s, max %s (%d samples)\n",
      v[1], v[int((NR + 1) / 2)], v[NR], NR }'
  echo "- total run time of bench/run.sh: ${total_s} s$([ "$profile" = 1 ] && echo ", profile included")"
  echo
  cat "$logs/tables.md"
} >"$out/RESULTS.md"
cat "$out/RESULTS.md"
