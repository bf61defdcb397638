#!/bin/bash
# Where qga-grow's time goes, on the benchmark's disks (a fresh GPT loop
# disk, one partition, mounted FS, the disk enlarged; setup not timed).
# Each view runs on a disk of its own and writes to OUT-DIR:
#   strace-summary.txt   strace -c -f: time in each system call
#   strace-timeline.txt  strace -f -tt -T: every call, its start and duration
#   callgrind.txt        callgrind_annotate --inclusive=yes: user-space
#                        instructions by function, dynamic linking included
#   startup.txt          the same measure (qg-bench-exec) of qga-grow --version,
#                        i.e. exec + dynamic linking, against /bin/true
#   profile.sh QGA-GROW QG-BENCH-EXEC FS FROM TO OUT-DIR
HERE=$(cd "$(dirname "$0")" && pwd)
[ $# -eq 6 ] || { echo "usage: $0 QGA-GROW QG-BENCH-EXEC FS FROM TO OUT-DIR" >&2; exit 2; }
EXEC=$(readlink -f "$2")
fs=$3 from=$4 to=$5 out=$(readlink -f "$6")
. "$HERE/../tests/loop/lib.sh" "$1"
. "$HERE/disk.sh"
mkdir -p "$out"

for tool in strace valgrind callgrind_annotate; do
  command -v "$tool" >/dev/null || fail "$tool is missing (bench/run.sh installs it)"
done

setup_disk "$fs" "$from" "$to"
strace -c -f -o "$out/strace-summary.txt" "$QG" -q "$DISK"
drop_disk

setup_disk "$fs" "$from" "$to"
strace -f -tt -T -o "$out/strace-timeline.txt" "$QG" -q "$DISK"
drop_disk

setup_disk "$fs" "$from" "$to"
valgrind -q --tool=callgrind --callgrind-out-file="$out/callgrind.out" "$QG" -q "$DISK"
callgrind_annotate --inclusive=yes "$out/callgrind.out" | head -n 60 >"$out/callgrind.txt"
drop_disk

{
  echo "# qg-bench-exec: elapsed-ns peak-rss-kib, 5 runs each"
  for cmd in "$QG --version" /bin/true; do
    echo "## $cmd"
    # shellcheck disable=SC2086
    for _ in 1 2 3 4 5; do "$EXEC" -- $cmd; done
  done
} >"$out/startup.txt"
echo "profile of qga-grow, $fs $from -> $to: $out" >&2
