#!/bin/bash
# Build qemu-ga with the guest-grow-disk command from Debian's QEMU source
# package and our patch series, linked with libqga-grow from a meson build.
#   scripts/build-qemu-ga.sh [--series 7.2|10.0] [--out DIR] [--build DIR]
#                            [--cache DIR] [--force]
#   --series  7.2: Debian 12's QEMU (default); 10.0: Debian 13's
#   --out     where the binary (DIR/qemu-ga), the patched source and the
#             QEMU build go (default: BUILD/qemu-ga-SERIES)
#   --build   the qga-grow meson build directory (default: build)
#   --cache   downloaded source packages and private apt lists
#             (default: /var/cache/qga-grow-build; safe to delete)
#   --force   rebuild even when the binary is up to date
# Needs root (apt-get) and Debian's archive.  Nothing in /etc/apt changes:
# the deb-src entry lives in a private apt configuration under --cache.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")

series=7.2 out= build=$top/build cache=/var/cache/qga-grow-build force=0
usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; }
while [ $# -gt 0 ]; do
  case $1 in
    --series) series=${2:?--series needs 7.2 or 10.0}; shift 2 ;;
    --out) out=${2:?--out needs a directory}; shift 2 ;;
    --build) build=${2:?--build needs a directory}; shift 2 ;;
    --cache) cache=${2:?--cache needs a directory}; shift 2 ;;
    --force) force=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "build-qemu-ga: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
case $series in
  7.2) suite=bookworm ;;
  10.0) suite=trixie ;;
  *) echo "build-qemu-ga: --series is 7.2 or 10.0, not '$series'" >&2; exit 2 ;;
esac
[ -f "$build/build.ninja" ] ||
  { echo "build-qemu-ga: $build is not a meson build directory (meson setup $build)" >&2; exit 2; }
build=$(cd "$build" && pwd)
out=${out:-$build/qemu-ga-$series}
patches=$top/patches/qemu-$series
log() { echo "build-qemu-ga ($series): $*"; }

# Debian's python3 and tools, not a user's (pyenv shims and the like).
export PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C

pkgs="dpkg-dev gcc libc6-dev pkg-config meson ninja-build python3 libglib2.0-dev
 libudev-dev patch xz-utils"
[ "$series" = 10.0 ] && pkgs="$pkgs python3-venv"
# shellcheck disable=SC2086
"$here/apt-install.sh" $pkgs

# Our library, current, installed into a staging tree for pkg-config.
ninja -C "$build" >/dev/null
mkdir -p "$out" "$cache"
PKG_CONFIG_PATH=$("$here/stage-library.sh" "$build" "$out/stage")
export PKG_CONFIG_PATH

. "$here/debian-archive.sh"
mkdir -p "$cache/$suite"
exec 9>"$cache/$suite/.lock"
flock 9    # one download at a time; later runs reuse the cache
dsc=$(fetch_qemu_source "$cache/$suite" "$suite")
log "source: $(basename "$dsc")"

# Up to date: same source, series, library and this script.
stamp=$( {
  basename "$dsc"
  cat "$patches/series"
  while read -r p; do cat "$patches/$p"; done <"$patches/series"
  cat "$(pkg-config --variable=libdir qga-grow)/libqga-grow.a" \
      "$(pkg-config --variable=includedir qga-grow)/qga-grow.h" "$0"
} | sha256sum | cut -d' ' -f1)
if [ "$force" = 0 ] && [ -x "$out/qemu-ga" ] && [ "$(cat "$out/stamp" 2>/dev/null)" = "$stamp" ]; then
  log "$out/qemu-ga is up to date"
  exit 0
fi
rm -f "$out/qemu-ga" "$out/stamp"

# A fresh tree every time: Debian's source with Debian's patches, then ours.
rm -rf "$out/src" "$out/obj"
dpkg-source --no-check -x "$dsc" "$out/src" >"$out/unpack.log" 2>&1 ||
  { cat "$out/unpack.log" >&2; exit 1; }
rm -f "$out"/qemu_*.tar.*   # copies dpkg-source leaves beside the tree
exec 9>&-
while read -r p; do
  [ -n "$p" ] || continue
  patch -d "$out/src" -p1 --fuzz=0 --no-backup-if-mismatch -s <"$patches/$p" ||
    { echo "build-qemu-ga: patches/qemu-$series/$p does not apply to $(basename "$dsc")" >&2; exit 1; }
done <"$patches/series"
log "applied $(grep -c . "$patches/series") patches from patches/qemu-$series"

# Only the agent.
conf=(--without-default-features --target-list= --disable-system --disable-user
      --disable-linux-user --disable-bsd-user --disable-tools --disable-docs
      --enable-guest-agent --enable-libudev --disable-install-blobs --enable-werror)
if [ "$series" = 7.2 ]; then
  conf+=(--with-git-submodules=ignore)
else
  conf+=(--disable-download --python=/usr/bin/python3)
  use_meson_at_least 1.5 "$cache"
fi
mkdir -p "$out/obj"
log "configure"
(cd "$out/obj" && "$out/src/configure" "${conf[@]}") >"$out/configure.log" 2>&1 ||
  { tail -n 40 "$out/configure.log" >&2; echo "build-qemu-ga: configure failed: $out/configure.log" >&2; exit 1; }
grep -Eq '^ *libudev *: *YES' "$out/configure.log" ||
  { echo "build-qemu-ga: configure did not find libudev ($out/configure.log)" >&2; exit 1; }
log "ninja qga/qemu-ga"
ninja -C "$out/obj" qga/qemu-ga >"$out/ninja.log" 2>&1 ||
  { tail -n 40 "$out/ninja.log" >&2; echo "build-qemu-ga: build failed: $out/ninja.log" >&2; exit 1; }
cp "$out/obj/qga/qemu-ga" "$out/qemu-ga"
echo "$stamp" >"$out/stamp"
log "built $out/qemu-ga"
