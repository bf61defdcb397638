#!/bin/bash
# Where qga-grow's time goes, on the benchmark's disks (fresh GPT loop disk,
# one partition, mounted FS, the disk enlarged; setup not timed).  Prints a
# Markdown report:
#   - stages: qg-stage-timer.so, LD_PRELOADed into qga-grow, qg-lib-grow and
#     the floor, times the heavy library calls inside the real binaries
#     (median of RUNS runs, each on a fresh disk);
#   - system calls of one qga-grow run (strace -c -f);
#   - user-space instructions of one qga-grow run by function (callgrind),
#     which, unlike times, do not depend on the machine's load.
#   profile.sh [--runs N] [--no-callgrind] BUILD-DIR FS FROM TO
HERE=$(cd "$(dirname "$0")" && pwd)
runs=7 callgrind=1
while [ $# -gt 0 ]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --no-callgrind) callgrind=0; shift ;;
    -*) echo "profile: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
[ $# -eq 4 ] || { echo "usage: $0 [--runs N] [--no-callgrind] BUILD-DIR FS FROM TO" >&2; exit 2; }
build=$(readlink -f "$1") fs=$2 from=$3 to=$4
. "$HERE/../tests/loop/lib.sh" "$build/qga-ext/qga-grow"
. "$HERE/disk.sh"
EXEC=$build/bench/qg-bench-exec
TIMER=$build/bench/libqg-stage-timer.so
for tool in strace valgrind callgrind_annotate; do
  command -v "$tool" >/dev/null || fail "$tool is missing (bench/run.sh installs it)"
done

# One timed run of a contender with the stage timer; its stages go to FILE.
staged_run() {  # staged_run NAME FILE
  local cmd
  setup_disk "$fs" "$from" "$to"
  case $1 in
    qga-grow) cmd=("$QG" -q "$DISK") ;;
    qga-grow-lib) cmd=("$build/bench/qg-lib-grow" "$DISK") ;;
    floor) grow_partition_untimed
           cmd=("$build/bench/qg-resize-floor" "$fs" "$MNT" "$PART_BYTES") ;;
  esac
  QG_STAGES_OUT=$2 LD_PRELOAD=$TIMER "$EXEC" -o "$WORK/run.log" -- "${cmd[@]}" >/dev/null ||
    fail "$1 failed: $(tail -n 5 "$WORK/run.log")"
  drop_disk
}

echo "## Profile: $fs $from -> $to, kernel $(uname -r)"
echo
echo "Stages inside the real binaries (qg-stage-timer.so), microseconds, median of $runs" \
     "runs on fresh disks; load averages at the start: $(cut -d' ' -f1-3 /proc/loadavg)."
echo
for ((r = 1; r <= runs; r++)); do
  for who in qga-grow qga-grow-lib floor; do
    staged_run "$who" "$WORK/stages.$who.$r"
  done
done
"$HERE/stages.py" qga-grow "$WORK"/stages.qga-grow.* -- qga-grow-lib "$WORK"/stages.qga-grow-lib.* \
  -- floor "$WORK"/stages.floor.*

echo
echo "System calls of one qga-grow run (strace -c -f; strace slows each call down):"
echo
setup_disk "$fs" "$from" "$to"
strace -c -f -o "$WORK/strace.txt" "$QG" -q "$DISK"
drop_disk
echo '```'
cat "$WORK/strace.txt"
echo '```'

if [ "$callgrind" = 1 ]; then
  echo
  echo "User-space instructions of one qga-grow run (callgrind, inclusive):"
  echo
  setup_disk "$fs" "$from" "$to"
  valgrind -q --tool=callgrind --callgrind-out-file="$WORK/callgrind.out" "$QG" -q "$DISK" \
    2>"$WORK/valgrind.log" || fail "qga-grow under callgrind: $(cat "$WORK/valgrind.log")"
  drop_disk
  callgrind_annotate --inclusive=yes --auto=no --threshold=100 "$WORK/callgrind.out" >"$WORK/callgrind.txt"
  echo '```'
  # the total, the dynamic linker, and the library's big calls
  grep -E 'PROGRAM TOTALS|rtld.c:_dl_start |:main |:qg_grow |:(qg_[a-z_]+|blkid_do_safeprobe|fdisk_assign_device_by_fd|fdisk_write_disklabel|fdisk_set_partition|fdisk_deassign_device|ext2fs_open2) ' \
    "$WORK/callgrind.txt" | sed 's/ \[.*\]$//; s/ [^ ]*:\([a-z_0-9]*\)$/ \1/'
  echo '```'
fi
