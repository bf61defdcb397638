#!/bin/bash
# The host's question before it grows a disk, through the agent:
# guest-grow-disk with dry-run and assume-size refuses what the real run
# will refuse once the disk has that size, with a reply equal to the real
# run's byte for byte, and writes nothing: a filesystem frozen by someone
# else, the xfs allocation-group guard, an MBR table at its 2 TiB limit.
# (The [agent] allow-list: allow-list.sh; LVs with none named, a LUKS2
# key: the libvirt end to end, host-cli/tests/e2e-libvirt.sh.)
#   preflight.sh QGA-GROW QEMU-GA
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../loop/lib.sh"
. "$HERE/lib.sh"
start_agent

# same_refusal ARGS-JSON SIZE PATTERN: refused for SIZE before the disk $d
# grows, then the real run once it has: the same reply; $d unchanged by
# either
same_refusal() {
  local args=$1 size=$2 pattern=$3 before
  sync
  before=$(fingerprint "$d")
  expect_error GenericError "$pattern" \
    "$(grow_cmd "$(jq -c --argjson n "$size" '. + {"dry-run": true, "assume-size": $n}' <<<"$args")")"
  cp "$WORK/error.reply" "$WORK/asked.reply"
  sync
  assert_eq "$(fingerprint "$d")" "$before" "$args: the disk after the question"
  enlarge "$d" "$size"
  before=$(fingerprint "$d")
  expect_error GenericError "$pattern" "$(grow_cmd "$args")"
  cmp -s "$WORK/error.reply" "$WORK/asked.reply" ||
    fail "$args: asked before, refused otherwise: $(cat "$WORK/asked.reply") / $(cat "$WORK/error.reply")"
  sync
  assert_eq "$(fingerprint "$d")" "$before" "$args: the disk after the refusal"
}

# frozen by someone else (thawed on exit, also on failure)
mounted_disk 1G 512 "label: gpt
," 1 xfs
EXIT_HOOKS=('[ -z "$FROZEN" ] || thaw_fs' "${EXIT_HOOKS[@]}")
freeze_fs "$mnt"
same_refusal "$(jq -nc --arg m "$mnt" '{mountpoint: $m}')" $((2 << 30)) "is frozen"
thaw_fs
unmount_fs "$mnt"

# the xfs allocation-group guard: 128 MiB groups, past 1024 of them
make_disk 1G; d=$DISK
partition "$d" "label: gpt
,"
p=$(part_dev "$d" 1)
mkfs.xfs -q -f -b size=4096 -d agsize=128m "$p"
mount_fs "$p"; mnt=$MNT
same_refusal "$(jq -nc --arg m "$mnt" '{mountpoint: $m}')" $((140 << 30)) \
  "allocation groups.*limit of 1024.*force"
unmount_fs "$mnt"

# an MBR table at its limit, the partition and its ext4 filling it
make_disk $((2 << 40)); d=$DISK
partition "$d" "label: dos
,"
p=$(part_dev "$d" 1)
mkfs.ext4 -q -F -E nodiscard "$p"
same_refusal "$(jq -nc --arg p "$p" '{device: $p}')" $((3 << 40)) \
  "MBR partition table cannot address the disk past 2 TiB"
echo "ok: refusals asked for before the grow are the real run's, byte for byte"
