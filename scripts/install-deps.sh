#!/bin/sh
# Install the Debian 12 packages qga-grow needs to build and test.
# Usage: scripts/install-deps.sh [build|test]   (default: test, a superset)
set -eu
what=${1:-test}

build_pkgs="gcc pkg-config meson ninja-build libglib2.0-dev libjson-glib-dev
 libudev-dev libfdisk-dev libblkid-dev libext2fs-dev xfslibs-dev libvirt-dev
 libcryptsetup-dev librabbitmq-dev"
# Tools the loop-device tests drive or check against; libvirt's daemon for
# virt-grow's tests (the -sysv flavour keeps systemd out); debhelper and
# lintian for the Debian packages' test; ansible-core for the module's;
# RabbitMQ (a private broker), openssl (its test certificates) and ss (free
# ports) for the request path's (virt-growd).
test_pkgs="util-linux fdisk gdisk e2fsprogs xfsprogs btrfs-progs
 cloud-guest-utils coreutils jq socat clang libclang-rt-14-dev
 lvm2 cryptsetup-bin mdadm thin-provisioning-tools keyutils
 libvirt-clients libvirt-daemon-system libvirt-daemon-system-sysv
 debhelper lintian ansible-core
 rabbitmq-server openssl iproute2"

case "$what" in
  build) pkgs=$build_pkgs ;;
  test)  pkgs="$build_pkgs $test_pkgs" ;;
  *) echo "usage: $0 [build|test]" >&2; exit 2 ;;
esac

# shellcheck disable=SC2086
exec "$(dirname "$0")/apt-install.sh" $pkgs
