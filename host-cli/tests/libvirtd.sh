#!/bin/bash
# A private libvirtd for tests: virtlogd + libvirtd started as daemons in
# their own mount namespace, with their own configuration, state, logs and
# sockets under DIR, so they never meet another libvirtd on the machine
# (nor need systemd).  Stopped by PID.
#   libvirtd.sh start DIR   prints the URI to use (also in DIR/uri)
#   libvirtd.sh stop DIR    destroys the domains it runs, stops both daemons
# QEMU runs as root without relabelling: test images need no permissions.
# The QEMU capabilities cache is kept in /var/cache/qga-grow-tests/libvirt
# (libvirt probes QEMU for 10-20 s the first time).
set -euo pipefail
cmd=${1:?usage: $0 start|stop DIR}
dir=${2:?usage: $0 start|stop DIR}
cache=${QG_VM_CACHE:-/var/cache/qga-grow-tests}/libvirt

start() {
  mkdir -p "$dir"/{etc,lib,log,sock} "$cache"
  dir=$(cd "$dir" && pwd)
  cat >"$dir/etc/libvirtd.conf" <<EOC
unix_sock_dir = "$dir/sock"
unix_sock_rw_perms = "0700"
auth_unix_ro = "none"
auth_unix_rw = "none"
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
EOC
  cat >"$dir/etc/qemu.conf" <<EOC
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
namespaces = [ ]
cgroup_controllers = [ ]
EOC
  echo 'log_outputs = "3:file:/var/log/libvirt/virtlogd.log"' >"$dir/etc/virtlogd.conf"

  # In the namespace: a fresh /run, and our directories over libvirt's.
  # The new namespace starts with a copy of every mount, other tests' loop
  # filesystems under /tmp too: kept there, they would outlive those tests'
  # umount (a dirty log, a disk image still in use).  Let go of them first.
  unshare --mount --propagation private -- /bin/sh -ec "
    awk '\$2 ~ \"^/tmp/.\" { print \$2 }' /proc/self/mounts | sort -r |
      while read -r m; do umount -l \"\$m\" 2>/dev/null || true; done
    mount -t tmpfs -o mode=0755 tmpfs /run
    mkdir /run/libvirt
    mount --bind '$dir/etc' /etc/libvirt
    mount --bind '$dir/lib' /var/lib/libvirt
    mount --bind '$dir/log' /var/log/libvirt
    mount --bind '$cache' /var/cache/libvirt
    /usr/sbin/virtlogd -d -p '$dir/virtlogd.pid'
    /usr/sbin/libvirtd -d -p '$dir/libvirtd.pid'
  "
  local uri="qemu+unix:///system?socket=$dir/sock/libvirt-sock"
  echo "$uri" >"$dir/uri"
  for _ in $(seq 1 600); do
    if virsh -q -c "$uri" version >/dev/null 2>&1; then
      echo "$uri"
      return 0
    fi
    if ! kill -0 "$(cat "$dir/libvirtd.pid" 2>/dev/null || echo 0)" 2>/dev/null; then
      break
    fi
    sleep 0.1
  done
  echo "libvirtd.sh: libvirtd did not come up; its log:" >&2
  tail -n 30 "$dir/log/libvirtd.log" >&2 2>/dev/null || true
  stop
  return 1
}

stop_pid() {
  local pid=$1
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
}

stop() {
  local uri pid f q
  uri=$(cat "$dir/uri" 2>/dev/null || true)
  if [ -n "$uri" ]; then
    for d in $(virsh -q -c "$uri" list --name 2>/dev/null); do
      virsh -q -c "$uri" destroy "$d" >/dev/null 2>&1 || true
    done
  fi
  if [ -s "$dir/libvirtd.pid" ]; then
    pid=$(cat "$dir/libvirtd.pid")
    # QEMU outlives libvirtd: stop what is left by the pid files libvirt
    # keeps in the namespace's /run (seen through the daemon's root).
    for f in /proc/"$pid"/root/run/libvirt/qemu/*.pid; do
      [ -s "$f" ] || continue
      q=$(cat "$f")  # driver.pid is libvirtd's own: check it is a QEMU
      case $(cat /proc/"$q"/comm 2>/dev/null) in qemu*) stop_pid "$q" ;; esac
    done
    stop_pid "$pid"
  fi
  [ -s "$dir/virtlogd.pid" ] && stop_pid "$(cat "$dir/virtlogd.pid")"
  rm -f "$dir/libvirtd.pid" "$dir/virtlogd.pid" "$dir/uri"
}

case $cmd in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
