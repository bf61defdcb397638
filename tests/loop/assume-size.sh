#!/bin/bash
# The host's question before it enlarges a disk: qga-grow --dry-run
# --assume-size SIZE plans for a size the disk does not have yet.
#  - Its plan is, byte for byte in --json, the plain dry run's once the disk
#    has that size (GPT and MBR, 512- and 4096-byte sectors, a logical
#    partition with its extended one, no table, MBR past 2 TiB, the Debian
#    installer's layout with --move-swap); nothing is written.
#  - A refusal the real run would make is the same refusal, word for word
#    (a swap partition in the way, the xfs allocation-group guard, an MBR
#    table already at its 2 TiB limit), and the disk stays byte-identical.
#  - A plan that would leave the new space unused is refused although the
#    disk, once grown, would only grow as far as it can: a partition with
#    another after it (the real run then grows into the gap alone).
#   assume-size.sh QGA-GROW
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

G=$((1 << 30))

# same_plan DISK TARGET NEW_SIZE [ARGS...]: the plan for NEW_SIZE, asked before, equals
# the dry run once the disk is that large; the disk is untouched by it.
same_plan() {
  local disk=$1 target=$2 size=$3 before
  shift 3
  sync
  before=$(fingerprint "$disk")
  run_qg 0 "$WORK/assumed.json" --dry-run --json --assume-size "$size" "$@" "$target"
  sync
  assert_eq "$(fingerprint "$disk")" "$before" "$target: disk after the dry run for $size bytes"
  assert_eq "$(jget "$WORK/assumed.json" '."disk-size"')" "$size" "$target: disk-size planned for"
  enlarge "$disk" "$size"
  run_qg 0 "$WORK/after.json" --dry-run --json "$@" "$target"
  cmp -s "$WORK/assumed.json" "$WORK/after.json" || {
    diff "$WORK/assumed.json" "$WORK/after.json" >&2
    fail "$target: the plan for $size bytes differs from the dry run once the disk has it"
  }
  note "$target: $(jq -c '[.layers[] | "\(.kind) \(."old-size") -> \(.size)"]' "$WORK/assumed.json")"
}

# same_refusal DISK TARGET NEW_SIZE PATTERN [ARGS...]: refused for NEW_SIZE
# before, with the words of the real run's refusal once the disk has it;
# the disk byte-identical throughout.
same_refusal() {
  local disk=$1 target=$2 size=$3 pattern=$4 before
  shift 4
  sync
  before=$(fingerprint "$disk")
  run_qg 2 "$WORK/assumed.out" --dry-run --assume-size "$size" "$@" "$target"
  grep -Eq -- "$pattern" "$WORK/assumed.out.err" ||
    fail "$target: refusal '$(cat "$WORK/assumed.out.err")' does not match '$pattern'"
  sync
  assert_eq "$(fingerprint "$disk")" "$before" "$target: disk after the refusal before the grow"
  enlarge "$disk" "$size"
  before=$(fingerprint "$disk")
  run_qg 2 "$WORK/real.out" "$@" "$target"
  cmp -s "$WORK/assumed.out.err" "$WORK/real.out.err" ||
    fail "$target: refused otherwise before the grow ($(cat "$WORK/assumed.out.err")) than after ($(cat "$WORK/real.out.err"))"
  sync
  assert_eq "$(fingerprint "$disk")" "$before" "$target: disk after the refusal once grown"
  note "refused alike before and after: $(cat "$WORK/real.out.err")"
}

# ---- plans
make_disk 1G; d=$DISK
partition "$d" "label: gpt
,"
make_fs xfs "$(part_dev "$d" 1)"; mount_fs "$(part_dev "$d" 1)"; write_data "$MNT"
same_plan "$d" "$MNT" $((3 * G))
unmount_fs "$MNT"

make_disk 1G 4096; d=$DISK
partition "$d" "label: gpt
,100M
,"
make_fs btrfs "$(part_dev "$d" 2)"; mount_fs "$(part_dev "$d" 2)"; write_data "$MNT"
same_plan "$d" "$(part_dev "$d" 2)" $((2 * G + (7 << 20)))
unmount_fs "$MNT"

# a logical partition, last in its extended one, which grows with it
make_disk 1G; d=$DISK
partition "$d" "label: dos
start=1MiB, size=64MiB
start=128MiB, type=5
start=130MiB, size=200MiB
start=400MiB"
make_fs ext4 "$(part_dev "$d" 6)"
same_plan "$d" "$d" $((2 * G))

make_disk 1G; d=$DISK
make_fs xfs "$d"; mount_fs "$d"
same_plan "$d" "$d" $((5 * G / 2))
unmount_fs "$MNT"

# MBR past 2 TiB (sparse): the partition grows to the format's limit, with
# the warning that the rest stays unused
make_disk 1G; d=$DISK
partition "$d" "label: dos
,"
make_fs ext4 "$(part_dev "$d" 1)"
same_plan "$d" "$(part_dev "$d" 1)" $((3 << 40))
jq -e '.warnings | any(test("MBR partition tables end at 2 TiB"))' "$WORK/assumed.json" >/dev/null ||
  fail "MBR past 2 TiB: no warning in the plan: $(cat "$WORK/assumed.json")"

# the Debian installer's layout, --move-swap: the extended partition with
# its swap moves to the new end, root grows up to it (swap off: the test
# may not swap on the host); without it, refused alike before and after
make_disk 1G; d=$DISK
partition "$d" "$(debian_mbr_table $((1 << 30)) 100)"
make_fs ext4 "$(part_dev "$d" 1)"
mkswap -q -L qg-swap "$(part_dev "$d" 5)"
same_refusal "$d" "$(part_dev "$d" 1)" $((2 * G)) "extended partition 2.*--move-swap"
make_disk 1G; d=$DISK
partition "$d" "$(debian_mbr_table $((1 << 30)) 100)"
make_fs ext4 "$(part_dev "$d" 1)"
mkswap -q -L qg-swap "$(part_dev "$d" 5)"
same_plan "$d" "$(part_dev "$d" 1)" $((2 * G)) --move-swap
assert_eq "$(jq -r '[.layers[] | "\(.kind):\(.state)"] | join(" ")' "$WORK/assumed.json")" \
  "partition:planned filesystem:planned swap:planned" "installer's layout: the layers planned"

# ---- refusals, word for word the real run's
# a swap partition right after it, at the disk's end (no --move-swap)
make_disk 1G; d=$DISK
partition "$d" "label: gpt
,800M
,"
make_fs ext4 "$(part_dev "$d" 1)"; mkswap -q "$(part_dev "$d" 2)"
same_refusal "$d" "$(part_dev "$d" 1)" $((2 * G)) "swap partition 2 starts right after it.*--move-swap"

# the xfs allocation-group guard: small AGs, far past 1024 of them
make_disk 1G; d=$DISK
partition "$d" "label: gpt
,"
mkfs.xfs -q -f -b size=4096 -d agsize=128m "$(part_dev "$d" 1)"
mount_fs "$(part_dev "$d" 1)"
same_refusal "$d" "$MNT" $((140 * G)) "allocation groups.*limit of 1024.*--force"
# with --force the plan grows it, as the real run would
run_qg 0 "$WORK/forced.json" --dry-run --json --force --assume-size $((141 * G)) "$MNT"
assert_eq "$(jget "$WORK/forced.json" '.layers[1].changed')" true "forced: the xfs would grow"
unmount_fs "$MNT"

# an MBR table already at its limit, its partition and filesystem filling it
make_disk $((2 << 40)); d=$DISK
partition "$d" "label: dos
,"
mkfs.ext4 -q -F -E nodiscard,lazy_itable_init=1 "$(part_dev "$d" 1)"
same_refusal "$d" "$(part_dev "$d" 1)" $((3 << 40)) "MBR partition table cannot address the disk past 2 TiB"

# ---- the new space unused: refused before, grown as far as it goes after
make_disk 1G; d=$DISK
partition "$d" "label: gpt
,400M
start=600MiB, size=100M"
p1=$(part_dev "$d" 1)
make_fs ext4 "$p1"
sync
before=$(fingerprint "$d")
run_qg 2 "$WORK/gap.out" --dry-run --assume-size $((2 * G)) "$p1"
grep -q "partition 1 of $d can grow only up to sector .*the disk's new space would stay unused; nothing was changed" \
  "$WORK/gap.out.err" || fail "gap: $(cat "$WORK/gap.out.err")"
assert_eq "$(fingerprint "$d")" "$before" "gap: disk after the refusal"
enlarge "$d" $((2 * G))
run_qg 0 "$WORK/gap.json" --json "$p1"
assert_eq "$(jget "$WORK/gap.json" '.layers[0].changed')" true "gap: grown into the gap once the disk is larger"

# an MBR table at its limit, its filesystem short of it: the filesystem
# could grow, none of the disk's new space could
make_disk $((2 << 40)); d=$DISK
partition "$d" "label: dos
,"
p1=$(part_dev "$d" 1)
mkfs.ext4 -q -F -E nodiscard,lazy_itable_init=1 "$p1" 1T
sync
before=$(fingerprint "$d")
run_qg 2 "$WORK/mbrfs.out" --dry-run --assume-size $((3 << 40)) "$p1"
grep -q "MBR partition table cannot address the disk past 2 TiB.*the disk's new space would stay unused" \
  "$WORK/mbrfs.out.err" || fail "MBR at its limit, the filesystem short of it: $(cat "$WORK/mbrfs.out.err")"
assert_eq "$(fingerprint "$d")" "$before" "MBR at its limit: disk after the refusal"
# at today's size the filesystem's own growth is planned, as always
run_qg 0 "$WORK/mbrfs.json" --dry-run --json "$p1"
assert_eq "$(jget "$WORK/mbrfs.json" '.layers[1].changed')" true "MBR at its limit: the filesystem would grow"

# ---- bad input
run_qg 2 "$WORK/bad.out" --assume-size 3G "$p1"
grep -q -- "--assume-size goes with --dry-run" "$WORK/bad.out.err" || fail "no dry run: $(cat "$WORK/bad.out.err")"
run_qg 2 "$WORK/bad.out" --dry-run --assume-size 1G "$p1"
grep -q "less than $d's .*never shrinks" "$WORK/bad.out.err" || fail "smaller: $(cat "$WORK/bad.out.err")"
run_qg 2 "$WORK/bad.out" --dry-run --assume-size 3X "$p1"
grep -q -- "--assume-size:" "$WORK/bad.out.err" || fail "bad size: $(cat "$WORK/bad.out.err")"
echo "ok: plans for an assumed size equal the dry runs once the disk has it; refusals alike; unused space refused"
