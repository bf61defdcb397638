#!/bin/sh
# Install the Debian 12 packages the QEMU guest tests need on the host:
# QEMU (TCG), static busybox and kmod for the guest's initramfs, cpio,
# systemd-udevd for the guest (which shares the host's root), python3 for
# the QMP and agent client.
# The guest kernel is not installed: tests/vm/guest-kernel.sh downloads it.
set -eu
exec "$(dirname "$0")/apt-install.sh" qemu-system-x86 qemu-utils busybox-static kmod cpio udev python3
