#!/bin/sh
# Install Debian packages with apt-get, only when one of them is missing
# (so that a machine that has them all needs no network).
#   scripts/apt-install.sh PACKAGE...
set -eu
if [ "$(id -u)" -ne 0 ]; then
  echo "apt-install: must run as root (apt-get)" >&2
  exit 2
fi
# One at a time: callers may run side by side (setup.sh builds the two
# patched agents at once, each installing what it needs), and a second
# apt-get would fail on dpkg's lock; the later one then finds all installed.
# (apt-get runs without the lock's descriptor: a daemon a package starts
# must not keep it.)
mkdir -p /run/lock
exec 9>/run/lock/qga-grow-apt-install.lock
flock 9
installed=$(dpkg-query -W -f='${Status}\n' "$@" 2>/dev/null | grep -c '^install ok installed$' || true)
[ "$installed" -eq $# ] && exit 0
export DEBIAN_FRONTEND=noninteractive
apt-get update -q 9>&-
apt-get install -y -q --no-install-recommends "$@" 9>&-
