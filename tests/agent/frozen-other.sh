#!/bin/bash
# A filesystem frozen by someone else (fsfreeze -f on its mountpoint, not
# the agent's guest-fsfreeze-freeze): guest-grow-disk refuses it before
# writing anything, quickly (well inside its 30 s deadline for a call that
# may block; loosely timed for a loaded machine), saying it is frozen; qemu-ga answers guest-ping right after;
# a dry run (also for an assumed size) refuses with the same reply, byte for
# byte; a job ends the same way; the disk is byte-identical.  Once thawed, the
# grow works.  The agent's own freeze is frozen.sh.
#   frozen-other.sh QGA-GROW QEMU-GA
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../loop/lib.sh"
. "$HERE/lib.sh"
start_agent

mounted_disk 1G 512 "label: gpt
,400M" 1 xfs
enlarge "$d" 2G
freeze_fs "$mnt"    # this test's freeze, thawed on exit also on failure
# ... and first of all on exit: an agent stuck in the kernel on the frozen
# filesystem (were the check missing) can only stop once it is thawed
EXIT_HOOKS=('[ -z "$FROZEN" ] || thaw_fs' "${EXIT_HOOKS[@]}")
before=$(fingerprint "$d")
t0=$SECONDS
expect_error GenericError "frozen" "$(grow_cmd "$(jq -nc --arg m "$mnt" '{mountpoint: $m}')")"
cp "$WORK/error.reply" "$WORK/real.reply"
[ $((SECONDS - t0)) -le 25 ] || fail "refused after $((SECONDS - t0)) s"
expect_ping_fast "after the refusal of a frozen filesystem"
# a dry run says what the real run would: the very same refusal (and so
# does the host's question for a size the disk does not have yet)
for extra in '{}' "{\"assume-size\": $(( $(blockdev --getsize64 "$d") + (1 << 30) ))}"; do
  expect_error GenericError "frozen" "$(grow_cmd "$(jq -nc --arg m "$mnt" --argjson x "$extra" \
    '{mountpoint: $m, "dry-run": true} + $x')")"
  cmp -s "$WORK/error.reply" "$WORK/real.reply" ||
    fail "dry run $extra refused otherwise than the real run: $(cat "$WORK/error.reply" "$WORK/real.reply")"
done
expect_ping_fast "after the dry run on a frozen filesystem"
start_job "$(jq -nc --arg m "$mnt" '{mountpoint: $m}')"
wait_job "$WORK/s.json" "$JOB" 30
assert_eq "$(jq -c '[.done, has("result")]' "$WORK/s.json")" '[true,false]' "the job's status"
jq -r .error "$WORK/s.json" | grep -q frozen || fail "the job's error: $(jq -c . "$WORK/s.json")"
assert_eq "$(fingerprint "$d")" "$before" "disk image after the refusals"
assert_eq "$(blockdev --getsize64 "$p")" "$old_part" "partition size"
thaw_fs

expect_return "$WORK/grow.json" "$(grow_cmd "$(jq -nc --arg m "$mnt" '{mountpoint: $m}')")"
check_grown "$WORK/grow.json" "$d" 1 xfs "$mnt" "$old_part" "$old_fs"
echo "ok: a filesystem frozen by someone else is refused at once, the agent answers"
