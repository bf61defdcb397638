#!/bin/sh
# Install the Debian 12 packages qga-grow needs to build and test.
# Usage: scripts/install-deps.sh [build|test]   (default: test, a superset)
set -eu
what=${1:-test}

build_pkgs="gcc pkg-config meson ninja-build libglib2.0-dev libjson-glib-dev
 libudev-dev libfdisk-dev libblkid-dev e2fslibs-dev xfslibs-dev"
# Tools the loop-device tests drive or check against.
test_pkgs="util-linux fdisk gdisk e2fsprogs xfsprogs btrfs-progs
 cloud-guest-utils coreutils jq"

case "$what" in
  build) pkgs=$build_pkgs ;;
  test)  pkgs="$build_pkgs $test_pkgs" ;;
  *) echo "usage: $0 [build|test]" >&2; exit 2 ;;
esac

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: must run as root (apt-get)" >&2
  exit 2
fi
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
if ! dpkg-query -W -f='${Status}\n' $pkgs 2>/dev/null | grep -qv '^install ok installed$' \
   && [ "$(dpkg-query -W -f='${Status}\n' $pkgs 2>/dev/null | wc -l)" -eq "$(echo $pkgs | wc -w)" ]; then
  exit 0   # everything already there
fi
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $pkgs
