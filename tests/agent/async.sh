#!/bin/bash
# guest-grow-disk with "async": true through the patched qemu-ga, on twin
# disks (GPT, partition 1 of 1 GiB holding an unmounted ext4, the disk
# enlarged to 64 GiB):
# - a dry run's job gives exactly the reply of the same dry run without
#   async;
# - a job whose disk is locked by a process of this test answers {"job": N}
#   at once and stays in phase "locking"; guest-ping answers meanwhile; a
#   call without async is refused at once (lock-timeout 0) naming the job
#   that is growing; a second job waits its turn;
# - once the lock is let go, the first job is held in its filesystem's
#   grow (its e2fsck stopped as it begins) and shows phase
#   "growing", the layer, index 2 of 2, the second still waits its turn;
#   guest-ping answers; then both finish;
# - both results equal the synchronous grow of the third twin (device
#   names aside), checked against sfdisk, blockdev and dumpe2fs, and e2fsck
#   is clean;
# - a finished job's status is given once: then, and for ids never given,
#   an error naming the id.
#   async.sh QGA-GROW QEMU-GA
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../loop/lib.sh"
. "$HERE/lib.sh"

# twin: sets d, p, old_part, old_fs: a new disk as described above.
twin() {
  make_disk 1100M 512; d=$DISK
  partition "$d" "label: gpt
,1G"
  p=$(part_dev "$d" 1)
  mkfs.ext4 -q -F -J size=16 "$p"
  old_part=$(blockdev --getsize64 "$p") old_fs=$(fs_size ext4 "$p")
  enlarge "$d" 64G
}
twin; dA=$d pA=$p
twin; dB=$d pB=$p
twin; dC=$d pC=$p
# job 1's e2fsck stops itself (see stop_tool_on) as it begins
stop_tool_on e2fsck "$pA"
start_agent

# A dry run: the job's result is the synchronous reply, exactly.
dry=$(jq -nc --arg p "$pA" '{device: $p, "dry-run": true}')
expect_return "$WORK/dry-sync.json" "$(grow_cmd "$dry")"
start_job "$dry"
wait_job "$WORK/dry-status.json" "$JOB"
assert_eq "$(jq -c 'del(.result) | keys' "$WORK/dry-status.json")" '["done","job","phase"]' \
  "members of a finished job's status"
assert_eq "$(jq -c '[.job, .done, .phase]' "$WORK/dry-status.json")" "[$JOB,true,\"done\"]" \
  "job, done, phase of the finished dry run"
assert_eq "$(jq -S .result "$WORK/dry-status.json")" "$(jq -S . "$WORK/dry-sync.json")" \
  "the dry run's job result vs the synchronous dry run"

# Job 1 waits for the disk's lock, held by this test.
before=$(fingerprint "$dA")
hold_lock "$dA"
start_job "$(jq -nc --arg p "$pA" '{device: $p, "lock-timeout": 120}')"; job1=$JOB
for _ in 1 2 3; do
  job_status "$WORK/s.json" "$job1"
  assert_eq "$(jq -cS . "$WORK/s.json")" "{\"done\":false,\"job\":$job1,\"phase\":\"locking\"}" \
    "status of the job waiting for the lock"
  expect_ping_fast "while job $job1 waits for the disk's lock"
  sleep 0.3
done
assert_eq "$(fingerprint "$dA")" "$before" "disk image while its job waits for the lock"
# one grow at a time in the agent: a call without async does not wait
t0=$SECONDS
expect_error GenericError "growing a disk in job $job1 .*lock-timeout; nothing was changed" \
  "$(grow_cmd "$(jq -nc --arg p "$pC" '{device: $p, "lock-timeout": 0}')")"
[ $((SECONDS - t0)) -le 15 ] || fail "the refused call took $((SECONDS - t0)) s"
start_job "$(jq -nc --arg p "$pB" '{device: $p}')"; job2=$JOB
[ "$job2" -gt "$job1" ] || fail "job ids: $job1 then $job2"
job_status "$WORK/s.json" "$job2"
assert_eq "$(jq -c '[.done, .phase]' "$WORK/s.json")" '[false,"locking"]' \
  "status of the job waiting for its turn"

# Let job 1 go and hold it in its filesystem's grow (job 2 waits its turn:
# the tool caught is job 1's).
release_lock
await_tool_pause
job_status "$WORK/s.json" "$job1"
note "$(jq -c . "$WORK/s.json")"
assert_eq "$(jq -cS '[.job, .done, .phase, .layer, .index, .count]' "$WORK/s.json")" \
  "$(jq -ncS --argjson j "$job1" --arg p "$pA" '[$j, false, "growing", {kind: "filesystem", device: $p}, 2, 2]')" \
  "status of the job growing its filesystem"
jq -e '(.fraction // 0) | . >= 0 and . <= 1' "$WORK/s.json" >/dev/null ||
  fail "fraction out of 0..1: $(jq -c . "$WORK/s.json")"
job_status "$WORK/s.json" "$job2"
assert_eq "$(jq -c '[.done, .phase]' "$WORK/s.json")" '[false,"locking"]' \
  "status of the job waiting for its turn"
expect_ping_fast "while job $job1 grows a filesystem"
resume_tool
wait_job "$WORK/s1.json" "$job1"
wait_job "$WORK/s2.json" "$job2"

# The synchronous grow of the third twin; all three alike.
expect_return "$WORK/sync.json" "$(grow_cmd "$(jq -nc --arg p "$pC" '{device: $p}')")"
jq .result "$WORK/s1.json" >"$WORK/r1.json"
jq .result "$WORK/s2.json" >"$WORK/r2.json"
for r in r1:"$dA":"$pA" r2:"$dB":"$pB" sync:"$dC":"$pC"; do
  IFS=: read -r f dd pp <<<"$r"
  check_grown "$WORK/$f.json" "$dd" 1 ext4 "" "$old_part" "$old_fs"
  assert_eq "$(jq -c '[.error, (.layers[] | .state)]' "$WORK/$f.json")" '[null,"grown","grown"]' \
    "error and layer states ($f)"
  # device names aside, the same reply
  jq -S --arg d "$dd" --arg p "$pp" 'walk(if . == $d then "DISK" elif . == $p then "PART" else . end)' \
    "$WORK/$f.json" >"$WORK/$f.norm"
  check_fs ext4 "$pp"
done
assert_eq "$(cat "$WORK/r1.norm")" "$(cat "$WORK/sync.norm")" "job 1's result vs the synchronous reply"
assert_eq "$(cat "$WORK/r2.norm")" "$(cat "$WORK/sync.norm")" "job 2's result vs the synchronous reply"

# Given once, then forgotten; ids never given are unknown.
for j in "$job1" "$job2" 0 -1 99999; do
  expect_error GenericError "^no guest-grow-disk job $j: unknown, or its final status was read already$" \
    "{\"execute\": \"guest-grow-disk-status\", \"arguments\": {\"job\": $j}}"
done
expect_error GenericError "'job'.*expected: integer|'job'.*integer" \
  '{"execute": "guest-grow-disk-status", "arguments": {"job": "1"}}'
expect_error GenericError "'job'.*missing|missing.*'job'|parameter 'job'" \
  '{"execute": "guest-grow-disk-status", "arguments": {}}'
expect_ping_fast "at the end"
echo "ok: async jobs report their phase, leave the agent free and end with the synchronous reply"
