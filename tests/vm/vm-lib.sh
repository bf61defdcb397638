# Shared by the QEMU guest tests: the guest kernel and initramfs from the
# cache, a job directory shared with the guest, and QEMU started and stopped
# by its PID.  The guest (guest-init.sh) runs the job directory's "run"
# script inside the host's root, shared read-only over 9p, with the job
# directory mounted at /run/qg-job.  Source it; needs bash.

VM_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VM_CACHE=${QG_VM_CACHE:-/var/cache/qga-grow-tests}
VM_PID=

# vm_prepare: fetch the kernel and build the initramfs, once, under a lock;
# sets VM_KERNEL and VM_INITRD.
vm_prepare() {
  command -v qemu-system-x86_64 >/dev/null || {
    echo "qemu-system-x86_64 missing (scripts/install-vm-deps.sh)" >&2
    return 2
  }
  mkdir -p "$VM_CACHE"
  local kdir
  exec 9>"$VM_CACHE/.lock"
  flock 9
  kdir=$("$VM_HERE/guest-kernel.sh" "$VM_CACHE") &&
    VM_INITRD=$("$VM_HERE/build-initramfs.sh" "$VM_CACHE")
  local rc=$?
  exec 9>&-
  VM_KERNEL=$kdir/vmlinuz
  return $rc
}

# vm_start JOB-DIR APPEND [QEMU-ARGS...]: boot the guest in the background,
# its console in JOB-DIR/console.log; sets VM_PID.  APPEND is added to the
# kernel command line.  no_timer_check: under TCG on a busy host the
# kernel's IO-APIC timer check can miss its ticks and panic at boot.
vm_start() {
  local job=$1 append=$2
  shift 2
  qemu-system-x86_64 -nodefaults -no-user-config -accel tcg -cpu max -smp 1 \
    -m "${VM_MEM:-1536}" -display none -no-reboot \
    -serial "file:$job/console.log" \
    -kernel "$VM_KERNEL" -initrd "$VM_INITRD" \
    -append "console=ttyS0 panic=-1 no_timer_check $append" \
    -fsdev local,id=hostroot,path=/,security_model=passthrough,readonly=on,multidevs=remap \
    -device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot \
    -fsdev local,id=job,path="$job",security_model=none,multidevs=remap \
    -device virtio-9p-pci,fsdev=job,mount_tag=job \
    "$@" </dev/null >"$job/qemu.log" 2>&1 &
  VM_PID=$!
}

# vm_wait_exit SECONDS: wait for the guest to power off; 1 if it did not.
vm_wait_exit() {
  local end=$((SECONDS + $1))
  while kill -0 "$VM_PID" 2>/dev/null && [ "$SECONDS" -lt "$end" ]; do sleep 0.2; done
  if kill -0 "$VM_PID" 2>/dev/null; then return 1; fi
  wait "$VM_PID" 2>/dev/null
  VM_PID=
}

# vm_kill: stop QEMU by its PID (nothing when it already ended).
vm_kill() {
  [ -n "$VM_PID" ] || return 0
  if kill -0 "$VM_PID" 2>/dev/null; then
    kill "$VM_PID" 2>/dev/null
    vm_wait_exit 5 || { kill -9 "$VM_PID" 2>/dev/null; wait "$VM_PID" 2>/dev/null; }
  fi
  VM_PID=
}

# vm_write_job JOB-DIR COMMAND...: the job's run script: the caller's
# environment (PATH, LC_ALL, QG_*), working directory and COMMAND, whose
# output goes to JOB-DIR/stdout and stderr, its exit status to JOB-DIR/rc.
# In the guest, PATH starts with /run/qg-bin, whose modprobe loads the
# guest kernel's modules from the VM cache (guest-init.sh).
vm_write_job() {
  local job=$1 v
  shift
  {
    echo '#!/bin/bash'
    for v in PATH LC_ALL $(compgen -v QG_); do
      [ -n "${!v+x}" ] && printf 'export %s=%q\n' "$v" "${!v}"
    done
    # guest-init.sh's modprobe for the guest kernel's modules comes first
    echo '[ -d /run/qg-bin ] && export PATH=/run/qg-bin:$PATH'
    printf 'cd %q || exit 2\n' "$PWD"
    printf '%q ' "$@"
    echo '>/run/qg-job/stdout 2>/run/qg-job/stderr'
    echo 'echo $? >/run/qg-job/rc'
  } >"$job/run"
  chmod 755 "$job/run"
  vm_keep "$job" "$PWD" "$VM_HERE/../.." "$VM_CACHE"
}

# vm_keep JOB-DIR PATH...: host directories the guest must see although they
# lie under /tmp, which is a fresh tmpfs there (a checkout in /tmp, say).
vm_keep() {
  local job=$1 p
  shift
  for p in "$@" ${QG_VM_KEEP:-}; do
    p=$(readlink -f "$p")
    case $p in /tmp/*) grep -qxF "$p" "$job/keep" 2>/dev/null || echo "$p" >>"$job/keep" ;; esac
  done
}

# vm_show_console JOB-DIR: the end of what the guest and QEMU said.
vm_show_console() {
  tail -n "${2:-40}" "$1/console.log" "$1/qemu.log" >&2 2>/dev/null || true
}
