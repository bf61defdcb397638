#!/bin/bash
# The deep-stack benchmark, in the QEMU guest (tests/stack/lib.sh runs it
# there: device-mapper and md exist only in the guest): for each storage
# stack, a disk of 384 MiB holding it, mounted with data, enlarged to
# 512 MiB (setup not timed), then one of three contenders:
#   qga-grow   qga-grow -q [--key-file KEY] DISK (the array's mountpoint
#              for raid1: both member disks grow in the same call)
#   qga-grow-lib  qg-lib-grow DISK [KEY]: the same qg_grow() call
#              in-process, as qemu-ga makes it; its in-process time too
#   classic    the chain by hand, each tool once, as tests/stack/
#              classic-chain.sh runs it: growpart, cryptsetup resize,
#              pvresize, lvextend, mdadm --grow --size=max, resize2fs or
#              xfs_growfs
#   floor      the work no grower can leave out, each part inside a process
#              already running (bench/stack-floor.py): LVM's metadata commit
#              in an LVM shell started beforehand, libcryptsetup's unlock and
#              resize, md's sysfs, the filesystem's resize ioctl; the
#              partition grown beforehand, not timed
# qga-grow, qga-grow-lib and classic are timed by qg-bench-exec (fork/exec,
# CLOCK_MONOTONIC), each round in alternating order, every stack in every
# round (interleaved); the floor in the first FLOOR-RUNS rounds.  Every run
# checks that the top layer grew by most of the 128 MiB.
#   stack-bench.sh [--runs N] [--floor-runs N] QGA-GROW QG-BENCH-EXEC
#                  QG-RESIZE-FLOOR QG-LIB-GROW [STACK...]
# STACK: plain (ext4 on the partition: the simple stack), ext4-lvm,
# xfs-lvm, luks2-ext4, luks2-xfs, lvm-on-luks2 (ext4), luks2-on-lvm (ext4),
# raid1 (ext4 on md RAID1 of two disks), thin (a thin pool; its thin
# volume's size is its owner's, so neither contender grows that).
# CSV on stdout: stack,contender,run,elapsed_ns,peak_rss_kib,floor_parts,inproc_ns
# With --profile N instead: N runs of qga-grow per stack with
# qg-stage-timer.so preloaded (STAGE-TIMER), and a Markdown table a stack
# of where its time goes (bench/stages.py).
runs=5 floor_runs=3 profile=0 timer=
while [ $# -gt 0 ]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --floor-runs) floor_runs=$2; shift 2 ;;
    --profile) profile=$2 timer=$(readlink -f "$3"); shift 3 ;;
    *) break ;;
  esac
done
QG=$(readlink -f "${1:?usage: $0 [--runs N] [--floor-runs N] QGA-GROW QG-BENCH-EXEC QG-RESIZE-FLOOR QG-LIB-GROW [STACK...]}")
EXEC=$(readlink -f "$2")
FLOOR=$(readlink -f "$3")
LIBGROW=$(readlink -f "$4")
BENCH=$(cd "$(dirname "$0")" && pwd)
HERE=$BENCH/../tests/stack
. "$HERE/lib.sh"
shift 4
export QG_LVM_DSYNC=${QG_LVM_DSYNC:-$(dirname "$QG")/lvm-dsync.so}
stack_modules dm crypt thin raid

OLD=384M NEW=512M
MIN=$((100 << 20))   # every run: the top layer grows by at least this

# build STACK: the stack on fresh disks, mounted, with data; sets DISK (the
# one to name), DISKS (all to enlarge), TARGET, KEY, TOP (the filesystem's
# device, or the pool), FS, and the names the chains use.
build() {
  local s=$1
  DISKS=() KEY='' FS=ext4 TARGET=
  case $s in
    raid1)
      make_disk "$OLD"; local d1=$DISK; partition_disk "$d1" "" raid; local p1=$PART
      make_disk "$OLD"; local d2=$DISK; partition_disk "$d2" "" raid
      make_raid1 "$p1" "$PART"; DISKS=("$d1" "$DISK"); DISK=$d1; TOP=$MD ;;
    *)
      make_disk "$OLD"; DISKS=("$DISK")
      case $s in
        *lvm*|thin) partition_disk "$DISK" "" lvm ;;
        *) partition_disk "$DISK" ;;
      esac ;;
  esac
  case $s in
    plain) TOP=$PART ;;
    ext4-lvm|xfs-lvm) make_lvm "$PART"; TOP=$LV ;;
    luks2-ext4|luks2-xfs) make_luks2 "$PART"; KEY=$KEYFILE; TOP=$CRYPT ;;
    lvm-on-luks2) make_lvm_on_luks2 "$PART"; KEY=$KEYFILE; TOP=$LV ;;
    luks2-on-lvm) make_luks2_on_lvm "$PART"; KEY=$KEYFILE; TOP=$CRYPT ;;
    thin) make_thin "$PART" 256M 1G; TOP=$VG/pool ;;
    raid1) ;;
    *) fail "unknown stack $s" ;;
  esac
  case $s in *xfs*) FS=xfs ;; esac
  if [ "$s" = thin ]; then
    BEFORE=$(lv_size "$TOP")
  else
    make_fs "$FS" "$TOP"; mount_fs "$TOP"; write_data "$MNT" "" 2
    BEFORE=$(fs_size "$FS" "$TOP" "$MNT")
  fi
  TARGET=$DISK
  [ "$s" != raid1 ] || TARGET=$MNT
  local d
  for d in "${DISKS[@]}"; do enlarge "$d" "$NEW"; done
  sync
}

grown() {  # the top layer now: the filesystem's size, or the pool's
  if [ "$1" = thin ]; then lv_size "$TOP"; else fs_size "$FS" "$TOP" "$MNT"; fi
}

# the classic chain's commands, in qg-bench-exec's form
classic_cmd() {
  local s=$1 fsgrow
  case $FS in ext4) fsgrow=(resize2fs "$TOP") ;; xfs) fsgrow=(xfs_growfs "$MNT") ;; esac
  CMD=()
  local d
  for d in "${DISKS[@]}"; do CMD+=(growpart "$d" 1 ---); done
  case $s in
    plain) ;;
    ext4-lvm|xfs-lvm) CMD+=(pvresize "$PART" --- lvextend -l +100%FREE "$VG/lv" ---) ;;
    luks2-ext4|luks2-xfs) CMD+=(cryptsetup resize --key-file "$KEY" "$CRYPT_NAME" ---) ;;
    lvm-on-luks2) CMD+=(cryptsetup resize --key-file "$KEY" "$CRYPT_NAME" --- pvresize "$CRYPT" ---
                        lvextend -l +100%FREE "$VG/lv" ---) ;;
    luks2-on-lvm) CMD+=(pvresize "$PART" --- lvextend -l +100%FREE "$VG/lv" ---
                        cryptsetup resize --key-file "$KEY" "$CRYPT_NAME" ---) ;;
    raid1) CMD+=(mdadm --grow "$MD" --size=max ---) ;;
    thin) CMD+=(pvresize "$PART" --- lvextend -l +100%FREE "$VG/pool") ;;
  esac
  [ "$s" = thin ] || CMD+=("${fsgrow[@]}")
}

# the floor's steps (bench/stack-floor.py), after the partitions grew
floor_steps() {
  local s=$1
  STEPS=()
  case $s in
    ext4-lvm|xfs-lvm) STEPS=(lvm "$PART" "$VG/lv" --) ;;
    luks2-ext4|luks2-xfs) STEPS=(crypt "$CRYPT_NAME" "$KEY" --) ;;
    lvm-on-luks2) STEPS=(crypt "$CRYPT_NAME" "$KEY" -- lvm "$CRYPT" "$VG/lv" --) ;;
    luks2-on-lvm) STEPS=(lvm "$PART" "$VG/lv" -- crypt "$CRYPT_NAME" "$KEY" --) ;;
    raid1) STEPS=(md "$MD" --) ;;
    thin) STEPS=(pool "$PART" "$VG/pool") ;;
  esac
  [ "$s" = thin ] || STEPS+=(fs "$FS" "$MNT" "$TOP")
}

run_one() {  # run_one STACK CONTENDER RUN
  local s=$1 who=$2 out parts='' after d inproc=''
  build "$s"
  case $who in
    qga-grow-lib)
      out=$("$EXEC" -o "$WORK/run.log" -- "$LIBGROW" "$TARGET" ${KEY:+"$KEY"}) ||
        fail "$s: qg-lib-grow: $(tail -n 5 "$WORK/run.log")"
      inproc=$(sed -n 's/^inproc-ns //p' "$WORK/run.log") ;;
    qga-grow)
      out=$("$EXEC" -o "$WORK/run.log" -- "$QG" -q ${KEY:+--key-file "$KEY"} "$TARGET") ||
        fail "$s: qga-grow: $(tail -n 5 "$WORK/run.log")" ;;
    classic)
      classic_cmd "$s"
      out=$("$EXEC" -o "$WORK/run.log" -- "${CMD[@]}") ||
        fail "$s: classic chain: $(tail -n 5 "$WORK/run.log")" ;;
    floor)
      for d in "${DISKS[@]}"; do growpart "$d" 1 >/dev/null; done
      floor_steps "$s"
      out=$(python3 "$BENCH/stack-floor.py" "$FLOOR" "${STEPS[@]}" 2>"$WORK/parts") ||
        fail "$s: floor: $(cat "$WORK/parts")"
      parts=$(tr '\n' ' ' <"$WORK/parts" | sed 's/ $//')
      out="$out " ;;
  esac
  after=$(grown "$s")
  (( after - BEFORE >= MIN )) || fail "$s: $who left the top layer at $after bytes (from $BEFORE)"
  rm -f "$WORK/run.log"
  stack_release
  rm -f "$WORK"/disk*.img   # the guest's /tmp is memory
  echo "$s,$who,$3,${out% *},${out#* },$parts,$inproc"
}

# profile STACK: its stage tables (Markdown)
profile_stack() {
  local s=$1 r
  for ((r = 1; r <= profile; r++)); do
    build "$s"
    QG_STAGES_OUT=$WORK/stages.$r LD_PRELOAD=$timer "$EXEC" -o "$WORK/run.log" -- \
      "$QG" -q ${KEY:+--key-file "$KEY"} "$TARGET" >/dev/null ||
      fail "$s: qga-grow: $(tail -n 5 "$WORK/run.log")"
    stack_release
    rm -f "$WORK"/disk*.img
  done
  echo "### $s"
  echo
  python3 "$BENCH/stages.py" "qga-grow" "$WORK"/stages.*
  echo
  rm -f "$WORK"/stages.*
}

all=(plain ext4-lvm xfs-lvm luks2-ext4 luks2-xfs lvm-on-luks2 luks2-on-lvm raid1 thin)
stacks=("$@")
[ $# -gt 0 ] || stacks=("${all[@]}")
echo "# guest: kernel $(uname -r), $(nproc) CPU, load at the start $(cut -d' ' -f1-3 /proc/loadavg)" >&2
if [ "$profile" -gt 0 ]; then
  for s in "${stacks[@]}"; do
    echo "# profile: $s" >&2
    profile_stack "$s"
  done
  check_released
  exit 0
fi
echo "stack,contender,run,elapsed_ns,peak_rss_kib,floor_parts,inproc_ns"
for ((r = 1; r <= runs; r++)); do
  for s in "${stacks[@]}"; do
    if ((r % 2)); then order=(qga-grow classic qga-grow-lib); else order=(classic qga-grow-lib qga-grow); fi
    [ "$r" -gt "$floor_runs" ] || order+=(floor)
    for who in "${order[@]}"; do
      echo "# round $r/$runs: $s, $who" >&2
      run_one "$s" "$who" "$r"
    done
  done
done
check_released
