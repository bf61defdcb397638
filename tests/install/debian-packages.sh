#!/bin/bash
# The Debian packages, built from this checkout and installed as a user
# would: scripts/build-debs.sh (dpkg-buildpackage -b -us -uc, lintian without
# errors), their contents checked here, then installed with dpkg into the
# test guest (a writable overlay on this host's root), where the installed
# udev rule and auto.conf grow an enlarged disk, and removal and purge
# leave what they should (tests/install/debian-packages-guest.sh).
# With the build directory, also the qemu-guest-agent package of
# scripts/build-qemu-ga-deb.sh, whose installed agent then grows a disk
# through guest-grow-disk under the installed auto.conf's [agent] list.
#   debian-packages.sh [BUILD-DIR]
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
. "$HERE/../loop/lib.sh" /usr/sbin/qga-grow   # WORK, fail, assert_eq, cleanup

BUILD=${1:-}
"$TOP/scripts/build-debs.sh" --out "$WORK/debs" >"$WORK/build.out" ||
  { cat "$WORK/build.out" >&2; fail "scripts/build-debs.sh"; }
agent_deb=
if [ -n "$BUILD" ]; then
  mkdir -p "$WORK/agent-deb"
  agent_deb=$("$TOP/scripts/build-qemu-ga-deb.sh" --series 7.2 --build "$BUILD" \
    --out "$WORK/agent-deb" 2>"$WORK/agent-deb.err" | tail -1) ||
    { cat "$WORK/agent-deb.err" >&2; fail "scripts/build-qemu-ga-deb.sh"; }
  [ -f "$agent_deb" ] || fail "no qemu-guest-agent package: $agent_deb"
  dpkg-deb -c "$agent_deb" >"$WORK/agent-deb.list"
  grep -q '\./usr/sbin/qemu-ga$' "$WORK/agent-deb.list" || fail "the agent package holds no qemu-ga"
fi
version=$(dpkg-parsechangelog -l "$TOP/debian/changelog" -S Version)
for p in qga-grow virt-grow; do
  [ -f "$WORK/debs/${p}_${version}_$(dpkg --print-architecture).deb" ] || fail "no $p package"
done
deb() { echo "$WORK/debs/${1}_${version}_$(dpkg --print-architecture).deb"; }
files() { dpkg-deb -c "$(deb "$1")" | awk '{ print $6 }' | sed 's|^\./|/|'; }

# What each package holds, and nothing of the other's.
for f in /usr/sbin/qga-grow /lib/udev/rules.d/90-qga-grow.rules \
         /lib/systemd/system/qga-grow@.service /lib/systemd/system/qga-grow-boot.service \
         /etc/qga-grow/auto.conf \
         "/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)/qga-grow/lvm-dsync.so" \
         /usr/share/man/man8/qga-grow.8.gz /usr/share/man/man5/qga-grow-auto.conf.5.gz; do
  files qga-grow | grep -qxF "$f" || fail "qga-grow package lacks $f"
done
for f in /usr/bin/virt-grow /usr/share/man/man1/virt-grow.1.gz \
         /usr/share/bash-completion/completions/virt-grow \
         /usr/sbin/virt-growd /lib/systemd/system/virt-growd.service \
         /etc/virt-grow/virt-growd.conf /usr/share/man/man8/virt-growd.8.gz \
         /usr/share/virt-grow/wire.schema.json; do
  files virt-grow | grep -qxF "$f" || fail "virt-grow package lacks $f"
done
files qga-grow | grep -q virt-grow && fail "the guest package holds virt-grow's files"
files virt-grow | grep -q 'sbin/qga-grow' && fail "the host package holds qga-grow"
for f in qga-grow.h libqga-grow.a qga-grow.pc; do
  files qga-grow | grep -q "$f" && fail "the guest package holds the build-only $f"
done
dpkg-deb -e "$(deb qga-grow)" "$WORK/control"
assert_eq "$(cat "$WORK/control/conffiles")" /etc/qga-grow/auto.conf "qga-grow's conffiles"
grep -q 'udevadm control --reload-rules' "$WORK/control/postinst" ||
  fail "qga-grow's postinst does not reload udev's rules"
grep -q "deb-systemd-helper enable 'qga-grow-boot.service'" "$WORK/control/postinst" ||
  fail "qga-grow's postinst does not enable qga-grow-boot.service"
dpkg-deb -e "$(deb virt-grow)" "$WORK/control-vg"
assert_eq "$(cat "$WORK/control-vg/conffiles")" /etc/virt-grow/virt-growd.conf "virt-grow's conffiles"
assert_eq "$(dpkg-deb -c "$(deb virt-grow)" | awk '$6 == "./etc/virt-grow/virt-growd.conf" { print $1 }')" \
  -rw------- "virt-growd.conf's mode in the package"
# installed, not enabled until configured
grep -q "debian-installed 'virt-growd.service'" "$WORK/control-vg/postinst" ||
  fail "virt-grow's postinst enables virt-growd.service"
note "packages built, lintian clean, contents as expected"

# Installed in the guest, used, removed, purged.
QG_VM_KEEP="$WORK $TOP" "$TOP/tests/vm/run-in-guest.sh" --overlay --timeout 900 -- \
  "$HERE/debian-packages-guest.sh" /usr/sbin/qga-grow "$WORK/debs" "$version" $agent_deb
