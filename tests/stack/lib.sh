# Helpers for the storage-stack tests: LVM, LUKS1/LUKS2, md RAID and thin
# pools on loop disks, built, checked and torn down inside the throwaway QEMU
# guest (this host has no device-mapper and no md).
#
# How a stack test uses it:
#
#   #!/bin/bash
#   HERE=$(cd "$(dirname "$0")" && pwd)
#   . "$HERE/lib.sh"     # on the host: re-runs this script, with its
#                        # arguments, in a guest (tests/vm/run-in-guest.sh)
#   make_disk 128M                      # DISK (loop device), IMG (its file)
#   partition_disk "$DISK" 64M lvm      # PART: partition 1 of a GPT table
#   make_lvm "$PART"                    # VG, LV (/dev/VG/lv: the whole VG)
#   make_fs ext4 "$LV"; mount_fs "$LV"  # MNT
#   write_data "$MNT"
#   before=$(lv_size "$VG/lv")
#   enlarge "$DISK" 192M                # truncate + losetup -c
#   ... grow (qga-grow, or the classic chain) ...
#   check_grew "LV" "$before" "$(lv_size "$VG/lv")"
#   check_data "$MNT"; unmount_fs "$MNT"; check_fs ext4 "$LV"
#
# Functions that make something set global variables (DISK, PART, CRYPT,
# VG, LV, MD, MNT, ...): call them directly, never inside $(...), or the
# records of what to tear down are lost.  Everything made is torn down on
# exit, on failure too, in the reverse order of its making (unmount, close
# LUKS mappings, deactivate VGs, stop md arrays, drop keyring keys, detach
# the loops made here, each by its own name).  Sizes are bytes.
#
# In the guest: modules come from the guest kernel (guest-init.sh's
# modprobe; the kernel's own request_module works too, but LVM runs
# /sbin/modprobe by its absolute path, so the targets it checks for, such
# as thin-pool, are loaded here beforehand); /etc/lvm is a writable copy
# bind-mounted over the read-only one, with activation/monitoring = 0 (no
# dmeventd); DM_DISABLE_UDEV=1 when no udevd runs (libdevmapper then makes
# the /dev nodes itself; without it lvcreate fails: "not found: device not
# cleared").
set -euo pipefail

STACK_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
GUEST_ALWAYS=${GUEST_ALWAYS:-"device-mapper, md and LUKS exist only in the guest"}
. "$STACK_HERE/../loop/in-guest-if-needed.sh" "$0" "$@"
. "$STACK_HERE/../loop/image-content.sh"

export LC_ALL=C
export LVM_SUPPRESS_FD_WARNINGS=1

if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP: needs root"
  exit 77
fi

WORK=$(mktemp -d /tmp/qg-stack.XXXXXX)
TEARDOWN=()   # commands, run last to first on exit
NDISK=0 NCRYPT=0 NVG=0 NMD=0 STACK_BASE=0

fail() { echo "FAIL: $*" >&2; exit 1; }
note() { echo "# $*"; }

assert_eq() {  # assert_eq GOT WANT WHAT
  [ "$1" = "$2" ] || fail "$3: got '$1', want '$2'"
}

# on_teardown CMD [ARGS...]: run CMD on exit (after whatever is registered
# later: the last registered runs first).  Register before making the thing,
# with a command that does nothing when it does not exist.
on_teardown() { TEARDOWN+=("$(printf '%q ' "$@")"); }

# stack_release: tear down, now, everything made since stack_init (last
# made, first torn down); fails when any of it fails.  Lets one script run
# several cases, each on a clean slate.
stack_release() {
  local i out bad=0
  for ((i = ${#TEARDOWN[@]} - 1; i >= STACK_BASE; i--)); do
    out=$(eval "${TEARDOWN[i]}" 2>&1) ||
      { echo "teardown: ${TEARDOWN[i]}failed: $out" >&2; bad=1; }
    unset 'TEARDOWN[i]'
  done
  [ "$bad" = 0 ] || fail "teardown failed"
}

# check_released: nothing made here is left: no crypt mapping or LV of
# ours, no md array at all, no loop device on an image of ours.
check_released() {
  local left
  left=$(dmsetup info -c --noheadings -o name 2>/dev/null | grep -E '^(qgcrypt|qgvg)' || true)
  left+=$(grep "^md" /proc/mdstat 2>/dev/null || true)
  left+=$(losetup -n -l -O NAME,BACK-FILE | grep -F "$WORK/" || true)
  [ -z "$left" ] || fail "left behind: $left"
}

stack_cleanup() {
  local rc=$? i out
  set +e
  for ((i = ${#TEARDOWN[@]} - 1; i >= 0; i--)); do
    out=$(eval "${TEARDOWN[i]}" 2>&1) ||
      echo "teardown: ${TEARDOWN[i]}failed: $out" >&2
  done
  rm -rf --one-file-system "$WORK"
  exit "$rc"
}
trap stack_cleanup EXIT
trap 'exit 130' INT TERM

# expect_exit WANT CMD [ARGS...]: run CMD (stdin /dev/null); its exit
# status must be WANT ("nonzero" for any failure); its output is shown when
# it is not.
expect_exit() {
  local want=$1 rc=0
  shift
  "$@" </dev/null >"$WORK/cmd.out" 2>&1 || rc=$?
  if [ "$want" = nonzero ] && [ "$rc" != 0 ]; then return 0; fi
  if [ "$rc" != "$want" ]; then
    cat "$WORK/cmd.out" >&2
    fail "$*: exit $rc, want $want"
  fi
}

# --- the guest's kernel and tools ---------------------------------------

# stack_modules GROUP...: load the guest kernel's modules for dm (LVM),
# crypt (dm-crypt and the ciphers LUKS needs), thin, raid (md raid0/1/10/
# 4/5/6), faults (dm-flakey, dm-log-writes) or all.  Loaded once.
declare -A STACK_LOADED=()
stack_modules() {
  local g m mods
  for g in "$@"; do
    [ "$g" = all ] && { stack_modules dm crypt thin raid faults; continue; }
    [ -z "${STACK_LOADED[$g]:-}" ] || continue
    case $g in
      dm) mods="dm-mod" ;;
      crypt) mods="dm-crypt xts aes_generic algif_skcipher sha256_generic" ;;
      thin) mods="dm-thin-pool" ;;
      raid) mods="raid0 raid1 raid10 raid456" ;;
      faults) mods="dm-flakey dm-log-writes" ;;
      *) fail "stack_modules: unknown group $g" ;;
    esac
    for m in $mods; do
      modprobe "$m" 2>"$WORK/modprobe.err" ||
        { cat "$WORK/modprobe.err" >&2; fail "modprobe $m (the guest's modprobe: tests/vm/guest-init.sh)"; }
    done
    STACK_LOADED[$g]=1
  done
}

_umount_etc_lvm() { mountpoint -q /etc/lvm && umount /etc/lvm; }

# LVM must write its metadata backups and archives under /etc/lvm.
stack_init() {
  [ -n "${QG_IN_GUEST:-}" ] || fail "stack tests run in the QEMU guest only"
  stack_modules dm
  # (not `udevadm control --ping`: in a chroot, as here, it answers 0)
  [ -S /run/udev/control ] || export DM_DISABLE_UDEV=1
  mkdir -p "$WORK/etc-lvm"
  cp -a /etc/lvm/. "$WORK/etc-lvm/"
  # no dmeventd: monitoring a thin pool would start it, and leave it running
  sed -i 's/^activation {$/&\n\tmonitoring = 0/' "$WORK/etc-lvm/lvm.conf"
  grep -q '^	monitoring = 0$' "$WORK/etc-lvm/lvm.conf" || fail "cannot set activation/monitoring = 0 in lvm.conf"
  on_teardown _umount_etc_lvm
  mount --bind "$WORK/etc-lvm" /etc/lvm
  STACK_BASE=${#TEARDOWN[@]}
}

# --- disks and partitions -------------------------------------------------

_detach_loop() {  # _detach_loop DEV IMG: only while DEV still shows IMG
  [ "$(losetup -n -O BACK-FILE "$1" 2>/dev/null | sed 's/[[:space:]]*$//')" = "$2" ] || return 0
  losetup -d "$1"
}

# make_disk SIZE [SECTOR-SIZE]: a loop device on a new sparse file: sets
# DISK and IMG (and DISK_IMG[DISK]=IMG).
declare -A DISK_IMG=()
make_disk() {
  local size=$1 sector=${2:-512}
  NDISK=$((NDISK + 1))
  IMG=$WORK/disk$NDISK.img
  truncate -s "$size" "$IMG"
  DISK=$(losetup --find --show --partscan --sector-size "$sector" "$IMG")
  on_teardown _detach_loop "$DISK" "$IMG"
  DISK_IMG[$DISK]=$IMG
}

# enlarge DISK SIZE: grow the backing file and tell the loop driver, as a
# hypervisor grows a virtual disk.
enlarge() {
  truncate -s "$2" "${DISK_IMG[$1]}"
  losetup -c "$1"
}

part_dev() {  # part_dev DISK N
  case $1 in *[0-9]) echo "${1}p$2" ;; *) echo "$1$2" ;; esac
}

# partition DISK SFDISK-SCRIPT: write a table, have the kernel see it and
# wait for the partition nodes (partx: they do not always appear alone).
partition() {
  local node
  printf '%s\n' "$2" | sfdisk -q --no-reread --wipe always "$1" >/dev/null
  partx -u "$1" 2>/dev/null || true
  partx -a "$1" 2>/dev/null || true
  blockdev --flushbufs "$1"
  # by the nodes sfdisk names (logical partitions start at 5)
  for node in $(sfdisk --json "$1" | jq -r '.partitiontable.partitions[].node'); do
    wait_node "$node"
  done
}

wait_node() {  # wait_node DEV: up to 5 s for a block node
  local t
  for ((t = 0; t < 50; t++)); do
    [ -b "$1" ] && return 0
    sleep 0.1
  done
  fail "$1 did not appear"
}

# partition_disk DISK [SIZE] [TYPE] [LABEL]: one partition of SIZE (empty:
# the whole disk) at 1 MiB, of TYPE linux (default), lvm, raid or any
# sfdisk type, on a gpt (default) or dos table.  Sets PART.
partition_disk() {
  local disk=$1 size=${2:-} type=${3:-linux} label=${4:-gpt}
  case $type in linux) type=L ;; lvm) type=V ;; raid) type=R ;; esac
  partition "$disk" "label: $label
,$size,$type"
  PART=$(part_dev "$disk" 1)
}

# --- LUKS ------------------------------------------------------------------
# Fast key derivation: TCG is slow, and argon2's default memory would not
# fit the guest.

_crypt_close() { [ -e "/dev/mapper/$1" ] || return 0; cryptsetup close "$1"; }

_crypt_new() {  # sets CRYPT_NAME, CRYPT, KEYFILE
  NCRYPT=$((NCRYPT + 1))
  CRYPT_NAME=${1:-qgcrypt$NCRYPT}
  CRYPT=/dev/mapper/$CRYPT_NAME
  KEYFILE=$WORK/$CRYPT_NAME.key
  printf 'qg-test passphrase %s %s' "$CRYPT_NAME" "$RANDOM" >"$KEYFILE"
  stack_modules dm crypt
}

_luks_format() {  # _luks_format luks1|luks2 DEV
  local pbkdf=()
  [ "$1" = luks2 ] && pbkdf=(--pbkdf pbkdf2)
  cryptsetup luksFormat -q --type "$1" "${pbkdf[@]}" --pbkdf-force-iterations 1000 \
    --key-file "$KEYFILE" "$2"
}

# make_luks1 DEV [NAME] / make_luks2 DEV [NAME]: format DEV with a key file
# and open it.  Sets CRYPT (/dev/mapper/NAME), CRYPT_NAME, KEYFILE.
make_luks1() {
  _crypt_new "${2:-}"
  _luks_format luks1 "$1"
  on_teardown _crypt_close "$CRYPT_NAME"
  cryptsetup open --key-file "$KEYFILE" "$1" "$CRYPT_NAME"
}
make_luks2() {
  _crypt_new "${2:-}"
  _luks_format luks2 "$1"
  on_teardown _crypt_close "$CRYPT_NAME"
  cryptsetup open --key-file "$KEYFILE" "$1" "$CRYPT_NAME"
}

# keyring_add DESC FILE: FILE's bytes as a "user" key named DESC in the
# user keyring (@u, which the user-session keyring links: what
# cryptsetup's luks2-keyring token finds through request_key); keyctl when
# installed, else the add_key system call from perl.  Sets KEY_SERIAL; the
# key is dropped on exit.
keyring_add() {
  if command -v keyctl >/dev/null; then
    KEY_SERIAL=$(keyctl padd user "$1" @u <"$2")
  else
    KEY_SERIAL=$(perl -e '
      local $/; my $data = <STDIN>; my ($type, $desc) = ("user", $ARGV[0]);
      my $id = syscall(248, $type, $desc, $data, length($data), -4);   # add_key, @u
      $id > 0 or die "add_key: $!\n"; print "$id\n";' "$1" <"$2")
  fi
  on_teardown _keyring_drop_left "$KEY_SERIAL"
}
_keyring_drop_left() {  # unless dropped already
  grep -q "^$(printf %08x "$1") " /proc/keys || return 0
  keyring_drop "$1"
}
keyring_drop() {  # keyring_drop SERIAL: invalidate the key (gone at once)
  if command -v keyctl >/dev/null; then
    keyctl invalidate "$1"
  else
    perl -e 'syscall(250, 21, $ARGV[0] + 0) == 0 or die "keyctl_invalidate: $!\n"' "$1"
  fi
}

# make_luks2_token DEV [NAME]: LUKS2 with a passphrase and a luks2-keyring
# token (the only token kind cryptsetup 2.6 opens without plugins) whose
# passphrase is in the kernel keyring; opened by the token alone
# (--token-only).  Sets CRYPT, CRYPT_NAME, KEYFILE (the passphrase),
# KEYDESC, KEY_SERIAL.  keyring_drop "$KEY_SERIAL" leaves a token that
# cannot unlock anything.
make_luks2_token() {
  _crypt_new "${2:-}"
  _luks_format luks2 "$1"
  KEYDESC=qg-test:$CRYPT_NAME
  cryptsetup token add --key-description "$KEYDESC" --key-slot 0 "$1"
  keyring_add "$KEYDESC" "$KEYFILE"
  on_teardown _crypt_close "$CRYPT_NAME"
  cryptsetup open --token-only "$1" "$CRYPT_NAME" </dev/null
}

# --- LVM -------------------------------------------------------------------

_vg_off() { vgs "$1" >/dev/null 2>&1 || return 0; vgchange -q -an "$1" >/dev/null; }

# make_lvm DEV [LV-SIZE]: DEV as the only PV of a new VG, one LV "lv" of
# LV-SIZE (lvcreate -L; default: the whole VG).  Sets VG, LV (/dev/VG/lv).
make_lvm() {
  local dev=$1 size=${2:-}
  stack_modules dm
  NVG=$((NVG + 1))
  VG=qgvg$NVG
  on_teardown _vg_off "$VG"
  pvcreate -q -y "$dev" >/dev/null
  vgcreate -q "$VG" "$dev" >/dev/null
  if [ -n "$size" ]; then
    lvcreate -q -y -L "$size" -n lv "$VG" >/dev/null
  else
    lvcreate -q -y -l 100%FREE -n lv "$VG" >/dev/null
  fi
  LV=/dev/$VG/lv
  wait_node "$LV"
}

# make_thin DEV POOL-SIZE LV-SIZE: DEV as the PV of a new VG with a thin
# pool "pool" of POOL-SIZE and a thin LV "thin" of (virtual) LV-SIZE.  Sets
# VG, POOL (VG/pool), LV (/dev/VG/thin).
make_thin() {
  stack_modules dm thin
  NVG=$((NVG + 1))
  VG=qgvg$NVG
  on_teardown _vg_off "$VG"
  pvcreate -q -y "$1" >/dev/null
  vgcreate -q "$VG" "$1" >/dev/null
  lvcreate -q -y --type thin-pool -L "$2" -n pool "$VG" >/dev/null
  lvcreate -q -y -V "$3" -T "$VG/pool" -n thin >/dev/null
  POOL=$VG/pool
  LV=/dev/$VG/thin
  wait_node "$LV"
}

# make_lvm_on_luks2 DEV [LV-SIZE]: LUKS2 (key file) on DEV, LVM inside.
# make_luks2_on_lvm DEV [LV-SIZE]: LVM on DEV, LUKS2 (key file) on its LV.
# Both set what make_luks2 and make_lvm set.
make_lvm_on_luks2() { make_luks2 "$1"; make_lvm "$CRYPT" "${2:-}"; }
make_luks2_on_lvm() { make_lvm "$1" "${2:-}"; make_luks2 "$LV"; }

# --- md RAID ---------------------------------------------------------------

# (with no udevd, mdadm makes /dev/md/NAME itself and leaves it dangling)
_md_stop() {
  if [ -e "$1" ]; then mdadm --stop "$1" >/dev/null || return; fi
  if [ -L "$1" ] && [ ! -e "$1" ]; then rm -f "$1"; fi
}

# make_raid1 DEV1 DEV2 [NAME]: a RAID1 array (metadata 1.2, no initial
# resync) of the two.  Sets MD (/dev/md/NAME).
make_raid1() {
  stack_modules raid
  NMD=$((NMD + 1))
  MD=/dev/md/${3:-qgmd$NMD}
  on_teardown _md_stop "$MD"
  mdadm --create "$MD" --run --quiet --level=1 --raid-devices=2 --metadata=1.2 \
    --assume-clean "$1" "$2" </dev/null
  wait_node "$MD"
}

# md_wait MD: until a resync or reshape in progress has ended.
md_wait() { mdadm --wait "$1" >/dev/null 2>&1 || true; }

# --- filesystems and data --------------------------------------------------

make_fs() {  # make_fs TYPE DEV
  case $1 in
    ext2|ext3|ext4) "mkfs.$1" -q -F "$2" ;;
    xfs) mkfs.xfs -q -f "$2" ;;
    btrfs) mkfs.btrfs -q -f "$2" >/dev/null ;;
    *) fail "make_fs: unknown type $1" ;;
  esac
}

_umount() { mountpoint -q "$1" || return 0; umount "$1" || umount -l "$1"; }

mount_fs() {  # mount_fs DEV [OPTIONS]: sets MNT
  MNT=$(mktemp -d "$WORK/mnt.XXXX")
  on_teardown _umount "$MNT"
  mount ${2:+-o "$2"} "$1" "$MNT"
}
unmount_fs() { umount "$1"; }

# write_data MNT [TAG] [MIB]: a file of random data (8 MiB) whose checksum
# check_data MNT [TAG] compares later.  TAG tells filesystems apart.
write_data() {
  dd if=/dev/urandom of="$1/data.bin" bs=1M count="${3:-8}" status=none
  sync
  sha256sum <"$1/data.bin" | cut -d' ' -f1 >"$WORK/data${2:+-$2}.sha"
}
check_data() {
  assert_eq "$(sha256sum <"$1/data.bin" | cut -d' ' -f1)" "$(cat "$WORK/data${2:+-$2}.sha")" \
    "checksum of the data written before${2:+ ($2)}"
}

# --- sizes (bytes) -----------------------------------------------------------

dev_size() { blockdev --getsize64 "$1"; }   # the kernel's size of a block device

# table_part_size DISK N: partition N's size as the table on DISK says.
table_part_size() {
  local ss
  ss=$(blockdev --getss "$1")
  sfdisk --json "$1" | jq -r --arg n "$(part_dev "$1" "$2")" \
    ".partitiontable.partitions[] | select(.node == \$n) | .size * $ss"
}

_lvm_field() {  # _lvm_field pvs|lvs|vgs FIELD WHAT
  "$1" --reportformat json --units b --nosuffix -o "$2" "$3" |
    jq -r ".report[0][] | .[0].$2"
}
pv_size() { _lvm_field pvs pv_size "$1"; }       # pv_size DEV
pv_dev_size() { _lvm_field pvs dev_size "$1"; }  # the device under the PV
vg_size() { _lvm_field vgs vg_size "$1"; }       # vg_size VG
vg_free() { _lvm_field vgs vg_free "$1"; }
lv_size() { _lvm_field lvs lv_size "$1"; }       # lv_size VG/LV

# _field_of NAME: the value of the "NAME : value" line on stdin (spaces
# around both trimmed); parsed here, not by sed/awk: every process costs
# under TCG.
_field_of() {
  local k v
  while IFS=: read -r k v; do
    k=${k#"${k%%[! ]*}"} k=${k%"${k##*[! ]}"}
    [ "$k" = "$1" ] || continue
    v=${v#"${v%%[! ]*}"}
    echo "$v"
    return 0
  done
  return 1
}

# crypt_field NAME FIELD: a line of `cryptsetup status NAME` (type, size,
# offset, key location, ...), as printed; crypt_size NAME: the mapping's.
crypt_field() { cryptsetup status "$1" | _field_of "$2"; }
crypt_size() {
  local v
  v=$(crypt_field "$1" size) || fail "no size in cryptsetup status $1"
  echo $(( ${v%% *} * 512 ))
}

# md_field MD FIELD: a line of `mdadm --detail MD` ("State", "Array Size",
# ...), as printed; md_size MD, md_dev_size MD: the array's and the
# members' used size.
md_field() { mdadm --detail "$1" | _field_of "$2"; }
md_size() {
  local v
  v=$(md_field "$1" "Array Size") || fail "no Array Size in mdadm --detail $1"
  echo $(( ${v%% *} * 1024 ))
}
md_dev_size() {
  local v
  v=$(md_field "$1" "Used Dev Size") || fail "no Used Dev Size in mdadm --detail $1"
  echo $(( ${v%% *} * 1024 ))
}

# fs_size TYPE DEV [MNT]: the filesystem's size as its own tools read it.
fs_size() {
  case $1 in
    ext*)
      local h
      h=$(dumpe2fs -h "$2" 2>/dev/null) || fail "dumpe2fs -h $2"
      echo $(( $(_field_of "Block count" <<<"$h") * $(_field_of "Block size" <<<"$h") )) ;;
    xfs)
      xfs_info "${3:-$2}" | sed -n 's/^data *= *bsize=\([0-9]*\) *blocks=\([0-9]*\).*/\1 \2/p' |
        awk '{ printf "%.0f\n", $1 * $2 }' ;;
    btrfs)
      btrfs filesystem show --raw "${3:-$2}" | awk '/devid/ { print $4 }' ;;
    *) fail "fs_size: unknown type $1" ;;
  esac
}

# --- checks ----------------------------------------------------------------

# check_grew WHAT BEFORE AFTER [MIN-BYTES]: AFTER must exceed BEFORE (by at
# least MIN-BYTES when given).
check_grew() {
  local what=$1 before=$2 after=$3 min=${4:-1}
  [[ $before =~ ^[0-9]+$ && $after =~ ^[0-9]+$ ]] ||
    fail "$what: sizes '$before' -> '$after' are not numbers"
  (( after - before >= min )) || fail "$what did not grow: $before -> $after bytes"
  note "$what: $before -> $after"
}

# is_mounted DEV: a filesystem on DEV (any of its names) is mounted.
is_mounted() {
  local mm
  mm=$(stat -L -c '%Hr:%Lr' "$1") || return 1
  awk -v mm="$mm" '$3 == mm { found = 1 } END { exit !found }' /proc/self/mountinfo
}

# check_fs TYPE DEV: the filesystem's own checker, read-only; DEV must be
# unmounted.
check_fs() {
  ! is_mounted "$2" || fail "check_fs: $2 is mounted"
  case $1 in
    ext*) e2fsck -fn "$2" ;;
    xfs) xfs_repair -n "$2" ;;
    btrfs) btrfs check "$2" ;;
    *) fail "check_fs: unknown type $1" ;;
  esac >"$WORK/fsck.log" 2>&1 || { cat "$WORK/fsck.log" >&2; fail "$1 check of $2 is not clean"; }
}

# check_table DISK: sgdisk -v (GPT) or sfdisk --verify (MBR) must be clean.
check_table() {
  if [ "$(sfdisk --json "$1" | jq -r .partitiontable.label)" = gpt ]; then
    sgdisk -v "$1" >"$WORK/sgdisk.log" 2>&1 || true
    grep -q '^No problems found' "$WORK/sgdisk.log" ||
      { cat "$WORK/sgdisk.log" >&2; fail "sgdisk -v $1 is not clean"; }
  else
    sfdisk --verify "$1" >"$WORK/verify.log" 2>&1 ||
      { cat "$WORK/verify.log" >&2; fail "sfdisk --verify $1 is not clean"; }
  fi
}

# check_crypt NAME [TYPE]: the mapping is active (of TYPE: LUKS1, LUKS2).
check_crypt() {
  cryptsetup status "$1" >"$WORK/crypt.log" 2>&1 ||
    { cat "$WORK/crypt.log" >&2; fail "$1 is not an active crypt mapping"; }
  [ -z "${2:-}" ] || assert_eq "$(crypt_field "$1" type)" "$2" "type of $1"
}

# check_lvm VG: vgck finds the VG's metadata consistent.
check_lvm() {
  vgck "$1" >"$WORK/vgck.log" 2>&1 || { cat "$WORK/vgck.log" >&2; fail "vgck $1"; }
}

# check_md MD: every member active, none failed (a resync may still run).
check_md() {
  mdadm --detail "$1" >/dev/null || fail "mdadm --detail $1"
  assert_eq "$(md_field "$1" "Failed Devices")" 0 "failed devices of $1"
  assert_eq "$(md_field "$1" "Active Devices")" "$(md_field "$1" "Raid Devices")" \
    "active devices of $1"
}

# disk_record DISK / check_disk_identical DISK: the image must be byte for
# byte the same after (a refused run writes nothing) as before.  Both write
# everything through first (sync, flushbufs), then take the sha256 of the
# image's length, its map of data and holes and its data: the same as a
# sha256 of every byte (a write into a hole shows in the map; on the
# guest's tmpfs, reads never change it) but it reads only the data (a full
# sha256 of a 192 MiB image takes 7 s under TCG).  Whoever writes
# meanwhile must be quiet: freeze_fs a mounted filesystem; md updates its
# superblock on its own.
declare -A DISK_SUM=()
_disk_sum() {
  sync
  blockdev --flushbufs "$1"
  image_content "${DISK_IMG[$1]}" | sha256sum | cut -d' ' -f1
}
disk_record() { DISK_SUM[$1]=$(_disk_sum "$1"); }
check_disk_identical() {
  [ -n "${DISK_SUM[$1]:-}" ] || fail "check_disk_identical $1: no disk_record"
  assert_eq "$(_disk_sum "$1")" "${DISK_SUM[$1]}" "sha256 of $1's image"
}

# freeze_fs MNT / thaw_fs MNT: fsfreeze (thawed on exit, before unmounting).
_thaw() { fsfreeze -u "$1" 2>/dev/null || true; }
freeze_fs() { on_teardown _thaw "$1"; fsfreeze -f "$1"; }
thaw_fs() { fsfreeze -u "$1"; }

stack_init
