#!/bin/sh
# Install the Debian 12 packages the QEMU guest tests need on the host:
# QEMU (TCG), static busybox and kmod for the guest's initramfs, cpio.
# The guest kernel is not installed: tests/vm/guest-kernel.sh downloads it.
set -eu
exec "$(dirname "$0")/apt-install.sh" qemu-system-x86 qemu-utils busybox-static kmod cpio
