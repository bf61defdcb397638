#!/bin/bash
# Sixteen growers on one disk at once, through every way in: the CLI (by
# mountpoint, partition and disk), growpart mode, the udev path as systemd
# runs it ("qga-grow auto DISK:SEQNUM") and as the rule runs it detached
# ("auto --detach"), and the agent command on two patched qemu-ga.  The
# whole-disk lock must let exactly one of them grow the partition and one
# grow the filesystem (growpart mode grows only the partition, so that may
# be two runs); every other run finds nothing to do; nothing is damaged.
#   concurrent-growers.sh QGA-GROW QEMU-GA FS      (FS ext4|xfs|btrfs)
HERE=$(cd "$(dirname "$0")" && pwd)
case "${3:-}" in ext4) . "$HERE/../loop/in-guest-if-needed.sh" "$0" "$@" ;; esac
. "$HERE/../loop/lib.sh"
QGA=$(readlink -f "${1:?usage: $0 QGA-GROW QEMU-GA FS}")
fs=${2:?usage: $0 QGA-GROW QEMU-GA FS}
[ -x "$QGA" ] || fail "no patched qemu-ga at $QGA (scripts/build-qemu-ga.sh)"
CLIENT=$HERE/../vm/qmp-client.py

# Two agents, each on its own socket, stopped by PID.
AGENT_PIDS=()
on_exit 'for p in "${AGENT_PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done'
for a in 1 2; do
  mkdir -p "$WORK/agent$a"
  "$QGA" -m unix-listen -p "$WORK/agent$a/sock" -t "$WORK/agent$a" \
    -f "$WORK/agent$a/pid" -l "$WORK/agent$a/log" &
  AGENT_PIDS+=($!)
done
for a in 1 2; do
  for _ in $(seq 100); do /usr/bin/python3 "$CLIENT" qga "$WORK/agent$a/sock" \
    '{"execute":"guest-ping"}' --timeout 5 >/dev/null 2>&1 && break; sleep 0.1; done
done

make_disk 1G; d=$DISK
partition "$d" "label: gpt
,"
p=$(part_dev "$d" 1)
make_fs "$fs" "$p"
mount_fs "$p"
write_data "$MNT"
enlarge "$d" 3G
printf '[auto]\nenabled=true\n' >"$WORK/auto.conf"
marker="qga-grow-concurrent-$$-$RANDOM"
echo "<14>$marker" >/dev/kmsg
name=${d#/dev/}

# Start all sixteen, then wait for each; every result goes to $WORK/rN.
pids=()
for i in $(seq 1 16); do
  case $i in
    1|2) "$QG" --json "$MNT" ;;
    3|4) "$QG" --json "$p" ;;
    5|6) "$QG" --json "$d" ;;
    7|8) "$QG" growpart "$d" 1 ;;
    9|10|11|12) "$QG" auto --config "$WORK/auto.conf" "$name:$((9000 + i))" ;;
    13|14) "$QG" auto --config "$WORK/auto.conf" --detach "$name:$((9000 + i))" ;;
    15|16) /usr/bin/python3 "$CLIENT" qga "$WORK/agent$((i - 14))/sock" \
             "{\"execute\":\"guest-grow-disk\",\"arguments\":{\"device\":\"$d\"}}" --timeout 120 ;;
  esac >"$WORK/r$i" 2>"$WORK/r$i.err" &
  pids+=($!)
done
codes=()
for pid in "${pids[@]}"; do rc=0; wait "$pid" || rc=$?; codes+=("$rc"); done
note "exit codes: ${codes[*]}"

# The detached ones log to the kernel log: wait for both lines.
kernel_log() { dmesg | sed -n "/$marker/,\$p"; }
for _ in $(seq 100); do
  [ "$(kernel_log | grep -cE "qga-grow\[[0-9]+\]: $d: .*\[uevent 90(13|14)\]")" = 2 ] && break
  sleep 0.1
done
for i in 13 14; do
  kernel_log | grep -E "qga-grow\[[0-9]+\]: $d: .*\[uevent 90$i\]" >"$WORK/r$i" ||
    fail "grower $i (auto --detach) logged nothing"
done

# What each grower changed, "PARTITION FILESYSTEM" as 0/1.
changed() {
  local i=$1
  case $i in
    1|2|3|4|5|6) [ "${codes[i - 1]}" -le 1 ] || fail "grower $i: exit ${codes[i - 1]}: $(cat "$WORK/r$i.err")"
                 jq -r '[.layers[] | if .changed then 1 else 0 end] | join(" ")' "$WORK/r$i" ;;
    7|8) case $(cat "$WORK/r$i") in
           CHANGED:*) echo "1 0" ;; NOCHANGE:*) echo "0 0" ;;
           *) fail "grower $i (growpart mode): $(cat "$WORK/r$i")" ;;
         esac ;;
    # "DISK: grown: partition ... (A -> B bytes); filesystem ... (C -> D bytes)"
    9|10|11|12|13|14)
      [ "$i" -ge 13 ] || [ "${codes[i - 1]}" -le 1 ] || fail "grower $i: $(cat "$WORK/r$i.err")"
      local line pairs
      line=$(grep -hE "$d: (grown|nothing to do): " "$WORK/r$i" "$WORK/r$i.err" | tail -n 1)
      pairs=$(grep -oE '[0-9]+ -> [0-9]+ bytes' <<<"$line" | awk '{ print ($1 != $3) ? 1 : 0 }' |
              paste -sd' ')
      [ "$(wc -w <<<"$pairs")" = 2 ] || fail "grower $i: no result line in: $(cat "$WORK/r$i"*)"
      echo "$pairs" ;;
    15|16) jq -e .return "$WORK/r$i" >/dev/null || fail "grower $i (agent): $(cat "$WORK/r$i")"
           jq -r '[.return.layers[] | if .changed then 1 else 0 end] | join(" ")' "$WORK/r$i" ;;
  esac
}
parts=0 fss=0
for i in $(seq 1 16); do
  read -r cp cf <<<"$(changed "$i")"
  parts=$((parts + cp)) fss=$((fss + ${cf:-0}))
  [ "$cp$cf" = 00 ] || note "grower $i changed: partition $cp, filesystem ${cf:-0}"
done
assert_eq "$parts" 1 "growers that grew the partition"
assert_eq "$fss" 1 "growers that grew the filesystem"

n=$(sectors_of "$d")
assert_eq "$(( $(part_field "$d" 1 start) + $(part_field "$d" 1 size) - 1 ))" $((n - 34)) \
  "partition end"
size=$(fs_size "$fs" "$p" "$MNT")
psize=$(blockdev --getsize64 "$p")
[ "$size" -le "$psize" ] && [ $((psize - size)) -lt $((psize / 100)) ] ||
  fail "$fs of $size bytes in a partition of $psize"
check_data "$MNT"
umount "$MNT"
check_fs "$fs" "$p"
check_table "$d" gpt
echo "ok: 16 concurrent growers on $fs: one grew each layer, the rest found nothing to do"
