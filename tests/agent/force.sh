#!/bin/bash
# guest-grow-disk's force reaches the library: an xfs of 16 MiB allocation
# groups grown to 20 GiB would have over 1024 of them, past the hard limit
# (qga-grow(8)): refused without force (also force false), naming it, with
# nothing written; with force the dry run plans it and the grow does it
# (xfs_info's agcount), also through a job.
#   force.sh QGA-GROW QEMU-GA
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../loop/lib.sh"
. "$HERE/lib.sh"
start_agent

# 128 MiB allocation groups (mkfs.xfs wants its 64 MiB log inside one, and
# an xfs of 300 MB at least); 150 GiB then holds 1200 of them, past 1024
make_disk 1G 512; d=$DISK
partition "$d" "label: gpt
,400M"
p=$(part_dev "$d" 1)
mkfs.xfs -q -f -d agsize=128m "$p"
mount_fs "$p"; mnt=$MNT
enlarge "$d" 150G
freeze_fs "$mnt"
before=$(fingerprint "$d")
for f in '{}' '{"force": false}'; do
  for dry in false true; do
    expect_error GenericError "allocation group.*force" \
      "$(grow_cmd "$(jq -nc --arg m "$mnt" --argjson f "$f" --argjson n "$dry" '{mountpoint: $m, "dry-run": $n} + $f')")"
  done
done
assert_eq "$(fingerprint "$d")" "$before" "disk image after the refusals"
thaw_fs

expect_return "$WORK/dry.json" "$(grow_cmd "$(jq -nc --arg m "$mnt" '{mountpoint: $m, "dry-run": true, force: true}')")"
assert_eq "$(jget "$WORK/dry.json" '[.changed, (.layers[] | .state)] | map(tostring) | join(",")')" \
  true,planned,planned "the dry run with force"
start_job "$(jq -nc --arg m "$mnt" '{mountpoint: $m, force: true}')"
wait_job "$WORK/s.json" "$JOB"
note "$(jq -c .result "$WORK/s.json")"
assert_eq "$(jq -r '[.result.changed, (.result.layers[] | .state)] | map(tostring) | join(",")' "$WORK/s.json")" \
  true,grown,grown "the grow with force, through a job"
ag=$(xfs_info "$mnt" | sed -n 's/.*agcount=\([0-9]*\).*/\1/p')
[ "$ag" -gt 1024 ] || fail "xfs_info says agcount=$ag after the forced grow"
echo "ok: force passes through guest-grow-disk"
