#!/bin/bash
# Generate the quilt series patches/qemu-VERSION/ (numbered patches and a
# series file) from patches/src/: the qemu-ga glue and the schema fragment,
# kept once, and for each QEMU version the patch templates that hold QEMU's
# own context (see expand-template.awk).
#   patches/gen-series.sh           rewrite every patches/qemu-*/
#   patches/gen-series.sh --check   change nothing; exit 1, showing the
#                                   difference, if a series is out of date
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$here/src

check=0
case "${1:-}" in
  --check) check=1 ;;
  "") ;;
  -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

# gen_series OUTDIR: every series, into OUTDIR/qemu-VERSION/.
gen_series() {
  local tdir version out t name
  for tdir in "$src"/qemu-*/; do
    version=$(basename "$tdir")
    out=$1/$version
    mkdir -p "$out"
    : >"$out/series"
    for t in "$tdir"*.patch.in; do
      name=$(basename "$t" .in)
      LC_ALL=C awk -v src="$src" -f "$here/expand-template.awk" "$t" >"$out/$name"
      echo "$name" >>"$out/series"
    done
  done
}

tmp=$(mktemp -d /tmp/qg-gen-series.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
gen_series "$tmp"

if [ "$check" = 1 ]; then
  rc=0
  for d in "$tmp"/qemu-*; do
    v=$(basename "$d")
    diff -ru "$here/$v" "$d" || rc=1
  done
  # a committed series with no template left is stale too
  for d in "$here"/qemu-*/; do
    [ -d "$tmp/$(basename "$d")" ] || { echo "no template for $d"; rc=1; }
  done
  if [ "$rc" != 0 ]; then
    echo "gen-series: the series in patches/ are out of date: run patches/gen-series.sh" >&2
    exit 1
  fi
  echo "gen-series: the series are up to date"
  exit 0
fi

for d in "$tmp"/qemu-*; do
  v=$(basename "$d")
  rm -rf "${here:?}/$v"
  cp -r "$d" "$here/$v"
  echo "gen-series: wrote patches/$v/ ($(wc -l <"$here/$v/series") patches)"
done
