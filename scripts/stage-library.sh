#!/bin/bash
# Install a meson build of qga-grow into a staging tree and write a
# qga-grow.pc pointing into it, so that programs (qemu-ga, tests) build
# against the library, header and .pc as installed, without installing.
#   scripts/stage-library.sh BUILD-DIR STAGE-DIR
# Prints the directory of that .pc (for PKG_CONFIG_PATH); the files are
# under STAGE-DIR/root/PREFIX.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 BUILD-DIR STAGE-DIR" >&2; exit 2; }
build=$(cd "$1" && pwd)
mkdir -p "$2"
stage=$(cd "$2" && pwd)
rm -rf "$stage/root" "$stage/pkgconfig"
meson install -C "$build" --destdir "$stage/root" --no-rebuild >/dev/null
pc=$(find "$stage/root" -name qga-grow.pc)
[ -n "$pc" ] || { echo "stage-library: meson install left no qga-grow.pc" >&2; exit 1; }
# Move the prefix into the staging tree (--define-variable would move
# glib's and the other required packages' too).
mkdir "$stage/pkgconfig"
sed "s|^prefix=\(.*\)|prefix=$stage/root\1|" "$pc" >"$stage/pkgconfig/qga-grow.pc"
echo "$stage/pkgconfig"
