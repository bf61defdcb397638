#!/bin/bash
# In the test guest, on a writable overlay root (debian-packages.sh): install
# the packages with dpkg while udev runs, grow a disk through the installed
# udev rule and auto.conf alone, then remove and purge.
#   debian-packages-guest.sh /usr/sbin/qga-grow DEBS-DIR VERSION
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../loop/lib.sh"
debs=${1:?} version=${2:?}
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

# Removal keeps the conffile, purge takes it; the rule goes with the package.
dpkg -r qga-grow >"$WORK/dpkg.out" 2>&1 || { cat "$WORK/dpkg.out" >&2; fail "dpkg -r"; }
[ -e /lib/udev/rules.d/90-qga-grow.rules ] && fail "the rule outlived dpkg -r"
[ -e /usr/sbin/qga-grow ] && fail "qga-grow outlived dpkg -r"
[ -f /etc/qga-grow/auto.conf ] || fail "dpkg -r removed the conffile"
dpkg -P qga-grow virt-grow >"$WORK/dpkg.out" 2>&1 || { cat "$WORK/dpkg.out" >&2; fail "dpkg -P"; }
[ -e /etc/qga-grow/auto.conf ] && fail "the conffile outlived dpkg -P"
[ -e /usr/bin/virt-grow ] && fail "virt-grow outlived dpkg -P"
note "removed and purged"
echo "PASS: debian packages"
