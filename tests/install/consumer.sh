#!/bin/bash
# Install into a scratch DESTDIR, then build and run a program against the
# installed header, static library and qga-grow.pc alone.
#   consumer.sh BUILD-DIR
set -euo pipefail
build=$(readlink -f "$1")
here=$(cd "$(dirname "$0")" && pwd)
dest=$(mktemp -d /tmp/qg-install.XXXXXX)
trap 'rm -rf "$dest"' EXIT

# meson install --destdir, and a .pc pointing into that scratch tree
pcdir=$("$here/../../scripts/stage-library.sh" "$build" "$dest")
root=$dest/root$(meson introspect "$build" --buildoptions | jq -r '.[] | select(.name == "prefix") | .value')
[ -f "$root/include/qga-grow.h" ] || { echo "FAIL: header not installed"; exit 1; }
[ -x "$root/sbin/qga-grow" ] || { echo "FAIL: qga-grow not installed in sbin"; exit 1; }
[ -f "$root/share/man/man8/qga-grow.8" ] || { echo "FAIL: man page not installed"; exit 1; }
for f in bin/virt-grow share/man/man1/virt-grow.1 share/bash-completion/completions/virt-grow \
         share/man/man5/qga-grow-auto.conf.5 etc/qga-grow/auto.conf; do
  [ -f "$root/$f" ] || { echo "FAIL: $f not installed"; exit 1; }
done
# The automatic path: the rule in udev's directory and the unit in
# systemd's (absolute paths, outside the prefix), both running the
# installed qga-grow.
prefix=${root#"$dest/root"}
rule=$(find "$dest/root" -path '*/udev/rules.d/90-qga-grow.rules')
unit=$(find "$dest/root" -path '*/systemd/system/qga-grow@.service')
[ -n "$rule" ] && [ -n "$unit" ] || { echo "FAIL: udev rule or systemd unit not installed"; exit 1; }
grep -q "RUN+=\"$prefix/sbin/qga-grow auto --detach %k" "$rule" ||
  { echo "FAIL: the installed rule does not run $prefix/sbin/qga-grow"; exit 1; }
grep -q "^ExecStart=$prefix/sbin/qga-grow auto %i$" "$unit" ||
  { echo "FAIL: the installed unit does not run $prefix/sbin/qga-grow"; exit 1; }
boot=$(find "$dest/root" -path '*/systemd/system/qga-grow-boot.service')
[ -n "$boot" ] || { echo "FAIL: qga-grow-boot.service not installed"; exit 1; }
grep -q "^ExecStart=$prefix/sbin/qga-grow auto --boot$" "$boot" ||
  { echo "FAIL: the installed boot unit does not run $prefix/sbin/qga-grow auto --boot"; exit 1; }

flags=$(PKG_CONFIG_PATH=$pcdir pkg-config --cflags --libs qga-grow)
# shellcheck disable=SC2086
cc -std=c11 -Wall -Werror -o "$dest/consumer" "$here/consumer.c" $flags
"$dest/consumer" /etc/hostname
