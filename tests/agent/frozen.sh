#!/bin/bash
# While the agent has the filesystems frozen (guest-fsfreeze-freeze-list,
# as backup tools do), guest-grow-disk is refused like every command off
# qemu-ga's freeze allow list: guest-info shows it disabled, a call answers
# CommandNotFound (also with async), nothing is written; guest-grow-disk-
# status stays enabled (it only reads) and gives a job's final status.
# After guest-fsfreeze-thaw it works.
#   frozen.sh QGA-GROW QEMU-GA
# Always in a QEMU guest: guest-fsfreeze-thaw thaws every filesystem of
# the machine the agent runs on, which on a shared host are not all ours.
HERE=$(cd "$(dirname "$0")" && pwd)
GUEST_ALWAYS="guest-fsfreeze-thaw thaws every filesystem of its machine"
. "$HERE/../loop/in-guest-if-needed.sh" "$0" "$@"
. "$HERE/../loop/lib.sh"
. "$HERE/lib.sh"
start_agent

mounted_disk 256M 512 "label: gpt
,128M" 1 ext4
enlarge "$d" 512M
grow=$(grow_cmd "$(jq -nc --arg m "$mnt" '{mountpoint: $m}')")
status() {
  call "$WORK/status" '{"execute":"guest-fsfreeze-status"}'
  jq -r .return "$WORK/status"
}

# a job finished before the freeze is read while frozen
start_job "$(jq -nc --arg m "$mnt" '{mountpoint: $m, "dry-run": true}')"
call "$WORK/freeze" "$(jq -nc --arg m "$mnt" '{execute: "guest-fsfreeze-freeze-list", arguments: {mountpoints: [$m]}}')"
assert_eq "$(jq -c . "$WORK/freeze")" '{"return":1}' "filesystems frozen"
FROZEN=$mnt   # thawed on exit, should the test fail before the agent thaws it
assert_eq "$(status)" frozen "guest-fsfreeze-status"
before=$(fingerprint "$d")
call "$WORK/info" '{"execute":"guest-info"}'
assert_eq "$(jq -r '.return.supported_commands[] | select(.name == "guest-grow-disk") | .enabled' \
  "$WORK/info")" false "guest-grow-disk in guest-info while frozen"
expect_error CommandNotFound "guest-grow-disk has been disabled" "$grow"
expect_error CommandNotFound "guest-grow-disk has been disabled" \
  "$(grow_cmd "$(jq -nc --arg m "$mnt" '{mountpoint: $m, "dry-run": true}')")"
# guest-grow-disk-status only reads: on qemu-ga's freeze allow list
assert_eq "$(jq -r '.return.supported_commands[] | select(.name == "guest-grow-disk-status") | .enabled' \
  "$WORK/info")" true "guest-grow-disk-status in guest-info while frozen"
expect_error CommandNotFound "guest-grow-disk has been disabled" \
  "$(grow_cmd "$(jq -nc --arg m "$mnt" '{mountpoint: $m, "dry-run": true, async: true}')")"
wait_job "$WORK/job.json" "$JOB"
assert_eq "$(jq -r '[.done, .result.changed, .result["dry-run"]] | map(tostring) | join(",")' "$WORK/job.json")" \
  true,true,true "a dry run's job read while frozen"
expect_error GenericError "^no guest-grow-disk job $JOB: " \
  "{\"execute\": \"guest-grow-disk-status\", \"arguments\": {\"job\": $JOB}}"
assert_eq "$(fingerprint "$d")" "$before" "disk image after the refused calls"
assert_eq "$(blockdev --getsize64 "$p")" "$old_part" "partition size while frozen"

call "$WORK/thaw" '{"execute":"guest-fsfreeze-thaw"}'
jq -e '.return >= 1' "$WORK/thaw" >/dev/null || fail "guest-fsfreeze-thaw said $(cat "$WORK/thaw")"
FROZEN=
assert_eq "$(status)" thawed "guest-fsfreeze-status after the thaw"
expect_return "$WORK/grow.json" "$grow"
note "$(jq -c . "$WORK/grow.json")"
check_grown "$WORK/grow.json" "$d" 1 ext4 "$mnt" "$old_part" "$old_fs"
echo "ok: guest-grow-disk refused while frozen, works after the thaw"
