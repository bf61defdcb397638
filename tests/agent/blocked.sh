#!/bin/bash
# An administrator can switch guest-grow-disk off: qemu-ga -b guest-grow-disk
# (and, where qemu-ga has it, an allow list that leaves it out, -a).
# guest-info then lists it with enabled false, a call answers
# CommandNotFound, and the disk is not touched.  Host tools decide from
# guest-info, so that is what is checked first.
#   blocked.sh QGA-GROW QEMU-GA
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../loop/lib.sh"
. "$HERE/lib.sh"

# A disk that would grow: xfs, mounted, on the last partition.
mounted_disk 512M 512 "label: gpt
,300M" 1 xfs
enlarge "$d" 1G
grow=$(grow_cmd "$(jq -nc --arg m "$mnt" '{mountpoint: $m}')")

enabled() {  # enabled COMMAND: "true"/"false" from guest-info
  call "$WORK/info" '{"execute":"guest-info"}'
  jq -r --arg c "$1" '[.return.supported_commands[] | select(.name == $c) | .enabled] | map(tostring) | join(",")' \
    "$WORK/info"
}

# check_off OPTION...: qemu-ga started with these options has the command off.
check_off() {
  local before
  start_agent "$@"
  assert_eq "$(enabled guest-grow-disk)" false "guest-grow-disk in guest-info, qemu-ga $*"
  assert_eq "$(enabled guest-ping)" true "guest-ping in guest-info, qemu-ga $*"
  freeze_fs "$mnt"
  before=$(fingerprint "$d")
  expect_error CommandNotFound "guest-grow-disk has been disabled" "$grow"
  assert_eq "$(fingerprint "$d")" "$before" "disk image after the refused call, qemu-ga $*"
  thaw_fs
  stop_agent
}

# Not blocked: listed, enabled (and it would work: see grow.sh).
start_agent
assert_eq "$(enabled guest-grow-disk)" true "guest-grow-disk in guest-info of a plain qemu-ga"
stop_agent

check_off -b guest-grow-disk
check_off -b guest-exec,guest-grow-disk,guest-file-open
if "$QGA" --help | grep -q -- '--allow-rpcs'; then
  check_off -a guest-ping,guest-info,guest-sync,guest-sync-delimited,guest-get-fsinfo
else
  note "this qemu-ga has no allow list (-a): QEMU 7.2"
fi
assert_eq "$(blockdev --getsize64 "$p")" $((300 << 20)) "partition size after all"
echo "ok: guest-grow-disk switched off by -b (and -a) is refused and touches nothing"
