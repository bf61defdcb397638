#!/bin/bash
# Build a qemu-guest-agent .deb whose qemu-ga has guest-grow-disk: Debian's
# QEMU source with Debian's patches and ours (scripts/build-qemu-ga.sh),
# packaged with Debian's own unit, udev rule, init script and fsfreeze hook
# for that package, as a version just above Debian's.
#   scripts/build-qemu-ga-deb.sh [--series 7.2|10.0] [--build DIR] [--out DIR]
#   --series  7.2: Debian 12's QEMU (default); 10.0: Debian 13's
#   --build   the qga-grow meson build directory (default: build)
#   --out     where the .deb goes (default: BUILD/debs)
# Why not dpkg-buildpackage on the whole qemu source package with our
# series in its debian/patches (patches/README.md says how): that builds all
# of QEMU and needs its ~100 build dependencies (GTK, SPICE, Ceph, Gluster,
# Sphinx, ...), hours on a small machine; the agent alone builds in minutes.
# The package has no qemu-ga(8) man page (QEMU's documentation is not built).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
series=7.2 build=$top/build out=
usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; }
while [ $# -gt 0 ]; do
  case $1 in
    --series) series=${2:?--series needs 7.2 or 10.0}; shift 2 ;;
    --build) build=${2:?--build needs a directory}; shift 2 ;;
    --out) out=${2:?--out needs a directory}; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "build-qemu-ga-deb: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
export PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8
"$here/apt-install.sh" dpkg-dev debhelper lintian
build=$(cd "$build" && pwd)
out=${out:-$build/debs}
# The library the packaged agent links must read Debian's paths
# (/etc/qga-grow/auto.conf for the [agent] list), whatever prefix BUILD
# has: a build of its own beside BUILD, with /usr and /etc.
libbuild=$build/deb-library
if [ ! -f "$libbuild/build.ninja" ]; then
  meson setup "$libbuild" "$top" --prefix=/usr --sysconfdir=/etc -Dfault_injection=false \
    >"$build/deb-library.log" 2>&1 ||
    { cat "$build/deb-library.log" >&2; echo "build-qemu-ga-deb: meson setup failed" >&2; exit 1; }
fi
ninja -C "$libbuild" >/dev/null
"$here/build-qemu-ga.sh" --series "$series" --build "$libbuild"
agent=$libbuild/qemu-ga-$series
src=$agent/src
[ -x "$agent/qemu-ga" ] && [ -d "$src/debian" ] ||
  { echo "build-qemu-ga-deb: no qemu-ga or Debian source in $agent" >&2; exit 1; }

ours=$(meson introspect "$libbuild" --projectinfo | sed -n 's/.*"version": "\([^"]*\)".*/\1/p')
debver=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
version=$debver+qgagrow$ours

work=$(mktemp -d /tmp/qg-qemu-ga-deb.XXXXXX)
trap 'rm -rf "$work"' EXIT
pkg=$work/qemu-guest-agent
mkdir -p "$pkg/debian/source" "$pkg/payload"
cp "$agent/qemu-ga" "$pkg/payload/qemu-ga"
cp "$src/qga/qapi-schema.json" "$pkg/payload/"
cp "$src/scripts/qemu-guest-agent/fsfreeze-hook" "$pkg/payload/"
for f in service udev init; do
  cp "$src/debian/qemu-guest-agent.$f" "$pkg/debian/"
done
cp "$src/debian/copyright" "$pkg/debian/copyright"
echo 1.0 >"$pkg/debian/source/format"
cat >"$pkg/debian/control" <<CONTROL
Source: qemu-guest-agent-qga-grow
Section: admin
Priority: optional
Maintainer: qga-grow maintainers <maintainers@users.noreply.r-seed-82193f85.example>
Build-Depends: debhelper-compat (= 13)
Standards-Version: 4.6.2
Rules-Requires-Root: no

Package: qemu-guest-agent
Architecture: linux-any
Depends: \${shlibs:Depends}, \${misc:Depends}
Pre-Depends: \${misc:Pre-Depends}
Description: Guest-side qemu-system agent, with guest-grow-disk
 The QEMU guest agent from Debian's qemu source ($debver), built
 with the qga-grow patch series: its command guest-grow-disk grows a
 disk's partition, dm-crypt, LVM, md and filesystem layers online after
 the host enlarged the disk.  Everything else is Debian's agent.
CONTROL
cat >"$pkg/debian/rules" <<'RULES'
#!/usr/bin/make -f
%:
	dh $@

override_dh_auto_build override_dh_auto_test:

override_dh_auto_install:
	install -D -m 755 payload/qemu-ga debian/qemu-guest-agent/usr/sbin/qemu-ga
	install -D -m 644 payload/qapi-schema.json \
		debian/qemu-guest-agent/usr/share/doc/qemu-guest-agent/qapi-schema.json
	install -D -m 755 payload/fsfreeze-hook debian/qemu-guest-agent/etc/qemu/fsfreeze-hook

# as Debian's: the unit is started by the udev rule, when the channel appears
override_dh_installsystemd:
	dh_installsystemd --no-enable
RULES
chmod 755 "$pkg/debian/rules"
cat >"$pkg/debian/changelog" <<CHANGELOG
qemu-guest-agent-qga-grow ($version) unstable; urgency=medium

  * Debian's qemu-ga with the qga-grow series (guest-grow-disk).

 -- qga-grow maintainers <maintainers@users.noreply.r-seed-82193f85.example>  $(date -R)
CHANGELOG

(cd "$pkg" && dpkg-buildpackage -b -us -uc >"$work/build.log" 2>&1) ||
  { tail -40 "$work/build.log" >&2; echo "build-qemu-ga-deb: dpkg-buildpackage failed" >&2; exit 1; }
mkdir -p "$out"
deb=$(ls "$work"/qemu-guest-agent_*.deb)
lintian --allow-root --fail-on error "$deb" >&2 ||
  { echo "build-qemu-ga-deb: lintian found errors" >&2; exit 1; }
mv "$deb" "$out/"
echo "$out/$(basename "$deb")"
