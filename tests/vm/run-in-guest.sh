#!/bin/bash
# Run one command as root inside a throwaway QEMU guest (TCG) whose root is
# this host's own root, shared read-only: the same binaries, scripts and
# build tree, but the guest kernel's full root privileges (this host's root
# may lack some, e.g. CAP_SYS_RESOURCE for online ext4 growth).
#   run-in-guest.sh [--mem MIB] [--timeout SEC] -- COMMAND [ARGS...]
# The command runs in the same working directory with PATH, LC_ALL and the
# QG_* variables passed on; /tmp, /run and /root are empty tmpfs.  Its stdout
# and stderr are printed when it ends; the exit status is the command's (or 2
# when the guest did not run it, with the guest console shown).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
mem=1536 timeout=600
while [ $# -gt 0 ]; do
  case $1 in
    --mem) mem=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "usage: $0 [--mem MIB] [--timeout SEC] -- COMMAND [ARGS...]" >&2; exit 2 ;;
  esac
done
[ $# -gt 0 ] || { echo "run-in-guest: no command" >&2; exit 2; }
command -v qemu-system-x86_64 >/dev/null ||
  { echo "run-in-guest: qemu-system-x86_64 missing (scripts/install-vm-deps.sh)" >&2; exit 2; }

cache=${QG_VM_CACHE:-/var/cache/qga-grow-tests}
mkdir -p "$cache"
{
  flock 9   # one builder at a time; later runs reuse the cache
  kdir=$("$HERE/guest-kernel.sh" "$cache")
  initrd=$("$HERE/build-initramfs.sh" "$cache")
} 9>"$cache/.lock"

job=$(mktemp -d /tmp/qg-guest.XXXXXX)
qpid=
cleanup() {
  local rc=$?
  if [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; then
    kill "$qpid" 2>/dev/null; sleep 0.5; kill -9 "$qpid" 2>/dev/null
  fi
  rm -rf "$job"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The job: environment, working directory and the command, quoted.
{
  echo '#!/bin/bash'
  for v in PATH LC_ALL $(compgen -v QG_); do
    [ -n "${!v+x}" ] && printf 'export %s=%q\n' "$v" "${!v}"
  done
  printf 'cd %q || exit 2\n' "$PWD"
  printf '%q ' "$@"
  echo '>/run/qg-job/stdout 2>/run/qg-job/stderr'
  echo 'echo $? >/run/qg-job/rc'
} >"$job/run"
chmod 755 "$job/run"

qemu-system-x86_64 -nodefaults -no-user-config -accel tcg -cpu max -smp 1 -m "$mem" \
  -display none -no-reboot -serial "file:$job/console.log" \
  -kernel "$kdir/vmlinuz" -initrd "$initrd" \
  -append "console=ttyS0 panic=-1 quiet" \
  -fsdev local,id=hostroot,path=/,security_model=passthrough,readonly=on,multidevs=remap \
  -device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot \
  -fsdev local,id=job,path="$job",security_model=none,multidevs=remap \
  -device virtio-9p-pci,fsdev=job,mount_tag=job \
  </dev/null >"$job/qemu.log" 2>&1 &
qpid=$!
SECONDS=0
while kill -0 "$qpid" 2>/dev/null && [ "$SECONDS" -lt "$timeout" ]; do sleep 0.2; done
if kill -0 "$qpid" 2>/dev/null; then
  echo "run-in-guest: the guest did not finish within $timeout s" >&2
fi
wait "$qpid" 2>/dev/null || true
qpid=

[ -f "$job/stdout" ] && cat "$job/stdout"
[ -f "$job/stderr" ] && cat "$job/stderr" >&2
if [ ! -s "$job/rc" ]; then
  echo "run-in-guest: the guest did not run the command; its console and QEMU said:" >&2
  tail -n 40 "$job/console.log" "$job/qemu.log" >&2 2>/dev/null || true
  exit 2
fi
exit "$(cat "$job/rc")"
