#!/bin/bash
# Fetch Debian's guest kernel into the VM cache, without installing it on the
# host: `apt-get download` of the versioned package linux-image-amd64 names,
# unpacked with dpkg-deb.  Idempotent; prints the cache's kernel directory.
#   guest-kernel.sh CACHE-DIR
# Leaves CACHE-DIR/kernel/{vmlinuz,version,lib/modules/VERSION/}.
set -euo pipefail
cache=${1:?usage: $0 CACHE-DIR}
kdir=$cache/kernel
if [ -s "$kdir/vmlinuz" ] && [ -s "$kdir/version" ]; then
  echo "$kdir"
  exit 0
fi

pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
      awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
if [ -z "$pkg" ]; then
  echo "guest-kernel: apt does not know linux-image-amd64 (run apt-get update)" >&2
  exit 2
fi
mkdir -p "$cache"
tmp=$(mktemp -d "$cache/kernel.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# apt's sandbox user cannot write into root's private directories.
chmod 755 "$tmp"
(cd "$tmp" && apt-get download -q "$pkg" >/dev/null 2>"$tmp/apt.err") ||
  { cat "$tmp/apt.err" >&2; echo "guest-kernel: cannot download $pkg" >&2; exit 2; }
dpkg-deb -x "$tmp"/"$pkg"_*.deb "$tmp/x"
kv=$(ls "$tmp/x/lib/modules")
depmod -b "$tmp/x" "$kv"
mkdir -p "$tmp/k/lib"
mv "$tmp/x/lib/modules" "$tmp/k/lib/"
cp "$tmp/x/boot/vmlinuz-$kv" "$tmp/k/vmlinuz"
echo "$kv" >"$tmp/k/version"
rm -rf "$kdir"
mv "$tmp/k" "$kdir"
echo "$kdir"
