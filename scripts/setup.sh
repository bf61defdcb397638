#!/bin/sh
# One command for a fresh Debian 12 machine, as root:
#   scripts/setup.sh demo   install deps, build, grow a demo VM's disks with virt-grow
#   scripts/setup.sh test   install build + test deps, build, run every test
set -eu
cd "$(dirname "$0")/.."
what=${1:-}
case "$what" in
  demo|test)
    scripts/install-deps.sh test   # the demo makes its disks with the test tools
    scripts/install-vm-deps.sh ;;  # and runs the test guest as its demo VM
  *) echo "usage: $0 demo|test" >&2; exit 2 ;;
esac

if [ -f build/build.ninja ]; then
  meson setup --reconfigure build -Dwerror=true >/dev/null
else
  meson setup build -Dwerror=true >/dev/null
fi
ninja -C build

case "$what" in
  demo) scripts/build-qemu-ga.sh --series 7.2   # the demo VM's patched agent
        exec scripts/demo.sh build ;;
  test) # the two patched agents side by side (each waits on its configure
        # script much of the time; apt-install.sh takes turns), then every test
        pids=
        for s in 7.2 10.0; do scripts/build-qemu-ga.sh --series "$s" & pids="$pids $!"; done
        failed=0
        for p in $pids; do wait "$p" || failed=1; done
        [ "$failed" = 0 ] || { echo "setup: building the patched qemu-ga failed" >&2; exit 1; }
        exec meson test -C build --print-errorlogs ;;
esac
