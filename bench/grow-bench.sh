#!/bin/bash
# The grow benchmark in one environment (this host, or the QEMU guest that
# bench/run.sh starts): for every filesystem, growth and run, four
# contenders each grow a freshly made, mounted filesystem on a GPT loop disk
# with one partition, after the disk grew (setup is not timed):
#   qga-grow        qga-grow DISK (partition + filesystem)
#   qga-grow-lib    qg-lib-grow DISK: the same qg_grow() call in-process, as
#                   qemu-ga makes it, without the CLI's extra libraries
#   growpart+TOOL   growpart DISK 1, then resize2fs / xfs_growfs /
#                   btrfs filesystem resize max
#   floor           qg-resize-floor: the filesystem's resize ioctl alone, the
#                   partition grown beforehand (not timed)
# Each is timed by qg-bench-exec (fork/exec, CLOCK_MONOTONIC, peak RSS from
# RUSAGE_CHILDREN); the order of the contenders rotates from run to run.
# Every run checks that the filesystem really grew.
#   grow-bench.sh [--env NAME] [--runs N] [--fs "ext4 xfs btrfs"]
#                 [--growths "1G:2G 10G:100G 100G:2T"] [--perf-event EVENT]
#                 QGA-GROW QG-LIB-GROW QG-BENCH-EXEC QG-RESIZE-FLOOR
# Prints CSV on stdout, one line a run:
#   env,fs,growth,contender,run,elapsed_ns,peak_rss_kib,inproc_ns,perf_count
# inproc_ns is the time qg-lib-grow spent in qg_grow(), or qg-resize-floor
# in its open + ioctls (empty for the others); perf_count is EVENT counted
# by `perf stat` over the contender (empty without --perf-event; "auto":
# instructions where `perf stat` can count them here).  Progress goes to
# stderr.
HERE=$(cd "$(dirname "$0")" && pwd)

env_name=host runs=5 fs_list="ext4 xfs btrfs" growths="1G:2G 10G:100G 100G:2T" event=
while [ $# -gt 0 ]; do
  case $1 in
    --env) env_name=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --fs) fs_list=$2; shift 2 ;;
    --growths) growths=$2; shift 2 ;;
    --perf-event) event=$2; shift 2 ;;
    --) shift; break ;;
    -*) echo "grow-bench: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
[ $# -eq 4 ] || {
  echo "usage: $0 [OPTIONS] QGA-GROW QG-LIB-GROW QG-BENCH-EXEC QG-RESIZE-FLOOR" >&2
  exit 2
}
LIBGROW=$(readlink -f "$2")
EXEC=$(readlink -f "$3")
FLOOR=$(readlink -f "$4")

# The loop-test helpers (make_disk, partition, make_fs, mount_fs, enlarge,
# part_dev, fs_size, fail, and the trap that removes what was made), and the
# benchmark's disks on top of them.
. "$HERE/../tests/loop/lib.sh" "$1"
. "$HERE/disk.sh"

for tool in growpart resize2fs xfs_growfs btrfs sfdisk partx; do
  command -v "$tool" >/dev/null || fail "$tool is missing (bench/run.sh installs it)"
done

if [ "$event" = auto ]; then
  event=
  if command -v perf >/dev/null &&
     perf stat -x, -e instructions -o "$WORK/probe.txt" -- true 2>/dev/null &&
     awk -F, '$3 ~ /^instructions/ && $1 ~ /^[0-9]+$/ { ok = 1 } END { exit !ok }' \
       "$WORK/probe.txt"; then
    event=instructions
  fi
fi
echo "# $env_name: kernel $(uname -r), $(nproc) CPU, $(grep -m1 '^model name' /proc/cpuinfo |
  cut -d: -f2- | sed 's/^ *//'), perf event: ${event:-none, perf stat cannot count instructions here}" >&2

# The command line of a contender, in qg-bench-exec's form.
contender_cmd() {  # contender_cmd NAME FS -> CMD array
  case $1 in
    qga-grow) CMD=("$QG" -q "$DISK") ;;
    qga-grow-lib) CMD=("$LIBGROW" "$DISK") ;;
    growpart+*)
      CMD=(growpart "$DISK" 1 ---)
      case $2 in
        ext4) CMD+=(resize2fs "$PART") ;;
        xfs) CMD+=(xfs_growfs "$MNT") ;;
        btrfs) CMD+=(btrfs filesystem resize max "$MNT") ;;
      esac ;;
    floor) grow_partition_untimed
           CMD=("$FLOOR" "$2" "$MNT" "$PART_BYTES") ;;
  esac
}

tool_of() {
  case $1 in ext4) echo resize2fs ;; xfs) echo xfs_growfs ;; btrfs) echo btrfs-resize ;; esac
}

bytes() { numfmt --from=iec "$1"; }

# One timed run; prints its CSV line.
run_one() {  # run_one FS FROM TO CONTENDER RUN
  local fs=$1 from=$2 to=$3 who=$4 out size inproc count=
  setup_disk "$fs" "$from" "$to"
  contender_cmd "$who" "$fs"
  if [ -n "$event" ]; then
    out=$(perf stat -x, -e "$event" -o "$WORK/perf.txt" -- \
          "$EXEC" -o "$WORK/run.log" -- "${CMD[@]}") ||
      fail "$who on $fs $from->$to failed: $(tail -n 5 "$WORK/run.log")"
    count=$(awk -F, -v e="$event" '$3 ~ "^"e { print $1 }' "$WORK/perf.txt")
  else
    out=$("$EXEC" -o "$WORK/run.log" -- "${CMD[@]}") ||
      fail "$who on $fs $from->$to failed: $(tail -n 5 "$WORK/run.log")"
  fi
  # It must really have grown: past halfway from the old size to the new.
  size=$(fs_size "$fs" "$PART" "$MNT")
  [ "$size" -gt $(( ($(bytes "$from") + $(bytes "$to")) / 2 )) ] ||
    fail "$who left $fs at $size bytes after $from -> $to"
  inproc=$(sed -n 's/^inproc-ns //p' "$WORK/run.log")
  drop_disk
  rm -f "$WORK/run.log"
  echo "$env_name,$fs,$from->$to,$who,$5,${out% *},${out#* },$inproc,$count"
}

echo "env,fs,growth,contender,run,elapsed_ns,peak_rss_kib,inproc_ns,perf_count"
for growth in $growths; do
  from=${growth%%:*} to=${growth#*:}
  for fs in $fs_list; do
    contenders=(qga-grow qga-grow-lib "growpart+$(tool_of "$fs")" floor)
    for ((r = 1; r <= runs; r++)); do
      for ((k = 0; k < ${#contenders[@]}; k++)); do
        who=${contenders[(r + k) % ${#contenders[@]}]}
        echo "# $env_name $fs $from->$to run $r/$runs: $who" >&2
        run_one "$fs" "$from" "$to" "$who" "$r"
      done
    done
  done
done
