#!/bin/bash
# What guest-grow-disk must refuse, through the patched qemu-ga: bad
# arguments (no target, two targets, wrong types, unknown members, negative
# and huge expect-size, an lvm that is not pv, lv or auto, a move-swap that
# is not a bool), targets that do not exist or are not disks, a partition
# with another right after it (also with move-swap: it is no swap).  Each
# is an error reply with a clear message, the disk is byte-identical
# afterwards, and the agent lives on.
#   errors.sh QGA-GROW QEMU-GA
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../loop/lib.sh"
. "$HERE/lib.sh"
start_agent

# Two partitions, btrfs mounted on the first: partition 2 starts right
# after it, so it cannot grow, however large the disk becomes.
mounted_disk 512M 512 "label: gpt
,128M
,128M" 1 btrfs
p1=$p
enlarge "$d" 1G
freeze_fs "$mnt"   # no background writes by the mounted btrfs meanwhile
before=$(fingerprint "$d")

refuse() {  # refuse PATTERN ARGS-JSON: a GenericError matching PATTERN
  expect_error GenericError "$1" "$(grow_cmd "$2")"
}
dev() { jq -nc --arg d "$1" '{device: $d}'; }
# JSON text as written, not through jq: jq turns big integers into doubles.
size_arg() { printf '{"device": "%s", "expect-size": %s}' "$d" "$1"; }

# Targets: exactly one.
refuse '^no target: name a device, a serial or a mountpoint$' '{}'
refuse '^no target' '{"dry-run": true, "expect-size": 1073741824}'
refuse '^name only one target' "$(jq -nc --arg d "$d" --arg m "$mnt" '{device: $d, mountpoint: $m}')"
refuse '^name only one target' "$(jq -nc --arg d "$d" '{device: $d, serial: "x", mountpoint: "/"}')"

# Types and members, checked by QAPI before the command runs.
refuse "'device'.*expected: string" '{"device": 5}'
refuse "'mountpoint'.*expected: string" '{"mountpoint": ["/"]}'
refuse "'dry-run'.*expected: bool" "$(dev "$d" | jq -c '. + {"dry-run": "yes"}')"
refuse "'expect-size'.*expect" "$(size_arg '"1G"')"
refuse "'expect-size'.*expect" "$(size_arg 1.5)"
refuse "'disk'.*unexpected" "$(jq -nc --arg d "$d" '{disk: $d}')"
# The stack's arguments: key-file and lv are strings, lvm one of pv, lv
# and auto; a bad one is refused before the command runs.
refuse "^Parameter 'lvm' does not accept value 'vg'$" "$(dev "$d" | jq -c '. + {lvm: "vg"}')"
refuse "^Parameter 'lvm' does not accept value 'PV'$" "$(dev "$d" | jq -c '. + {lvm: "PV"}')"
refuse "'lvm'.*expected: string" "$(dev "$d" | jq -c '. + {lvm: 1}')"
refuse "'key-file'.*expected: string" "$(dev "$d" | jq -c '. + {"key-file": ["/k"]}')"
refuse "'lv'.*expected: string" "$(dev "$d" | jq -c '. + {lv: true}')"
refuse "'key_file'.*unexpected" "$(dev "$d" | jq -c '. + {key_file: "/k"}')"
# move-swap is a bool: not a string, a number or null
refuse "'move-swap'.*expected: bool" "$(dev "$d" | jq -c '. + {"move-swap": "true"}')"
refuse "'move-swap'.*expected: bool" "$(dev "$d" | jq -c '. + {"move-swap": 1}')"
refuse "'move-swap'.*expected: bool" "$(dev "$d" | jq -c '. + {"move-swap": null}')"
refuse "'move_swap'.*unexpected" "$(dev "$d" | jq -c '. + {move_swap: true}')"
expect_error GenericError "'arguments'.*(object|dict)" \
  '{"execute": "guest-grow-disk", "arguments": ["/dev/vda"]}'

# expect-size: negative numbers arrive modulo 2^64 and are refused as such;
# past 2^64 JSON numbers are not integers; a size the disk never reaches
# is waited for (5 s), then refused with both sizes.
for n in -1 -9223372036854775808 9223372036854775808 18446744073709551615; do
  refuse "^expect-size must be from 0 to 9223372036854775807 bytes" \
    "$(size_arg "$n")"
done
refuse "'expect-size'.*expect" "$(size_arg 18446744073709551616)"
refuse "^$d: the kernel still sees 1073741824 bytes after 5000 ms, expected at least 1152921504606846976$" \
  "$(size_arg 1152921504606846976)"

# Targets that are not there, or not disks.
refuse '^/dev/qga-grow-no-such-disk: No such file or directory$' "$(dev /dev/qga-grow-no-such-disk)"
touch "$WORK/plain-file"
refuse "^$WORK/plain-file is not a block device$" "$(dev "$WORK/plain-file")"
refuse "^no disk has serial qga-grow-no-such-serial$" '{"serial": "qga-grow-no-such-serial"}'
refuse '^empty disk serial$' '{"serial": ""}'
refuse "$WORK.* is not a mountpoint" "$(jq -nc --arg m "$WORK" '{mountpoint: $m}')"
refuse "not backed by a block device" '{"mountpoint": "/proc"}'

# Partition 2 right after the partition, the free space past it: refused,
# also as a dry run, and with move-swap (partition 2 is no swap: it never
# moves).
blocked="partition 1 of $d cannot grow: partition 2 starts right after it at sector"
refuse "$blocked" "$(dev "$p1")"
refuse "$blocked" "$(jq -nc --arg m "$mnt" '{mountpoint: $m}')"
refuse "$blocked" "$(jq -nc --arg m "$mnt" '{mountpoint: $m, "dry-run": true}')"
refuse "$blocked" "$(jq -nc --arg m "$mnt" '{mountpoint: $m, "move-swap": true}')"
refuse "$blocked" "$(jq -nc --arg m "$mnt" '{mountpoint: $m, "dry-run": true, "move-swap": true}')"

assert_eq "$(fingerprint "$d")" "$before" "disk image after every refusal"
thaw_fs
assert_eq "$(blockdev --getsize64 "$p1")" $((128 << 20)) "partition 1 size, the kernel's view"
kill -0 "$AGENT_PID" || fail "qemu-ga died"
call "$WORK/ping" '{"execute":"guest-ping"}'
assert_eq "$(jq -c . "$WORK/ping")" '{"return":{}}' "guest-ping after the refusals"
echo "ok: bad arguments and unsafe targets refused through qemu-ga, nothing written"
