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
REPO=$(cd "$HERE/../.." && pwd)
[ -x "$AGENT" ] || fail "no qemu-ga at $AGENT (scripts/build-qemu-ga.sh)"

GiB=$((1 << 30))
SERIALS=(qg-data-ext4 qg-data-xfs qg-data-btrfs qg-root)
declare -A BUS=([qg-data-ext4]=virtio [qg-data-xfs]=scsi [qg-data-btrfs]=virtio [qg-root]=virtio)
declare -A LABEL=([qg-data-ext4]=gpt [qg-data-xfs]=dos [qg-data-btrfs]=none [qg-root]=gpt)
declare -A FS=([qg-data-ext4]=ext4 [qg-data-xfs]=xfs [qg-data-btrfs]=btrfs [qg-root]=ext4)
declare -A MNT=([qg-data-ext4]=/mnt/data-ext4 [qg-data-xfs]=/mnt/data-xfs
                [qg-data-btrfs]=/mnt/data-btrfs [qg-root]=/)
declare -A PARTNO=([qg-data-ext4]=1 [qg-data-xfs]=1 [qg-data-btrfs]=0 [qg-root]=2)
declare -A IMG GDISK

# ---- disks, made on the host
binds="$REPO $(dirname "$QG") $(dirname "$AGENT")"
for s in "${SERIALS[@]}"; do
  make_disk 1G; d=$DISK
  case ${LABEL[$s]}:$s in
    none:*) dev=$d ;;
    gpt:qg-root) partition "$d" "label: gpt
,64M
,"; dev=$(part_dev "$d" 2) ;;
    *) partition "$d" "label: ${LABEL[$s]}
,600M"; dev=$(part_dev "$d" 1) ;;
  esac
  make_fs "${FS[$s]}" "$dev"
  mount_fs "$dev"
  write_data "$MNT" "$s"
  if [ "$s" = qg-root ]; then
    # a root the guest can chroot into: its own /run, /tmp, /var, mount
    # points; /usr, /etc and the build tree come from the host
    mkdir -p "$MNT"/{usr,etc,dev,proc,sys,run,tmp,var/tmp,root,mnt}
    for m in "${MNT[@]}"; do mkdir -p "$MNT$m"; done
    for b in $binds; do mkdir -p "$MNT$b"; done
    for l in bin sbin lib lib64; do ln -s "usr/$l" "$MNT/$l"; done
  fi
  umount "$MNT"
  IMG[$s]=$(image_of "$d")
  losetup -d "$d"   # QEMU alone uses the image from now on
done

# ---- the guest
vm_prepare
job=$WORK/job
mkdir -p "$job"
on_exit vm_kill
sed "s|@QGA_GROW@ auto|$QG auto --config /run/qg-job/auto.conf|" "$REPO/rules/90-qga-grow.rules.in" \
  >"$job/90-qga-grow.rules"
printf '[auto]\nenabled=true\ndisks=all\n' >"$job/auto.conf"
mounts=
for s in "${SERIALS[@]}"; do
  [ "$s" = qg-root ] || mounts+="$s:${PARTNO[$s]}:${MNT[$s]} "
done
cat >"$job/guest.env" <<EOF
QG_ROOT_SERIAL=qg-root
QG_MOUNTS="$mounts"
QG_BINDS="$binds"
QG_AGENT=$AGENT
EOF
vm_write_job "$job" "$HERE/guest-services.sh"
disk_args=(-device virtio-scsi-pci,id=scsi0)
for s in "${SERIALS[@]}"; do
  disk_args+=(-blockdev "driver=file,filename=${IMG[$s]},node-name=file-$s"
              -blockdev "driver=raw,file=file-$s,node-name=$s")
  case ${BUS[$s]} in
    virtio) disk_args+=(-device "virtio-blk-pci,drive=$s,serial=$s") ;;
    scsi) disk_args+=(-device "scsi-hd,bus=scsi0.0,drive=$s,serial=$s") ;;
  esac
done
t0=$SECONDS
VM_MEM=1024 vm_start "$job" "quiet" \
  -qmp "unix:$job/qmp.sock,server=on,wait=off" \
  -device virtio-serial-pci,id=vser0 \
  -chardev "socket,id=qga0,path=$job/qga.sock,server=on,wait=off" \
  -device virtserialport,bus=vser0.0,chardev=qga0,name=org.qemu.guest_agent.0 \
  "${disk_args[@]}"

guest_failed() {
  echo "--- guest said:" >&2; cat "$job/stdout" "$job/stderr" >&2 2>/dev/null
  echo "--- qemu-ga log:" >&2; tail -n 20 "$job/qga.log" >&2 2>/dev/null
  echo "--- kernel log:" >&2; tail -n 30 "$job/kmsg.log" >&2 2>/dev/null
  vm_show_console "$job" 20
  fail "$*"
}
until [ -e "$job/ready" ]; do
  [ -e "$job/failed" ] && guest_failed "the guest could not set up"
  kill -0 "$VM_PID" 2>/dev/null || guest_failed "the guest stopped"
  [ $((SECONDS - t0)) -lt 300 ] || guest_failed "the guest was not ready within 300 s"
  sleep 0.5
done
note "guest ready after $((SECONDS - t0)) s"

qmp() { "$HERE/qmp-client.py" qmp "$job/qmp.sock" "$1"; }
qga() { "$HERE/qmp-client.py" qga "$job/qga.sock" "$1" --timeout 60; }
until qga '{"execute":"guest-ping"}' >/dev/null 2>&1; do
  [ $((SECONDS - t0)) -lt 300 ] || guest_failed "the agent did not answer"
  sleep 1
done
qga '{"execute":"guest-info"}' >"$WORK/info.json"
jq -e '.return.supported_commands[] | select(.name == "guest-grow-disk" and .enabled)' \
  "$WORK/info.json" >/dev/null || guest_failed "the agent has no enabled guest-grow-disk"

fsinfo() { qga '{"execute":"guest-get-fsinfo"}' >"$WORK/fsinfo.json" || guest_failed "fsinfo"; }
total_bytes() {  # total_bytes SERIAL: the agent's view of its filesystem
  jq -r --arg m "${MNT[$1]}" '.return[] | select(.mountpoint == $m) | ."total-bytes"' \
    "$WORK/fsinfo.json"
}
resize() {  # resize SERIAL BYTES
  qmp "{\"execute\":\"block_resize\",\"arguments\":{\"node-name\":\"$1\",\"size\":$2}}" \
    >/dev/null || fail "block_resize $1 $2"
}
grow_disk() {  # grow_disk SERIAL ARGS-JSON OUT: the agent command, must succeed
  local target
  if [ "$1" = qg-root ]; then target='"mountpoint":"/"'; else target="\"serial\":\"$1\""; fi
  qga "{\"execute\":\"guest-grow-disk\",\"arguments\":{$target$2}}" >"$3" ||
    guest_failed "guest-grow-disk $1: $(cat "$3")"
}
# Lines the rule's runs logged for a guest disk ("grown", "nothing to do",
# "automatic growth is off").
rule_lines() { grep -E "qga-grow\[[0-9]+\]: $1: $2" "$job/kmsg.log" || true; }
count_lines() { rule_lines "$1" "$2" | grep -c . || true; }
# The sizes a rule run logged, one per layer: "A -> B bytes".
logged_sizes() {
  rule_lines "$1" grown | tail -n 1 | grep -oE '[0-9]+ -> [0-9]+ bytes' | awk '{ print $3 }' |
    paste -sd' '
}

fsinfo
declare -A TOTAL
for s in "${SERIALS[@]}"; do
  TOTAL[$s]=$(total_bytes "$s")
  [ -n "${TOTAL[$s]}" ] || guest_failed "fsinfo does not list ${MNT[$s]}"
  GDISK[$s]=$(jq -r --arg m "${MNT[$s]}" \
    '.return[] | select(.mountpoint == $m) | .disk[0].serial' "$WORK/fsinfo.json")
  assert_eq "${GDISK[$s]}" "$s" "serial the agent reports for ${MNT[$s]}"
  grow_disk "$s" ',"dry-run":true' "$WORK/plan.json"
  GDISK[$s]=$(jq -r .return.disk "$WORK/plan.json")
  assert_eq "$(jq -r .return.changed "$WORK/plan.json")" false "$s before any resize"
  note "$s is ${GDISK[$s]} in the guest, ${MNT[$s]}: ${TOTAL[$s]} bytes"
done

# wait_grown SERIAL...: until fsinfo shows each filesystem larger than TOTAL.
wait_grown() {
  local s end=$((SECONDS + 120)) pending
  while :; do
    fsinfo
    pending=
    for s in "$@"; do
      [ "$(total_bytes "$s")" -gt "${TOTAL[$s]}" ] || pending+=" $s"
    done
    [ -z "$pending" ] && break
    [ "$SECONDS" -lt "$end" ] || guest_failed "not grown within 120 s:$pending"
    sleep 1
  done
  for s in "$@"; do TOTAL[$s]=$(total_bytes "$s"); done
}

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
  fs=$(jq -r '.return.layers[-1].size' "$WORK/r1.json")
  [ "${TOTAL[$s]}" -le "$fs" ] && [ "${TOTAL[$s]}" -gt $((fs * 9 / 10)) ] ||
    fail "$s: fsinfo total-bytes ${TOTAL[$s]} does not fit filesystem size $fs"
done

# ---- round 2: the agent command, the rule switched off
printf '[auto]\nenabled=false\n' >"$job/auto.conf"
for s in "${SERIALS[@]}"; do resize "$s" $((3 * GiB)); done
for s in "${SERIALS[@]}"; do
  g=${GDISK[$s]}
  grow_disk "$s" ",\"expect-size\":$((3 * GiB))" "$WORK/r2.json"
  assert_eq "$(jq -r .return.changed "$WORK/r2.json")" true "$s: agent grew it"
  assert_eq "$(jq -r '.return."disk-size"' "$WORK/r2.json")" $((3 * GiB)) "$s: disk size"
  assert_eq "$(jq -r '[.return.layers[] | .changed] | all' "$WORK/r2.json")" true \
    "$s: every layer grew"
  fs=$(jq -r '.return.layers[-1].size' "$WORK/r2.json")
  fsinfo
  tb=$(total_bytes "$s")
  [ "$tb" -gt "${TOTAL[$s]}" ] && [ "$tb" -le "$fs" ] && [ "$tb" -gt $((fs * 9 / 10)) ] ||
    fail "$s: fsinfo total-bytes $tb after the agent's grow to $fs"
  TOTAL[$s]=$tb
done
for s in "${SERIALS[@]}"; do
  g=${GDISK[$s]}
  for _ in $(seq 20); do [ "$(count_lines "$g" "automatic growth is off")" = 1 ] && break; sleep 0.5; done
  assert_eq "$(count_lines "$g" "automatic growth is off")" 1 "$g: the rule ran and stayed off"
  assert_eq "$(count_lines "$g" grown)" 1 "$g: rule runs that grew, after round 2"
done

# ---- round 3: rule and agent at once; the whole-disk lock decides
printf '[auto]\nenabled=true\ndisks=all\n' >"$job/auto.conf"
for s in "${SERIALS[@]}"; do resize "$s" $((4 * GiB)); done
for s in "${SERIALS[@]}"; do
  g=${GDISK[$s]}
  grow_disk "$s" ",\"expect-size\":$((4 * GiB))" "$WORK/r3.json"
  agent_grew=$(jq -r .return.changed "$WORK/r3.json")
  for _ in $(seq 60); do
    [ "$(count_lines "$g" "(grown|nothing to do)")" -ge 2 ] && break
    sleep 0.5
  done
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

# ---- stop the guest; check everything on the host
touch "$job/stop"
vm_wait_exit 120 || guest_failed "the guest did not power off"
[ -e "$job/failed" ] && guest_failed "the guest reported a failure"
note "guest stopped after $((SECONDS - t0)) s"
for s in "${SERIALS[@]}"; do
  d=$(losetup --find --show --partscan "${IMG[$s]}")
  LOOPS+=("$d")
  n=$(sectors_of "$d")
  assert_eq "$n" $((4 * GiB / 512)) "$s: image size"
  dev=$d
  if [ "${PARTNO[$s]}" != 0 ]; then
    partx -u "$d" 2>/dev/null || true
    p=${PARTNO[$s]}
    dev=$(part_dev "$d" "$p")
    assert_eq "$(( $(part_field "$d" "$p" start) + $(part_field "$d" "$p" size) - 1 ))" \
      $((n - 34)) "$s: end of partition $p"
    check_table "$d" "${LABEL[$s]}"
  fi
  check_fs "${FS[$s]}" "$dev"
  mount_fs "$dev"
  size=$(fs_size "${FS[$s]}" "$dev" "$MNT")
  psize=$(blockdev --getsize64 "$dev")
  [ "$size" -le "$psize" ] && [ $((psize - size)) -lt $((psize / 100)) ] ||
    fail "$s: ${FS[$s]} of $size bytes does not fill its $psize bytes"
  check_data "$MNT" "$s"
  umount "$MNT"
  losetup -d "$d"
done
echo "ok: udev rule, agent command and both at once, in a real guest ($((SECONDS - t0)) s)"
