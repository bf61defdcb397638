#!/bin/bash
# Power cuts during a grow (TORTURE.md, "Power cuts"): each CASE grows a
# mounted filesystem on a disk logged by dm-log-writes (lib.sh), then
# replays the log onto copies of the starting disk, cut at every flush and
# FUA write of the grow and at random points in between (where the disk
# may have kept any subset of the writes since the last flush), and checks
# each as a fresh boot would (lib.sh: pc_check_point).
#   powercut.sh QGA-GROW QGA-GROW-FAULTY PC-GROW-LIB REPLAY-LOG CASE...
# CASE is LABEL-FS[-STACK]-HOW: LABEL gpt|dos, FS ext4|xfs|btrfs, STACK
# luks2|lvm|lvm-on-luks2 (none: the filesystem on the partition), or swap
# (a swap partition after it, at the disk's end) or swapext (dos: the Debian
# installer's extended partition holding the swap), grown with --move-swap
# while the swap is on; HOW cli
# (qga-grow-faulty, whose steps mark the log through QG_FAULT_HOOK) or lib
# (pc-grow-lib: qg_grow_full() in-process, marking its progress reports).
# CASE flakey-LABEL-FS[-STACK]: the CLI's grow on a disk that drops its
# writes from a random point on (flakey.sh), QG_POWERCUT_FLAKEY_TRIALS
# times (default 2).
# Environment: QG_POWERCUT_POINTS (flush/FUA cut points checked per case,
# evenly spread, the first and last always; 0: all of them; default 3, the
# CI sample), QG_POWERCUT_BETWEEN (random in-between points before each
# checked one, where the interval holds writes, each a disk not checked
# before; fewer where the interval has fewer such disks; default 1),
# QG_POWERCUT_SEED (default random; printed).  The long run: long-run.sh.
# A swap case's sample also holds every cut point of the swap's move (from
# the swap going off to the kernel being told), however few are asked.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/flakey.sh"
usage="usage: $0 QGA-GROW QGA-GROW-FAULTY PC-GROW-LIB REPLAY-LOG CASE..."
QG=$(readlink -f "${1:?$usage}")
QGF=$(readlink -f "${2:?$usage}")
QGLIB=$(readlink -f "${3:?$usage}")
# the build's LVM preload, next to the CLI (qga-ext/meson.build)
export QG_LVM_DSYNC=${QG_LVM_DSYNC:-$(dirname "$QG")/lvm-dsync.so}
REPLAY=$(readlink -f "${4:?$usage}")
shift 4
[ $# -gt 0 ] || fail "$usage"
max_points=${QG_POWERCUT_POINTS:-3}
between=${QG_POWERCUT_BETWEEN:-1}
seed=${QG_POWERCUT_SEED:-$(( $(date +%s%N) % 32768 ))}
RANDOM=$seed
note "powercut: seed $seed, points per case ${max_points/#0/all}, $between in between per interval"

total_points=0 total_between=0 total_repaired=0 total_grew=0 total_sb=0 total_jfsck=0
total_flakey=0 t_all=$SECONDS

# record CASE: build the starting disk, grow it under the log; sets the
# case's globals (LOG, BASE, IMG, PC_*).
record() {
  local label fs stack how rest rc
  IFS=- read -r label fs rest <<<"$1"
  how=${rest##*-}
  stack=${rest%"$how"}; stack=${stack%-}; stack=${stack:-none}
  case $how in cli|lib) ;; *) fail "case $1: HOW must be cli or lib" ;; esac
  KEYFILE='' CRYPT='' CRYPT_NAME='' VG='' LV=''   # the stack's, from pc_build_base
  pc_build_base "$label" "$fs" "$stack"

  pc_log_start
  pc_open_stack "$PC_PART"
  if [ -n "$PC_SWAP_NO" ]; then
    wait_node "$(part_dev "$PC_DISK" "$PC_SWAP_NO")"
    swapon "$(part_dev "$PC_DISK" "$PC_SWAP_NO")"
  fi
  mount_fs "$PC_DEV"
  # a file written under the log, before the grow (its writes are replayed)
  mkdir "$MNT/logged"
  write_data "$MNT/logged" logged 2
  pc_mark pre-grow
  pc_enlarge
  pc_mark grow-start
  rc=0
  if [ "$how" = cli ]; then
    printf '#!/bin/sh\nexec dmsetup message %s 0 mark "cli-$1"\n' "$PC_LW" >"$WORK/mark-hook"
    chmod 755 "$WORK/mark-hook"
    QG_FAULT_HOOK=$WORK/mark-hook "$QGF" --json ${KEYFILE:+--key-file "$KEYFILE"} \
      ${PC_SWAP_NO:+--move-swap} "$MNT" </dev/null >"$WORK/grow.out" 2>"$WORK/grow.err" || rc=$?
  else
    "$QGLIB" --mark "$PC_LW" ${KEYFILE:+--key-file "$KEYFILE"} ${PC_SWAP_NO:+--move-swap} \
      "$MNT" </dev/null >"$WORK/grow.out" 2>"$WORK/grow.err" || rc=$?
  fi
  [ "$rc" = 0 ] || { cat "$WORK/grow.out" "$WORK/grow.err" >&2; fail "$1: the logged grow exited $rc"; }
  if [ -n "$PC_SWAP_NO" ]; then
    grep -q "swap partition $PC_SWAP_NO .* moves from sector" "$WORK/grow.err" ||
      { cat "$WORK/grow.out" "$WORK/grow.err" >&2; fail "$1: the logged grow did not move the swap"; }
    swapoff "$(part_dev "$PC_DISK" "$PC_SWAP_NO")"
  fi
  pc_mark grow-end
  sync
  pc_mark synced
  umount "$MNT"
  pc_close_stack
  pc_mark unmounted
  pc_log_stop

  # The log is whole: all of it replayed onto BASE is the final disk.
  "$REPLAY" list "$LOG" >"$WORK/entries"
  local n
  n=$(wc -l <"$WORK/entries")
  if [ -n "$PC_LVM_FIRST" ]; then
    n=$(pc_check_lvm_order "$WORK/entries") || fail "$1: $n"
    [ "$n" -gt 0 ] || fail "$1: the grow wrote nothing to LVM's area (sectors $PC_LVM_FIRST-$PC_LVM_END)"
    note "$1: $n writes to LVM's area, each on stable storage before the next"
    n=$(wc -l <"$WORK/entries")
  fi
  cp --sparse=always "$BASE" "$WORK/full.img"
  "$REPLAY" apply "$LOG" "$WORK/full.img" 0 $((n - 1))
  cmp -s "$WORK/full.img" "$IMG" || fail "$1: the whole log replayed onto the start is not the final disk"
  rm -f "$WORK/full.img"
}

# replay_case CASE: check the cut points of the grow, from the mark
# grow-start to the log's end.
replay_case() {
  local name=$1 start last i f prev npts=0 nbtw=0 t0=$SECONDS swap_from='' swap_to=''
  local -a idx flags allcuts
  PC_TABLE_REPAIRED=0 PC_RERUN_GREW=0 PC_SB_MENDED=0 PC_JOURNAL_BY_FSCK=0
  while read -r i f _ _ m; do
    idx+=("$i") flags+=("$f")
    [ "$f" = M ] || continue
    [ "$m" = grow-start ] && start=$i
    # the swap's move: from the swap going off (or the partition layer's
    # start) to the kernel told (or the next layer's start)
    case $m in
      cli-swap-off|lib-growing-partition-*) swap_from=${swap_from:-$i} ;;
      cli-kernel-told|lib-growing-filesystem-*) swap_to=${swap_to:-$i} ;;
    esac
  done <"$WORK/entries"
  [ -n "${start:-}" ] || fail "$name: no grow-start mark in the log"
  last=$(( ${#idx[@]} - 1 ))
  # cut points: the grow's start, each flush or FUA write after it, the end
  # (a cut that adds no write to the one before leaves the same disk: one
  # of them is checked)
  allcuts=("$start")
  local wrote=0
  for ((i = start + 1; i <= last; i++)); do
    case ${flags[i]} in M) ;; *F*|*U*) ;; *) wrote=1 ;; esac
    case ${flags[i]} in
      *U*) allcuts+=("$i"); wrote=0 ;;
      *F*) [ "$wrote" = 0 ] || allcuts+=("$i"); wrote=0 ;;
    esac
  done
  [ "$wrote" = 0 ] || allcuts+=("$last")
  # a sample of them when asked to keep the run short (the first and last
  # always; the rest evenly spread); by their index in allcuts
  local -a sel=() ; local k
  if [ "$max_points" -gt 1 ] && [ "${#allcuts[@]}" -gt "$max_points" ]; then
    for ((k = 0; k < max_points; k++)); do
      sel+=($(( k * (${#allcuts[@]} - 1) / (max_points - 1) )))
    done
  else
    for ((k = 0; k < ${#allcuts[@]}; k++)); do sel+=("$k"); done
  fi
  if [ -n "$PC_SWAP_NO" ]; then
    [ -n "$swap_from" ] || fail "$name: no mark of the swap's move in the log"
    for ((k = 0; k < ${#allcuts[@]}; k++)); do
      (( allcuts[k] < swap_from || allcuts[k] > ${swap_to:-$last} )) || sel+=("$k")
    done
    # shellcheck disable=SC2207  # numbers (no /dev/fd in the guest for mapfile < <(...))
    sel=($(printf '%s\n' "${sel[@]}" | sort -n -u))
  fi
  sed -n "$((start + 1)),\$p" "$WORK/entries" | awk '$2 == "M" { printf "%s%s", sep, $5; sep = " " } END { print "" }' >"$WORK/marks"
  [ -z "${QG_POWERCUT_DEBUG:-}" ] || cat "$WORK/entries" >&2
  note "$name: log of $((last + 1)) entries, grow from entry $start; marks: $(cat "$WORK/marks")"

  CUR=$WORK/cur.img
  cp --sparse=always "$BASE" "$CUR"
  prev=-1
  for k in "${sel[@]}"; do
    c=${allcuts[k]}
    # in between the cut point before this one (a flush) and this one, the
    # disk may hold any subset of the plain writes (FUA writes are on it
    # once done): BASE up to that flush, then a random prefix of the
    # interval with a random subset of its writes left out
    if [ "$k" -gt 0 ]; then
      local p=${allcuts[k - 1]} w=() j
      [ "$p" -le "$prev" ] || "$REPLAY" apply "$LOG" "$CUR" $((prev + 1)) "$p"
      prev=$p
      for ((j = p + 1; j < c; j++)); do
        case ${flags[j]} in -|m) w+=("$j") ;; esac
      done
      if [ "${#w[@]}" -ge 2 ]; then
        # each draw a disk not checked before: the writes it keeps differ
        # from every other draw's, from none (the flush's disk) and from
        # all of them (the next cut's, but for that cut's own write);
        # a short interval has few such disks, so the draws are bounded
        local -A seen=()
        local got=0 tries=0
        while [ "$got" -lt "$between" ] && [ "$tries" -lt $((between * 8)) ]; do
          tries=$((tries + 1))
          local upto=${w[RANDOM % ${#w[@]}]} skip=() kept=() s sk
          for s in "${w[@]}"; do
            [ "$s" -le "$upto" ] || break
            if ((RANDOM % 2)); then skip+=("$s"); else kept+=("$s"); fi
          done
          [ "${#kept[@]}" -gt 0 ] && [ "${#kept[@]}" -lt "${#w[@]}" ] || continue
          [ -z "${seen[${kept[*]}]:-}" ] || continue
          seen[${kept[*]}]=1
          sk=$(IFS=,; echo "${skip[*]}")
          pc_point_image "$WORK/pt.img" $((p + 1)) "$upto" "$sk"
          pc_check_point "$WORK/pt.img" "$name: cut at entry $upto, without entries {$sk}"
          nbtw=$((nbtw + 1)) got=$((got + 1))
        done
        unset seen
      fi
    fi
    [ "$c" -le "$prev" ] || "$REPLAY" apply "$LOG" "$CUR" $((prev + 1)) "$c"
    prev=$c
    cp --sparse=always "$CUR" "$WORK/pt.img"
    pc_check_point "$WORK/pt.img" "$name: cut after entry $c (${flags[c]})"
    npts=$((npts + 1))
  done
  rm -f "$WORK/pt.img" "$CUR"
  note "$name: $npts flush/FUA cut points and $nbtw in between passed" \
    "($PC_RERUN_GREW reruns grew, $PC_TABLE_REPAIRED tables and $PC_SB_MENDED xfs secondary" \
    "superblocks mended by the rerun, $PC_JOURNAL_BY_FSCK ext4 journals replayed by e2fsck" \
    "first; $((SECONDS - t0)) s)"
  total_points=$((total_points + npts)) total_between=$((total_between + nbtw))
  total_repaired=$((total_repaired + PC_TABLE_REPAIRED)) total_grew=$((total_grew + PC_RERUN_GREW))
  total_sb=$((total_sb + PC_SB_MENDED)) total_jfsck=$((total_jfsck + PC_JOURNAL_BY_FSCK))
}

for c in "$@"; do
  case $c in flakey-*) flakey_case "$c"; continue ;; esac
  t=$SECONDS
  record "$c"
  note "$c: recorded in $((SECONDS - t)) s"
  replay_case "$c"
  stack_release
  rm -f "$LOG" "$BASE" "$IMG" "$WORK/entries"
done
check_released
echo "PASS: powercut $* (seed $seed): $((total_points + total_between)) cut points" \
  "and $total_flakey flakey trials" \
  "($total_points at flush/FUA, $total_between in between; $total_grew reruns grew," \
  "$total_repaired tables and $total_sb xfs secondary superblocks mended by the rerun;" \
  "$total_jfsck ext4 journals replayed by e2fsck first)" \
  "in $((SECONDS - t_all)) s"
