#!/bin/bash
# guest-grow-disk's jobs and their bounds, through the patched qemu-ga: at
# most 16 jobs unfinished or unread (the 17th refused, naming the bound;
# once one is read, a new one starts); each read once, with its dry-run
# result; ids count up and are never reused; arguments refused at once
# with async as without (two targets, wrong types, lock-timeout out of
# 0..86400), starting no job; nothing written throughout.
#   jobs.sh QGA-GROW QEMU-GA
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../loop/lib.sh"
. "$HERE/lib.sh"
start_agent

make_disk 256M 512; d=$DISK
partition "$d" "label: gpt
,128M"
make_fs ext4 "$(part_dev "$d" 1)"   # unmounted: nothing writes to it
enlarge "$d" 512M
before=$(fingerprint "$d")
dry=$(jq -nc --arg d "$d" '{device: $d, "dry-run": true}')
expect_return "$WORK/dry-sync.json" "$(grow_cmd "$dry")"

jobs=()
for i in $(seq 16); do
  start_job "$dry"
  jobs+=("$JOB")
done
for i in $(seq 15); do
  [ "${jobs[i]}" -gt "${jobs[i-1]}" ] || fail "job ids do not count up: ${jobs[*]}"
done
# 16 unfinished or unread (dry runs take milliseconds): no 17th
expect_error GenericError '^16 guest-grow-disk jobs are unfinished or unread: read a finished one.s status with guest-grow-disk-status first; nothing was started$' \
  "$(grow_cmd "$(jq -c '. + {async: true}' <<<"$dry")")"
# arguments are checked at once, also with async, and start no job
bad() { expect_error GenericError "$1" "$(grow_cmd "$(jq -c '. + {async: true}' <<<"$2")")"; }
bad '^name only one target' "$(jq -nc --arg d "$d" '{device: $d, mountpoint: "/"}')"
expect_error GenericError "'async'.*expected: bool" \
  "$(grow_cmd "$(jq -nc --arg d "$d" '{device: $d, async: "yes"}')")"
bad '^no target' '{"dry-run": true}'
bad 'is no logical volume name' "$(jq -nc --arg d "$d" '{device: $d, lv: "no-slash"}')"
bad '/dev/no-such-disk' '{"device": "/dev/no-such-disk"}'
# (JSON text as written: jq would turn 2^63 - 1 into a double)
for lt in -1 86401 9223372036854775807; do
  for a in ', "async": true' ''; do
    expect_error GenericError "^lock-timeout must be from 0 to 86400 seconds; got $lt$" \
      "$(grow_cmd "$(printf '{"device": "%s", "lock-timeout": %s%s}' "$d" "$lt" "$a")")"
  done
done
expect_error GenericError "'lock-timeout'.*expected: integer|'lock-timeout'.*integer" \
  "$(grow_cmd "$(jq -nc --arg d "$d" '{device: $d, "lock-timeout": "10"}')")"
expect_error GenericError "'force'.*expected: bool" \
  "$(grow_cmd "$(jq -nc --arg d "$d" '{device: $d, force: 1}')")"

# read one: a new job starts, with the next id
job_status "$WORK/s.json" "${jobs[0]}"
assert_eq "$(jq -r .done "$WORK/s.json")" true "job ${jobs[0]} done"
unset 'jobs[0]'
last=${jobs[-1]}
start_job "$dry"
assert_eq "$JOB" "$((last + 1))" "the next job's id (refused calls take none)"
jobs+=("$JOB")
for j in "${jobs[@]}"; do
  wait_job "$WORK/s.json" "$j"
  assert_eq "$(jq -S .result "$WORK/s.json")" "$(jq -S . "$WORK/dry-sync.json")" "job $j's result"
  expect_error GenericError "^no guest-grow-disk job $j: " \
    "{\"execute\": \"guest-grow-disk-status\", \"arguments\": {\"job\": $j}}"
done
assert_eq "$(fingerprint "$d")" "$before" "disk image after dry runs and refusals"
echo "ok: at most 16 jobs, each read once, arguments refused at once"
