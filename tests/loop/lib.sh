# Shared helpers for the loop-device tests: real loop disks, real mounts,
# everything created is recorded and removed on exit, also on failure.
# Source it from a test script whose first argument is the qga-grow binary.
set -euo pipefail

QG=${1:?usage: $0 PATH-TO-qga-grow [ARGS...]}
shift
QG=$(readlink -f "$QG")

if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP: needs root (loop devices, mounts)"
  exit 77
fi

WORK=$(mktemp -d /tmp/qg-test.XXXXXX)
LOOPS=()     # loop devices this test attached, by their own number
MOUNTS=()    # mountpoints this test mounted
NDISK=0

FROZEN=      # a mountpoint this test froze (fsfreeze), thawed on exit
EXIT_HOOKS=()  # commands run first on exit (e.g. stopping a VM by its PID)

on_exit() { EXIT_HOOKS+=("$1"); }

cleanup() {
  local rc=$? m l h
  set +e
  for h in "${EXIT_HOOKS[@]}"; do eval "$h"; done
  [ -n "$FROZEN" ] && fsfreeze -u "$FROZEN"
  for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
    m=${MOUNTS[i]}
    mountpoint -q "$m" && { umount "$m" 2>/dev/null || umount -l "$m"; }
  done
  for l in "${LOOPS[@]}"; do
    # only while it still shows our image: a number detached early may
    # belong to someone else by now
    case $(image_of "$l" 2>/dev/null) in "$WORK"/*) losetup -d "$l" ;; esac
  done
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

. "$(dirname "${BASH_SOURCE[0]}")/image-content.sh"
. "$(dirname "${BASH_SOURCE[0]}")/debian-table.sh"

fail() { echo "FAIL: $*" >&2; exit 1; }
note() { echo "# $*"; }

assert_eq() {  # assert_eq GOT WANT WHAT
  [ "$1" = "$2" ] || fail "$3: got '$1', want '$2'"
}

# run_qg WANT_EXIT OUTFILE ARGS...: run qga-grow, check its exit code.
run_qg() {
  local want=$1 out=$2 rc=0
  shift 2
  "$QG" "$@" >"$out" 2>"$out.err" || rc=$?
  if [ "$rc" != "$want" ]; then
    echo "--- qga-grow $* (exit $rc):" >&2
    cat "$out" "$out.err" >&2
    fail "qga-grow $*: exit $rc, want $want"
  fi
}

# make_disk SIZE [SECTOR_SIZE]: sets DISK to a new loop device backed by the
# sparse file $WORK/diskN.img.  (Not a $(...) function: the records of what
# to clean up must stay in this shell.)
make_disk() {
  local size=$1 sector=${2:-512} img
  NDISK=$((NDISK + 1))
  img=$WORK/disk$NDISK.img
  truncate -s "$size" "$img"
  DISK=$(losetup --find --show --partscan --sector-size "$sector" "$img")
  LOOPS+=("$DISK")
}

image_of() { losetup -n -O BACK-FILE "$1" | sed 's/[[:space:]]*$//'; }

# enlarge DEV SIZE: grow the backing file and tell the loop driver, the way a
# hypervisor grows a virtual disk (the kernel emits a RESIZE=1 change event).
enlarge() {
  truncate -s "$2" "$(image_of "$1")"
  losetup -c "$1"
}

# partition DEV SFDISK-SCRIPT: write a table and make the kernel see it.
# (BLKRRPART is a no-op for loop devices in some sandboxes; partx is not.)
partition() {
  printf '%s\n' "$2" | sfdisk -q --no-reread --wipe always "$1" >/dev/null
  partx -u "$1" 2>/dev/null || true   # fails on a table with no partition
  partx -a "$1" 2>/dev/null || true   # -u leaves out logical partitions
  blockdev --flushbufs "$1"
}

part_dev() {  # part_dev DISK N
  case $1 in *[0-9]) echo "${1}p$2" ;; *) echo "$1$2" ;; esac
}

make_fs() {  # make_fs TYPE DEV
  case $1 in
    ext2|ext3|ext4) "mkfs.$1" -q -F "$2" ;;
    xfs) mkfs.xfs -q -f "$2" ;;
    btrfs) mkfs.btrfs -q -f "$2" >/dev/null ;;
    *) fail "make_fs: unknown type $1" ;;
  esac
}

mount_fs() {  # mount_fs DEV [OPTIONS]: sets MNT
  MNT=$(mktemp -d "$WORK/mnt.XXXX")
  MOUNTS+=("$MNT")
  mount ${2:+-o "$2"} "$1" "$MNT"
}

# A thawed filesystem may stay busy a moment: qga-grow's frozen-filesystem
# probes, stuck in it until the thaw, still have to finish and exit.
unmount_fs() {
  local i
  for i in $(seq 50); do
    umount "$1" 2>/dev/null && return 0
    sleep 0.2
  done
  umount "$1"
}

# Freeze a mounted filesystem while a test checks that a run writes nothing:
# the kernel's own background writes (journal commits, ext4 zeroing inode
# tables) would otherwise change the image.  One at a time.
freeze_fs() { fsfreeze -f "$1"; FROZEN=$1; }
thaw_fs() { fsfreeze -u "$FROZEN"; FROZEN=; }

# Data written before a grow must read back the same after it.  TAG tells
# several filesystems of one test apart.
write_data() {  # write_data MOUNTPOINT [TAG]
  dd if=/dev/urandom of="$1/data.bin" bs=1M count=8 status=none
  sync
  sha256sum <"$1/data.bin" | cut -d' ' -f1 >"$WORK/data${2:-}.sha"
}
check_data() {  # check_data MOUNTPOINT [TAG]
  assert_eq "$(sha256sum <"$1/data.bin" | cut -d' ' -f1)" "$(cat "$WORK/data${2:-}.sha")" \
    "checksum of data written before the grow${2:+ ($2)}"
}

# The usual case: a 1 GiB disk, GPT, partition 1 of 500 MiB holding FS,
# mounted (MNT) with reference data, then enlarged to 2 GiB.  Sets DISK and
# PART.
grown_disk() {  # grown_disk FS
  make_disk 1G
  partition "$DISK" "label: gpt
,500M"
  PART=$(part_dev "$DISK" 1)
  make_fs "$1" "$PART"
  mount_fs "$PART"
  write_data "$MNT"
  enlarge "$DISK" 2G
}

# Filesystem size in bytes as the filesystem's own tools read it.
fs_size() {  # fs_size TYPE DEV [MOUNTPOINT]
  case $1 in
    ext*)
      dumpe2fs -h "$2" 2>/dev/null | awk -F: '
        /^Block count/ { c = $2 } /^Block size/ { s = $2 }
        END { printf "%.0f\n", c * s }' ;;
    xfs)
      xfs_info "$3" | sed -n 's/^data *= *bsize=\([0-9]*\) *blocks=\([0-9]*\).*/\1 \2/p' |
        awk '{ printf "%.0f\n", $1 * $2 }' ;;
    btrfs)
      btrfs filesystem show --raw "$3" | awk -v d="$2" '$NF == d { print $4 }' ;;
  esac
}

# Check a filesystem, unmounted, with its own checker: must be clean.
check_fs() {  # check_fs TYPE DEV
  case $1 in
    ext*) e2fsck -fn "$2" >"$WORK/fsck.log" 2>&1 ;;
    xfs) xfs_repair -n "$2" >"$WORK/fsck.log" 2>&1 ;;
    btrfs) btrfs check "$2" >"$WORK/fsck.log" 2>&1 ;;
  esac || { cat "$WORK/fsck.log" >&2; fail "$1 check of $2 is not clean"; }
}

# The partition table must verify clean with tools that are not ours.
check_table() {  # check_table DEV LABEL
  if [ "$2" = gpt ]; then
    sgdisk -v "$1" >"$WORK/sgdisk.log" 2>&1 || true
    grep -q '^No problems found' "$WORK/sgdisk.log" ||
      { cat "$WORK/sgdisk.log" >&2; fail "sgdisk -v $1 is not clean"; }
  else
    sfdisk --verify "$1" >"$WORK/verify.log" 2>&1 ||
      { cat "$WORK/verify.log" >&2; fail "sfdisk --verify $1 is not clean"; }
  fi
}

# Fields of partition N as sfdisk reads them (logical sectors).
part_field() {  # part_field DEV N start|size
  sfdisk --json "$1" | jq -r --arg n "$(part_dev "$1" "$2")" \
    ".partitiontable.partitions[] | select(.node == \$n) | .$3"
}

sectors_of() {  # whole disk, in its logical sectors
  echo $(( $(blockdev --getsize64 "$1") / $(blockdev --getss "$1") ))
}

jget() { jq -r "$2" "$1"; }

# check_fs_fills NEW OLD PART_BYTES: the filesystem (NEW bytes, OLD before)
# grew and fills its partition, but for what its format cannot use (less
# than one xfs allocation group or ext4 block group tail, 1% here).
check_fs_fills() {
  local new=$1 old=$2 psize=$3
  [ "$new" -le "$psize" ] || fail "filesystem ($new) larger than its partition ($psize)"
  [ $((psize - new)) -lt $((psize / 100)) ] ||
    fail "filesystem $new leaves more than 1% of partition $psize unused"
  [ "$new" -gt "$old" ] || fail "filesystem did not grow ($old -> $new)"
}

# rerun_writes_nothing DISK ARGS...: qga-grow ARGS again has nothing to do
# (exit 1, "changed" false) and leaves the disk image as it was.  Whoever
# writes meanwhile must be quiet (freeze_fs, or unmounted).
rerun_writes_nothing() {
  local disk=$1 before
  shift
  before=$(fingerprint "$disk")
  run_qg 1 "$WORK/again.json" --json "$@"
  assert_eq "$(jget "$WORK/again.json" .changed)" false "changed on the second run"
  assert_eq "$(fingerprint "$disk")" "$before" "disk image after the second run"
}

# A fingerprint of every byte a refused grow must leave alone: the CRC of
# image_content (image-content.sh: length, map of data and holes, data).
# The image's clean cached pages are dropped first: ext4 reports an
# unwritten extent (mkfs zeroes ranges with fallocate through the loop
# driver) as data while its pages are cached, so a mere read of the disk
# would otherwise change the map.
fingerprint() {
  local img
  img=$(image_of "$1")
  dd if="$img" iflag=nocache count=0 status=none
  image_content "$img" | cksum
}

# assert_fingerprint DISK BEFORE WHAT: the disk's fingerprint is BEFORE.
# Readahead that a run's probes started (blkid reading a swap header) may
# still be reading the image: its pages, cached over unwritten extents,
# count as data until dropped, so a second look after 2 s decides.
assert_fingerprint() {
  local now
  now=$(fingerprint "$1")
  if [ "$now" != "$2" ]; then
    sleep 2
    now=$(fingerprint "$1")
  fi
  assert_eq "$now" "$2" "$3"
}
