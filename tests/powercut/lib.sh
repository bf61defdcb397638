# shellcheck shell=bash
# Helpers for the power-cut tests (TORTURE.md, "Power cuts"): a disk whose
# every write is logged by dm-log-writes while a grow runs on it, and the
# checks a replayed cut point must pass, as a fresh boot would see the disk.
# Built on tests/stack/lib.sh (the QEMU guest, teardown, LUKS2 and LVM).
#
# The logged disk, bottom-up:
#   IMG (a sparse file, already of the enlarged size S1)
#   -> loop A -> dm "log-writes" (every write, flush, FUA and discard,
#      logged in the order they reached the disk, into loop L on LOG)
#   -> dm "linear" of the old size S0 (reloaded with S1: the "enlargement")
#   -> loop B (partitions scanned, direct I/O): the disk qga-grow sees.
# The log starts with the disk as BASE holds it (a copy of IMG taken before),
# so BASE plus a prefix of the log is the disk as a power cut at that point
# would have left it.
HERE_PC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE_PC/../stack/lib.sh"
. "$HERE_PC/../loop/debian-table.sh"

# stack/lib.sh's fail(), naming the cut point being checked (PC_WHAT)
fail() { echo "FAIL: ${PC_WHAT:+$PC_WHAT: }$*" >&2; exit 1; }

MiB=$((1 << 20))
PC_S0=$((384 * MiB))   # the disk before ...
PC_S1=$((512 * MiB))   # ... and after its enlargement

# --- the case's stack -------------------------------------------------------

# pc_open_stack PART: open what lies on PART (LUKS2 with the case's key file,
# the VG) as a boot would; sets PC_DEV, the filesystem's device.
pc_open_stack() {
  local dev=$1
  case $PC_STACK in
    luks2|lvm-on-luks2)
      cryptsetup open --key-file "$KEYFILE" "$dev" "$CRYPT_NAME" ||
        fail "cryptsetup open $dev"
      dev=$CRYPT ;;
  esac
  case $PC_STACK in
    lvm|lvm-on-luks2)
      vgchange -q -ay "$VG" >/dev/null 2>"$WORK/vg.err" ||
        { cat "$WORK/vg.err" >&2; fail "vgchange -ay $VG"; }
      wait_node "$LV"
      dev=$LV ;;
  esac
  PC_DEV=$dev
}

# pc_close_stack: close it again (top-down).
pc_close_stack() {
  case $PC_STACK in lvm|lvm-on-luks2) vgchange -q -an "$VG" >/dev/null ;; esac
  case $PC_STACK in luks2|lvm-on-luks2) cryptsetup close "$CRYPT_NAME" ;; esac
}

# --move-swap's cases: STACK swap (partition 1, then a swap partition 2 up
# to the disk's end) or swapext (the Debian installer's layout, MBR only:
# partition 1, then extended partition 2 at the disk's end holding swap
# partition 5).  The swap is on while the grow moves it; every cut point
# must keep a swap with its UUID and label where the table has it.
PC_SWAP_UUID=7c7c7c7c-3456-6543-cdef-23456789abcd
PC_SWAP_NO=''     # the swap's partition number; empty: no swap case

# pc_swap_table: the swap case's table on DISK (PC_STACK), the swap made;
# sets PART (partition 1) and PC_SWAP_NO.
pc_swap_table() {
  case $PC_STACK in
    swap)
      partition "$DISK" "label: $PC_LABEL
,$(( (PC_S0 >> 20) - 34 ))M,L
,,S"
      PC_SWAP_NO=2 ;;
    swapext)
      [ "$PC_LABEL" = dos ] || fail "the swapext case is an MBR layout"
      partition "$DISK" "$(debian_mbr_table "$PC_S0" 32)"
      PC_SWAP_NO=5 ;;
  esac
  PART=$(part_dev "$DISK" 1)
  wait_node "$(part_dev "$DISK" "$PC_SWAP_NO")"
  mkswap -L qgswap -U "$PC_SWAP_UUID" "$(part_dev "$DISK" "$PC_SWAP_NO")" >/dev/null
}

# pc_check_swap DISK WHAT: the partition table of DISK has the swap where
# its signature, UUID and label are: what a boot finds by fstab's UUID.
pc_check_swap() {
  local sw
  sw=$(part_dev "$1" "$PC_SWAP_NO")
  wait_node "$sw"
  assert_eq "$(blkid -p -o value -s TYPE "$sw")/$(blkid -p -o value -s UUID "$sw")/$(blkid -p -o value -s LABEL "$sw")" \
    "swap/$PC_SWAP_UUID/qgswap" "$2: the swap where the table has it"
}

# pc_build_base LABEL FS STACK: the starting disk, unmounted and closed:
# one partition over the whole of S0 on a LABEL table (the swap cases: the
# partition and the swap, pc_swap_table), STACK (none, luks2, lvm,
# lvm-on-luks2, swap, swapext) on it, FS with data.bin (its checksum kept);
# IMG then extended to S1 (zeroes past S0, as a hypervisor grows a raw
# disk), and BASE a copy of it.  Sets PC_LABEL, PC_FS, PC_STACK, IMG, BASE.
pc_build_base() {
  PC_LABEL=$1 PC_FS=$2 PC_STACK=$3 PC_SWAP_NO=''
  make_disk "$PC_S0"
  case $PC_STACK in
    swap|swapext) pc_swap_table ;;
    *) partition_disk "$DISK" "" linux "$PC_LABEL" ;;
  esac
  case $PC_STACK in
    none|swap|swapext) PC_DEV=$PART ;;
    luks2) make_luks2 "$PART"; PC_DEV=$CRYPT ;;
    lvm) make_lvm "$PART"; PC_DEV=$LV ;;
    lvm-on-luks2) make_lvm_on_luks2 "$PART"; PC_DEV=$LV ;;
    *) fail "unknown stack $PC_STACK" ;;
  esac
  make_fs "$PC_FS" "$PC_DEV"
  pc_lvm_area
  mount_fs "$PC_DEV"
  write_data "$MNT" base
  umount "$MNT"
  pc_close_stack
  _detach_loop "$DISK" "$IMG"
  truncate -s "$PC_S1" "$IMG"
  BASE=$WORK/base.img
  cp --sparse=always "$IMG" "$BASE"
  PC_START=$(sfdisk --json "$BASE" | jq -r '.partitiontable.partitions[0].start')
  PC_OLD_SECTORS=$(sfdisk --json "$BASE" | jq -r '.partitiontable.partitions[0].size')
}

# pc_lvm_area: where LVM's label and metadata area lie on the disk, in
# 512-byte sectors from its start (PC_LVM_FIRST up to PC_LVM_END): from the
# PV's start (the partition's, past the LUKS2 header where there is one) to
# its first extent.  Empty without LVM.
pc_lvm_area() {
  PC_LVM_FIRST='' PC_LVM_END=''
  case $PC_STACK in lvm|lvm-on-luks2) ;; *) return 0 ;; esac
  local pv=$PART part_start crypt_off=0 pe_start
  part_start=$(cat "/sys/class/block/${PART##*/}/start")
  if [ "$PC_STACK" = lvm-on-luks2 ]; then
    pv=$CRYPT
    crypt_off=$(cryptsetup status "$CRYPT_NAME" | awk '$1 == "offset:" { print $2 }')
  fi
  pe_start=$(pvs --noheadings --nosuffix --units s -o pe_start "$pv" | tr -d ' ')
  [ -n "$crypt_off" ] && [ -n "$pe_start" ] || fail "cannot find LVM's area on $pv"
  PC_LVM_FIRST=$((part_start + crypt_off))
  PC_LVM_END=$((PC_LVM_FIRST + pe_start))
}

# pc_check_lvm_order ENTRIES: between the marks grow-start and grow-end of
# the log's list (replay-log list), no two writes to LVM's area without a
# flush between them (or a FUA write): LVM's metadata text is on stable
# storage before the header that points at it is written (lvm-dsync.so;
# without it a cut could keep the header and lose the text).  Prints how
# many such writes there were.
pc_check_lvm_order() {
  awk -v first="$PC_LVM_FIRST" -v end="$PC_LVM_END" '
    $2 == "M" && $5 == "grow-start" { on = 1; next }
    $2 == "M" && $5 == "grow-end" { on = 0 }
    !on || $2 == "M" { next }
    $2 ~ /F/ { pending = "" }
    $2 !~ /D/ && $4 > 0 && $3 < end && $3 + $4 > first {
      n++
      if (pending != "" && $2 !~ /U/) {
        printf "LVM area writes at entries %s and %s with no flush between them\n", pending, $1
        bad = 1
      }
      pending = $2 ~ /U/ ? "" : $1
    }
    END { if (bad) exit 1; print n + 0 }' "$1"
}

# --- the logged disk ----------------------------------------------------------

PC_NAME=qgpc$$
_dm_remove() { [ -e "/dev/mapper/$1" ] || return 0; dmsetup remove "$1"; }
_loop_off() { [ -n "$1" ] && [ -b "$1" ] && _detach_loop "$1" "$2"; return 0; }

# pc_log_start: put IMG under dm-log-writes as described above; sets LOG,
# PC_LW (the log-writes mapping's name), PC_DISK (loop B), PC_PART.
pc_log_start() {
  stack_modules faults
  LOG=$WORK/log.img
  truncate -s 2G "$LOG"
  PC_LOOPA=$(losetup --find --show "$IMG")
  on_teardown _loop_off "$PC_LOOPA" "$IMG"
  PC_LOOPL=$(losetup --find --show "$LOG")
  on_teardown _loop_off "$PC_LOOPL" "$LOG"
  PC_LW=$PC_NAME-lw PC_LIN=$PC_NAME-disk
  on_teardown _dm_remove "$PC_LW"
  dmsetup create "$PC_LW" --table "0 $((PC_S1 / 512)) log-writes $PC_LOOPA $PC_LOOPL"
  on_teardown _dm_remove "$PC_LIN"
  dmsetup create "$PC_LIN" --table "0 $((PC_S0 / 512)) linear /dev/mapper/$PC_LW 0"
  PC_DISK=$(losetup --find --show --partscan --direct-io=on "/dev/mapper/$PC_LIN")
  on_teardown _loop_off "$PC_DISK" "/dev/mapper/$PC_LIN"
  partx -a "$PC_DISK" 2>/dev/null || true
  PC_PART=$(part_dev "$PC_DISK" 1)
  wait_node "$PC_PART"
}

pc_mark() { dmsetup message "$PC_LW" 0 mark "$1"; }

# pc_enlarge: the disk grows to S1 under the running system, as a
# hypervisor's block resize (the kernel sees it through loop B).
pc_enlarge() {
  dmsetup reload "$PC_LIN" --table "0 $((PC_S1 / 512)) linear /dev/mapper/$PC_LW 0"
  dmsetup resume "$PC_LIN"
  losetup -c "$PC_DISK"
  assert_eq "$(blockdev --getsize64 "$PC_DISK")" "$PC_S1" "the disk's size after its enlargement"
}

# pc_disk_and_linear_stop: loop B (PC_DISK) detached and the linear mapping
# under it removed (loop B lets go of the mapping asynchronously).
pc_disk_and_linear_stop() {
  losetup -d "$PC_DISK"
  local t
  for ((t = 0; t < 50; t++)); do
    dmsetup remove "$PC_LIN" 2>/dev/null && break
    sleep 0.1
  done
  [ ! -e "/dev/mapper/$PC_LIN" ] || fail "cannot remove $PC_LIN"
}

# pc_log_stop: everything above the log closed; the log is complete (the
# target writes its last entries and header when it is removed).
pc_log_stop() {
  pc_disk_and_linear_stop
  dmsetup remove "$PC_LW"
  losetup -d "$PC_LOOPA"
  losetup -d "$PC_LOOPL"
}

# --- replayed cut points --------------------------------------------------------

# pc_point_image OUT FIRST LAST [SKIP]: OUT is the disk at cut point LAST:
# BASE with entries 0..LAST applied (but SKIP, comma-separated), made from
# the state file CUR (BASE with entries up to FIRST-1 applied).
pc_point_image() {
  cp --sparse=always "$CUR" "$1"
  [ "$2" -gt "$3" ] || "$REPLAY" apply "$LOG" "$1" "$2" "$3" ${4:+"$4"}
}

# pc_why_no_mount: what the kernel said and what the filesystem's checker
# finds on PC_DEV, for a replayed disk that did not mount (read only: the
# checkers run in their no-modify modes).
pc_why_no_mount() {
  echo "--- the kernel's last messages:" >&2
  dmesg | tail -n 30 >&2
  echo "--- $PC_FS check of $PC_DEV (no changes made):" >&2
  case $PC_FS in
    ext4) e2fsck -fn "$PC_DEV" ;;
    xfs) xfs_repair -n "$PC_DEV" ;;
    btrfs) btrfs check "$PC_DEV" ;;
  esac 2>&1 | tail -n 40 >&2 || true
  [ "$PC_FS" != ext4 ] || { echo "--- dumpe2fs -h:" >&2; dumpe2fs -h "$PC_DEV" 2>&1 | tail -n 30 >&2 || true; }
}

# pc_check_point IMAGE WHAT: the disk IMAGE, as a fresh boot sees it: the
# table verifies (or a rerun rewrites it from its valid copy), the stack
# opens, the filesystem mounts, its data has its checksums and it is clean;
# then a qga-grow rerun on the mountpoint completes the grow (exit 0 or 1),
# another has nothing to do, and everything verifies clean and full.
# Counts PC_TABLE_REPAIRED, PC_RERUN_GREW, PC_SB_MENDED (xfs's stale
# secondary superblocks rewritten by the rerun), PC_JOURNAL_BY_FSCK (ext4's
# journal replayed by e2fsck before the mount).
pc_check_point() {
  local img=$1 what=$2 d p mnt rc table_ok=1 end want
  PC_WHAT=$what
  d=$(losetup --find --show --partscan "$img")
  on_teardown _loop_off "$d" "$img"
  partx -a "$d" 2>/dev/null || true
  p=$(part_dev "$d" 1)
  wait_node "$p"
  # The table as the boot finds it: partition 1 where it was, of its old
  # size or grown to the disk's end; a grown one must verify clean, or be
  # mended by the rerun (rewritten from its valid copy).  (An old one does
  # not verify on GPT: its backup is not at the enlarged disk's end.)  A
  # swap that moves is where the table has it, old place or new.
  local size1
  size1=$(sfdisk --json "$d" | jq -r --arg n "$p" \
    '.partitiontable.partitions[] | select(.node == $n) | "\(.start) \(.size)"')
  [ "${size1% *}" = "$PC_START" ] || fail "$what: partition 1 starts at '${size1% *}', not $PC_START"
  if [ "${size1#* }" != "$PC_OLD_SECTORS" ]; then
    if [ "$PC_LABEL" = gpt ]; then
      sgdisk -v "$d" >"$WORK/sgdisk.log" 2>&1 || true
      grep -q '^No problems found' "$WORK/sgdisk.log" || table_ok=0
    else
      sfdisk --verify "$d" >"$WORK/verify.log" 2>&1 || table_ok=0
    fi
  fi
  [ -z "$PC_SWAP_NO" ] || pc_check_swap "$d" "$what"
  pc_open_stack "$p"
  mnt=$WORK/pmnt
  mkdir -p "$mnt"
  on_teardown _umount "$mnt"
  # ext4 checks its group descriptors against the superblock on the disk
  # before it replays its journal: a cut while the journal's checkpoint was
  # writing the resize's blocks home (the superblock with the new size
  # there, the new groups' descriptor block not yet) fails the mount,
  # although the journal holds both.  A boot's fsck (systemd-fsck, e2fsck
  # -p) replays the journal before the mount; so does this check, the
  # replay only, and then everything else must pass as usual.
  if ! mount "$PC_DEV" "$mnt" 2>"$WORK/mount.err"; then
    local jrc=0
    if [ "$PC_FS" = ext4 ] && dumpe2fs -h "$PC_DEV" 2>/dev/null | grep -q '^Filesystem features:.*needs_recovery'; then
      e2fsck -p -E journal_only "$PC_DEV" >"$WORK/journal.log" 2>&1 || jrc=$?
      if [ "$jrc" -le 1 ] && mount "$PC_DEV" "$mnt" 2>>"$WORK/mount.err"; then
        note "$what: ext4 did not mount before its journal was replayed; e2fsck -E journal_only replayed it ($(head -c 300 "$WORK/mount.err" | tr '\n' ' '))"
        PC_JOURNAL_BY_FSCK=$((PC_JOURNAL_BY_FSCK + 1))
      else
        cat "$WORK/mount.err" "$WORK/journal.log" >&2
        pc_why_no_mount
        fail "$what: $PC_DEV does not mount, even after e2fsck replayed its journal (exit $jrc)"
      fi
    else
      cat "$WORK/mount.err" >&2
      pc_why_no_mount
      fail "$what: $PC_DEV does not mount"
    fi
  fi
  check_data "$mnt" base
  check_data "$mnt/logged" logged
  umount "$mnt"
  # xfs cut after its growfs transaction but before the secondary
  # superblocks the kernel writes outside its log: xfs_repair -n stops at
  # them (TORTURE.md); allowed only if the rerun finds and rewrites them
  local sb_stale=0
  if [ "$PC_FS" = xfs ]; then
    xfs_repair -n "$PC_DEV" >"$WORK/fsck.log" 2>&1 || {
      grep -Eq 'would write modified primary superblock|primary/secondary superblock [0-9]+ conflict' \
        "$WORK/fsck.log" || { cat "$WORK/fsck.log" >&2; fail "$what: xfs check of $PC_DEV is not clean"; }
      sb_stale=1
    }
  else
    check_fs "$PC_FS" "$PC_DEV"
  fi
  mount "$PC_DEV" "$mnt"
  rc=0
  "$QG" --json ${KEYFILE:+--key-file "$KEYFILE"} ${PC_SWAP_NO:+--move-swap} "$mnt" </dev/null \
    >"$WORK/rerun.json" 2>"$WORK/rerun.err" || rc=$?
  [ "$rc" = 0 ] || [ "$rc" = 1 ] ||
    { cat "$WORK/rerun.json" "$WORK/rerun.err" >&2; fail "$what: the rerun exited $rc"; }
  [ "$rc" = 0 ] && PC_RERUN_GREW=$((PC_RERUN_GREW + 1))
  if [ "$sb_stale" = 1 ]; then
    [ "$rc" = 0 ] && jq -e '.warnings | any(contains("secondary superblocks"))' "$WORK/rerun.json" >/dev/null ||
      { cat "$WORK/fsck.log" "$WORK/rerun.json" >&2; fail "$what: xfs_repair -n was not clean and the rerun did not rewrite stale secondary superblocks"; }
    note "$what: xfs's secondary superblocks were stale; the rerun rewrote them"
    PC_SB_MENDED=$((PC_SB_MENDED + 1))
  fi
  rc=0
  "$QG" --json ${KEYFILE:+--key-file "$KEYFILE"} ${PC_SWAP_NO:+--move-swap} "$mnt" </dev/null \
    >"$WORK/again.json" 2>"$WORK/again.err" || rc=$?
  [ "$rc" = 1 ] || { cat "$WORK/again.json" "$WORK/again.err" >&2; fail "$what: a second rerun exited $rc, want 1"; }
  # the partition ends at the disk's last usable sector (with a swap that
  # moved: where partition 2 starts, which ends in the disk's last MiB
  # before that sector); every layer above fills the one below (the
  # report's sizes: the layers' own tools')
  end=$(sfdisk --json "$d" | jq -r --arg n "$p" \
    '.partitiontable.partitions[] | select(.node == $n) | .start + .size')
  want=$((PC_S1 / 512 - 33))   # GPT's backup; MBR as growpart leaves it
  if [ -n "$PC_SWAP_NO" ]; then
    local p2_end
    p2_end=$(sfdisk --json "$d" | jq -r --arg n "$(part_dev "$d" 2)" \
      '.partitiontable.partitions[] | select(.node == $n) | .start + .size')
    (( p2_end <= want && p2_end > want - 2048 )) ||
      fail "$what: partition 2 ends at $p2_end, not in the MiB before $want"
    want=$(sfdisk --json "$d" | jq -r --arg n "$(part_dev "$d" 2)" \
      '.partitiontable.partitions[] | select(.node == $n) | .start')
    pc_check_swap "$d" "$what, after the rerun"
  fi
  assert_eq "$end" "$want" "$what: end of partition 1 after the rerun"
  jq -e '[.layers[].changed] | any | not' "$WORK/again.json" >/dev/null ||
    { cat "$WORK/again.json" >&2; fail "$what: a layer is not grown after the rerun"; }
  local fs_size dev_size
  fs_size=$(jq -r '.layers[-1].size' "$WORK/again.json")
  dev_size=$(blockdev --getsize64 "$PC_DEV")
  [ "$fs_size" -le "$dev_size" ] && [ $((dev_size - fs_size)) -lt $((dev_size / 100 + 4 * MiB)) ] ||
    fail "$what: $PC_FS of $fs_size bytes on $dev_size"
  check_data "$mnt" base
  umount "$mnt"
  check_fs "$PC_FS" "$PC_DEV"
  pc_close_stack
  check_table "$d"
  [ "$table_ok" = 1 ] || {
    note "$what: the grown table did not verify; the rerun mended it"
    PC_TABLE_REPAIRED=$((PC_TABLE_REPAIRED + 1))
  }
  losetup -d "$d"
  PC_WHAT=
}
