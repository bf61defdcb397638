# Shared by the end-to-end guest tests (e2e-udev.sh, e2e-systemd.sh): disks
# made on the host, a guest booted with them, the QMP and agent calls, and
# the checks on the host after the guest powered off.  Source it after
# tests/loop/lib.sh and vm-lib.sh.  The caller sets, per disk serial:
#   SERIALS=(...)   BUS[s]=virtio|scsi   LABEL[s]=gpt|dos|none   FS[s]
#   GMNT[s] (the guest's mountpoint; "/" for the root-like disk, which must be
#   called qg-root)   PARTNO[s] (the filesystem's partition, 0: whole disk)
# and AGENT (the qemu-ga binary).

E2E_REPO=$(cd "$VM_HERE/../.." && pwd)
declare -A IMG GDISK TOTAL

# e2e_make_disks: a 1 GiB image per disk, its last partition filling it
# (nothing to do before the first resize), with filesystem and data
# (write_data, tagged with the serial); the root-like disk gets a root the
# guest can chroot into.  The loop devices are gone afterwards: QEMU alone
# uses the images.
e2e_make_disks() {
  local s d dev m b l
  for s in "${SERIALS[@]}"; do
    make_disk 1G; d=$DISK
    case ${LABEL[$s]}:$s in
      none:*) dev=$d ;;
      gpt:qg-root) partition "$d" "label: gpt
,64M
,"; dev=$(part_dev "$d" 2) ;;
      *) partition "$d" "label: ${LABEL[$s]}
,"; dev=$(part_dev "$d" 1) ;;
    esac
    make_fs "${FS[$s]}" "$dev"
    mount_fs "$dev"
    write_data "$MNT" "$s"
    if [ "$s" = qg-root ]; then
      # its own /run, /tmp, /var and mount points; /usr, /etc and the build
      # tree come from the host
      mkdir -p "$MNT"/{usr,etc,dev,proc,sys,run,tmp,var/tmp,root,mnt}
      for m in "${GMNT[@]}"; do mkdir -p "$MNT$m"; done
      for b in $(e2e_binds); do mkdir -p "$MNT$b"; done
      for l in bin sbin lib lib64; do ln -s "usr/$l" "$MNT/$l"; done
    fi
    umount "$MNT"
    IMG[$s]=$(image_of "$d")
    losetup -d "$d"
  done
}

# Host directories the root-like root needs at the same paths.
e2e_binds() { echo "$E2E_REPO $(dirname "$QG") $(dirname "$AGENT")"; }

# e2e_boot MODE [APPEND]: write the job (rule, auto.conf, guest.env), boot
# the guest with the disks, an agent channel and QMP, and wait until the
# guest is ready and its agent answers.  MODE chroot: guest-services.sh
# with the root-like disk as "/"; MODE systemd: systemd as PID 1 on the
# host's root (see guest-init.sh), with the job in /run/qg-job/systemd.
E2E_T0=
e2e_boot() {
  local mode=$1 append=${2:-} s mounts=
  for s in "${SERIALS[@]}"; do
    [ "$s" = qg-root ] || mounts+="$s:${PARTNO[$s]}:${GMNT[$s]} "
  done
  e2e_write_job "$mode" "$mounts"
  e2e_auto_conf "enabled=true" "disks=all"
  on_exit vm_kill
  if [ "$mode" = systemd ]; then e2e_systemd_units; fi
  local disk_args=(-device virtio-scsi-pci,id=scsi0)
  for s in "${SERIALS[@]}"; do
    disk_args+=(-blockdev "driver=file,filename=${IMG[$s]},node-name=file-$s"
                -blockdev "driver=raw,file=file-$s,node-name=$s")
    case ${BUS[$s]} in
      virtio) disk_args+=(-device "virtio-blk-pci,drive=$s,serial=$s") ;;
      scsi) disk_args+=(-device "scsi-hd,bus=scsi0.0,drive=$s,serial=$s") ;;
    esac
  done
  E2E_T0=$SECONDS
  VM_MEM=1024 vm_start "$JOB" "quiet qg.mode=$mode $append" \
    -qmp "unix:$JOB/qmp.sock,server=on,wait=off" \
    -device virtio-serial-pci,id=vser0 \
    -chardev "socket,id=qga0,path=$JOB/qga.sock,server=on,wait=off" \
    -device virtserialport,bus=vser0.0,chardev=qga0,name=org.qemu.guest_agent.0 \
    "${disk_args[@]}"
  e2e_wait_ready
  until qga '{"execute":"guest-ping"}' >/dev/null 2>&1; do
    [ $((SECONDS - E2E_T0)) -lt 300 ] || guest_failed "the agent did not answer"
    sleep 1
  done
  qga '{"execute":"guest-info"}' >"$WORK/info.json"
  jq -e '.return.supported_commands[] | select(.name == "guest-grow-disk" and .enabled)' \
    "$WORK/info.json" >/dev/null || guest_failed "the agent has no enabled guest-grow-disk"
  e2e_learn_disks
}

# e2e_wait_ready: until the guest (QEMU at VM_PID, started at E2E_T0) says
# it is ready.
e2e_wait_ready() {
  until [ -e "$JOB/ready" ]; do
    [ -e "$JOB/failed" ] && guest_failed "the guest could not set up"
    kill -0 "$VM_PID" 2>/dev/null || guest_failed "the guest stopped"
    [ $((SECONDS - E2E_T0)) -lt 300 ] || guest_failed "the guest was not ready within 300 s"
    sleep 0.5
  done
  note "guest ready after $((SECONDS - E2E_T0)) s"
}

# e2e_write_job MODE MOUNTS [BIND...]: the guest's job in JOB ($WORK/job):
# guest-services.sh MODE, the udev rule under test running this build's
# qga-grow with /run/qg-job/auto.conf (switched off until e2e_auto_conf says
# otherwise), guest.env with MOUNTS ("SERIAL:PARTNO:MOUNTPOINT ...") and the
# host directories to bind into the root-like root (e2e_binds and BINDs),
# and the kernel modules E2E_MODULES names (loaded before the chroot).
# Also fetches the kernel and builds the initramfs.
e2e_write_job() {
  local mode=$1 mounts=$2
  shift 2
  vm_prepare
  JOB=$WORK/job
  mkdir -p "$JOB"
  sed "s|@QGA_GROW@ auto|$QG auto --config /run/qg-job/auto.conf|" \
    "$E2E_REPO/rules/90-qga-grow.rules.in" >"$JOB/90-qga-grow.rules"
  e2e_auto_conf "enabled=false"
  printf '%s\n' "QG_MODE=$mode" "QG_ROOT_SERIAL=qg-root" "QG_MOUNTS=\"$mounts\"" \
    "QG_BINDS=\"$(e2e_binds) $*\"" "QG_AGENT=$AGENT" "QG_MODULES=\"${E2E_MODULES:-}\"" \
    >"$JOB/guest.env"
  vm_write_job "$JOB" "$VM_HERE/guest-services.sh" "$mode"
}

# The units a systemd guest starts with (guest-init.sh copies them to
# /run/systemd/system): a target with journald, udev and the job, and our
# qga-grow@.service running the build's qga-grow.
e2e_systemd_units() {
  local u=$JOB/systemd
  mkdir -p "$u"
  printf '%s\n' "[Unit]" "Description=qga-grow end-to-end test guest" \
    "DefaultDependencies=no" \
    "Wants=systemd-journald.socket systemd-journald-dev-log.socket systemd-journald.service" \
    "Wants=systemd-udevd-control.socket systemd-udevd-kernel.socket" \
    "Wants=systemd-udevd.service systemd-udev-trigger.service qg-job.service" \
    >"$u/qg-e2e.target"
  printf '%s\n' "[Unit]" "Description=qga-grow end-to-end test job" \
    "DefaultDependencies=no" "After=systemd-udevd.service systemd-udev-trigger.service" \
    "" "[Service]" "ExecStart=/run/qg-job/run" >"$u/qg-job.service"
  sed "s|@QGA_GROW@ auto|$QG auto --config /run/qg-job/auto.conf|" \
    "$E2E_REPO/rules/qga-grow@.service.in" >"$u/qga-grow@.service"
}

e2e_auto_conf() { printf '[auto]\n'; printf '%s\n' "$@"; } >"$JOB/auto.conf"

guest_failed() {
  echo "--- guest said:" >&2; cat "$JOB/stdout" "$JOB/stderr" >&2 2>/dev/null
  echo "--- qemu-ga log:" >&2; tail -n 20 "$JOB/qga.log" >&2 2>/dev/null
  echo "--- kernel log:" >&2; tail -n 40 "$JOB/kmsg.log" >&2 2>/dev/null
  echo "--- automatic path:" >&2; tail -n 20 "$JOB/auto.log" >&2 2>/dev/null
  vm_show_console "$JOB" 20
  fail "$*"
}

qmp() { "$VM_HERE/qmp-client.py" qmp "$JOB/qmp.sock" "$1"; }
qga() { "$VM_HERE/qmp-client.py" qga "$JOB/qga.sock" "$1" --timeout 60; }

fsinfo() { qga '{"execute":"guest-get-fsinfo"}' >"$WORK/fsinfo.json" || guest_failed "fsinfo"; }
total_bytes() {  # total_bytes SERIAL: the agent's view of its filesystem
  jq -r --arg m "${GMNT[$1]}" '.return[] | select(.mountpoint == $m) | ."total-bytes"' \
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

# Lines the automatic path logged for a guest disk: "grown", "nothing to
# do", "automatic growth is off"... (detached, to the kernel log:
# "qga-grow[PID]: DISK: ..."; from the systemd unit, to the journal:
# "qga-grow[PID]: qga-grow: DISK: ...").  The guest copies them to auto.log.
rule_lines() { grep -E "qga-grow\[[0-9]+\]: (qga-grow: )?$1: $2" "$JOB/auto.log" || true; }
count_lines() { rule_lines "$1" "$2" | grep -c . || true; }
# The sizes the last "grown" line logged, one per layer.
logged_sizes() {
  rule_lines "$1" grown | tail -n 1 | grep -oE '[0-9]+ -> [0-9]+ bytes' | awk '{ print $3 }' |
    paste -sd' '
}
# wait_lines DISK PATTERN N: until the automatic path logged N such lines.
wait_lines() {
  local end=$((SECONDS + 60))
  until [ "$(count_lines "$1" "$2")" -ge "$3" ]; do
    [ "$SECONDS" -lt "$end" ] || guest_failed "$1: no $3 lines '$2' within 60 s"
    sleep 0.5
  done
}

# Each disk's guest name and filesystem size, through the agent: fsinfo's
# serial, and a dry run of guest-grow-disk, which must find nothing to do.
e2e_learn_disks() {
  local s serial
  fsinfo
  for s in "${SERIALS[@]}"; do
    TOTAL[$s]=$(total_bytes "$s")
    [ -n "${TOTAL[$s]}" ] || guest_failed "fsinfo does not list ${GMNT[$s]}"
    # qemu-ga reports udev's ID_SERIAL: the serial itself on virtio-blk,
    # "0QEMU_QEMU_HARDDISK_<serial>" on SCSI
    serial=$(jq -r --arg m "${GMNT[$s]}" \
      '.return[] | select(.mountpoint == $m) | .disk[0].serial' "$WORK/fsinfo.json")
    case $serial in "$s"|"0QEMU_QEMU_HARDDISK_$s") ;; *) fail "${GMNT[$s]}: the agent reports serial '$serial', not $s" ;; esac
    grow_disk "$s" ',"dry-run":true' "$WORK/plan.json"
    GDISK[$s]=$(jq -r .return.disk "$WORK/plan.json")
    assert_eq "$(jq -r .return.changed "$WORK/plan.json")" false "$s before any resize"
    note "$s is ${GDISK[$s]} in the guest, ${GMNT[$s]}: ${TOTAL[$s]} bytes"
  done
}

# wait_grown SERIAL...: until fsinfo shows each filesystem larger than
# TOTAL; TOTAL then holds the new sizes.
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

# check_fsinfo_fits SERIAL REPLY: the agent's filesystem size fits what
# fsinfo says now (total-bytes leaves out the filesystem's own overhead);
# TOTAL then holds it.  Read again here, after the grow ended: wait_grown
# may have caught an ext4 halfway through its online resize, which adds
# its groups a batch at a time (seen under load: 2 MiB of 1 GiB added).
check_fsinfo_fits() {
  local fs
  fsinfo
  TOTAL[$1]=$(total_bytes "$1")
  fs=$(jq -r '.return.layers[-1].size' "$2")
  [ "${TOTAL[$1]}" -le "$fs" ] && [ "${TOTAL[$1]}" -gt $((fs * 9 / 10)) ] ||
    fail "$1: fsinfo total-bytes ${TOTAL[$1]} does not fit filesystem size $fs"
}

# e2e_stop_and_verify BYTES: power the guest off, then check every image on
# the host: size, partition end, table, fsck, filesystem filling its
# partition, the data written before.
e2e_stop_and_verify() {
  local want=$1 s d n dev p size psize
  touch "$JOB/stop"
  vm_wait_exit 120 || guest_failed "the guest did not power off"
  [ -e "$JOB/failed" ] && guest_failed "the guest reported a failure"
  note "guest stopped after $((SECONDS - E2E_T0)) s"
  for s in "${SERIALS[@]}"; do
    d=$(losetup --find --show --partscan "${IMG[$s]}")
    LOOPS+=("$d")
    n=$(sectors_of "$d")
    assert_eq "$n" $((want / 512)) "$s: image size"
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
}
