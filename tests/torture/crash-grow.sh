#!/bin/bash
# Crash safety: grows stopped at every step, and at random moments, are
# completed by the next run, with no damage.
#   crash-grow.sh QGA-GROW-FAULTY FS LABEL [TRIALS [SEED]]
# FS ext4|xfs|btrfs (mounted), LABEL gpt|dos.  TRIALS (default
# $QG_TORTURE_TRIALS or 8) trials on one disk; each enlarges it by a random
# amount while a writer fills a file on the filesystem, then grows with
# qga-grow-faulty either killed by itself at a fault point (QG_FAULT_POINT)
# or SIGKILLed after a random delay.  Then a plain rerun must complete the
# grow (exit 0, or 1 if the killed run had finished), a third run must find
# nothing to do, and, unmounted: table (sgdisk -v / sfdisk --verify), fsck,
# partition end, filesystem size, the data written before and during.
# SEED (default: random, printed) replays a run.
HERE=$(cd "$(dirname "$0")" && pwd)
case "${2:-}" in ext4) . "$HERE/../loop/in-guest-if-needed.sh" "$0" "$@" ;; esac
. "$HERE/../loop/lib.sh"
fs=${1:?usage: $0 QGA-GROW-FAULTY FS LABEL [TRIALS [SEED]]} label=${2:?} trials=${3:-${QG_TORTURE_TRIALS:-8}}
seed=${4:-$(( $(date +%s%N) % 32768 ))}
RANDOM=$seed
note "crash-grow $fs $label: $trials trials, seed $seed (replay: $0 $QG $fs $label $trials $seed)"

POINTS=(locked planned table-written kernel-told fs-growing fs-grown)
MiB=$((1 << 20))

make_disk 1G; d=$DISK
partition "$d" "label: $label
,512M"
p=$(part_dev "$d" 1)
make_fs "$fs" "$p"
mount_fs "$p"; mnt=$MNT
write_data "$mnt"

size=$((1 << 30))
# What the writer of trial N writes (yes ends by SIGPIPE: no pipefail here).
busy_content() { (set +o pipefail; yes "trial $1" | head -c $((4 * MiB))); }
delay_max_us=20000   # set from the first grow's own duration, then adapted
declare -A seen
for ((trial = 1; trial <= trials; trial++)); do
  size=$((size + (2 + RANDOM % 63) * MiB))
  enlarge "$d" "$size"
  # A writer busy on the filesystem meanwhile: deterministic content, so
  # that its file can be checked afterwards.
  busy_content "$trial" >"$mnt/busy.$trial" &
  writer=$!

  if ((trial == 1)); then
    how=calibrate kind=calibrate
    t0=$(date +%s%N)
    run_qg 0 "$WORK/run.json" --json "$mnt"
    us=$(( ($(date +%s%N) - t0) / 1000 ))
    delay_max_us=$(( us * 3 / 2 > 1000 ? us * 3 / 2 : 1000 )) delay_cap_us=$delay_max_us
    note "a grow takes ${us} us here: random kills within ${delay_max_us} us"
  elif ((RANDOM % 2)); then
    point=${POINTS[RANDOM % ${#POINTS[@]}]}
    how="fault:$point" kind="fault:$point"
    rc=0
    QG_FAULT_POINT=$point "$QG" --json "$mnt" >"$WORK/run.json" 2>"$WORK/run.err" || rc=$?
    case $rc in
      137|0) ;;   # killed at its point; 0: it grew without reaching it
      *) cat "$WORK/run.err" >&2; fail "trial $trial ($how): exit $rc" ;;
    esac
    how+=":$rc"
  else
    delay=$((RANDOM * 32768 + RANDOM))
    delay=$((delay % delay_max_us))
    how="kill:${delay}us" kind=kill
    "$QG" --json "$mnt" >"$WORK/run.json" 2>"$WORK/run.err" &
    victim=$!
    sleep "$(printf '0.%06d' "$delay")"
    kill -9 "$victim" 2>/dev/null || true
    rc=0; wait "$victim" || rc=$?
    case $rc in
      137|0) ;;
      *) cat "$WORK/run.err" >&2; fail "trial $trial ($how): exit $rc" ;;
    esac
    # Keep the kills inside the grow: later grows are smaller than the
    # calibrating one, so a kill that came too late pulls the bound halfway
    # down to its delay, and one that struck lets it creep back up.
    if ((rc == 0)); then
      delay_max_us=$(( (delay_max_us + delay) / 2 ))
    else
      delay_max_us=$(( delay_max_us + delay_max_us / 8 ))
    fi
    ((delay_max_us >= 1000)) || delay_max_us=1000
    ((delay_max_us <= delay_cap_us)) || delay_max_us=$delay_cap_us
    how+=":$rc"
  fi
  seen[$kind]=1

  # The rerun completes whatever was left.
  rc=0
  "$QG" --json "$mnt" >"$WORK/rerun.json" 2>"$WORK/rerun.err" || rc=$?
  [ "$rc" = 0 ] || [ "$rc" = 1 ] ||
    { cat "$WORK/rerun.err" >&2; fail "trial $trial ($how): rerun exit $rc"; }
  run_qg 1 "$WORK/again.json" --json "$mnt"
  wait "$writer" || fail "trial $trial: the writer failed"

  n=$(sectors_of "$d")
  end=$(( $(part_field "$d" 1 start) + $(part_field "$d" 1 size) - 1 ))
  assert_eq "$end" $((n - 34)) "trial $trial ($how): end of the partition"
  psize=$(blockdev --getsize64 "$p")
  got=$(fs_size "$fs" "$p" "$mnt")
  assert_eq "$(jget "$WORK/again.json" '.layers[1].size')" "$got" \
    "trial $trial ($how): reported filesystem size"
  [ "$got" -le "$psize" ] && [ $((psize - got)) -lt $((psize / 100)) ] ||
    fail "trial $trial ($how): $fs of $got bytes in a partition of $psize"

  unmount_fs "$mnt"
  check_table "$d" "$label"
  check_fs "$fs" "$p"
  mount "$p" "$mnt"
  check_data "$mnt"
  assert_eq "$(cksum <"$mnt/busy.$trial")" "$(busy_content "$trial" | cksum)" \
    "trial $trial ($how): the file written during the grow"
  rm -f "$mnt/busy.$trial"
  note "trial $trial: $how, then grown to $got bytes"
done
echo "ok: $trials crash trials on $fs/$label (seed $seed; kinds: ${!seen[*]})"
