#!/bin/bash
# Smoke test of the benchmark (not a timing test): one run of each contender
# on xfs 1 GiB -> 2 GiB on this host, then the summary, to prove that the
# runner, the floor tool, the in-process library call and the summary still
# work.
#   smoke.sh QGA-GROW QG-LIB-GROW QG-BENCH-EXEC QG-RESIZE-FLOOR
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (loop devices, mounts)"; exit 77; }
out=$(mktemp -d /tmp/qg-bench-smoke.XXXXXX)
trap 'rm -rf "$out"' EXIT

"$HERE/grow-bench.sh" --runs 1 --fs xfs --growths 1G:2G "$@" >"$out/raw.csv"
"$HERE/summarize.py" --csv "$out/summary.csv" "$out/raw.csv" >"$out/table.md"
cat "$out/table.md"

# Four contenders, one run each, with a time and a peak RSS; the library
# call and the floor also with their in-process time.
rows=$(awk -F, 'NR > 1 && $6 > 0 && $7 > 0' "$out/raw.csv" | wc -l)
[ "$rows" -eq 4 ] || { echo "FAIL: want 4 timed runs, got:"; cat "$out/raw.csv"; exit 1; }
inproc=$(awk -F, '($4 == "qga-grow-lib" || $4 == "floor") && $8 > 0' "$out/raw.csv" | wc -l)
[ "$inproc" -eq 2 ] || { echo "FAIL: no in-process times:"; cat "$out/raw.csv"; exit 1; }
for who in qga-grow qga-grow-lib growpart+xfs_growfs floor; do
  grep -q "^| xfs | 1G->2G | $who | 1 |" "$out/table.md" ||
    { echo "FAIL: no table row for $who"; exit 1; }
done
grep -q '^| xfs | 1G->2G | .* | .*x (.* | .*x (' "$out/table.md" ||
  { echo "FAIL: no row against the targets"; exit 1; }
echo "ok: bench smoke run"
