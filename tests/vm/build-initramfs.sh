#!/bin/bash
# Build the test guest's initramfs: static busybox, the guest kernel's
# modules our tests need (all =m in Debian's kernel), and guest-init.sh as
# /init.  The guest's root is the host's own root, shared read-only over
# virtio-9p (see guest-init.sh), so no other binary is copied.
#   build-initramfs.sh CACHE-DIR   (after guest-kernel.sh CACHE-DIR)
# The image is named after a hash of its inputs (guest-init.sh, this script,
# the kernel), so that checkouts with other versions of them never share
# one; built once, then reused.  Prints the image's path.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
cache=${1:?usage: $0 CACHE-DIR}
kdir=$cache/kernel
kv=$(cat "$kdir/version")
key=$(cat "$HERE/guest-init.sh" "$HERE/build-initramfs.sh" "$kdir/version" | sha256sum | cut -c1-16)
out=$cache/initramfs-$key.cpio.gz

if [ -s "$out" ]; then
  echo "$out"
  exit 0
fi

# Block and filesystem drivers, 9p for the root, consoles and disks.
mods="virtio_pci virtio_blk virtio_scsi sd_mod virtio_console 9p 9pnet_virtio
      loop ext4 xfs btrfs crc32c_generic overlay"

stage=$(mktemp -d "$cache/initramfs.tmp.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,dev,proc,sys,host,etc}
cp /bin/busybox "$stage/bin/busybox"
for a in sh mount umount mkdir insmod poweroff cat sleep chroot echo cp switch_root; do
  ln -s busybox "$stage/bin/$a"
done
mkdir -p "$stage/lib/modules/$kv"
for m in $mods; do
  modprobe -d "$kdir" -S "$kv" --show-depends "$m"
done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }' | while read -r ko; do
  rel=${ko#"$kdir"/}
  mkdir -p "$stage/$(dirname "$rel")"
  cp "$ko" "$stage/$rel"
  echo "/$rel" >>"$stage/etc/modules-order"
done
# where guest-init.sh's modprobe finds the guest kernel's modules (the
# cache holding this image; the guest sees it through the shared root)
echo "$kdir" >"$stage/etc/qg-kdir"
cp "$HERE/guest-init.sh" "$stage/init"
chmod 755 "$stage/init"
(cd "$stage" && find . -print0 | cpio --null -o -H newc --quiet) | gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
echo "$out"
