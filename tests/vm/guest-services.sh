#!/bin/bash
# The end-to-end guest's job (see e2e-lib.sh).  Reads /run/qg-job/guest.env:
#   QG_ROOT_SERIAL  the root-like disk: its last partition becomes "/"
#   QG_MOUNTS       "SERIAL:PARTNO:MOUNTPOINT ..." data disks (PARTNO 0: the
#                   whole disk)
#   QG_BINDS        host directories to bind into the root-like root (build
#                   tree, agent), at the same paths
#   QG_AGENT        the qemu-ga binary
#   QG_MODULES      kernel modules to load first (optional: "dm-crypt ...")
#   guest-services.sh chroot    (run by guest-init.sh as the job)
#     mounts the root-like partition, binds what it needs, and chroots into
#     it for stage 2: systemd-udevd with the job's rules (/run/qg-job/*.rules:
#     90-qga-grow.rules, which runs the detached "qga-grow auto", and any
#     others a test brings), then the common part.
#   guest-services.sh systemd   (run by qg-job.service, systemd as PID 1)
#     systemd runs udevd (the rule starts qga-grow@DISK:SEQNUM.service); the
#     common part only.
# The common part mounts the data disks, starts qemu-ga on its virtio port,
# mirrors the kernel log to /run/qg-job/kmsg.log and the automatic path's
# lines to /run/qg-job/auto.log, says /run/qg-job/ready, and waits for
# /run/qg-job/stop.
set -u
JOB=/run/qg-job
. $JOB/guest.env
log() { echo "guest[$(cut -d' ' -f1 /proc/uptime)]: $*"; }
die() { log "FAILED: $*"; touch $JOB/failed; exit 1; }

# The disk whose serial is $1: virtio-blk has it in sysfs, SCSI in udev's
# database.
disk_of_serial() {
  local b
  for b in /sys/block/*; do
    if [ "$(cat "$b/serial" 2>/dev/null)" = "$1" ] ||
       udevadm info -q property -n "/dev/${b##*/}" 2>/dev/null | grep -qx "ID_SERIAL_SHORT=$1"; then
      echo "/dev/${b##*/}"
      return 0
    fi
  done
  return 1
}
part_node() {  # part_node DISK N
  case $1 in *[0-9]) echo "${1}p$2" ;; *) echo "$1$2" ;; esac
}

chroot_root() {
  local disk R=/run/newroot d last m
  # the guest kernel's modprobe (guest-init.sh) is on this stage's PATH only
  for m in ${QG_MODULES:-}; do modprobe "$m" || die "modprobe $m"; done
  disk=$(disk_of_serial "$QG_ROOT_SERIAL") || die "no disk with serial $QG_ROOT_SERIAL"
  last=$(ls -d /sys/block/${disk#/dev/}/${disk#/dev/}* | sort -V | tail -n 1)
  mkdir -p $R
  mount "/dev/${last##*/}" $R || die "cannot mount the root-like partition ${last##*/}"
  log "root-like root: /dev/${last##*/}"
  mount --bind /usr $R/usr
  mount --bind /etc $R/etc
  mount -t proc proc $R/proc
  mount -t sysfs sysfs $R/sys
  mount -t devtmpfs devtmpfs $R/dev
  mkdir -p $R/dev/pts $R/dev/shm
  mount -t devpts devpts $R/dev/pts
  mount -t tmpfs -o mode=0755 tmpfs $R/run
  mount -t tmpfs -o mode=1777 tmpfs $R/tmp
  # after /tmp: a checkout or build tree may lie under it
  for d in $QG_BINDS; do mkdir -p "$R$d" && mount --bind "$d" "$R$d"; done
  mkdir -p $R$JOB
  mount --bind $JOB $R$JOB
  chroot $R /bin/bash "$0" stage2
  local rc=$?
  umount -R $R || umount -R -l $R
  log "stage 2 ended ($rc), root-like root unmounted"
  return $rc
}

start_udevd() {
  # udevadm ignores trigger, settle and control in a chroot unless told
  export SYSTEMD_IGNORE_CHROOT=1
  mkdir -p /run/udev/rules.d
  cp $JOB/*.rules /run/udev/rules.d/
  /lib/systemd/systemd-udevd --daemon --resolve-names=never || die "systemd-udevd"
  udevadm trigger --type=subsystems --action=add
  udevadm trigger --type=devices --action=add
}

# Mount the data disks, start the agent, say ready, wait for the host.
serve() {
  local m serial partno mnt disk dev mounted=()
  udevadm settle --timeout=120 || log "udev did not settle"
  log "udev settled"
  dmesg --follow --notime >$JOB/kmsg.log 2>&1 &
  local kmsg_pid=$!
  # where the automatic path's lines go: the journal under systemd (the
  # unit's output), the kernel log elsewhere (the detached runs)
  if [ "$MODE" = systemd ]; then
    journalctl --follow --no-hostname -o short >$JOB/auto.log 2>&1 &
  else
    dmesg --follow --notime >$JOB/auto.log 2>&1 &
  fi
  local auto_pid=$!
  for m in $QG_MOUNTS; do
    IFS=: read -r serial partno mnt <<<"$m"
    disk=$(disk_of_serial "$serial") || die "no disk with serial $serial"
    dev=$disk
    [ "$partno" = 0 ] || dev=$(part_node "$disk" "$partno")
    mkdir -p "$mnt"
    mount "$dev" "$mnt" || die "cannot mount $dev on $mnt"
    mounted+=("$mnt")
    log "$serial: $dev on $mnt"
  done
  local port=/dev/virtio-ports/org.qemu.guest_agent.0
  [ -e $port ] || die "no agent port $port"
  mkdir -p /run/qga
  "$QG_AGENT" -m virtio-serial -p $port -t /run/qga -l $JOB/qga.log &
  local agent_pid=$!
  log "qemu-ga started ($agent_pid)"
  touch $JOB/ready

  while [ ! -e $JOB/stop ]; do sleep 0.2; done
  log "stopping"
  kill "$agent_pid"
  wait "$agent_pid"
  udevadm settle --timeout=30
  for mnt in "${mounted[@]}"; do umount "$mnt" || log "umount $mnt failed"; done
  kill "$kmsg_pid" "$auto_pid"
  sync
}

MODE=${1:-chroot}
case $MODE in
  chroot) chroot_root ;;
  stage2)
    start_udevd
    serve
    udevadm control --exit ;;
  systemd)
    serve
    systemctl --no-block poweroff ;;
esac
