#!/bin/bash
# Debian's stock qemu-ga, for guests that share the host's root: unpacked
# from the qemu-guest-agent package into the VM cache, never installed (its
# maintainer scripts would start an agent on the host).  Idempotent; prints
# the binary's path.
#   stock-qemu-ga.sh CACHE-DIR
set -euo pipefail
cache=${1:?usage: $0 CACHE-DIR}
out=$cache/stock-qemu-ga
if [ -x "$out/usr/sbin/qemu-ga" ]; then
  echo "$out/usr/sbin/qemu-ga"
  exit 0
fi
mkdir -p "$cache"
tmp=$(mktemp -d "$cache/stock-qemu-ga.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"   # apt's sandbox user writes the download
(cd "$tmp" && apt-get download -q qemu-guest-agent >/dev/null 2>"$tmp/apt.err") ||
  { cat "$tmp/apt.err" >&2; echo "stock-qemu-ga: cannot download qemu-guest-agent" >&2; exit 2; }
dpkg-deb -x "$tmp"/qemu-guest-agent_*.deb "$tmp/x"
rm -rf "$out"
mv "$tmp/x" "$out"
echo "$out/usr/sbin/qemu-ga"
