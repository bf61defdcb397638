# Source first, before lib.sh:  . in-guest-if-needed.sh "$0" "$@"  when the
# test needs root with CAP_SYS_RESOURCE (the kernel's online ext4 resize).
# Where this host's root lacks it (some sandboxes drop it from the bounding
# set), the test re-runs itself, unchanged, as root inside a throwaway QEMU
# guest (tests/vm/run-in-guest.sh), where the capability exists.
# A test that must always run in a guest sets GUEST_ALWAYS to the reason;
# one that writes outside /tmp, /run and /root (a configuration in /etc)
# also sets GUEST_OVERLAY=1: the guest's whole root is then writable, in
# memory.
_eff=$(awk '/^CapEff/ { print $2 }' /proc/self/status)
_why=${GUEST_ALWAYS:-}
(( ((16#$_eff >> 24) & 1) == 0 )) && _why="no CAP_SYS_RESOURCE here"
if [ -n "$_why" ] && [ -z "${QG_IN_GUEST:-}" ]; then
  _here=$(cd "$(dirname "$1")" && pwd)
  echo "# $_why: running $(basename "$1") inside a QEMU guest"
  # the guest lives as long as the test may (meson's timeout stops both);
  # QG_GUEST_TIMEOUT for long runs, such as the torture's recorded one
  QG_IN_GUEST=1 exec "$_here/../vm/run-in-guest.sh" --timeout "${QG_GUEST_TIMEOUT:-900}" \
    ${GUEST_OVERLAY:+--overlay} -- "$_here/$(basename "$1")" "${@:2}"
fi
unset _eff _here _why
