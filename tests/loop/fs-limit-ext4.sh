#!/bin/bash
# ext4 at its own limits on sparse multi-TiB loop disks (issue 11, item 2):
# the plan says what the filesystem will really reach and why it stops
# there; the real run reaches exactly that, a rerun has nothing to do
# (exit 1), fsck is clean.  Asked before the disk grows (--assume-size),
# the plan is the same, and a filesystem that cannot grow at all is a
# refusal then (the disk's new space would stay unused).
#   fs-limit-ext4.sh QGA-GROW CASE
# CASE:
#   1k-unmounted  1 KiB blocks, no 64bit, 3.8T -> 4.4T, unmounted: resize2fs
#                 cannot grow it at all (its group descriptors no longer fit
#                 in one block group); the partition grows, the filesystem
#                 stays and says why.  (Before the fix: the table was
#                 rewritten, then resize2fs failed "too large to be expressed
#                 in 32 bits" on this and every rerun.)
#   2k-unmounted  2 KiB blocks, no 64bit, 7.8T -> 8.4T, unmounted: resize2fs
#                 grows it to 2^32-1 blocks, the 32-bit limit.
#   1k-mounted    the 1 KiB case mounted: the kernel grows it online to
#                 2^32-1 blocks (it does not check that limit itself).  Not
#                 in meson's list: under TCG the grow and fsck of 4 TiB of
#                 1 KiB blocks take more than 40 minutes.
#   tails-unmounted, tails-mounted
#                 growth that ends a few blocks into a new block group, on
#                 either side of where resize2fs or the kernel drops such a
#                 group (1 KiB blocks, groups with and without superblock
#                 backups): the dry run equals the real run every time.
#   gdt-unmounted, gdt-mounted
#                 a filesystem with one reserved GDT block grown 32 times:
#                 past them the kernel converts it to meta_bg, resize2fs
#                 moves blocks; the dry run equals the real run.
# The mounted cases run in a QEMU guest where root lacks CAP_SYS_RESOURCE.
HERE=$(cd "$(dirname "$0")" && pwd)
case ${2:-} in *-mounted)
  # the guest's /tmp (a tmpfs) holds the image's half GiB of metadata, and
  # mkfs, the grow and fsck of 4 TiB of 1 KiB blocks take long under TCG
  export VM_MEM=${VM_MEM:-3072} QG_GUEST_TIMEOUT=${QG_GUEST_TIMEOUT:-2400}
  . "$HERE/in-guest-if-needed.sh" "$0" "$@" ;;
esac
. "$HERE/lib.sh"
CASE=${1:?usage: $0 QGA-GROW CASE}

# grow_to DISK PART TARGET PART_BYTES: enlarge DISK so that its GPT
# partition holds PART_BYTES, then the dry run and the real run must agree
# with each other and with dumpe2fs; a rerun has nothing to do.
grow_to() {
  local disk=$1 part=$2 t=$3 plan
  enlarge "$disk" $(( $4 + (2048 + 34 - 1) * 512 ))
  run_qg 0 "$WORK/plan.json" --dry-run --json "$t"
  plan=$(jget "$WORK/plan.json" '.layers[1].size')
  run_qg 0 "$WORK/grow.json" --json "$t"
  assert_eq "$(jget "$WORK/grow.json" '.layers[0].size')" "$4" "partition size"
  assert_eq "$(jget "$WORK/grow.json" '.layers[1].size')" "$plan" "grown size vs the dry run"
  assert_eq "$(fs_size ext4 "$part")" "$plan" "dumpe2fs size vs the dry run"
  assert_eq "$(jget "$WORK/grow.json" '.layers[1].limit')" \
    "$(jget "$WORK/plan.json" '.layers[1].limit')" "limit vs the dry run"
  run_qg 1 "$WORK/again.json" --json "$t"
  note "partition $4 bytes: filesystem $plan ($(jget "$WORK/grow.json" '.layers[1].limit'))"
}

case $CASE in
  1k-*) bs=1024 from=3800G to=4400G ;;
  2k-unmounted) bs=2048 from=7800G to=8400G ;;
  tails-*|gdt-*)
    make_disk 40M; d=$DISK
    partition "$d" "label: gpt
,"
    p=$(part_dev "$d" 1)
    opts=()
    [ "${CASE%-*}" = gdt ] && opts=(-E resize=524288)   # one reserved GDT block
    mkfs.ext4 -q -F -b 1024 -O ^64bit "${opts[@]}" "$p"
    mount_fs "$p"
    write_data "$MNT"
    t=$MNT
    [ "${CASE#*-}" = mounted ] || { umount "$MNT"; t=$p; }
    if [ "${CASE%-*}" = gdt ]; then
      dumpe2fs -h "$p" 2>/dev/null | grep -q "^Reserved GDT blocks: *1$" ||
        fail "mkfs did not reserve one GDT block"
      grow_to "$d" "$p" "$t" $((2048 << 20))
      dumpe2fs -h "$p" 2>/dev/null | grep "^Filesystem features" >&2
    else
      # Block group G starts at block 1 + G * 8192.  Tails of R blocks on
      # either side of where each drops a last group (ext4_resize_fs():
      # more than its metadata, 2 bitmaps, the inode table and a cluster;
      # resize2fs: at least its metadata and 50 blocks), in groups without
      # superblock backups (10-13) and with (25, 27, 49, 81).  Each step
      # grows the partition by more than 1 MiB, qga-grow's least gain.
      itb=$(dumpe2fs -h "$p" 2>/dev/null | awk -F: '/^Inode blocks per group/ { print $2 + 0 }')
      rsv=$(dumpe2fs -h "$p" 2>/dev/null | awk -F: '/^Reserved GDT blocks/ { print $2 + 0 }')
      k0=$((2 + itb + 1)) r0=$((2 + itb + 50))
      k1=$((k0 + 1 + 1 + rsv)) r1=$((r0 + 1 + 1 + rsv)) r2=$((r0 + 1 + 2 + rsv))
      for gr in 10:$k0 11:$((k0 + 1)) 12:$((r0 - 1)) 13:$r0 25:$k1 27:$((k1 + 1)) \
                49:$((r2 - 1)) 81:$r2 82:1; do
        g=${gr%:*} r=${gr#*:}
        grow_to "$d" "$p" "$t" $(( (1 + g * 8192 + r) * 1024 ))
      done
    fi
    mountpoint -q "$MNT" || mount_fs "$p"
    check_data "$MNT"
    umount "$MNT"
    check_fs ext4 "$p"
    note "$CASE: ok"
    exit 0 ;;
  *) fail "unknown case $CASE" ;;
esac

make_disk "$from"; d=$DISK
partition "$d" "label: gpt
,"
p=$(part_dev "$d" 1)
mkfs.ext4 -q -F -b "$bs" -O ^64bit "$p"
mount_fs "$p"
write_data "$MNT"
t=$MNT
[ "$CASE" = 1k-mounted ] || { umount "$MNT"; t=$p; }
old=$(fs_size ext4 "$p")
# The host's question before it grows the disk (--assume-size): a filesystem
# that cannot grow at all would leave the new space unused: refused; one
# that grows to its limit: the very plan of the dry run once the disk is
# that large (compared below).
case $CASE in
  1k-*)
    run_qg 2 "$WORK/assumed.out" --dry-run --assume-size "$to" "$t"
    grep -q "filesystem $p (ext4) cannot grow: .*resize2fs.*the disk's new space would stay unused" \
      "$WORK/assumed.out.err" || fail "assume-size: $(cat "$WORK/assumed.out.err")" ;;
  *) run_qg 0 "$WORK/assumed.json" --dry-run --json --assume-size "$to" "$t" ;;
esac
enlarge "$d" "$to"
part_bytes=$(( ($(sectors_of "$d") - 34 - 2048 + 1) * 512 ))  # GPT: up to the last usable LBA

run_qg 0 "$WORK/plan.json" --dry-run --json "$t"
plan=$(jget "$WORK/plan.json" '.layers[1].size')
limit=$(jget "$WORK/plan.json" '.layers[1].limit')
note "plan: $old -> $plan bytes; limit: $limit"
[ ! -e "$WORK/assumed.json" ] || cmp -s "$WORK/assumed.json" "$WORK/plan.json" ||
  fail "the plan for $to differs from the dry run once the disk has it: $(diff "$WORK/assumed.json" "$WORK/plan.json")"
[ "$limit" != null ] || fail "the plan gives no limit for the filesystem"
case $CASE in
  1k-unmounted)
    assert_eq "$plan" "$old" "planned size (resize2fs cannot grow it)"
    assert_eq "$(jget "$WORK/plan.json" '.layers[1].changed')" false "filesystem would change"
    case $limit in *resize2fs*"block groups"*"mount it"*) ;;
      *) fail "limit does not say that resize2fs stops it: $limit" ;; esac ;;
  *)
    assert_eq "$plan" $(( (2**32 - 1) * bs )) "planned size (2^32-1 blocks)"
    case $limit in *"64bit"*"2^32-1 blocks"*) ;;
      *) fail "limit does not name the 32-bit block limit: $limit" ;; esac ;;
esac

run_qg 0 "$WORK/grow.json" --json "$t"
assert_eq "$(jget "$WORK/grow.json" '.layers[0].size')" "$part_bytes" "partition size"
assert_eq "$(jget "$WORK/grow.json" '.layers[1].size')" "$plan" "grown size vs the dry run"
assert_eq "$(jget "$WORK/grow.json" '.layers[1].limit')" "$limit" "limit vs the dry run"
assert_eq "$(fs_size ext4 "$p")" "$plan" "size by dumpe2fs vs the dry run"

run_qg 1 "$WORK/again.json" --json "$t"
assert_eq "$(jget "$WORK/again.json" '.layers[1].limit')" "$limit" "limit on the rerun"
run_qg 1 "$WORK/plan2.json" --dry-run --json "$t"  # the dry run agrees

mountpoint -q "$MNT" || mount_fs "$p"
check_data "$MNT"
umount "$MNT"
check_fs ext4 "$p"
note "$CASE: $old -> $plan bytes, stopped: $limit"
