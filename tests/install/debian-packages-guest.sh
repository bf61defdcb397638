#!/bin/bash
# In the test guest, on a writable overlay root (debian-packages.sh): install
# the packages with dpkg while udev runs, grow a disk through the installed
# udev rule and auto.conf alone, then remove and purge.
# With AGENT-DEB, the patched qemu-guest-agent package too: its installed
# agent grows a disk through guest-grow-disk, as the installed auto.conf's
# [agent] section allows.
#   debian-packages-guest.sh /usr/sbin/qga-grow DEBS-DIR VERSION [AGENT-DEB]
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../loop/lib.sh"
debs=${1:?} version=${2:?} agent_deb=${3:-}
arch=$(dpkg --print-architecture)

# udev first, as on a running guest: the postinst must tell it of the rule.
export SYSTEMD_IGNORE_CHROOT=1
/lib/systemd/systemd-udevd --daemon --resolve-names=never
on_exit "udevadm control --exit"
# man-db's trigger rebuilds its whole index, minutes under TCG
rm -f /var/lib/man-db/auto-update

dpkg -i "$debs/qga-grow_${version}_$arch.deb" "$debs/virt-grow_${version}_$arch.deb" \
  >"$WORK/dpkg.out" 2>&1 || { cat "$WORK/dpkg.out" >&2; fail "dpkg -i"; }
for p in qga-grow virt-grow; do
  assert_eq "$(dpkg-query -W -f '${Status} ${Version}' "$p")" "install ok installed $version" \
    "$p installed"
done
assert_eq "$("$QG" --version)" "qga-grow $version" "installed qga-grow"
virt-grow --version | grep -qx "virt-grow $version" || fail "installed virt-grow --version"
# virt-growd: installed, not enabled, its conffile private and unconfigured
assert_eq "$(virt-growd --version)" "virt-growd $version" "installed virt-growd"
assert_eq "$(stat -c %a /etc/virt-grow/virt-growd.conf)" 600 "virt-growd.conf's mode"
[ -e /etc/systemd/system/multi-user.target.wants/virt-growd.service ] &&
  fail "virt-growd.service is enabled before it is configured"
rc=0; virt-growd --check >"$WORK/check.out" 2>&1 || rc=$?
[ "$rc" = 2 ] && grep -q "/etc/virt-grow/virt-growd.conf:.*url= is missing" "$WORK/check.out" ||
  fail "virt-growd --check on the shipped conffile: exit $rc $(cat "$WORK/check.out")"
[ -f /lib/udev/rules.d/90-qga-grow.rules ] || fail "no installed udev rule"

# The installed rule runs the installed qga-grow with the installed
# auto.conf (enabled, all disks): a mounted ext4 grows with its disk.
make_disk 1G
partition "$DISK" "label: gpt
,500M"
PART=$(part_dev "$DISK" 1)
make_fs ext4 "$PART"
mount_fs "$PART"
write_data "$MNT"
old=$(fs_size ext4 "$PART" "$MNT")
enlarge "$DISK" 2G   # the kernel's RESIZE=1 event reaches the rule
for _ in $(seq 120); do
  [ "$(fs_size ext4 "$PART" "$MNT")" -gt "$old" ] && break
  sleep 0.5
done
psize=$(blockdev --getsize64 "$PART")
[ "$psize" -gt $((1900 << 20)) ] || fail "partition 1 is $psize bytes after the rule ran"
check_fs_fills "$(fs_size ext4 "$PART" "$MNT")" "$old" "$psize"
check_data "$MNT"
dmesg | grep -q "qga-grow.*${DISK#/dev/}" || fail "the rule's run left no line in the kernel log"
note "the installed rule grew $DISK"

# The installed agent (its package's init script not run: no service
# starts in this guest), on a socket of ours, stopped by its PID.
if [ -n "$agent_deb" ]; then
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d
  dpkg -i "$agent_deb" >"$WORK/dpkg.out" 2>&1 || { cat "$WORK/dpkg.out" >&2; fail "dpkg -i $agent_deb"; }
  sock=$WORK/qga.sock
  /usr/sbin/qemu-ga -m unix-listen -p "$sock" -t "$WORK" -l "$WORK/qga.log" &
  agent=$!
  on_exit "kill $agent 2>/dev/null; wait $agent 2>/dev/null"
  for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
  qga() { python3 "$HERE/../vm/qmp-client.py" qga "$sock" "$1" --timeout 60 >"$2" || true; }
  make_disk 1G
  partition "$DISK" "label: gpt
,500M"
  PART=$(part_dev "$DISK" 1)
  make_fs xfs "$PART"
  mount_fs "$PART"
  write_data "$MNT" agent
  old=$(fs_size xfs "$PART" "$MNT")
  # the installed conffile, as a guest administrator edits it (the rule
  # leaves the disk to the agent)
  printf '%s\n' '[auto]' 'disks=none' '[agent]' 'disks=none' >/etc/qga-grow/auto.conf
  enlarge "$DISK" 2G
  grow='{"execute":"guest-grow-disk","arguments":{"mountpoint":"'"$MNT"'"}}'
  qga "$grow" "$WORK/refused.json"
  jq -r '.error.desc' "$WORK/refused.json" | grep -q "/etc/qga-grow/auto.conf" ||
    fail "the installed agent under [agent] disks=none: $(cat "$WORK/refused.json")"
  assert_eq "$(fs_size xfs "$PART" "$MNT")" "$old" "xfs after the refusal"
  printf '%s\n' '[auto]' 'disks=none' '[agent]' "disks=${DISK#/dev/}" >/etc/qga-grow/auto.conf
  qga "$grow" "$WORK/grown.json"
  assert_eq "$(jq -r '[.return.layers[] | .kind + ":" + .state] | join(" ")' "$WORK/grown.json")" \
    "partition:grown filesystem:grown" "the installed agent's reply ($(cat "$WORK/grown.json"))"
  check_fs_fills "$(fs_size xfs "$PART" "$MNT")" "$old" "$(blockdev --getsize64 "$PART")"
  check_data "$MNT" agent
  note "the installed agent grew $DISK as the installed auto.conf allows"
fi

# Removal keeps the conffile, purge takes it; the rule goes with the package.
dpkg -r qga-grow >"$WORK/dpkg.out" 2>&1 || { cat "$WORK/dpkg.out" >&2; fail "dpkg -r"; }
[ -e /lib/udev/rules.d/90-qga-grow.rules ] && fail "the rule outlived dpkg -r"
[ -e /usr/sbin/qga-grow ] && fail "qga-grow outlived dpkg -r"
[ -f /etc/qga-grow/auto.conf ] || fail "dpkg -r removed the conffile"
dpkg -P qga-grow virt-grow >"$WORK/dpkg.out" 2>&1 || { cat "$WORK/dpkg.out" >&2; fail "dpkg -P"; }
[ -e /etc/qga-grow/auto.conf ] && fail "the conffile outlived dpkg -P"
[ -e /usr/bin/virt-grow ] && fail "virt-grow outlived dpkg -P"
[ -e /etc/virt-grow/virt-growd.conf ] && fail "virt-growd.conf outlived dpkg -P"
note "removed and purged"
echo "PASS: debian packages"
