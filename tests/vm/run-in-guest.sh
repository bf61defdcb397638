#!/bin/bash
# Run one command as root inside a throwaway QEMU guest (TCG) whose root is
# this host's own root, shared read-only: the same binaries, scripts and
# build tree, but the guest kernel's full root privileges (this host's root
# may lack some, e.g. CAP_SYS_RESOURCE for online ext4 growth).
#   run-in-guest.sh [--mem MIB] [--timeout SEC] [--overlay] -- COMMAND [ARGS...]
# The command runs in the same working directory with PATH, LC_ALL and the
# QG_* variables passed on; /tmp, /run, /var/tmp, /var/log and /root are
# empty tmpfs.  --overlay: the whole root is writable, in memory (an overlay
# on the host root), so that the command may install packages.  Its stdout and stderr are printed when it ends; the exit
# status is the command's (or 2 when the guest did not run it, with the
# guest console shown).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/vm-lib.sh"
timeout=600 overlay=0
while [ $# -gt 0 ]; do
  case $1 in
    --mem) VM_MEM=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    --overlay) overlay=1; shift ;;
    --) shift; break ;;
    *) echo "usage: $0 [--mem MIB] [--timeout SEC] [--overlay] -- COMMAND [ARGS...]" >&2; exit 2 ;;
  esac
done
[ $# -gt 0 ] || { echo "run-in-guest: no command" >&2; exit 2; }
vm_prepare

job=$(mktemp -d /tmp/qg-guest.XXXXXX)
cleanup() {
  local rc=$?
  vm_kill
  rm -rf "$job"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

vm_write_job "$job" "$@"
[ "$overlay" = 0 ] || touch "$job/overlay"
vm_start "$job" quiet
vm_wait_exit "$timeout" || echo "run-in-guest: the guest did not finish within $timeout s" >&2
vm_kill

[ -f "$job/stdout" ] && cat "$job/stdout"
[ -f "$job/stderr" ] && cat "$job/stderr" >&2
if [ ! -s "$job/rc" ]; then
  echo "run-in-guest: the guest did not run the command; its console and QEMU said:" >&2
  vm_show_console "$job"
  exit 2
fi
exit "$(cat "$job/rc")"
