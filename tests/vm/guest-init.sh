#!/bin/sh
# /init of the test guest (busybox).  Loads the drivers, mounts the host's
# root (virtio-9p tag "hostroot", read-only; with the job's "overlay" file,
# under a writable overlay in memory) at /host with fresh writable
# /tmp (but for the host directories listed in the job's "keep"), /run,
# /var/tmp, /var/log, /root and the kernel's own /dev, /proc and /sys, mounts
# the job directory (tag "job", read-write) at /run/qg-job, then
# runs /run/qg-job/run inside that root and powers off (or, with
# qg.mode=systemd, hands over to systemd, which runs the job as a unit).
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
while read -r ko; do
  insmod "$ko" 2>/dev/null || echo "qg-init: insmod $ko failed"
done </etc/modules-order

R=/host
mkdir -p /job
mount -t 9p -o trans=virtio,version=9p2000.L,cache=none job /job ||
  { echo "qg-init: cannot mount the job directory"; poweroff -f; }
if [ -f /job/overlay ]; then
  # A writable root for jobs that install packages: the host root below,
  # the guest's changes above it in memory, gone at power-off.
  mkdir -p /lower /ovl
  mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=262144 hostroot /lower ||
    { echo "qg-init: cannot mount the host root"; poweroff -f; }
  mount -t tmpfs -o mode=0755 tmpfs /ovl
  mkdir -p /ovl/upper /ovl/work
  mount -t overlay -o lowerdir=/lower,upperdir=/ovl/upper,workdir=/ovl/work overlay $R ||
    { echo "qg-init: cannot mount the overlay root"; poweroff -f; }
else
  mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=262144 hostroot $R ||
    { echo "qg-init: cannot mount the host root"; poweroff -f; }
fi
mount -t devtmpfs devtmpfs $R/dev
mkdir -p $R/dev/pts $R/dev/shm 2>/dev/null
mount -t devpts devpts $R/dev/pts
mount -t tmpfs tmpfs $R/dev/shm
mount -t proc proc $R/proc
mount -t sysfs sysfs $R/sys
mkdir -p /hosttmp
mount -o bind $R/tmp /hosttmp
for d in /tmp /run /var/tmp /var/log /root; do
  mount -t tmpfs -o mode=0755 tmpfs $R$d
done
chmod 1777 $R/tmp $R/var/tmp
# Host directories under /tmp the job needs (a checkout, a build tree;
# /job/keep, from vm_write_job) stay visible through the new /tmp.
if [ -f /job/keep ]; then
  while read -r p; do
    mkdir -p "$R$p" && mount -o bind "/hosttmp/${p#/tmp/}" "$R$p" ||
      echo "qg-init: cannot keep $p"
  done </job/keep
fi
mkdir -p $R/run/qg-job $R/run/lock
mount -o move /job $R/run/qg-job

# modprobe for the guest kernel, whose modules live in the VM cache (the
# host's /lib/modules has none of them): /run/qg-bin/modprobe, first in the
# job's PATH (vm_write_job), and the kernel's own module loader
# (request_module: dm-crypt asking for a cipher, say).  The kernel runs its
# helper in PID 1's root: this initramfs here, the host root after
# switch_root (systemd mode).
kdir=$(cat /etc/qg-kdir)
mkdir -p $R/run/qg-bin
printf '#!/bin/sh\nexec /sbin/modprobe -d %s "$@"\n' "$kdir" >$R/run/qg-bin/modprobe
printf '#!/bin/sh\nexec /bin/chroot %s /sbin/modprobe -d %s "$@"\n' $R "$kdir" >/bin/qg-modprobe
chmod 755 $R/run/qg-bin/modprobe /bin/qg-modprobe
echo /bin/qg-modprobe >/proc/sys/kernel/modprobe

# qg.mode=systemd: systemd becomes PID 1 on this root and runs the job as
# a unit: the job directory brings the units (systemd/) and the udev rule.
for w in $(cat /proc/cmdline); do
  case $w in qg.mode=systemd)
    mkdir -p $R/run/systemd/system $R/run/udev/rules.d
    cp -a $R/run/qg-job/systemd/. $R/run/systemd/system/
    cp $R/run/qg-job/*.rules $R/run/udev/rules.d/
    echo /run/qg-bin/modprobe >/proc/sys/kernel/modprobe
    # the unit goes on its command line: systemd takes the host root's
    # /.dockerenv for a container and then ignores the kernel's
    exec switch_root $R /lib/systemd/systemd --unit=qg-e2e.target --show-status=false ;;
  esac
done

chroot $R /bin/sh /run/qg-job/run
echo "qg-init: job ended"
sync
poweroff -f
