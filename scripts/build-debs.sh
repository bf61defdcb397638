#!/bin/bash
# Build the Debian packages qga-grow (guests) and virt-grow (hosts) from this
# checkout with dpkg-buildpackage, and check them with lintian.
#   scripts/build-debs.sh [--out DIR] [--no-lintian]
#   --out         where the .deb, .changes and .buildinfo files go
#                 (default: build/debs)
#   --no-lintian  skip the lintian check
# The tree is copied first (the files git knows, as they are in the working
# tree), so that the build leaves the checkout and its parent untouched.
# Needs root for apt-get (the build dependencies, from debian/control).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
out=$top/build/debs lintian=1
usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; }
while [ $# -gt 0 ]; do
  case $1 in
    --out) out=${2:?--out needs a directory}; shift 2 ;;
    --no-lintian) lintian=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "build-debs: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
export PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8

# debhelper and lintian, and every Build-Depends (names only: no
# alternatives or versions in debian/control)
deps=$(sed -n '/^Build-Depends:/,/^[A-Z]/p' "$top/debian/control" |
  sed -e 's/^Build-Depends://' -e '/^[A-Z]/d' | tr ',' '\n' |
  sed -e 's/(.*)//' -e 's/[[:space:]]//g' -e '/^$/d' -e '/^debhelper-compat$/d')
# shellcheck disable=SC2086
"$here/apt-install.sh" dpkg-dev debhelper lintian $deps

work=$(mktemp -d /tmp/qg-debs.XXXXXX)
trap 'rm -rf "$work"' EXIT
src=$work/qga-grow
mkdir -p "$src"
(cd "$top" && git ls-files -z | xargs -0 cp --parents -t "$src")
(cd "$src" && dpkg-buildpackage -b -us -uc >"$work/build.log" 2>&1) ||
  { tail -40 "$work/build.log" >&2; echo "build-debs: dpkg-buildpackage failed" >&2; exit 1; }
mkdir -p "$out"
rm -f "$out"/*.deb "$out"/*.changes "$out"/*.buildinfo
mv "$work"/*.deb "$work"/*.changes "$work"/*.buildinfo "$out"/
changes=$(ls "$out"/*.changes)
if [ "$lintian" = 1 ]; then
  # errors fail the build; warnings are shown
  lintian --allow-root --fail-on error "$changes" >&2 ||
    { echo "build-debs: lintian found errors" >&2; exit 1; }
fi
ls "$out"/*.deb
