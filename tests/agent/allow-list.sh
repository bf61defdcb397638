#!/bin/bash
# The guest administrator's allow-list binds guest-grow-disk: with
# /etc/qga-grow/auto.conf's [agent] disks= naming another disk, a call for
# ours is refused (also a dry run, also with async: at once, no job),
# naming the setting and the file's line, and nothing is written (asked
# before the disk grows, the same refusal, byte for byte); a broken
# file refuses every call naming its line; with our disk on the list the
# grow works.
#   allow-list.sh QGA-GROW QEMU-GA
# Always in a QEMU guest: it writes /etc/qga-grow/auto.conf, which on a
# shared host is not ours to change.
HERE=$(cd "$(dirname "$0")" && pwd)
GUEST_ALWAYS="it writes /etc/qga-grow/auto.conf" GUEST_OVERLAY=1
. "$HERE/../loop/in-guest-if-needed.sh" "$0" "$@"
. "$HERE/../loop/lib.sh"
. "$HERE/lib.sh"
# the file the library was built to read (the build's sysconfdir)
CONF=$("$QG" auto --help | sed -n 's/.*configuration (default \(.*\))$/\1/p')
[ -n "$CONF" ] || fail "qga-grow auto --help names no configuration file"
[ ! -e "$CONF" ] || fail "$CONF exists already in this guest"
mkdir -p "$(dirname "$CONF")"
on_exit 'rm -f "$CONF"'
start_agent

mounted_disk 1G 512 "label: gpt
,400M" 1 xfs
name=$(basename "$d")
# asked before the disk grows (dry-run and assume-size, the host's
# question): the refusal the real run gets, byte for byte
printf '# only the data disk\n[agent]\ndisks=vdz serial:not-ours\n' >"$CONF"
expect_error GenericError "\[agent\] disks=.*$CONF:3" \
  "$(grow_cmd "$(jq -nc --arg m "$mnt" '{mountpoint: $m, "dry-run": true, "assume-size": 2147483648}')")"
cp "$WORK/error.reply" "$WORK/asked.reply"
enlarge "$d" 2G
grow=$(jq -nc --arg m "$mnt" '{mountpoint: $m}')
dry=$(jq -nc --arg m "$mnt" '{mountpoint: $m, "dry-run": true}')
async=$(jq -nc --arg m "$mnt" '{mountpoint: $m, async: true}')

printf '# only the data disk\n[agent]\ndisks=vdz serial:not-ours\n' >"$CONF"
table=$(sfdisk --dump "$d")
for args in "$grow" "$dry" "$async"; do
  expect_error GenericError "\[agent\] disks=.*$CONF:3" "$(grow_cmd "$args")"
done
expect_error GenericError "\[agent\] disks=.*$CONF:3" "$(grow_cmd "$grow")"
cmp -s "$WORK/error.reply" "$WORK/asked.reply" ||
  fail "the refusal asked for before the grow differs: $(cat "$WORK/asked.reply" "$WORK/error.reply")"
printf '[agent]\ndisks=vdz\n[Agent]\n' >"$CONF"
for args in "$grow" "$async"; do
  expect_error GenericError "^$CONF:3: .*unknown section \[Agent\]" "$(grow_cmd "$args")"
done
assert_eq "$(sfdisk --dump "$d")" "$table" "partition table after the refusals"
assert_eq "$(blockdev --getsize64 "$p")" "$old_part" "partition size after the refusals"
assert_eq "$(fs_size xfs "$p" "$mnt")" "$old_fs" "filesystem size after the refusals"

printf '[agent]\ndisks=vdz %s\n' "$name" >"$CONF"
start_job "$grow"
wait_job "$WORK/s.json" "$JOB"
jq .result "$WORK/s.json" >"$WORK/grow.json"
check_grown "$WORK/grow.json" "$d" 1 xfs "$mnt" "$old_part" "$old_fs"
umount "$mnt"
check_fs xfs "$p"
echo "ok: the [agent] allow-list binds guest-grow-disk"
