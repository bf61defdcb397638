# The test guest as a libvirt domain (for a libvirtd started with
# host-cli/tests/libvirtd.sh: QEMU as root, no relabelling).  Source it after
# vm-lib.sh and vm_prepare.
#   libvirt_domain_xml NAME JOB-DIR MODE DISK...
# DISK is IMAGE:TARGET:BUS[:SERIAL[:PCI-SLOT]], BUS virtio or scsi; an empty
# SERIAL gives the disk none.  The guest gets the host root and JOB-DIR over
# 9p (tags hostroot and job), the agent channel, and its console in
# JOB-DIR/console.log; MODE goes to the kernel as qg.mode.
libvirt_domain_xml() {
  local name=$1 job=$2 mode=$3 d img target bus serial slot scsi=
  shift 3
  cat <<XML
<domain type='qemu'>
  <name>$name</name>
  <memory unit='MiB'>1024</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$VM_KERNEL</kernel>
    <initrd>$VM_INITRD</initrd>
    <cmdline>console=ttyS0 panic=-1 quiet qg.mode=$mode</cmdline>
  </os>
  <!-- without ACPI the guest halts instead of powering off -->
  <features><acpi/></features>
  <cpu mode='maximum' check='none'/>
  <on_poweroff>destroy</on_poweroff><on_reboot>destroy</on_reboot><on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
XML
  for d in "$@"; do
    IFS=: read -r img target bus serial slot <<<"$d"
    [ "$bus" = scsi ] && scsi=1
    echo "    <disk type='file' device='disk'><driver name='qemu' type='raw'/>"
    echo "      <source file='$img'/><target dev='$target' bus='$bus'/>${serial:+<serial>$serial</serial>}"
    [ -n "$slot" ] && echo "      <address type='pci' domain='0' bus='0' slot='$slot' function='0'/>"
    echo "    </disk>"
  done
  [ -n "$scsi" ] && echo "    <controller type='scsi' index='0' model='virtio-scsi'/>"
  cat <<XML
    <filesystem type='mount' accessmode='passthrough' multidevs='remap'>
      <source dir='/'/><target dir='hostroot'/><readonly/></filesystem>
    <filesystem type='mount' accessmode='squash' multidevs='remap'>
      <source dir='$job'/><target dir='job'/></filesystem>
    <channel type='unix'><source mode='bind'/>
      <target type='virtio' name='org.qemu.guest_agent.0'/></channel>
    <serial type='file'><source path='$job/console.log'/><target port='0'/></serial>
    <memballoon model='none'/>
  </devices>
</domain>
XML
}

# libvirt_boot LIBVIRT-DIR NAME XML-FILE: define and start the domain under
# the libvirtd of LIBVIRT-DIR (host-cli/tests/libvirtd.sh), wait until the
# guest is ready and its agent answers; sets VM_PID (QEMU's, which that
# libvirtd keeps in its own /run) and E2E_T0.  Needs e2e-lib.sh.
libvirt_boot() {
  virsh -q -c "$(cat "$1/uri")" define "$3" >/dev/null
  libvirt_start "$1" "$2"
}

# libvirt_start LIBVIRT-DIR NAME: the same for a domain already defined.
libvirt_start() {
  local dir=$1 name=$2 uri
  uri=$(cat "$dir/uri")
  E2E_T0=$SECONDS
  virsh -q -c "$uri" start "$name" >/dev/null
  VM_PID=$(cat "/proc/$(cat "$dir/libvirtd.pid")/root/run/libvirt/qemu/$name.pid")
  e2e_wait_ready
  until virsh -q -c "$uri" qemu-agent-command "$name" '{"execute":"guest-ping"}' >/dev/null 2>&1; do
    [ $((SECONDS - E2E_T0)) -lt 300 ] || guest_failed "the agent did not answer"
    sleep 1
  done
  note "agent ready after $((SECONDS - E2E_T0)) s"
}

# libvirt_guest_up NAME MOUNTS DISK...: the test guest as domain NAME under
# a private libvirtd (in $WORK/libvirt, stopped on exit), booted and ready:
# chroot mode with the root-like disk qg-root, MOUNTS for guest.env's
# QG_MOUNTS, DISK as for libvirt_domain_xml, AGENT in the guest, its udev
# rule installed but switched off (e2e_auto_conf turns it on).  Sets JOB and
# URI.  Needs e2e-lib.sh, and e2e_make_disks done.
libvirt_guest_up() {
  local name=$1 mounts=$2
  shift 2
  e2e_write_job chroot "$mounts"
  on_exit '"$E2E_REPO/host-cli/tests/libvirtd.sh" stop "$WORK/libvirt"'
  URI=$("$E2E_REPO/host-cli/tests/libvirtd.sh" start "$WORK/libvirt")
  libvirt_domain_xml "$name" "$JOB" chroot "$@" >"$WORK/domain.xml"
  libvirt_boot "$WORK/libvirt" "$name" "$WORK/domain.xml"
}
