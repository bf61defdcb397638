# shellcheck shell=bash
# The disk that lies about flushes (TORTURE.md, "Power cuts"), sourced by
# powercut.sh for its flakey-* cases: a grow through the CLI on a disk
# under dm-flakey, which from a random point on drops every write and
# flush while saying they were done (reads still see the disk).  The image
# is then what such a disk holds after the cut, checked as a fresh boot
# would (lib.sh: pc_check_point): an older or newer consistent state that a
# rerun completes.  The logged grow itself may fail once its writes are
# gone (it reads back what it wrote): then it must say why (exit 2 or 3
# with a message), never crash or hang.
#
# The disk, bottom-up: IMG -> loop A -> dm "flakey" (all writes pass, then
# reloaded with drop_writes) -> dm "linear" of the old size (reloaded with
# the new one, lib.sh's pc_enlarge) -> loop B with partitions (PC_DISK).
# Where the writes stop: at one of the CLI's steps (QG_FAULT_HOOK), either
# at once (the grow waits for it) or a random 0-900 ms later, while the
# grow goes on.

PC_FLAKEY_STEPS=(locked planned table-written kernel-told fs-growing fs-grown)

# pc_flakey_start: IMG under dm-flakey as above; sets PC_FL, PC_LIN,
# PC_DISK, PC_PART (pc_enlarge and pc_open_stack work on it).
pc_flakey_start() {
  stack_modules faults
  PC_LOOPA=$(losetup --find --show "$IMG")
  on_teardown _loop_off "$PC_LOOPA" "$IMG"
  PC_FL=$PC_NAME-fl PC_LIN=$PC_NAME-disk
  # shellcheck disable=SC2034  # what lies under the linear mapping, pc_enlarge's name
  PC_LW=$PC_FL
  on_teardown _dm_remove "$PC_FL"
  # up for a day: every write passes until the reload below
  dmsetup create "$PC_FL" --table "0 $((PC_S1 / 512)) flakey $PC_LOOPA 0 86400 0"
  on_teardown _dm_remove "$PC_LIN"
  dmsetup create "$PC_LIN" --table "0 $((PC_S0 / 512)) linear /dev/mapper/$PC_FL 0"
  PC_DISK=$(losetup --find --show --partscan --direct-io=on "/dev/mapper/$PC_LIN")
  on_teardown _loop_off "$PC_DISK" "/dev/mapper/$PC_LIN"
  partx -a "$PC_DISK" 2>/dev/null || true
  PC_PART=$(part_dev "$PC_DISK" 1)
  wait_node "$PC_PART"
}

# pc_flakey_stop: everything above closed, the flakey stack taken down.
pc_flakey_stop() {
  pc_disk_and_linear_stop
  dmsetup remove "$PC_FL"
  losetup -d "$PC_LOOPA"
}

# flakey_case CASE: QG_POWERCUT_FLAKEY_TRIALS (default 2) trials of CASE,
# flakey-LABEL-FS[-STACK], each from a fresh starting disk.
flakey_case() {
  local name=$1 label fs stack t trials=${QG_POWERCUT_FLAKEY_TRIALS:-2} t0=$SECONDS
  IFS=- read -r _ label fs stack <<<"$name"
  PC_TABLE_REPAIRED=0 PC_RERUN_GREW=0 PC_SB_MENDED=0   # pc_check_point's counts
  stack=${stack:-none}
  for ((t = 1; t <= trials; t++)); do
    flakey_trial "$name" "$label" "$fs" "$stack" "$t"
  done
  note "$name: $trials trials passed ($PC_RERUN_GREW reruns grew, $PC_TABLE_REPAIRED tables" \
    "and $PC_SB_MENDED xfs secondary superblocks mended by the rerun; $((SECONDS - t0)) s)"
  total_flakey=$((total_flakey + trials))
  total_repaired=$((total_repaired + PC_TABLE_REPAIRED)) total_grew=$((total_grew + PC_RERUN_GREW))
  total_sb=$((total_sb + PC_SB_MENDED))
}

# flakey_trial NAME LABEL FS STACK N
flakey_trial() {
  local name=$1 step delay rc what
  # shellcheck disable=SC2034  # the stack's, from pc_build_base
  KEYFILE='' CRYPT='' CRYPT_NAME='' VG='' LV=''
  pc_build_base "$2" "$3" "$4"
  rm -f "$BASE"
  pc_flakey_start
  pc_open_stack "$PC_PART"
  mount_fs "$PC_DEV"
  mkdir "$MNT/logged"
  write_data "$MNT/logged" logged 2
  pc_enlarge
  step=${PC_FLAKEY_STEPS[RANDOM % ${#PC_FLAKEY_STEPS[@]}]}
  delay=$(( RANDOM % 2 ? (RANDOM % 10) * 100 : 0 ))
  what="$name trial $5: writes dropped from step $step + $delay ms"
  rm -f "$WORK/dropped"
  cat >"$WORK/drop" <<EOS
#!/bin/sh
dmsetup reload $PC_FL --table "0 $((PC_S1 / 512)) flakey $PC_LOOPA 0 0 86400 1 drop_writes" &&
dmsetup resume $PC_FL && touch $WORK/dropped
EOS
  # the hook: at the chosen step, drop from now on (or a moment later)
  # shellcheck disable=SC2016  # $1: the hook's own argument
  if [ "$delay" = 0 ]; then
    printf '#!/bin/sh\n[ "$1" != %s ] || exec %s\n' "$step" "$WORK/drop" >"$WORK/flakey-hook"
  else
    printf '#!/bin/sh\n[ "$1" != %s ] || { (sleep %s; %s) >/dev/null 2>&1 & }\n' \
      "$step" "$(printf '0.%d' $((delay / 100)))" "$WORK/drop" >"$WORK/flakey-hook"
  fi
  chmod 755 "$WORK/drop" "$WORK/flakey-hook"
  rc=0
  QG_FAULT_HOOK=$WORK/flakey-hook timeout 600 "$QGF" --json ${KEYFILE:+--key-file "$KEYFILE"} "$MNT" \
    </dev/null >"$WORK/grow.out" 2>"$WORK/grow.err" || rc=$?
  case $rc in
    0) ;;
    2|3) grep -q '^qga-grow' "$WORK/grow.err" ||
           { cat "$WORK/grow.out" "$WORK/grow.err" >&2; fail "$what: the grow exited $rc without a message"; }
         note "$what: the grow on the lying disk exited $rc: $(head -c 300 "$WORK/grow.err" | tr '\n' ' ')" ;;
    *) cat "$WORK/grow.out" "$WORK/grow.err" >&2; fail "$what: the grow exited $rc" ;;
  esac
  # a drop due after the grow's end falls before the unmount's writes; a
  # step the grow never reached (it failed before): the drop comes now
  local w
  for ((w = 0; w < 20; w++)); do [ ! -e "$WORK/dropped" ] || break; sleep 0.1; done
  [ -e "$WORK/dropped" ] || { what+=" (not reached: dropped after the grow)"; "$WORK/drop"; }
  sync
  umount "$MNT"
  pc_close_stack
  pc_flakey_stop
  local grew=$PC_RERUN_GREW
  pc_check_point "$IMG" "$what (grow exit $rc)"
  note "$what: grow exit $rc; passed, the rerun $([ "$PC_RERUN_GREW" = "$grew" ] && echo 'found it done' || echo grew)"
  stack_release
  rm -f "$IMG"
}
