#!/bin/bash
# qga-grow on the storage stacks real guests hold, each built on loop disks
# in the QEMU guest (lib.sh), mounted and holding data: the disk is enlarged
# and one qga-grow call must grow every layer, bottom-up, and report each
# (--json: kinds, devices, sizes as the layers' own tools read them); a
# rerun has nothing to do (exit 1); the data, fsck, sgdisk -v, vgck,
# cryptsetup status and mdadm --detail are fine.  Refusals leave the disk
# byte-identical.  Where a case asks first (--assume-size, the host's question
# before it grows the disk), the plan equals the dry run once the disk has
# grown, a refusal the real run's words.
#   grow-stacks.sh QGA-GROW [CASE...]   (default: all of them)
# CASE: lvm luks1 plain luks2-keyfile luks2-token lvm-on-luks2 luks2-on-lvm
#       raid1 raid5-mountpoint thin two-lvs growpart-pv refusals review
QG=$(readlink -f "${1:?usage: $0 QGA-GROW [CASE...]}")
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
shift

GROW=96M   # each disk: 128 MiB, enlarged to 224 MiB
MIN=$((88 << 20))

# grow_json EXIT ARGS...: run qga-grow --json ARGS, expect EXIT, keep the
# report in $WORK/report.json.
grow_json() {
  local want=$1 rc=0
  shift
  "$QG" --json "$@" </dev/null >"$WORK/report.json" 2>"$WORK/report.err" || rc=$?
  [ "$rc" = "$want" ] || {
    cat "$WORK/report.json" "$WORK/report.err" >&2
    fail "qga-grow $*: exit $rc, want $want"
  }
}

# ask_first SIZE WANT ARGS...: the host's question before it grows the disk
# (--dry-run --assume-size SIZE), exit WANT; its report and refusal kept
# in $WORK/asked.json and asked.err for same_as_asked
ask_first() {
  local size=$1 want=$2
  shift 2
  grow_json "$want" --dry-run --assume-size "$size" "$@"
  cp "$WORK/report.json" "$WORK/asked.json"
  cp "$WORK/report.err" "$WORK/asked.err"
}
# same_as_asked WANT ARGS...: once the disk has grown, the dry run (exit 0)
# plans what was asked before, byte for byte, or the real run (exit 2)
# refuses with its very words
same_as_asked() {
  local want=$1
  shift
  if [ "$want" = 0 ]; then
    grow_json 0 --dry-run "$@"
    cmp -s "$WORK/report.json" "$WORK/asked.json" ||
      fail "the plan asked for before the grow differs: $(diff "$WORK/asked.json" "$WORK/report.json")"
  else
    grow_json 2 "$@"
    cmp -s "$WORK/report.err" "$WORK/asked.err" ||
      fail "refused otherwise before the grow: $(cat "$WORK/asked.err") / after: $(cat "$WORK/report.err")"
  fi
}

# kinds: the report's layer kinds, space-separated, bottom-up
kinds() { jq -r '[.layers[].kind] | join(" ")' "$WORK/report.json"; }
# layer_size KIND [N]: the N-th (0-based) layer of KIND's size after
layer_size() { jq -r --arg k "$1" --argjson n "${2:-0}" \
  '[.layers[] | select(.kind == $k)][$n].size' "$WORK/report.json"; }

fs_with_data() {  # fs_with_data TYPE DEV: sets MNT, FS_BEFORE
  make_fs "$1" "$2"
  mount_fs "$2"
  write_data "$MNT"
  FS_BEFORE=$(fs_size "$1" "$2" "$MNT")
}

check_fs_end() {  # check_fs_end TYPE DEV MNT: grew, data reads back, fsck clean
  local after
  after=$(fs_size "$1" "$2" "$3")
  check_grew "$1 on $2" "$FS_BEFORE" "$after" "$((MIN - (8 << 20)))"
  assert_eq "$(layer_size filesystem)" "$after" "the report's filesystem size"
  check_data "$3"
  unmount_fs "$3"
  check_fs "$1" "$2"
}

# the rerun finds nothing to do, also as a dry run
rerun_nothing() {
  grow_json 1 "$@"
  assert_eq "$(jq -r .changed "$WORK/report.json")" false "changed on the rerun"
  grow_json 1 --dry-run "$@"
}

case_lvm() {
  local disk part vg lv
  make_disk 128M; disk=$DISK
  partition_disk "$disk" "" lvm; part=$PART
  make_lvm "$part"; vg=$VG lv=$LV
  fs_with_data ext4 "$lv"
  local b_lv; b_lv=$(lv_size "$vg/lv")
  enlarge "$disk" 224M
  grow_json 0 --dry-run "$MNT"
  assert_eq "$(kinds)" "partition lvm-pv lvm-lv filesystem" "layers planned"
  assert_eq "$(jq '.warnings | length' "$WORK/report.json")" 0 "warnings of the dry run"
  assert_eq "$(lv_size "$vg/lv")" "$b_lv" "the LV after a dry run"
  # without lvmdbusd's profile (the LVM shell's protocol), each LVM command
  # runs as a process of its own: the same plan
  jq -c .layers "$WORK/report.json" >"$WORK/plan.shell"
  mv /etc/lvm/profile/lvmdbusd.profile "$WORK/"
  grow_json 0 --dry-run "$MNT"
  assert_eq "$(jq -c .layers "$WORK/report.json")" "$(cat "$WORK/plan.shell")" \
    "the plan without the LVM shell"
  # ... and the same with a profile changed under it (text reports): the
  # first report tells, and the commands run as processes
  sed 's/output_format=json/output_format="basic"/' "$WORK/lvmdbusd.profile" \
    >/etc/lvm/profile/lvmdbusd.profile
  grep -q 'output_format="basic"' /etc/lvm/profile/lvmdbusd.profile || fail "profile not changed"
  grow_json 0 --dry-run "$MNT"
  mv "$WORK/lvmdbusd.profile" /etc/lvm/profile/
  assert_eq "$(jq -c .layers "$WORK/report.json")" "$(cat "$WORK/plan.shell")" \
    "the plan with a changed lvmdbusd profile"
  # without the preload that makes LVM's metadata writes durable one by
  # one (lvm-dsync.so), the plan says so, once
  QG_LVM_DSYNC=/nonexistent/lvm-dsync.so grow_json 0 --dry-run "$MNT"
  assert_eq "$(jq '[.warnings[] | select(startswith("/nonexistent/lvm-dsync.so is missing"))] | length' \
    "$WORK/report.json")" 1 "the missing preload's warning"
  grow_json 0 "$MNT"
  assert_eq "$(kinds)" "partition lvm-pv lvm-lv filesystem" "layers"
  assert_eq "$(layer_size partition)" "$(dev_size "$part")" "partition size"
  assert_eq "$(layer_size lvm-pv)" "$(pv_size "$part")" "PV size"
  assert_eq "$(layer_size lvm-lv)" "$(lv_size "$vg/lv")" "LV size"
  check_grew LV "$b_lv" "$(lv_size "$vg/lv")" "$MIN"
  assert_eq "$(vg_free "$vg")" 0 "VG free after"
  rerun_nothing "$MNT"
  check_table "$disk"; check_lvm "$vg"
  check_fs_end ext4 "$lv" "$MNT"
}

case_luks1() {
  local disk
  make_disk 128M; disk=$DISK
  partition_disk "$disk"
  make_luks1 "$PART"
  fs_with_data ext4 "$CRYPT"
  local b; b=$(crypt_size "$CRYPT_NAME")
  enlarge "$disk" 224M
  grow_json 0 "$disk"   # LUKS1: no key needed
  assert_eq "$(kinds)" "partition crypt filesystem" "layers"
  assert_eq "$(jq -r '.layers[1].type' "$WORK/report.json")" luks1 "crypt type"
  assert_eq "$(layer_size crypt)" "$(crypt_size "$CRYPT_NAME")" "crypt size"
  check_grew "LUKS1 mapping" "$b" "$(crypt_size "$CRYPT_NAME")" "$MIN"
  rerun_nothing "$disk"
  check_crypt "$CRYPT_NAME" LUKS1; check_table "$disk"
  check_fs_end ext4 "$CRYPT" "$MNT"
}

case_plain() {   # plain dm-crypt: no header, its key in the table
  local disk name=qgplain
  make_disk 128M; disk=$DISK
  partition_disk "$disk"
  stack_modules dm crypt
  head -c 64 /dev/urandom >"$WORK/plain.key"
  on_teardown _crypt_close "$name"
  cryptsetup open --type plain --cipher aes-xts-plain64 --key-size 512 \
    --key-file "$WORK/plain.key" "$PART" "$name"
  fs_with_data ext4 "/dev/mapper/$name"
  local b; b=$(crypt_size "$name")
  enlarge "$disk" 224M
  grow_json 0 "$MNT"
  assert_eq "$(kinds)" "partition crypt filesystem" "layers"
  assert_eq "$(jq -r '.layers[1].type' "$WORK/report.json")" plain "crypt type"
  check_grew "plain mapping" "$b" "$(crypt_size "$name")" "$MIN"
  rerun_nothing "$MNT"
  check_crypt "$name" PLAIN
  check_fs_end ext4 "/dev/mapper/$name" "$MNT"
}

case_luks2_keyfile() {   # xfs: at least 300 MiB
  local disk
  make_disk 352M; disk=$DISK
  partition_disk "$disk"
  make_luks2 "$PART"
  make_fs xfs "$CRYPT"
  # asked before the disk grows: refused without a key, as the real run is
  disk_record "$disk"
  ask_first 448M 2 "$disk"
  check_disk_identical "$disk"
  enlarge "$disk" 448M
  # no key: refused before anything is written, naming the three ways
  disk_record "$disk"
  same_as_asked 2 "$disk"
  grow_json 2 "$disk"
  grep -q "keeps its volume key in the kernel keyring" "$WORK/report.err" ||
    fail "no-key refusal said: $(cat "$WORK/report.err")"
  grep -q -- "--key-file" "$WORK/report.err" || fail "the refusal does not name --key-file"
  grep -q "key-file= in auto.conf" "$WORK/report.err" || fail "the refusal does not name auto.conf"
  check_disk_identical "$disk"
  # a wrong key file: refused the same way
  echo "not the key" >"$WORK/wrong.key"
  grow_json 2 --key-file "$WORK/wrong.key" "$disk"
  check_disk_identical "$disk"
  mount_fs "$CRYPT"; write_data "$MNT"; FS_BEFORE=$(fs_size xfs "$CRYPT" "$MNT")
  local b; b=$(crypt_size "$CRYPT_NAME")
  grow_json 0 --key-file "$KEYFILE" "$MNT"
  assert_eq "$(kinds)" "partition crypt filesystem" "layers"
  assert_eq "$(jq -r '.layers[1].type' "$WORK/report.json")" luks2 "crypt type"
  check_grew "LUKS2 mapping" "$b" "$(crypt_size "$CRYPT_NAME")" "$MIN"
  assert_eq "$(crypt_field "$CRYPT_NAME" "key location")" keyring "key location after"
  rerun_nothing "$MNT"   # nothing to grow: no key needed
  check_crypt "$CRYPT_NAME" LUKS2; check_table "$disk"
  check_fs_end xfs "$CRYPT" "$MNT"
}

case_luks2_token() {
  local disk
  make_disk 128M; disk=$DISK
  partition_disk "$disk"
  make_luks2_token "$PART"
  fs_with_data ext4 "$CRYPT"
  local b; b=$(crypt_size "$CRYPT_NAME")
  enlarge "$disk" 224M
  grow_json 0 "$MNT"   # the header's token unlocks it: no key file
  assert_eq "$(kinds)" "partition crypt filesystem" "layers"
  check_grew "LUKS2 mapping (token)" "$b" "$(crypt_size "$CRYPT_NAME")" "$MIN"
  rerun_nothing "$MNT"
  check_crypt "$CRYPT_NAME" LUKS2
  check_fs_end ext4 "$CRYPT" "$MNT"
}

case_lvm_on_luks2() {
  local disk vg lv crypt_name
  make_disk 128M; disk=$DISK
  partition_disk "$disk"
  make_lvm_on_luks2 "$PART"; vg=$VG lv=$LV crypt_name=$CRYPT_NAME
  fs_with_data ext4 "$lv"
  local b_lv; b_lv=$(lv_size "$vg/lv")
  # asked before the disk grows: without the key refused, with it the plan
  # the dry run makes once it has grown
  ask_first 224M 2 "$disk"
  grep -q "keeps its volume key in the kernel keyring" "$WORK/asked.err" ||
    fail "asked without a key: $(cat "$WORK/asked.err")"
  ask_first 224M 0 --key-file "$KEYFILE" "$disk"
  assert_eq "$(kinds)" "partition crypt lvm-pv lvm-lv filesystem" "layers asked for"
  enlarge "$disk" 224M
  same_as_asked 0 --key-file "$KEYFILE" "$disk"
  grow_json 0 --key-file "$KEYFILE" "$disk"
  assert_eq "$(kinds)" "partition crypt lvm-pv lvm-lv filesystem" "layers"
  assert_eq "$(layer_size crypt)" "$(crypt_size "$crypt_name")" "crypt size"
  assert_eq "$(layer_size lvm-pv)" "$(pv_size "$CRYPT")" "PV size"
  check_grew LV "$b_lv" "$(lv_size "$vg/lv")" "$MIN"
  rerun_nothing --key-file "$KEYFILE" "$disk"
  check_table "$disk"; check_lvm "$vg"; check_crypt "$crypt_name" LUKS2
  check_fs_end ext4 "$lv" "$MNT"
}

case_luks2_on_lvm() {
  local disk vg
  make_disk 128M; disk=$DISK
  partition_disk "$disk" "" lvm
  make_luks2_on_lvm "$PART"; vg=$VG
  fs_with_data ext4 "$CRYPT"
  local b; b=$(crypt_size "$CRYPT_NAME")
  enlarge "$disk" 224M
  grow_json 0 --key-file "$KEYFILE" "$MNT"
  assert_eq "$(kinds)" "partition lvm-pv lvm-lv crypt filesystem" "layers"
  check_grew "LUKS2 on LVM" "$b" "$(crypt_size "$CRYPT_NAME")" "$MIN"
  rerun_nothing --key-file "$KEYFILE" "$MNT"
  check_table "$disk"; check_lvm "$vg"
  check_fs_end ext4 "$CRYPT" "$MNT"
}

case_raid1() {
  local d1 d2 p1 p2 md
  make_disk 128M; d1=$DISK; partition_disk "$d1" "" raid; p1=$PART
  make_disk 128M; d2=$DISK; partition_disk "$d2" "" raid; p2=$PART
  make_raid1 "$p1" "$p2"; md=$MD
  fs_with_data ext4 "$md"
  local b; b=$(md_size "$md")
  # one virtual disk grown: its partition follows, the array waits
  enlarge "$d1" 224M
  grow_json 0 "$d1"
  assert_eq "$(kinds)" "partition md filesystem" "layers (first disk)"
  assert_eq "$(jq -r '.layers[1].changed' "$WORK/report.json")" false "md changed (first disk)"
  jq -r '.warnings[]' "$WORK/report.json" | grep -q "waits for the rest of its members" ||
    fail "no warning that the array waits: $(jq -c .warnings "$WORK/report.json")"
  assert_eq "$(md_size "$md")" "$b" "array size after the first disk"
  grow_json 1 "$d1"
  # the other one: now the array and its filesystem grow
  enlarge "$d2" 224M
  grow_json 0 "$d2"
  assert_eq "$(jq -r '.layers[1].changed' "$WORK/report.json")" true "md changed (second disk)"
  md_wait "$md"
  check_grew "RAID1 array" "$b" "$(md_size "$md")" "$MIN"
  assert_eq "$(jq -r '.layers[1].type' "$WORK/report.json")" raid1 "md type"
  rerun_nothing "$d2"
  rerun_nothing "$MNT"
  check_md "$md"; check_table "$d1"; check_table "$d2"
  check_fs_end ext4 "$md" "$MNT"
}

case_raid5_mountpoint() {   # all three disks enlarged, one call by mountpoint
  local disks=() parts=() md=/dev/md/qgraid5 i
  for i in 1 2 3; do
    make_disk 96M; disks+=("$DISK"); partition_disk "$DISK" "" raid; parts+=("$PART")
  done
  stack_modules raid
  on_teardown _md_stop "$md"
  mdadm --create "$md" --run --quiet --level=5 --raid-devices=3 --metadata=1.0 \
    --assume-clean "${parts[@]}" </dev/null
  wait_node "$md"
  fs_with_data ext4 "$md"
  local b; b=$(md_size "$md")
  for i in 0 1 2; do enlarge "${disks[i]}" 192M; done
  grow_json 0 "$MNT"
  assert_eq "$(kinds)" "partition partition partition md filesystem" "layers"
  assert_eq "$(jq -r '[.layers[] | select(.kind == "partition") | .changed] | all' \
    "$WORK/report.json")" true "every member's partition grew"
  md_wait "$md"
  check_grew "RAID5 array" "$b" "$(md_size "$md")" "$((2 * MIN))"
  assert_eq "$(jq -r '.layers[3].type' "$WORK/report.json")" raid5 "md type"
  rerun_nothing "$MNT"
  check_md "$md"
  for i in 0 1 2; do check_table "${disks[i]}"; done
  check_fs_end ext4 "$md" "$MNT"
}

case_thin() {
  local disk vg
  make_disk 128M; disk=$DISK
  partition_disk "$disk" "" lvm
  make_thin "$PART" 64M 1G; vg=$VG
  fs_with_data ext4 "$LV"
  local b_pool b_thin; b_pool=$(lv_size "$POOL") b_thin=$(lv_size "$vg/thin")
  enlarge "$disk" 224M
  # a target on the thin volume: refused, its size is its owner's
  grow_json 2 "$MNT"
  grep -q "thin" "$WORK/report.err" || fail "thin volume refusal said: $(cat "$WORK/report.err")"
  grow_json 0 "$disk"
  assert_eq "$(kinds)" "partition lvm-pv lvm-lv" "layers"
  assert_eq "$(jq -r '.layers[2].type' "$WORK/report.json")" thin-pool "the LV is the pool"
  check_grew "thin pool" "$b_pool" "$(lv_size "$POOL")" "$((MIN / 2))"
  assert_eq "$(lv_size "$vg/thin")" "$b_thin" "the thin volume's virtual size"
  rerun_nothing "$disk"
  check_lvm "$vg"; check_data "$MNT"
}

case_two_lvs() {
  local disk vg
  make_disk 128M; disk=$DISK
  partition_disk "$disk" "" lvm
  make_lvm "$PART" 40M; vg=$VG
  lvcreate -q -y -L 40M -n two "$vg" >/dev/null
  wait_node "/dev/$vg/two"
  fs_with_data ext4 "/dev/$vg/two"
  # asked before the disk grows: with two LVs and none named, the new space
  # would stay free in the volume group: refused (the real run grows the PV
  # alone, below); with --lvm pv asked for, or an LV named, a plan
  ask_first 224M 2 "$disk"
  grep -q "holds 2 logical volumes.*--lv VG/LV.*the disk's new space would stay unused" \
    "$WORK/asked.err" || fail "asked with two LVs: $(cat "$WORK/asked.err")"
  ask_first 224M 0 --lvm pv "$disk"
  assert_eq "$(kinds)" "partition lvm-pv" "layers asked for with --lvm pv"
  ask_first 224M 0 --lv "$vg/two" "$disk"
  assert_eq "$(kinds)" "partition lvm-pv lvm-lv filesystem" "layers asked for with --lv"
  enlarge "$disk" 224M
  same_as_asked 0 --lv "$vg/two" "$disk"
  # a disk target: the PV grows, the choice of LV is the user's
  grow_json 0 "$disk"
  assert_eq "$(kinds)" "partition lvm-pv" "layers with two LVs"
  jq -r '.warnings[]' "$WORK/report.json" | grep -q -- "--lv VG/LV" ||
    fail "no warning naming --lv: $(jq -c .warnings "$WORK/report.json")"
  assert_eq "$(lv_size "$vg/lv")" $((40 << 20)) "the LV nobody chose"
  # --lv of an LV that is not there: refused
  grow_json 2 --lv "$vg/nosuch" "$disk"
  local b; b=$(lv_size "$vg/two")
  grow_json 0 --lv "$vg/two" "$disk"
  assert_eq "$(kinds)" "partition lvm-pv lvm-lv filesystem" "layers with --lv"
  check_grew "the chosen LV" "$b" "$(lv_size "$vg/two")" "$MIN"
  assert_eq "$(lv_size "$vg/lv")" $((40 << 20)) "the other LV"
  # a mountpoint on an LV chooses that LV: nothing left to take
  grow_json 1 "$MNT"
  check_lvm "$vg"
  check_fs_end ext4 "/dev/$vg/two" "$MNT"
}

case_growpart_pv() {
  local disk vg out
  make_disk 128M; disk=$DISK
  partition_disk "$disk" "" lvm
  make_lvm "$PART"; vg=$VG
  local b_lv; b_lv=$(lv_size "$vg/lv")
  enlarge "$disk" 224M
  out=$("$QG" growpart "$disk" 1) || fail "growpart mode: $out"
  echo "$out" | grep -q "^CHANGED: partition=1" || fail "growpart mode said: $out"
  # as growpart: the PV follows (pvresize), the LV does not
  check_grew "PV (growpart mode)" "$((128 << 20))" "$(pv_size "$PART")" "$((MIN - (8 << 20)))"
  assert_eq "$(lv_size "$vg/lv")" "$b_lv" "the LV after growpart mode"
  check_lvm "$vg"
}

case_refusals() {
  local disk vg
  make_disk 128M; disk=$DISK
  partition_disk "$disk" "" lvm
  make_lvm "$PART" 60M; vg=$VG
  make_fs ext4 "$LV"
  modprobe dm-snapshot   # LVM's own modprobe call looks in the wrong place here
  lvcreate -q -y -s -L 8M -n snap "$vg/lv" >/dev/null
  enlarge "$disk" 224M
  # an origin with a snapshot, named: refused, nothing written
  disk_record "$disk"
  grow_json 2 "/dev/$vg/lv"
  grep -q "snapshot" "$WORK/report.err" || fail "snapshot refusal said: $(cat "$WORK/report.err")"
  check_disk_identical "$disk"
  grow_json 2 --lv "$vg/lv" --lvm pv "$disk" 2>/dev/null || true
  check_disk_identical "$disk"
  check_lvm "$vg"
}

# Regressions found in review: an LV of two segments; --lv naming an LV that
# is not on the stack; a LUKS2 mapping with 4096-byte sectors on a partition
# whose new size is no multiple of them; growpart mode beside a thin pool;
# a striped LV; an md array with nothing on it (refused: no member grows).
case_review() {
  local disk vg out b
  # two LVs, "a" first: "a" grows into two segments, then again
  make_disk 128M; disk=$DISK
  partition_disk "$disk" "" lvm
  make_lvm "$PART" 20M; vg=$VG
  lvcreate -q -y -L 20M -n b "$vg" >/dev/null
  wait_node "/dev/$vg/b"
  fs_with_data ext4 "/dev/$vg/lv"
  enlarge "$disk" 192M
  grow_json 2 --lv "$vg/b" "$MNT"     # the stack under MNT holds lv, not b
  grep -q "not that LV" "$WORK/report.err" || fail "--lv b said: $(cat "$WORK/report.err")"
  grow_json 0 "$MNT"
  enlarge "$disk" 224M
  grow_json 0 "$MNT"                   # lv has two segments now
  check_grew "LV of two segments" $((20 << 20)) "$(lv_size "$vg/lv")" "$((150 << 20))"
  assert_eq "$(lv_size "$vg/b")" $((20 << 20)) "the other LV"
  rerun_nothing "$MNT"
  stack_release
  # LUKS2 with 4096-byte encryption sectors, the partition's new end odd
  make_disk 128M; disk=$DISK
  partition_disk "$disk"
  _crypt_new qg4k
  cryptsetup luksFormat -q --type luks2 --sector-size 4096 --pbkdf pbkdf2 \
    --pbkdf-force-iterations 1000 --key-file "$KEYFILE" "$PART"
  on_teardown _crypt_close "$CRYPT_NAME"
  cryptsetup open --key-file "$KEYFILE" "$PART" "$CRYPT_NAME"
  fs_with_data ext4 "$CRYPT"
  b=$(crypt_size "$CRYPT_NAME")
  truncate -s $(( (224 << 20) + 3 * 512 )) "${DISK_IMG[$disk]}"; losetup -c "$disk"
  grow_json 0 --key-file "$KEYFILE" "$MNT"
  check_grew "LUKS2 4096-byte sectors" "$b" "$(crypt_size "$CRYPT_NAME")" "$MIN"
  assert_eq $(( $(crypt_size "$CRYPT_NAME") % 4096 )) 0 "mapping in whole sectors"
  rerun_nothing --key-file "$KEYFILE" "$MNT"
  check_fs_end ext4 "$CRYPT" "$MNT"
  stack_release
  # growpart mode beside a thin pool: the PV grows, the pool does not
  make_disk 128M; disk=$DISK
  partition_disk "$disk" "" lvm
  make_thin "$PART" 64M 256M
  b=$(lv_size "$POOL")
  enlarge "$disk" 224M
  out=$("$QG" growpart "$disk" 1) || fail "growpart mode: $out"
  assert_eq "$(lv_size "$POOL")" "$b" "the thin pool after growpart mode"
  stack_release
  # a striped LV: refused before anything is written
  local d2
  make_disk 128M; disk=$DISK; partition_disk "$disk" "" lvm; local p1=$PART
  make_disk 128M; d2=$DISK; partition_disk "$d2" "" lvm
  make_lvm "$p1" 8M; vg=$VG
  vgextend -q "$vg" "$PART" >/dev/null
  lvcreate -q -y -i 2 -L 64M -n striped "$vg" >/dev/null
  wait_node "/dev/$vg/striped"
  make_fs ext4 "/dev/$vg/striped"
  enlarge "$disk" 224M
  disk_record "$disk"
  grow_json 2 --lv "$vg/striped" "$disk"
  grep -q "striped" "$WORK/report.err" || fail "striped refusal said: $(cat "$WORK/report.err")"
  check_disk_identical "$disk"
  stack_release
  # an md array holding nothing, by its node: refused, no member grown
  local m1 m2 md=/dev/md/qgempty
  make_disk 96M; m1=$DISK; partition_disk "$m1" "" raid; p1=$PART
  make_disk 96M; m2=$DISK; partition_disk "$m2" "" raid
  stack_modules raid
  on_teardown _md_stop "$md"
  mdadm --create "$md" --run --quiet --level=1 --raid-devices=2 --metadata=1.2 \
    --assume-clean "$p1" "$PART" </dev/null
  wait_node "$md"
  enlarge "$m1" 160M; enlarge "$m2" 160M
  md_wait "$md"
  disk_record "$m1"; disk_record "$m2"
  grow_json 2 "$(readlink -f "$md")"
  grep -q "holds no filesystem" "$WORK/report.err" || fail "empty md said: $(cat "$WORK/report.err")"
  mdadm --stop "$md" >/dev/null
  check_disk_identical "$m1"; check_disk_identical "$m2"
}

all="lvm luks1 plain luks2-keyfile luks2-token lvm-on-luks2 luks2-on-lvm raid1 raid5-mountpoint thin
     two-lvs growpart-pv refusals review"
for c in ${*:-$all}; do
  note "case $c"
  "case_${c//-/_}"
  stack_release
done
check_released
echo "PASS: grow-stacks ${*:-(all)}"
