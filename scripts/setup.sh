#!/bin/sh
# One command for a fresh Debian 12 machine, as root:
#   scripts/setup.sh demo   install build deps, build, grow a demo loop disk
#   scripts/setup.sh test   install build + test deps, build, run every test
set -eu
cd "$(dirname "$0")/.."
what=${1:-}
case "$what" in
  demo) scripts/install-deps.sh test ;;   # the demo uses mkfs and sfdisk too
  test) scripts/install-deps.sh test
        if [ -x scripts/install-vm-deps.sh ]; then scripts/install-vm-deps.sh; fi ;;
  *) echo "usage: $0 demo|test" >&2; exit 2 ;;
esac

if [ -f build/build.ninja ]; then
  meson setup --reconfigure build -Dwerror=true >/dev/null
else
  meson setup build -Dwerror=true >/dev/null
fi
ninja -C build

case "$what" in
  demo) exec scripts/demo.sh build/qga-ext/qga-grow ;;
  test) for s in 7.2 10.0; do scripts/build-qemu-ga.sh --series "$s"; done  # patched agents
        exec meson test -C build --print-errorlogs ;;
esac
