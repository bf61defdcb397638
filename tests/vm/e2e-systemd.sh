#!/bin/bash
# End to end in a real guest running systemd as PID 1: the udev rule names
# qga-grow@DISK:SEQNUM.service in SYSTEMD_WANTS and systemd runs it.
#   e2e-systemd.sh QGA-GROW QEMU-GA
# Disks: GPT ext4 (virtio-blk) and GPT xfs (virtio-scsi), grown with QMP
# block_resize.  Round 1: 1 -> 2 GiB, grown by the unit, which logs the sizes
# the agent then reports.  Round 2: auto.conf off, 2 -> 3 GiB: the unit runs,
# says it is off, writes nothing.  Round 3: on again, 3 -> 4 GiB: grown
# again, although nothing was written since the last resize (systemd starts
# a SYSTEMD_WANTS unit only when the device's previous event did not name
# it: hence the event number in the instance name).  Round 4: a dm-linear
# mapping (dm-N) reloaded larger starts the unit with its name as it is.
# Then the host checks the images (tables, fsck, sizes, data).
HERE=$(cd "$(dirname "$0")" && pwd)
AGENT=$(readlink -f "${2:?usage: $0 QGA-GROW QEMU-GA}")
. "$HERE/../loop/lib.sh"
. "$HERE/vm-lib.sh"
. "$HERE/e2e-lib.sh"
[ -x "$AGENT" ] || fail "no qemu-ga at $AGENT (scripts/build-qemu-ga.sh)"

GiB=$((1 << 30))
SERIALS=(qg-sd-ext4 qg-sd-xfs)
declare -A BUS=([qg-sd-ext4]=virtio [qg-sd-xfs]=scsi)
declare -A LABEL=([qg-sd-ext4]=gpt [qg-sd-xfs]=gpt)
declare -A FS=([qg-sd-ext4]=ext4 [qg-sd-xfs]=xfs)
# the root is the host's, read-only: mount points on /run
declare -A GMNT=([qg-sd-ext4]=/run/mnt/sd-ext4 [qg-sd-xfs]=/run/mnt/sd-xfs)
declare -A PARTNO=([qg-sd-ext4]=1 [qg-sd-xfs]=1)

# Lines from the unit (its stderr, in the journal), with its uevent number.
unit_lines() { count_lines "$1" "$2.* \[uevent [0-9]+\]$"; }

e2e_make_disks
e2e_boot systemd

# ---- round 1: grown by qga-grow@DISK:SEQNUM.service
for s in "${SERIALS[@]}"; do resize "$s" $((2 * GiB)); done
wait_grown "${SERIALS[@]}"
for s in "${SERIALS[@]}"; do
  g=${GDISK[$s]}
  wait_lines "$g" grown 1
  assert_eq "$(grep -cE "qga-grow\[[0-9]+\]: qga-grow: $g: grown" "$JOB/auto.log")" 1 \
    "$g: grown once, by the unit"
  assert_eq "$(unit_lines "$g" grown)" 1 "$g: the unit logged its uevent"
  grow_disk "$s" ',"dry-run":true' "$WORK/r1.json"
  assert_eq "$(jq -r .return.changed "$WORK/r1.json")" false "$s: agent after the unit"
  assert_eq "$(jq -r '[.return.layers[].size] | join(" ")' "$WORK/r1.json")" \
    "$(logged_sizes "$g")" "$s: layer sizes, agent vs the unit's log"
  check_fsinfo_fits "$s" "$WORK/r1.json"
done

# ---- round 2: switched off; the unit runs and writes nothing
e2e_auto_conf enabled=false
for s in "${SERIALS[@]}"; do resize "$s" $((3 * GiB)); done
for s in "${SERIALS[@]}"; do wait_lines "${GDISK[$s]}" "automatic growth is off" 1; done
fsinfo
for s in "${SERIALS[@]}"; do
  assert_eq "$(total_bytes "$s")" "${TOTAL[$s]}" "$s: size while automatic growth is off"
done

# ---- round 3: on again; the next resize starts a new unit
e2e_auto_conf enabled=true disks=all
for s in "${SERIALS[@]}"; do resize "$s" $((4 * GiB)); done
wait_grown "${SERIALS[@]}"
for s in "${SERIALS[@]}"; do
  g=${GDISK[$s]}
  wait_lines "$g" grown 2
  assert_eq "$(unit_lines "$g" grown)" 2 "$g: grown by the unit after the switched-off round"
  grow_disk "$s" ',"dry-run":true' "$WORK/r3.json"
  assert_eq "$(jq -r '[.return.layers[].size] | join(" ")' "$WORK/r3.json")" \
    "$(logged_sizes "$g")" "$s: layer sizes after round 3"
done

# ---- round 4: a device-mapper disk, whose kernel name holds a "-" (dm-N):
# systemd's %I would unescape the instance to dm/N; the unit must hand
# qga-grow /dev/dm-N.  A dm-linear mapping on a loop disk in the guest,
# reloaded larger: the kernel's RESIZE event starts the unit, which finds
# automatic growth off (that line names the device it was given).
# gexec SCRIPT: run it in the guest through the agent, print its stdout.
gexec() {
  local pid reply i
  reply=$(qga "$(jq -cn --arg s "$1" \
    '{execute:"guest-exec",arguments:{path:"/bin/sh",arg:["-c",$s],"capture-output":true}}')") ||
    guest_failed "guest-exec: $reply"
  pid=$(jq -r .return.pid <<<"$reply")
  for i in $(seq 120); do
    reply=$(qga "{\"execute\":\"guest-exec-status\",\"arguments\":{\"pid\":$pid}}")
    [ "$(jq -r .return.exited <<<"$reply")" = true ] && break
    sleep 0.5
  done
  [ "$(jq -r .return.exitcode <<<"$reply")" = 0 ] ||
    guest_failed "in the guest: $1: $(jq -r '.return["err-data"] // "" | @base64d' <<<"$reply")"
  jq -r '.return["out-data"] // "" | @base64d' <<<"$reply"
}
e2e_auto_conf enabled=false
dm=$(gexec 'set -e; /run/qg-bin/modprobe dm-mod; truncate -s 64M /run/qg-dm.img
  l=$(losetup -f --show /run/qg-dm.img)
  dmsetup create qg-e2e-linear --table "0 131072 linear $l 0"
  basename "$(readlink -f /dev/mapper/qg-e2e-linear)"') || guest_failed "no dm mapping"
case $dm in dm-[0-9]*) ;; *) fail "the mapping's kernel name is '$dm', not dm-N" ;; esac
gexec 'set -e; truncate -s 128M /run/qg-dm.img; l=$(losetup -j /run/qg-dm.img | cut -d: -f1)
  losetup -c "$l"
  dmsetup reload qg-e2e-linear --table "0 262144 linear $l 0"
  dmsetup resume qg-e2e-linear' >/dev/null
wait_lines "/dev/$dm" "automatic growth is off" 1
assert_eq "$(count_lines "/dev/$dm" "automatic growth is off .* \[uevent [0-9]+\]$")" 1 \
  "$dm: the unit got its kernel name as it is"
gexec 'dmsetup remove qg-e2e-linear; losetup -d "$(losetup -j /run/qg-dm.img | cut -d: -f1)"
  rm -f /run/qg-dm.img' >/dev/null

e2e_stop_and_verify $((4 * GiB))
echo "ok: the systemd path, in a real guest with systemd as PID 1 ($((SECONDS - E2E_T0)) s)"
