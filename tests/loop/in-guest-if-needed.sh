# Source first, before lib.sh:  . in-guest-if-needed.sh "$0" "$@"  when the
# test needs root with CAP_SYS_RESOURCE (the kernel's online ext4 resize).
# Where this host's root lacks it (some sandboxes drop it from the bounding
# set), the test re-runs itself, unchanged, as root inside a throwaway QEMU
# guest (tests/vm/run-in-guest.sh), where the capability exists.
_eff=$(awk '/^CapEff/ { print $2 }' /proc/self/status)
if (( ((16#$_eff >> 24) & 1) == 0 )) && [ -z "${QG_IN_GUEST:-}" ]; then
  _here=$(cd "$(dirname "$1")" && pwd)
  echo "# no CAP_SYS_RESOURCE here: running $(basename "$1") inside a QEMU guest"
  QG_IN_GUEST=1 exec "$_here/../vm/run-in-guest.sh" -- "$_here/$(basename "$1")" "${@:2}"
fi
unset _eff _here
