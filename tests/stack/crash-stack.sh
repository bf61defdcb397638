#!/bin/bash
# Crash safety and concurrency on the deepest stack: ext4 on LVM on LUKS2
# on a partition, mounted, with data (in the QEMU guest, lib.sh).
#   crash-stack.sh QGA-GROW QGA-GROW-FAULTY [TRIALS [SEED]]
# 1. For every fault point of a grow (qga-grow-faulty kills itself there,
#    QG_FAULT_POINT), and then TRIALS times (default $QG_TORTURE_TRIALS or
#    4) at a random moment (SIGKILL after a random delay): enlarge the disk,
#    grow with the faulty binary, then a plain rerun must complete the grow
#    (exit 0, or 1 when the killed run had finished), a third must find
#    nothing to do, and every layer must fill the one below it.
# 2. Concurrent growers: after one more enlargement, four at once (the
#    disk, the mountpoint, growpart mode, the automatic path): each exits 0
#    or 1, at least one grew, and the stack ends grown, once.
# Then, unmounted: the table, vgck, the crypt mapping, fsck and the data.
QG=$(readlink -f "${1:?usage: $0 QGA-GROW QGA-GROW-FAULTY [TRIALS [SEED]]}")
QGF=$(readlink -f "${2:?usage: $0 QGA-GROW QGA-GROW-FAULTY [TRIALS [SEED]]}")
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
trials=${3:-${QG_TORTURE_TRIALS:-1}}
seed=${4:-$(( $(date +%s%N) % 32768 ))}
RANDOM=$seed
note "crash-stack: $trials random kills, seed $seed (replay: $0 $QG $QGF $trials $seed)"

POINTS=(locked planned table-written kernel-told crypt-resizing pv-resizing lv-extending
        fs-growing fs-grown)
MiB=$((1 << 20))

make_disk 160M; disk=$DISK
partition_disk "$disk" 128M
make_lvm_on_luks2 "$PART"; vg=$VG lv=$LV crypt_name=$CRYPT_NAME crypt=$CRYPT key=$KEYFILE
part=$(part_dev "$disk" 1)
make_fs ext4 "$lv"
mount_fs "$lv"; mnt=$MNT
write_data "$mnt"
size=$((160 * MiB))

run() {  # run WANT-LIST CMD...: exit status must be one of WANT-LIST (e.g. "0 1")
  local want=$1 rc=0
  shift
  "$@" </dev/null >"$WORK/run.out" 2>&1 || rc=$?
  [[ " $want " == *" $rc "* ]] || { cat "$WORK/run.out" >&2; fail "$*: exit $rc, want $want"; }
  RC=$rc
}

# every layer fills what is below it: the partition the disk (GPT: but its
# backup), the mapping the partition, the PV the mapping, the LV the VG
check_full() {
  local d p c pv lvs fs
  d=$(dev_size "$disk") p=$(dev_size "$part") c=$(crypt_size "$crypt_name")
  pv=$(pv_size "$crypt") lvs=$(lv_size "$vg/lv") fs=$(fs_size ext4 "$lv" "$mnt")
  (( d - p < 2 * MiB )) || fail "$1: partition $p on disk $d"
  (( p - c <= 16 * MiB + 4096 )) || fail "$1: crypt $c on partition $p"
  (( c - pv < 8 * MiB )) || fail "$1: PV $pv on crypt $c"
  assert_eq "$(vg_free "$vg")" 0 "$1: VG free"
  assert_eq "$fs" "$lvs" "$1: filesystem size"
  assert_eq "$lvs" "$pv" "$1: LV size"
}

trial() {  # trial KIND (a fault point, or "random")
  size=$((size + (8 + RANDOM % 24) * MiB))
  enlarge "$disk" "$size"
  if [ "$1" = random ]; then
    "$QGF" --key-file "$key" "$mnt" </dev/null >/dev/null 2>&1 &
    local pid=$! delay=$((RANDOM % 1500))
    sleep "$(printf '0.%03d' "$delay")"
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  else
    # waited for as a background job: the shell reports a foreground kill
    QG_FAULT_POINT=$1 "$QGF" --key-file "$key" "$mnt" </dev/null >/dev/null 2>&1 &
    wait $! 2>/dev/null || true
  fi
  run "0 1" "$QG" --key-file "$key" "$mnt"
  local rerun=$RC
  run 1 "$QG" --key-file "$key" "$mnt"
  check_full "after $1"
  note "trial $1: rerun exit $rerun, disk $size"
}

for pt in "${POINTS[@]}"; do trial "$pt"; done
for ((i = 1; i <= trials; i++)); do trial random; done

# Concurrent growers: each waits for the disk lock (or LVM's), then finds
# the work done or does it.
size=$((size + 48 * MiB))
enlarge "$disk" "$size"
printf '[auto]\nkey-file=%s\n' "$key" >"$WORK/auto.conf"
pids=()
"$QG" --key-file "$key" "$disk" >"$WORK/c1" 2>&1 & pids+=($!)
"$QG" --key-file "$key" "$mnt" >"$WORK/c2" 2>&1 & pids+=($!)
"$QG" growpart "$disk" 1 >"$WORK/c3" 2>&1 & pids+=($!)
"$QG" auto --config "$WORK/auto.conf" "$disk" >"$WORK/c4" 2>&1 & pids+=($!)
grew=0
for i in "${!pids[@]}"; do
  rc=0; wait "${pids[i]}" || rc=$?
  [ "$rc" = 0 ] && grew=1
  [ "$rc" = 0 ] || [ "$rc" = 1 ] || { cat "$WORK/c$((i + 1))" >&2; fail "concurrent grower $((i + 1)): exit $rc"; }
done
[ "$grew" = 1 ] || fail "no concurrent grower grew anything"
run 1 "$QG" --key-file "$key" "$mnt"
check_full "after the concurrent growers"

check_data "$mnt"
unmount_fs "$mnt"
check_fs ext4 "$lv"
check_table "$disk"; check_lvm "$vg"; check_crypt "$crypt_name" LUKS2
stack_release
check_released
echo "PASS: crash-stack ($((${#POINTS[@]} + trials)) trials, 4 concurrent growers)"
