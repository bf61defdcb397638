#!/bin/sh
# Install Debian packages with apt-get, only when one of them is missing
# (so that a machine that has them all needs no network).
#   scripts/apt-install.sh PACKAGE...
set -eu
if [ "$(id -u)" -ne 0 ]; then
  echo "apt-install: must run as root (apt-get)" >&2
  exit 2
fi
installed=$(dpkg-query -W -f='${Status}\n' "$@" 2>/dev/null | grep -c '^install ok installed$' || true)
[ "$installed" -eq $# ] && exit 0
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "$@"
