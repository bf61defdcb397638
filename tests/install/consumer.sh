#!/bin/bash
# Install into a scratch DESTDIR, then build and run a program against the
# installed header, static library and qga-grow.pc alone.
#   consumer.sh BUILD-DIR
set -euo pipefail
build=$(readlink -f "$1")
here=$(cd "$(dirname "$0")" && pwd)
dest=$(mktemp -d /tmp/qg-install.XXXXXX)
trap 'rm -rf "$dest"' EXIT

meson install -C "$build" --destdir "$dest" --no-rebuild >/dev/null
prefix=$(meson introspect "$build" --buildoptions | jq -r '.[] | select(.name == "prefix") | .value')
pcdir=$(dirname "$(find "$dest" -name qga-grow.pc)")
[ -f "$dest$prefix/include/qga-grow.h" ] || { echo "FAIL: header not installed"; exit 1; }
[ -x "$dest$prefix/sbin/qga-grow" ] || { echo "FAIL: qga-grow not installed in sbin"; exit 1; }
[ -f "$dest$prefix/share/man/man8/qga-grow.8" ] || { echo "FAIL: man page not installed"; exit 1; }
for f in bin/virt-grow share/man/man1/virt-grow.1 share/bash-completion/completions/virt-grow; do
  [ -f "$dest$prefix/$f" ] || { echo "FAIL: $f not installed"; exit 1; }
done

# Point the .pc at the scratch tree (--define-variable would move glib's too).
mkdir "$dest/pc"
sed "s|^prefix=.*|prefix=$dest$prefix|" "$pcdir/qga-grow.pc" >"$dest/pc/qga-grow.pc"
flags=$(PKG_CONFIG_PATH=$dest/pc pkg-config --cflags --libs qga-grow)
# shellcheck disable=SC2086
cc -std=c11 -Wall -Werror -o "$dest/consumer" "$here/consumer.c" $flags
"$dest/consumer" /etc/hostname
