# The benchmark's disks, on top of tests/loop/lib.sh (source that first).

# A fresh GPT disk of FROM with one partition holding a mounted FS, then
# enlarged to TO; sets DISK, PART, MNT.
setup_disk() {  # setup_disk FS FROM TO
  make_disk "$2"
  partition "$DISK" "label: gpt
,"
  PART=$(part_dev "$DISK" 1)
  make_fs "$1" "$PART"
  mount_fs "$PART"
  enlarge "$DISK" "$3"
  sync
}

# Undo setup_disk now, so that loop devices and space do not pile up; the
# exit trap still covers a failure half-way.
drop_disk() {
  umount "$MNT"
  losetup -d "$DISK"
  rm -f "$WORK"/disk*.img
  rmdir "$MNT"
  LOOPS=() MOUNTS=() NDISK=0
}

# The floor's partition is grown beforehand, by sfdisk and partx rather
# than by either contender; sets PART_BYTES to its new size.
grow_partition_untimed() {
  echo ', +' | sfdisk -q --no-reread --no-tell-kernel -N 1 "$DISK" >/dev/null 2>&1 ||
    fail "sfdisk could not grow partition 1 of $DISK"
  partx -u -n 1 "$DISK"
  PART_BYTES=$(blockdev --getsize64 "$PART")
}
