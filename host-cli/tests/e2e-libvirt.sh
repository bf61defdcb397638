#!/bin/bash
# virt-grow end to end: a private libvirtd (libvirtd.sh) runs a real guest
# (QEMU, TCG, Debian's kernel; tests/vm's initramfs and guest-services.sh:
# systemd-udevd, the qga-grow udev rule, qemu-ga), and virt-grow grows its
# disks through the libvirt API alone, then checks the guest side.
#   e2e-libvirt.sh QGA-GROW VIRT-GROW [QEMU-GA]
# QEMU-GA: the agent in the guest.  Default: Debian's stock qemu-ga, which
# has no guest-grow-disk, so virt-grow uses guest-exec of qga-grow; with the
# patched agent, guest-grow-disk.  With the stock one, the udev way too
# (qga-grow not found in the guest; the rule on, then off).
# Disks (tests/vm/e2e-lib.sh: 1 GiB each; host targets in one order, PCI
# slots in another, so that host and guest names differ):
#   vda  qg-root      virtio GPT, 64M + the guest's "/" (ext4)  guest vdd
#   vdb  vg-ext4      virtio GPT ext4 on /mnt/ext4             guest vdc
#   vdc  vg-noserial  virtio GPT ext4, unmounted, NO serial    guest vdb
#   vdd  vg-btrfs     virtio btrfs on the whole disk           guest vda
#   sda  vg-xfs       virtio-scsi MBR xfs on /mnt/xfs          guest sda
#   vde  vg-swap      virtio GPT, swap on its last partition (refused)
#   vdg  vg-deb       virtio MBR as Debian's installer lays it out: ext4 on
#                     partition 1, extended partition 2 holding swap 5, on
#                     /mnt/deb and swapped on in the guest (--move-swap)
#   vdf  vg-luks      virtio GPT, made in the guest: ext4 on LV vge2e/data
#                     (beside LV vge2e/spare) on LUKS2 (key in the kernel
#                     keyring) on partition 1, on /mnt/luks
# Before each resize virt-grow asks the guest for its plan at the new size
# (the preflight): the LUKS2 stack is refused without a key and with two
# LVs and none named, the disk left as it was on both sides; with both,
# every layer grows.  And the libvirt connection lost mid-grow (a proxy in
# front of libvirtd's socket, its relay killed by PID): exit 2 before the
# resize, 3 after it, a report either way; in a batch the other requests
# complete on a connection opened again.
HERE=$(cd "$(dirname "$0")" && pwd)
VG=$(readlink -f "${2:?usage: $0 QGA-GROW VIRT-GROW [QEMU-GA]}")
AGENT=${3:-}
. "$HERE/../../tests/loop/lib.sh"
. "$HERE/../../tests/vm/vm-lib.sh"
. "$HERE/../../tests/vm/e2e-lib.sh"
. "$HERE/../../tests/vm/libvirt-domain.sh"
for tool in virsh libvirtd qemu-system-x86_64 jq unshare script socat; do
  PATH=$PATH:/usr/sbin command -v "$tool" >/dev/null || fail "$tool missing (scripts/setup.sh test)"
done
if [ -n "$AGENT" ] && [ ! -x "$AGENT" ]; then
  echo "SKIP: no agent at $AGENT (the patched qemu-ga is built by scripts/build-qemu-ga.sh)"
  exit 77
fi
[ -n "$AGENT" ] || AGENT=$("$HERE/stock-qemu-ga.sh" "$VM_CACHE")
AGENT=$(readlink -f "$AGENT")
M=$((1 << 20))

SERIALS=(qg-root vg-ext4 vg-noserial vg-btrfs vg-xfs)
declare -A LABEL=([qg-root]=gpt [vg-ext4]=gpt [vg-noserial]=gpt [vg-btrfs]=none [vg-xfs]=dos)
declare -A FS=([qg-root]=ext4 [vg-ext4]=ext4 [vg-noserial]=ext4 [vg-btrfs]=btrfs [vg-xfs]=xfs)
declare -A GMNT=([qg-root]=/ [vg-ext4]=/mnt/ext4 [vg-noserial]=/mnt/noserial
                 [vg-btrfs]=/mnt/btrfs [vg-xfs]=/mnt/xfs)
declare -A PARTNO=([qg-root]=2 [vg-ext4]=1 [vg-noserial]=1 [vg-btrfs]=0 [vg-xfs]=1)
e2e_make_disks
# and one the guest must refuse to grow: swap on its last partition
make_disk 512M; d=$DISK
partition "$d" "label: gpt
,"
mkswap -q "$(part_dev "$d" 1)"
IMG[vg-swap]=$(image_of "$d")
losetup -d "$d"
# and one whose stack the guest builds (no device-mapper on this host)
make_disk 1G; d=$DISK
partition "$d" "label: gpt
,"
IMG[vg-luks]=$(image_of "$d")
losetup -d "$d"
# and the Debian installer's layout
DEB_SWAP_UUID=5a5a5a5a-a9e7-4c1b-8d2e-00000000de05
make_disk 1G; d=$DISK
partition "$d" "$(debian_mbr_table $((1 << 30)) 100)"
make_fs ext4 "$(part_dev "$d" 1)"
mount_fs "$(part_dev "$d" 1)"; write_data "$MNT" vg-deb; unmount_fs "$MNT"
mkswap -q -L deb-swap -U "$DEB_SWAP_UUID" "$(part_dev "$d" 5)"
IMG[vg-deb]=$(image_of "$d")
losetup -d "$d"
E2E_MODULES="dm-mod dm-crypt xts aes_generic algif_skcipher sha256_generic"

# ---- the guest's job: guest-services.sh, the rule (off for now)
# qga-grow on the agent's PATH, for guest-exec
PATH=$(dirname "$QG"):$PATH e2e_write_job chroot \
  "vg-ext4:1:/mnt/ext4 vg-btrfs:0:/mnt/btrfs vg-xfs:1:/mnt/xfs" "$(dirname "$VG")"

# ---- the domain, under a private libvirtd
on_exit '"$HERE/libvirtd.sh" stop "$WORK/libvirt"'
URI=$("$HERE/libvirtd.sh" start "$WORK/libvirt")
V() { virsh -q -c "$URI" "$@"; }
libvirt_domain_xml vg-e2e "$JOB" chroot \
  "${IMG[qg-root]}:vda:virtio:qg-root:10" "${IMG[vg-ext4]}:vdb:virtio:vg-ext4:9" \
  "${IMG[vg-noserial]}:vdc:virtio::8" "${IMG[vg-btrfs]}:vdd:virtio:vg-btrfs:7" \
  "${IMG[vg-xfs]}:sda:scsi:vg-xfs" "${IMG[vg-swap]}:vde:virtio:vg-swap:11" \
  "${IMG[vg-luks]}:vdf:virtio:vg-luks:12" "${IMG[vg-deb]}:vdg:virtio:vg-deb:13" >"$WORK/domain.xml"
libvirt_boot "$WORK/libvirt" vg-e2e "$WORK/domain.xml"
if V qemu-agent-command vg-e2e '{"execute":"guest-info"}' |
   jq -e '.return.supported_commands[] | select(.name == "guest-grow-disk" and .enabled)' >/dev/null; then
  METHOD=guest-grow-disk
else
  METHOD="guest-exec qga-grow"
fi
ASYNC=
if V qemu-agent-command vg-e2e '{"execute":"guest-info"}' |
   jq -e '.return.supported_commands[] | select(.name == "guest-grow-disk-status" and .enabled)' >/dev/null; then
  ASYNC=1
fi
note "guest side expected through: $METHOD${ASYNC:+ (asynchronous)}"

# run_vg WANT-EXIT ARGS...: virt-grow --json, its output in $WORK/out.json
run_vg() {
  local want=$1 rc=0
  shift
  "$VG" -c "$URI" --json "$@" >"$WORK/out.json" 2>"$WORK/out.err" || rc=$?
  if [ "$rc" != "$want" ]; then
    cat "$WORK/out.json" "$WORK/out.err" >&2
    guest_failed "virt-grow $*: exit $rc, want $want"
  fi
}
out() { jq -r "$1" "$WORK/out.json"; }
# guest_sh SCRIPT: run a bash script in the guest through the agent
# (guest-exec, any agent), its output in $WORK/guest.out; fails unless 0
guest_sh() {
  local pid st
  printf '%s\n' "$1" >"$JOB/guest-sh"
  pid=$(V qemu-agent-command --timeout 60 vg-e2e '{"execute":"guest-exec","arguments":{"path":"/bin/bash",
    "arg":["/run/qg-job/guest-sh"],"capture-output":true}}' | jq -r .return.pid)
  for _ in $(seq 1 600); do
    st=$(V qemu-agent-command --timeout 60 vg-e2e "{\"execute\":\"guest-exec-status\",\"arguments\":{\"pid\":$pid}}")
    [ "$(jq -r .return.exited <<<"$st")" = true ] && break
    sleep 0.5
  done
  printf '%s\n' "$st" >"$WORK/guest.st"
  jq -j '.return."out-data" // "" | @base64d' <<<"$st" >"$WORK/guest.out"
  [ "$(jq -r .return.exitcode <<<"$st")" = 0 ] ||
    guest_failed "in the guest: $1: $(jq -r '.return."err-data" // "" | @base64d' <<<"$st")"
}
capacity() { V domblkinfo vg-e2e "$1" | awk '/Capacity/ { print $2 }'; }
fs_total() {  # fs_total MOUNTPOINT: guest-get-fsinfo's total-bytes
  V qemu-agent-command vg-e2e '{"execute":"guest-get-fsinfo"}' |
    jq -r --arg m "$1" '.return[] | select(.mountpoint == $m) | ."total-bytes"'
}
# grown NAME GUEST-DISK MATCH SIZE: the last run grew NAME's disk to SIZE,
# found as GUEST-DISK by MATCH, and every guest layer grew to fill it.
grown() {
  assert_eq "$(out .outcome)" grown "$1: outcome"
  assert_eq "$(out '."disk-size-after"')" "$4" "$1: disk size after"
  assert_eq "$(out '."guest-disk"')" "$2" "$1: guest disk"
  assert_eq "$(out '."guest-match"')" "$3" "$1: matched by"
  assert_eq "$(out '."guest-method"')" "$METHOD" "$1: guest side"
  assert_eq "$(out '.guest."disk-size"')" "$4" "$1: the guest sees the new size"
  assert_eq "$(out '[.guest.layers[].changed] | all')" true "$1: every layer grew"
  local fs
  fs=$(out '.guest.layers[-1].size')
  [ "$fs" -gt $(($4 - 80 * M)) ] && [ "$fs" -le "$4" ] ||
    fail "$1: filesystem of $fs bytes on a disk of $4"
  note "$1: host $(out .disk) is guest $2 (by $3): $(out \
    '[.guest.layers[] | "\(.kind) \(."old-size") -> \(.size)"] | join(", ")')"
}

# ---- one disk at a time: by serial (host vdb is the guest's vdc)
run_vg 0 vg-e2e vdb +512M
grown vg-ext4 /dev/vdc serial $((1536 * M))
tb=$(fs_total /mnt/ext4)
[ "$tb" -gt $((1100 * M)) ] || fail "vg-ext4: guest-get-fsinfo total-bytes $tb after the grow"

# no serial: by PCI address (host vdc is the guest's vdb); unmounted ext4
run_vg 0 vg-e2e vdc 1536M
grown vg-noserial /dev/vdb pci $((1536 * M))

# SCSI, by serial (the guest's ID_SERIAL has vendor and model before it);
# with the storage stack's options, which reach the guest (guest-grow-disk's
# key-file and lvm, qga-grow's --key-file and --lvm) and change nothing on
# a stack without LUKS or LVM
run_vg 0 --key-file /nonexistent/vg-e2e.key --lvm lv vg-e2e serial:vg-xfs +512M
grown vg-xfs /dev/sda serial $((1536 * M))

# the root-like disk, by its image's path: its last partition is "/"
run_vg 0 vg-e2e "${IMG[qg-root]}" 1536M
grown qg-root /dev/vdd serial $((1536 * M))
assert_eq "$(out '.guest.layers[-1].mountpoint')" / "qg-root: the filesystem grown is /"

# again with the same absolute size: nothing to do, anywhere
run_vg 1 vg-e2e vdb 1536M
assert_eq "$(out '."disk-resized"')" false "rerun: disk not resized"
assert_eq "$(out .guest.changed)" false "rerun: the guest had nothing to grow"

# a dry run shows the guest's layers and changes nothing
run_vg 0 --dry-run vg-e2e vdb +1G
assert_eq "$(out .outcome)" would-grow "dry run outcome"
assert_eq "$(out '.guest.layers | length')" 2 "dry run: the guest's layers"
assert_eq "$(V domblkinfo vg-e2e vdb | awk '/Capacity/ { print $2 }')" $((1536 * M)) \
  "dry run: disk unchanged"

# ---- ext4 on LVM on LUKS2 on GPT, built in the guest: the preflight
guest_sh '
set -eu
# LVM writes its backups and archives under /etc/lvm: a writable copy (the
# host root is read-only here), and no dmeventd to leave behind
mkdir -p /run/etc-lvm
cp -a /etc/lvm/. /run/etc-lvm/
sed -i "s/^activation {\$/&\n\tmonitoring = 0/" /run/etc-lvm/lvm.conf
mount --bind /run/etc-lvm /etc/lvm
for b in /sys/block/*; do [ "$(cat "$b/serial" 2>/dev/null)" = vg-luks ] && disk=/dev/${b##*/}; done
head -c 64 /dev/urandom >/run/qg-job/luks.key
cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 \
  --key-file /run/qg-job/luks.key "${disk}1"
cryptsetup open --key-file /run/qg-job/luks.key "${disk}1" e2eluks
pvcreate -q -y /dev/mapper/e2eluks >/dev/null
vgcreate -q vge2e /dev/mapper/e2eluks >/dev/null
lvcreate -q -y -L 700M -n data vge2e >/dev/null
lvcreate -q -y -L 8M -n spare vge2e >/dev/null
udevadm settle
mkfs.ext4 -q -E lazy_itable_init=0,lazy_journal_init=0 /dev/vge2e/data
mkdir -p /mnt/luks
mount -o noatime /dev/vge2e/data /mnt/luks
head -c 8M /dev/urandom >/mnt/luks/data
sha256sum /mnt/luks/data >/run/qg-job/luks.sum
cryptsetup status e2eluks | grep -q "key location: keyring"
sync
echo "$disk"'
luks_disk=$(cat "$WORK/guest.out")
note "vg-luks: $luks_disk in the guest, ext4 on vge2e/data on LUKS2 (key in the keyring)"
luks_state() {  # what the guest has of the stack, and the image's bytes
  guest_sh "sync; blockdev --getsize64 $luks_disk ${luks_disk}1 /dev/mapper/e2eluks /dev/vge2e/data
    pvs --noheadings --units b -o pv_size /dev/mapper/e2eluks; df -B1 --output=size /mnt/luks | tail -1"
  printf '%s %s\n' "$(paste -sd' ' "$WORK/guest.out")" "$(image_content "${IMG[vg-luks]}" | cksum)"
}
before=$(luks_state)
# no key: the guest refuses before anything is resized, naming the mapping
run_vg 2 vg-e2e serial:vg-luks 2G
assert_eq "$(out '[.outcome, ."disk-resized", ."guest-preflight"] | @tsv')" \
  "$(printf 'error\tfalse\trefused')" "vg-luks, no key: outcome, resized, preflight"
out .message | grep -q "/dev/mapper/e2eluks (LUKS2) keeps its volume key in the kernel keyring" ||
  fail "vg-luks, no key: the refusal does not name the mapping: $(out .message)"
assert_eq "$(capacity vdf)" $((1024 * M)) "vg-luks, no key: the disk's capacity on the host"
assert_eq "$(luks_state)" "$before" "vg-luks, no key: the guest's stack and the image"
note "vg-luks, no key: $(out .message)"
# the dry run says exactly that
cp "$WORK/out.json" "$WORK/refused.json"
run_vg 2 --dry-run vg-e2e serial:vg-luks 2G
assert_eq "$(jq -S 'del(."dry-run")' "$WORK/out.json")" "$(jq -S 'del(."dry-run")' "$WORK/refused.json")" \
  "vg-luks: the dry run's refusal vs the real run's"
# the key, but two LVs and none named: the new space would stay free
run_vg 2 --key-file /run/qg-job/luks.key vg-e2e serial:vg-luks 2G
out .message | grep -q "holds 2 logical volumes.*--lv" ||
  fail "vg-luks, two LVs: the refusal does not name --lv: $(out .message)"
assert_eq "$(luks_state)" "$before" "vg-luks, two LVs: the guest's stack and the image"
# both: every layer grows, confirmed
run_vg 0 --key-file /run/qg-job/luks.key --lv vge2e/data vg-e2e serial:vg-luks 2G
assert_eq "$(out '[.outcome, ."guest-preflight", ."guest-method"] | @tsv')" \
  "$(printf 'grown\tagreed\t%s' "$METHOD")" "vg-luks: outcome, preflight, method"
assert_eq "$(out '[.guest.layers[].kind] | join(" ")')" "partition crypt lvm-pv lvm-lv filesystem" \
  "vg-luks: the layers"
assert_eq "$(out '[.guest.layers[].changed] | all')" true "vg-luks: every layer grew"
assert_eq "$(capacity vdf)" $((2048 * M)) "vg-luks: the disk's capacity"
guest_sh "sha256sum -c --quiet /run/qg-job/luks.sum && df -B1 --output=size /mnt/luks | tail -1"
[ "$(tail -1 "$WORK/guest.out")" -gt $((1700 * M)) ] ||
  fail "vg-luks: the guest's ext4 is '$(cat "$WORK/guest.out")' bytes: $(cat "$WORK/guest.st")"
note "vg-luks: $(out '[.guest.layers[] | "\(.kind) \(."old-size") -> \(.size)"] | join(", ")')"
run_vg 1 --key-file /run/qg-job/luks.key --lv vge2e/data vg-e2e serial:vg-luks 2G
guest_sh "umount /mnt/luks && vgchange -q -an vge2e >/dev/null && cryptsetup close e2eluks"

# ---- the Debian installer's layout: root, then an extended partition with
# the swap, on; --move-swap moves both to the disk's new end
guest_sh '
set -eu
for b in /sys/block/*; do [ "$(cat "$b/serial" 2>/dev/null)" = vg-deb ] && disk=/dev/${b##*/}; done
mkdir -p /mnt/deb
mount "${disk}1" /mnt/deb
swapon "${disk}5"
echo "$disk"'
deb_disk=$(cat "$WORK/guest.out")
swap_state() {  # the guest's swap on vg-deb: UUID, label, on, size
  guest_sh "printf '%s %s ' \$(blkid -o value -s UUID -s LABEL ${deb_disk}5);
    swapon --show=NAME,SIZE --bytes --noheadings | grep -c '^${deb_disk}5 ' || true
    swapon --show=NAME,SIZE --bytes --noheadings | awk '\$1 == \"${deb_disk}5\" { print \$2 }'"
  paste -sd' ' "$WORK/guest.out"
}
swap_before=$(swap_state)
# without --move-swap: refused before the resize, naming the way
run_vg 2 vg-e2e serial:vg-deb 2G
out .message | grep -q "extended partition 2, which holds swap partition 5.*--move-swap" ||
  fail "vg-deb: the refusal does not name the extended partition and --move-swap: $(out .message)"
assert_eq "$(capacity vdg)" $((1024 * M)) "vg-deb, refused: the capacity"
run_vg 0 --move-swap vg-e2e serial:vg-deb 2G
assert_eq "$(out '[.guest.layers[] | "\(.kind):\(.state // "-")"] | join(" ")')" \
  "partition:grown filesystem:grown swap:moved" "vg-deb: the layers"
assert_eq "$(swap_state)" "$swap_before" "vg-deb: the swap's UUID, label, on, size after the move"
case $swap_before in "deb-swap $DEB_SWAP_UUID 1 "*) ;; *) fail "vg-deb: the swap before: $swap_before" ;; esac
guest_sh "df -B1 --output=size /mnt/deb | tail -1"
[ "$(tail -1 "$WORK/guest.out")" -gt $((1700 * M)) ] || fail "vg-deb: / is $(cat "$WORK/guest.out") bytes"
note "vg-deb: $(out '[.guest.layers[] | "\(.kind) \(."old-size") -> \(.size)"] | join(", ")'); swap on again: $swap_before"
run_vg 1 --move-swap vg-e2e serial:vg-deb 2G
guest_sh "swapoff ${deb_disk}5 && umount /mnt/deb"

# ---- the udev way (an agent without guest-grow-disk, and qga-grow not
# found in the guest): the rule grows, guest-get-fsinfo confirms
if [ "$METHOD" = guest-grow-disk ]; then
  note "udev way: not reachable with guest-grow-disk enabled (covered with the stock agent)"
else
  e2e_auto_conf "enabled=true" "disks=all"
  run_vg 0 --qga-grow /nonexistent/qga-grow vg-e2e vdd +512M
  assert_eq "$(out '."guest-method"')" udev "vg-btrfs: fell back to the udev rule"
  assert_eq "$(out '.guest.layers[0].mountpoint')" /mnt/btrfs "vg-btrfs: the filesystem watched"
  assert_eq "$(out '.guest.layers[0].changed')" true "vg-btrfs: seen growing"
  out '.warnings[]' | grep -q "relying on the guest's udev rule" || fail "udev fallback not warned"
  note "vg-btrfs: grown by the rule: $(out '.guest.layers[0] | "\(."old-size") -> \(.size)"')"

  # the rule off: the growth cannot be confirmed (exit 3) within --timeout
  e2e_auto_conf "enabled=false"
  run_vg 3 --qga-grow /nonexistent/qga-grow --timeout 5 vg-e2e vdd +128M
  assert_eq "$(out .outcome)" unconfirmed "vg-btrfs, rule off: unconfirmed"
  assert_eq "$(out '."disk-resized"')" true "vg-btrfs, rule off: disk grown all the same"
  # a dry run to the disk's own size: nothing for the host, but the guest
  # (qga-grow through guest-exec) would grow: exit 0, not 1
  now=$(V domblkinfo vg-e2e vdd | awk '/Capacity/ { print $2 }')
  run_vg 0 --dry-run vg-e2e vdd "$now"
  assert_eq "$(out .outcome)" would-grow "vg-btrfs, ungrown in the guest: dry run outcome"
  assert_eq "$(out .guest.changed)" true "vg-btrfs, ungrown in the guest: the guest would grow"
  # (the rule grows it with the next size change)
  e2e_auto_conf "enabled=true" "disks=all"
fi

# ---- on a terminal: a progress line on stderr, redrawn and cleared; the
# asynchronous guest-grow-disk where the agent has guest-grow-disk-status,
# else the plain call or guest-exec (host vdc is the guest's vdb)
rc=0
script -qfec "$(printf '%q ' "$VG" -c "$URI" vg-e2e vdc 1600M)" /dev/null \
  >"$WORK/tty.out" 2>&1 || rc=$?
[ "$rc" = 0 ] || { cat -v "$WORK/tty.out" >&2; guest_failed "virt-grow on a terminal: exit $rc"; }
grep -q $'virt-grow: vg-e2e/vdc: resizing the disk\r\e\[K' "$WORK/tty.out" ||
  fail "no progress line (resizing) on the terminal: $(cat -v "$WORK/tty.out")"
grep -q "grown and confirmed by the guest ($METHOD)" "$WORK/tty.out" ||
  fail "no result on the terminal: $(cat -v "$WORK/tty.out")"
if [ -n "$ASYNC" ]; then
  grep -q 'vg-e2e/vdc: starting guest-grow-disk' "$WORK/tty.out" ||
    fail "the asynchronous form was not used: $(cat -v "$WORK/tty.out")"
  note "progress seen: $(tr '\r' '\n' <"$WORK/tty.out" | grep -o 'vg-e2e/vdc: .*' | sed 's/\x1b\[K//' | sort -u | paste -sd';')"
elif [ "$METHOD" = guest-grow-disk ]; then
  grep -q 'guest-grow-disk (this agent reports no progress)' "$WORK/tty.out" ||
    fail "the plain guest-grow-disk was not said: $(cat -v "$WORK/tty.out")"
else
  grep -q 'running qga-grow in the guest (guest-exec)' "$WORK/tty.out" ||
    fail "guest-exec was not said: $(cat -v "$WORK/tty.out")"
fi
# the line was cleared ("\r\e[K") before the table
tr '\r' '\n' <"$WORK/tty.out" | sed 's/\x1b\[K//g' | grep -q '^domain vg-e2e, disk vdc' ||
  fail "the table does not start on a clean line: $(cat -v "$WORK/tty.out")"

# ---- the disk's lock held in the guest (host vdb is the guest's vdc)
guest_lock() {  # guest_lock SECONDS: flock the guest's /dev/vdc that long (LOCK_PID)
  LOCK_PID=$(V qemu-agent-command vg-e2e "{\"execute\":\"guest-exec\",\"arguments\":{\"path\":\"/usr/bin/flock\",
    \"arg\":[\"/dev/vdc\",\"/bin/sleep\",\"$1\"]}}" | jq -r .return.pid)
  sleep 1
}
guest_unlock() {  # the lock holder ends now (its sleep, by PID)
  guest_sh "kill \$(cat /proc/$LOCK_PID/task/$LOCK_PID/children) 2>/dev/null || true"
}
# --lock-timeout 0: the guest does not wait; asked first, it refuses: the
# disk is locked; nothing is resized (exit 2)
# (a qga-grow without --lock-timeout, on a tree merged partway: skipped)
if [ "$METHOD" = "guest-exec qga-grow" ] && ! "$QG" --help | grep -q -- --lock-timeout; then
  note "qga-grow has no --lock-timeout yet: the locked-disk cases are skipped"
else
guest_lock 120
run_vg 2 --lock-timeout 0 vg-e2e vdb 1600M
assert_eq "$(out '[."disk-resized", ."guest-preflight"] | @tsv')" "$(printf 'false\trefused')" \
  "locked: not resized, refused by the guest"
out .message | grep -qi "locked" || fail "locked: the reason is not the lock: $(out .message)"
note "locked, --lock-timeout 0: $(out .message)"
# --no-preflight, the old order: the disk is grown, the guest waits for the
# lock and fails (4)
run_vg 4 --no-preflight --lock-timeout 0 vg-e2e vdb 1600M
assert_eq "$(out '[."disk-resized", ."guest-preflight"] | @tsv')" "$(printf 'true\tskipped')" \
  "locked, --no-preflight: resized, not asked"
if [ -n "$ASYNC" ]; then
  # waiting for the lock past --timeout: still growing (3), with the job;
  # the job ends in the guest once the lock is free, its result read once
  run_vg 3 --no-preflight --timeout 4 --lock-timeout 60 vg-e2e vdb 1664M
  out .message | grep -q "still growing" || fail "--timeout: not said still growing: $(out .message)"
  job=$(out .message | grep -o 'job [0-9]*' | head -1 | cut -d' ' -f2)
  [ -n "$job" ] || fail "--timeout: no job id in $(out .message)"
  note "--timeout while locked: $(out .message)"
  guest_unlock
  status='{"return": {"done": false}}'
  for _ in $(seq 1 90); do
    status=$(V qemu-agent-command vg-e2e \
      "{\"execute\":\"guest-grow-disk-status\",\"arguments\":{\"job\":$job}}")
    [ "$(jq -r .return.done <<<"$status")" = true ] && break
    sleep 1
  done
  assert_eq "$(jq -r .return.done <<<"$status")" true "job $job: done once the lock is free"
  assert_eq "$(jq -r '.return.result.changed' <<<"$status")" true "job $job: the guest grew"
  assert_eq "$(jq -r '[.return.result.layers[].state] | unique | join(" ")' <<<"$status")" \
    grown "job $job: every layer grown"
  run_vg 1 vg-e2e vdb 1664M
  assert_eq "$(out .guest.changed)" false "after job $job: nothing left to grow"
else
  guest_unlock
  run_vg 0 vg-e2e vdb 1664M   # the guest's side completes
fi
fi

# ---- the libvirt connection lost under a grow: libvirtd's socket behind a
# proxy (socat; one relay process per connection), the relay killed by its
# PID, as a broken ssh link would end it
SOCAT_PID=
socat UNIX-LISTEN:"$WORK/proxy.sock",fork UNIX-CONNECT:"${URI#*socket=}" &
SOCAT_PID=$!
on_exit 'kill "$SOCAT_PID" 2>/dev/null'
PURI="qemu+unix:///system?socket=$WORK/proxy.sock"
for _ in $(seq 50); do [ -S "$WORK/proxy.sock" ] && break; sleep 0.1; done
kill_relays() {  # every connection through the proxy, by its relay's PID
  local p
  for p in $(cat "/proc/$SOCAT_PID/task/$SOCAT_PID/children"); do kill -9 "$p"; done
}
# vg_bg ARGS...: virt-grow --json through the proxy, in the background
vg_bg() { "$VG" -c "$PURI" --json "$@" >"$WORK/out.json" 2>"$WORK/out.err" & VG_PID=$!; }
vg_wait() {  # vg_wait WANT-EXIT
  local rc=0
  wait "$VG_PID" || rc=$?
  [ "$rc" = "$1" ] || { cat "$WORK/out.json" "$WORK/out.err" >&2; fail "virt-grow through the proxy: exit $rc, want $1"; }
}
# before the resize: the guest asked first waits for its disk's lock
cap=$(capacity vdb)
guest_lock 120
# (the agent answers nothing else while it waits: not long)
vg_bg --lock-timeout 10 vg-e2e vdb +64M
sleep 4
assert_eq "$(capacity vdb)" "$cap" "lost before the resize: the capacity while the guest was asked"
kill_relays
vg_wait 2
assert_eq "$(out '[.outcome, ."disk-resized", ."connection-lost"] | @tsv')" \
  "$(printf 'error\tfalse\ttrue')" "lost before the resize: outcome, resized, lost"
out .message | grep -q "connection to libvirt was lost before the disk was resized, nothing was changed" ||
  fail "lost before the resize: $(out .message)"
assert_eq "$(capacity vdb)" "$cap" "lost before the resize: the capacity"
note "lost before the resize: $(out .message)"
# after it (--no-preflight: the guest waits for the lock after the resize)
vg_bg --no-preflight --lock-timeout 60 vg-e2e vdb +64M
for _ in $(seq 150); do [ "$(capacity vdb)" -gt "$cap" ] && break; sleep 0.2; done
[ "$(capacity vdb)" -gt "$cap" ] || fail "lost after the resize: the disk never grew"
sleep 1
kill_relays
vg_wait 3
assert_eq "$(out '[.outcome, ."disk-resized", ."connection-lost"] | @tsv')" \
  "$(printf 'unconfirmed\ttrue\ttrue')" "lost after the resize: outcome, resized, lost"
note "lost after the resize: $(out .message)"
tb=$(fs_total /mnt/ext4)
guest_unlock
for _ in $(seq 60); do [ "$(fs_total /mnt/ext4)" -gt "$tb" ] && break; sleep 1; done
[ "$(fs_total /mnt/ext4)" -gt "$tb" ] || fail "lost after the resize: the guest's grow did not go on"
# in a batch: the first request's connection goes; the others complete on
# a connection opened again
guest_lock 120
cap=$(capacity vdb)
"$VG" -c "$PURI" --json --jobs 1 --lock-timeout 10 --batch - >"$WORK/out.json" 2>"$WORK/out.err" <<EOB &
vg-e2e vdb +64M
vg-e2e vdc +64M
vg-e2e serial:vg-xfs +64M
EOB
VG_PID=$!
sleep 4
kill_relays
vg_wait 2
assert_eq "$(jq -sr '[.[] | "\(.outcome)/\(."connection-lost")"] | join(" ")' "$WORK/out.json")" \
  "error/true grown/false grown/false" "batch: the lost request and the others"
assert_eq "$(capacity vdb)" "$cap" "batch: the lost request's disk"
guest_unlock
note "batch over a lost connection: $(jq -sr '[.[] | .outcome] | join(", ")' "$WORK/out.json")"

# ---- a hostile guest: qga-grow's report (through guest-exec) full of
# terminal controls, bidi overrides and invisible characters: escaped on the
# terminal, exact in the JSON
if [ "$METHOD" = "guest-exec qga-grow" ]; then
  cat >"$JOB/hostile-qga-grow" <<'EOS'
#!/bin/sh
cat <<'EOJ'
{"disk": "/dev/vdc\u200b", "disk-size": 1761607680, "sector-size": 512, "changed": true,
 "dry-run": true, "layers": [{"kind": "partition", "device": "/dev/vdc1\u001b[2K\u001b[1A",
 "type": "gpt\u202e", "partno": 1, "old-size": 1, "size": 2, "changed": true, "state": "planned"},
 {"kind": "filesystem", "device": "/dev/vdc1", "type": "ext4\u2066",
 "mountpoint": "/mnt/ext4\u009b31m\u2028virt-grow: all fine\ufeff", "old-size": 1, "size": 2,
 "changed": true, "state": "planned", "limit": "\u202dlimit\u202c"}],
 "warnings": ["see \u2067/etc\u2069 \u00a0now\r\u001b]0;owned\u0007"]}
EOJ
EOS
  chmod 755 "$JOB/hostile-qga-grow"
  rc=0
  "$VG" -c "$URI" --dry-run --qga-grow /run/qg-job/hostile-qga-grow vg-e2e vdb +1M \
    >"$WORK/hostile.out" 2>"$WORK/hostile.err" || rc=$?
  assert_eq "$rc" 0 "hostile guest: dry run"
  grep -q 'ext4\\u2066' "$WORK/hostile.out" && grep -q '/dev/vdc1\\x1b\[2K' "$WORK/hostile.out" &&
    grep -q 'all fine\\ufeff' "$WORK/hostile.out" && grep -q 'owned\\x07' "$WORK/hostile.err" ||
    fail "hostile guest: not escaped: $(cat -v "$WORK/hostile.out" "$WORK/hostile.err")"
  if LC_ALL=C grep -q $'\e\|\a\|\xc2\x9b\|\xe2\x80\xae\|\xe2\x81\xa6\|\xe2\x80\xa8\|\xe2\x80\x8b\|\xef\xbb\xbf' \
       "$WORK/hostile.out" "$WORK/hostile.err"; then
    fail "hostile guest: a control or bidi character reached the terminal: $(cat -v "$WORK/hostile.out")"
  fi
  run_vg 0 --dry-run --qga-grow /run/qg-job/hostile-qga-grow vg-e2e vdb +1M
  assert_eq "$(out '.guest.layers[1].mountpoint')" $'/mnt/ext4\xc2\x9b31m\xe2\x80\xa8virt-grow: all fine\xef\xbb\xbf' \
    "hostile guest: the JSON's mountpoint exact"
  assert_eq "$(out '.guest.layers[0].device')" $'/dev/vdc1\e[2K\e[1A' "hostile guest: the JSON's device exact"
  assert_eq "$(out '.guest.layers[1].limit')" $'\xe2\x80\xadlimit\xe2\x80\xac' "hostile guest: the JSON's limit exact"
  # the real qga-grow of this tree: --from-host passed, or (one from before
  # it) retried without it with a warning
  run_vg 0 --dry-run vg-e2e vdb +1M
  if out '.warnings[]' | grep -q "older than --from-host"; then
    note "qga-grow in the guest predates --from-host: retried without it"
  fi
fi

# ---- every disk at once, to one size
run_vg 0 --jobs 3 --batch - <<EOB
vg-e2e vdb 1792M
vg-e2e vdc 1792M
vg-e2e serial:vg-xfs 1792M
{"domain": "vg-e2e", "disk": "vda", "size": "1792M"}
{"domain": "vg-e2e", "disk": "serial:vg-btrfs", "size": 1879048192, "lvm": "pv"}
EOB
assert_eq "$(jq -sr '[.[].outcome] | join(" ")' "$WORK/out.json")" \
  "grown grown grown grown grown" "batch outcomes"
assert_eq "$(jq -sr '[.[]."disk-size-after"] | unique | join(" ")' "$WORK/out.json")" \
  $((1792 * M)) "batch sizes"
note "all grown; $((SECONDS - E2E_T0)) s since the domain started"

# ---- frozen by the agent itself (virsh domfsfreeze, as a backup does): it
# turns off every command that could grow or answer, but says it is frozen;
# refused before the resize (exit 2), the disk untouched
cap=$(capacity vdb)
V domfsfreeze vg-e2e >/dev/null || fail "domfsfreeze"
rc=0; "$VG" -c "$URI" --json vg-e2e vdb +64M >"$WORK/out.json" 2>"$WORK/err" || rc=$?
V domfsthaw vg-e2e >/dev/null || fail "domfsthaw"
[ "$rc" = 2 ] || { cat "$WORK/out.json" "$WORK/err" >&2; fail "frozen by the agent: exit $rc, want 2"; }
assert_eq "$(out '[."disk-resized", ."guest-preflight"] | @tsv')" "$(printf 'false\trefused')" \
  "frozen by the agent: not resized, refused"
out .message | grep -q "frozen by its agent" || fail "frozen by the agent: $(out .message)"
assert_eq "$(capacity vdb)" "$cap" "frozen by the agent: the capacity"
note "frozen by the agent: $(out '."guest-preflight-note"')"

# ---- the guest refuses (swap on the last partition): asked first, nothing
# is resized (exit 2), with the guest's reason
cap=$(capacity vde)
run_vg 2 vg-e2e serial:vg-swap +256M
assert_eq "$(out '[.outcome, ."disk-resized", ."guest-preflight"] | @tsv')" \
  "$(printf 'error\tfalse\trefused')" "vg-swap: outcome, resized, preflight"
assert_eq "$(capacity vde)" "$cap" "vg-swap: the capacity"
out .message | grep -q "swap" || fail "vg-swap: the guest's reason is not reported: $(out .message)"
note "vg-swap: $(out .message)"
# the old order: grown, then the guest fails (4)
run_vg 4 --no-preflight vg-e2e serial:vg-swap +256M
assert_eq "$(out '."disk-resized"')" true "vg-swap, --no-preflight: the disk was grown"

e2e_stop_and_verify $((1792 * M))
echo "ok: virt-grow through libvirt: $METHOD, serial and PCI matching, LVM on LUKS2 asked first, udev fallback, lost connections, batch, guest refusal ($((SECONDS - E2E_T0)) s)"
