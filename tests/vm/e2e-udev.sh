#!/bin/bash
# End to end in a real guest (QEMU, TCG, Debian's kernel): disks grown from
# outside with QMP block_resize, grown inside by the udev rule alone, then by
# the agent command, then both at once.
#   e2e-udev.sh QGA-GROW QEMU-GA
# Disks (serials): a GPT data disk with ext4 (virtio-blk), an MBR data disk
# with xfs (virtio-scsi), btrfs on a whole disk (virtio-blk), and a root-like
# disk (GPT, a small first partition, the guest's "/" on the last one).
# Round 1, udev: every disk 1 -> 2 GiB; the rule grows each exactly once (no
# loop on our own writes), seen through the agent's guest-get-fsinfo; the
# agent command then reports the very sizes the rule logged.
# Round 2, agent: the rule switched off in auto.conf; 2 -> 3 GiB through
# guest-grow-disk with expect-size; the rule says it is off.
# Round 3, both: rule on, 3 -> 4 GiB, agent called at once; the lock lets one
# of them grow and the other find nothing to do.
# Afterwards, on the host: tables (sgdisk -v / sfdisk --verify) and partition
# ends, fsck, filesystem sizes, data written before.
HERE=$(cd "$(dirname "$0")" && pwd)
AGENT=$(readlink -f "${2:?usage: $0 QGA-GROW QEMU-GA}")
. "$HERE/../loop/lib.sh"
. "$HERE/vm-lib.sh"
. "$HERE/e2e-lib.sh"
[ -x "$AGENT" ] || fail "no qemu-ga at $AGENT (scripts/build-qemu-ga.sh)"

GiB=$((1 << 30))
SERIALS=(qg-data-ext4 qg-data-xfs qg-data-btrfs qg-root)
declare -A BUS=([qg-data-ext4]=virtio [qg-data-xfs]=scsi [qg-data-btrfs]=virtio [qg-root]=virtio)
declare -A LABEL=([qg-data-ext4]=gpt [qg-data-xfs]=dos [qg-data-btrfs]=none [qg-root]=gpt)
declare -A FS=([qg-data-ext4]=ext4 [qg-data-xfs]=xfs [qg-data-btrfs]=btrfs [qg-root]=ext4)
declare -A GMNT=([qg-data-ext4]=/mnt/data-ext4 [qg-data-xfs]=/mnt/data-xfs
                [qg-data-btrfs]=/mnt/data-btrfs [qg-root]=/)
declare -A PARTNO=([qg-data-ext4]=1 [qg-data-xfs]=1 [qg-data-btrfs]=0 [qg-root]=2)

e2e_make_disks
e2e_boot chroot

# ---- round 1: the udev rule alone
t1=$SECONDS
for s in "${SERIALS[@]}"; do resize "$s" $((2 * GiB)); done
wait_grown "${SERIALS[@]}"
note "round 1: the rule grew all four disks within $((SECONDS - t1)) s"
sleep 3   # time for a looping rule to show itself
for s in "${SERIALS[@]}"; do
  g=${GDISK[$s]}
  assert_eq "$(count_lines "$g" grown)" 1 "rule runs that grew $g ($s)"
  assert_eq "$(count_lines "$g" "")" 1 "rule runs for $g ($s), whatever they did"
  grow_disk "$s" ',"dry-run":true' "$WORK/r1.json"
  assert_eq "$(jq -r .return.changed "$WORK/r1.json")" false "$s: agent after the rule"
  assert_eq "$(jq -r '.return."disk-size"' "$WORK/r1.json")" $((2 * GiB)) "$s: disk size"
  assert_eq "$(jq -r '[.return.layers[].size] | join(" ")' "$WORK/r1.json")" \
    "$(logged_sizes "$g")" "$s: layer sizes, agent vs the rule's log"
  check_fsinfo_fits "$s" "$WORK/r1.json"
done

# ---- round 2: the agent command, the rule switched off
e2e_auto_conf enabled=false
for s in "${SERIALS[@]}"; do resize "$s" $((3 * GiB)); done
for s in "${SERIALS[@]}"; do
  g=${GDISK[$s]}
  grow_disk "$s" ",\"expect-size\":$((3 * GiB))" "$WORK/r2.json"
  assert_eq "$(jq -r .return.changed "$WORK/r2.json")" true "$s: agent grew it"
  assert_eq "$(jq -r '.return."disk-size"' "$WORK/r2.json")" $((3 * GiB)) "$s: disk size"
  assert_eq "$(jq -r '[.return.layers[] | .changed] | all' "$WORK/r2.json")" true \
    "$s: every layer grew"
  wait_grown "$s"
  check_fsinfo_fits "$s" "$WORK/r2.json"
done
for s in "${SERIALS[@]}"; do
  g=${GDISK[$s]}
  wait_lines "$g" "automatic growth is off" 1
  assert_eq "$(count_lines "$g" "automatic growth is off")" 1 "$g: the rule ran and stayed off"
  assert_eq "$(count_lines "$g" grown)" 1 "$g: rule runs that grew, after round 2"
done

# ---- round 3: rule and agent at once; the whole-disk lock decides
e2e_auto_conf enabled=true disks=all
for s in "${SERIALS[@]}"; do resize "$s" $((4 * GiB)); done
for s in "${SERIALS[@]}"; do
  g=${GDISK[$s]}
  grow_disk "$s" ",\"expect-size\":$((4 * GiB))" "$WORK/r3.json"
  agent_grew=$(jq -r .return.changed "$WORK/r3.json")
  wait_lines "$g" "(grown|nothing to do)" 2
  rule_grew=$(( $(count_lines "$g" grown) - 1 ))
  rule_idle=$(count_lines "$g" "nothing to do")
  note "$s: agent grew: $agent_grew; rule grew: $rule_grew, found nothing to do: $rule_idle"
  if [ "$agent_grew" = true ]; then
    assert_eq "$rule_grew:$rule_idle" 0:1 "$g: the rule, after the agent won"
  else
    assert_eq "$rule_grew:$rule_idle" 1:0 "$g: the rule, after the rule won"
  fi
  assert_eq "$(jq -r '.return."disk-size"' "$WORK/r3.json")" $((4 * GiB)) "$s: disk size"
done

e2e_stop_and_verify $((4 * GiB))
echo "ok: udev rule, agent command and both at once, in a real guest ($((SECONDS - E2E_T0)) s)"
