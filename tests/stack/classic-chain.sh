#!/bin/bash
# The classic chain, by hand, on the storage stacks qga-grow is to grow: the
# baseline the project compares against, and the proof that tests/stack/
# lib.sh builds, checks and tears down each stack.  Every case builds its
# stack on loop disks whose partition fills the disk, mounts the filesystem
# on top, writes data, enlarges the disk images by 64 MiB (truncate +
# losetup -c) and grows every layer with the usual tools (growpart;
# cryptsetup resize; pvresize; lvextend; mdadm --grow --size=max;
# resize2fs / xfs_growfs), all online; then each layer must have grown by
# nearly all of it, and the table (sgdisk -v), the VG (vgck), the crypt
# mapping, the array, the data and fsck must be fine.  Runs in the QEMU
# guest (lib.sh).
#   classic-chain.sh [CASE...]   (default: all of them)
# CASE: lvm            ext4 on LVM on a partition
#       luks2-xfs      xfs on LUKS2 (key file) on a partition
#       lvm-on-luks2   ext4 on LVM on LUKS2 (key file)
#       raid1          ext4 on md RAID1 of two disks' partitions
#       luks1          ext4 on LUKS1 (resized with no key)
#       luks2-token    ext4 on LUKS2 opened and resized by its keyring token
#       luks2-on-lvm   ext4 on LUKS2 (key file) on LVM
#       thin           ext4 on a thin LV of a thin pool on a partition
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

GROW=64M
MIN=$((60 << 20))   # every layer grows by at least this much of the 64 MiB

quiet() { "$@" >"$WORK/quiet.log" 2>&1 || { cat "$WORK/quiet.log" >&2; fail "$*"; }; }

# the filesystem on DEV, mounted with data: sets MNT, and FS_BEFORE
fs_with_data() {  # fs_with_data TYPE DEV
  make_fs "$1" "$2"
  mount_fs "$2"
  write_data "$MNT"
  FS_BEFORE=$(fs_size "$1" "$2" "$MNT")
}

grow_fs() {  # grow_fs TYPE DEV MNT
  case $1 in
    ext4) quiet resize2fs "$2" ;;
    xfs) quiet xfs_growfs "$3" ;;
  esac
}

# the filesystem grew, its data reads back, and, unmounted, it checks clean
check_fs_end() {  # check_fs_end TYPE DEV MNT
  check_grew "$1 on $2" "$FS_BEFORE" "$(fs_size "$1" "$2" "$3")" "$((MIN - (4 << 20)))"
  check_data "$3"
  unmount_fs "$3"
  check_fs "$1" "$2"
}

case_lvm() {
  local disk part vg lv mnt b_part b_pv b_lv
  make_disk 128M; disk=$DISK
  partition_disk "$disk" "" lvm; part=$PART
  make_lvm "$part"; vg=$VG lv=$LV
  fs_with_data ext4 "$lv"; mnt=$MNT
  b_part=$(dev_size "$part") b_pv=$(pv_size "$part") b_lv=$(lv_size "$vg/lv")

  enlarge "$disk" "+$GROW"
  quiet growpart "$disk" 1
  quiet pvresize "$part"
  quiet lvextend -l +100%FREE "$vg/lv"
  grow_fs ext4 "$lv" "$mnt"

  check_grew partition "$b_part" "$(dev_size "$part")" "$MIN"
  check_grew PV "$b_pv" "$(pv_size "$part")" "$MIN"
  check_grew LV "$b_lv" "$(lv_size "$vg/lv")" "$MIN"
  check_table "$disk"
  check_lvm "$vg"
  check_fs_end ext4 "$lv" "$mnt"
}

case_luks2-xfs() {
  local disk part name mnt b_part b_crypt
  # xfs refuses to make a filesystem of 300 MB or less
  make_disk 340M; disk=$DISK
  partition_disk "$disk"; part=$PART
  make_luks2 "$part"; name=$CRYPT_NAME
  fs_with_data xfs "$CRYPT"; mnt=$MNT
  b_part=$(dev_size "$part") b_crypt=$(crypt_size "$name")

  enlarge "$disk" "+$GROW"
  quiet growpart "$disk" 1
  # LUKS2 keeps the volume key in the kernel keyring, out of reach: a
  # resize without the key is refused, and changes nothing
  expect_exit nonzero cryptsetup resize "$name"
  assert_eq "$(crypt_size "$name")" "$b_crypt" "LUKS2 size after a resize without its key"
  quiet cryptsetup resize --key-file "$KEYFILE" "$name"
  grow_fs xfs "$CRYPT" "$mnt"

  check_grew partition "$b_part" "$(dev_size "$part")" "$MIN"
  check_grew LUKS2 "$b_crypt" "$(crypt_size "$name")" "$MIN"
  check_table "$disk"
  check_crypt "$name" LUKS2
  check_fs_end xfs "$CRYPT" "$mnt"
}

case_lvm-on-luks2() {
  local disk part name vg lv mnt b_part b_crypt b_pv b_lv
  make_disk 128M; disk=$DISK
  partition_disk "$disk"; part=$PART
  make_lvm_on_luks2 "$part"; name=$CRYPT_NAME vg=$VG lv=$LV
  fs_with_data ext4 "$lv"; mnt=$MNT
  b_part=$(dev_size "$part") b_crypt=$(crypt_size "$name")
  b_pv=$(pv_size "$CRYPT") b_lv=$(lv_size "$vg/lv")

  enlarge "$disk" "+$GROW"
  quiet growpart "$disk" 1
  quiet cryptsetup resize --key-file "$KEYFILE" "$name"
  quiet pvresize "$CRYPT"
  quiet lvextend -l +100%FREE "$vg/lv"
  grow_fs ext4 "$lv" "$mnt"

  check_grew partition "$b_part" "$(dev_size "$part")" "$MIN"
  check_grew LUKS2 "$b_crypt" "$(crypt_size "$name")" "$MIN"
  check_grew PV "$b_pv" "$(pv_size "/dev/mapper/$name")" "$MIN"
  check_grew LV "$b_lv" "$(lv_size "$vg/lv")" "$MIN"
  check_table "$disk"
  check_crypt "$name" LUKS2
  check_lvm "$vg"
  check_fs_end ext4 "$lv" "$mnt"
}

case_raid1() {
  local d1 d2 p1 p2 md mnt b_p1 b_p2 b_md b_dev
  make_disk 96M; d1=$DISK
  partition_disk "$d1" "" raid; p1=$PART
  make_disk 96M; d2=$DISK
  partition_disk "$d2" "" raid; p2=$PART
  make_raid1 "$p1" "$p2"; md=$MD
  fs_with_data ext4 "$md"; mnt=$MNT
  b_p1=$(dev_size "$p1") b_p2=$(dev_size "$p2") b_md=$(md_size "$md") b_dev=$(md_dev_size "$md")

  enlarge "$d1" "+$GROW"
  enlarge "$d2" "+$GROW"
  quiet growpart "$d1" 1
  quiet growpart "$d2" 1
  quiet mdadm --grow "$md" --size=max
  grow_fs ext4 "$md" "$mnt"
  md_wait "$md"   # the resync of the added part

  check_grew "partition 1 of $d1" "$b_p1" "$(dev_size "$p1")" "$MIN"
  check_grew "partition 1 of $d2" "$b_p2" "$(dev_size "$p2")" "$MIN"
  check_grew "md members' used size" "$b_dev" "$(md_dev_size "$md")" "$MIN"
  check_grew "md array" "$b_md" "$(md_size "$md")" "$MIN"
  check_table "$d1"
  check_table "$d2"
  check_md "$md"
  check_fs_end ext4 "$md" "$mnt"
}

case_luks1() {
  local disk part name mnt b_crypt
  make_disk 128M; disk=$DISK
  partition_disk "$disk"; part=$PART
  make_luks1 "$part"; name=$CRYPT_NAME
  fs_with_data ext4 "$CRYPT"; mnt=$MNT
  b_crypt=$(crypt_size "$name")

  enlarge "$disk" "+$GROW"
  quiet growpart "$disk" 1
  # LUKS1: the volume key is in the dm table, no key needed
  expect_exit 0 cryptsetup resize "$name"
  grow_fs ext4 "$CRYPT" "$mnt"

  check_grew LUKS1 "$b_crypt" "$(crypt_size "$name")" "$MIN"
  check_table "$disk"
  check_crypt "$name" LUKS1
  check_fs_end ext4 "$CRYPT" "$mnt"
}

case_luks2-token() {
  local disk part name mnt b_crypt
  make_disk 128M; disk=$DISK
  partition_disk "$disk"; part=$PART
  make_luks2_token "$part"; name=$CRYPT_NAME
  fs_with_data ext4 "$CRYPT"; mnt=$MNT
  b_crypt=$(crypt_size "$name")

  enlarge "$disk" "+$GROW"
  quiet growpart "$disk" 1
  # without the passphrase in the keyring the token unlocks nothing: the
  # resize is refused and the disk left as it was ...
  keyring_drop "$KEY_SERIAL"
  freeze_fs "$mnt"
  disk_record "$disk"
  expect_exit nonzero cryptsetup resize "$name"
  check_disk_identical "$disk"
  thaw_fs "$mnt"
  assert_eq "$(crypt_size "$name")" "$b_crypt" "LUKS2 size after a resize with no key anywhere"
  # ... with it, a plain resize (no key file, no prompt) goes through
  keyring_add "$KEYDESC" "$KEYFILE"
  expect_exit 0 cryptsetup resize "$name"
  grow_fs ext4 "$CRYPT" "$mnt"

  check_grew "LUKS2 (token)" "$b_crypt" "$(crypt_size "$name")" "$MIN"
  check_crypt "$name" LUKS2
  check_fs_end ext4 "$CRYPT" "$mnt"
}

case_luks2-on-lvm() {
  local disk part name vg lv mnt b_pv b_lv b_crypt
  make_disk 128M; disk=$DISK
  partition_disk "$disk" "" lvm; part=$PART
  make_luks2_on_lvm "$part"; name=$CRYPT_NAME vg=$VG lv=$LV
  fs_with_data ext4 "$CRYPT"; mnt=$MNT
  b_pv=$(pv_size "$part") b_lv=$(lv_size "$vg/lv") b_crypt=$(crypt_size "$name")

  enlarge "$disk" "+$GROW"
  quiet growpart "$disk" 1
  quiet pvresize "$part"
  quiet lvextend -l +100%FREE "$vg/lv"
  quiet cryptsetup resize --key-file "$KEYFILE" "$name"
  grow_fs ext4 "$CRYPT" "$mnt"

  check_grew PV "$b_pv" "$(pv_size "$part")" "$MIN"
  check_grew LV "$b_lv" "$(lv_size "$vg/lv")" "$MIN"
  check_grew LUKS2 "$b_crypt" "$(crypt_size "$name")" "$MIN"
  check_lvm "$vg"
  check_crypt "$name" LUKS2
  check_fs_end ext4 "$CRYPT" "$mnt"
}

case_thin() {
  local disk part vg lv mnt b_pool b_lv
  make_disk 128M; disk=$DISK
  partition_disk "$disk" "" lvm; part=$PART
  make_thin "$part" 96M 64M; vg=$VG lv=$LV
  fs_with_data ext4 "$lv"; mnt=$MNT
  b_pool=$(lv_size "$vg/pool") b_lv=$(lv_size "$vg/thin")

  enlarge "$disk" "+$GROW"
  quiet growpart "$disk" 1
  quiet pvresize "$part"
  quiet lvextend -l +100%FREE "$vg/pool"
  quiet lvextend -L "+$GROW" "$vg/thin"
  grow_fs ext4 "$lv" "$mnt"

  check_grew "thin pool" "$b_pool" "$(lv_size "$vg/pool")" "$((MIN - (8 << 20)))"
  check_grew "thin LV" "$b_lv" "$(lv_size "$vg/thin")" "$MIN"
  check_lvm "$vg"
  check_fs_end ext4 "$lv" "$mnt"
}

all=(lvm luks2-xfs lvm-on-luks2 raid1 luks1 luks2-token luks2-on-lvm thin)
cases=("$@")
[ $# -gt 0 ] || cases=("${all[@]}")
for c in "${cases[@]}"; do
  declare -F "case_$c" >/dev/null || fail "unknown case $c (cases: ${all[*]})"
done
for c in "${cases[@]}"; do
  t0=$SECONDS
  note "case $c"
  "case_$c"
  stack_release
  check_released
  echo "ok: $c ($((SECONDS - t0)) s)"
done
echo "ok: classic chain on ${#cases[@]} stacks"
