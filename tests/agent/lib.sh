# Helpers for the agent tests: the patched qemu-ga listening on a unix
# socket in the test's own directory, driven with real JSON commands by
# tests/vm/qmp-client.py (guest-sync-delimited first, then the command),
# stopped by its PID on exit (also on failure).
# Source after tests/loop/lib.sh, which takes the qga-grow binary; the
# test's next argument is the patched qemu-ga:
#   TEST.sh QGA-GROW QEMU-GA
QGA=${1:?usage: $0 QGA-GROW QEMU-GA}
shift

if [ ! -x "$QGA" ]; then
  _series=$(basename "$(dirname "$QGA")")
  _msg="no patched qemu-ga at $QGA: run scripts/build-qemu-ga.sh --series ${_series#qemu-ga-}"
  # CI builds it first (scripts/setup.sh test): there, a missing one fails.
  [ -z "${CI:-}" ] || fail "$_msg"
  echo "SKIP: $_msg"
  exit 77
fi
QGA=$(readlink -f "$QGA")
QGA_CLIENT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../vm" && pwd)/qmp-client.py
AGENT_SOCK=$WORK/agent.sock
AGENT_PID=

stop_agent() {
  [ -n "$AGENT_PID" ] || return 0
  kill "$AGENT_PID" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$AGENT_PID" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$AGENT_PID" 2>/dev/null || true
  wait "$AGENT_PID" 2>/dev/null || true   # its status: killed, as asked
  AGENT_PID=
  rm -f "$AGENT_SOCK"
}
on_exit stop_agent

# start_agent [QEMU-GA OPTIONS...]: start qemu-ga, wait until it answers.
start_agent() {
  stop_agent
  mkdir -p "$WORK/agent-state"
  "$QGA" -m unix-listen -p "$AGENT_SOCK" -t "$WORK/agent-state" \
    -f "$WORK/agent.pid" -l "$WORK/agent.log" "$@" &
  AGENT_PID=$!
  for _ in $(seq 100); do
    [ -S "$AGENT_SOCK" ] && break
    kill -0 "$AGENT_PID" 2>/dev/null || { cat "$WORK/agent.log" >&2; fail "qemu-ga $* exited"; }
    sleep 0.1
  done
  [ -S "$AGENT_SOCK" ] || fail "qemu-ga made no socket in 10 s"
  call "$WORK/ping" '{"execute":"guest-ping"}'
  assert_eq "$(jq -c . "$WORK/ping")" '{"return":{}}' "guest-ping reply"
}

# call OUT COMMAND-JSON: send one command; its reply goes to OUT.
call() {
  local out=$1 rc=0
  /usr/bin/python3 "$QGA_CLIENT" qga "$AGENT_SOCK" "$2" --timeout 60 >"$out" || rc=$?
  # 0: a return value, 1: an error reply, both are for the caller to judge
  [ "$rc" -le 1 ] || { cat "$WORK/agent.log" >&2; fail "no reply from qemu-ga to $2"; }
  jq -e . "$out" >/dev/null || fail "reply to $2 is not JSON: $(cat "$out")"
}

# grow_cmd ARGS-JSON: the guest-grow-disk command with these arguments,
# as written (jq would turn integers past 2^53 into doubles).
grow_cmd() { printf '{"execute": "guest-grow-disk", "arguments": %s}' "$1"; }

# expect_return OUT COMMAND-JSON: the command succeeds; OUT holds .return.
expect_return() {
  call "$1.reply" "$2"
  jq -e 'has("return")' "$1.reply" >/dev/null ||
    fail "$2 answered $(jq -c . "$1.reply"), want a return value"
  jq .return "$1.reply" >"$1"
}

# expect_error CLASS PATTERN COMMAND-JSON: the command fails with that
# error class and a message matching PATTERN (grep -E).
expect_error() {
  local out=$WORK/error.reply desc
  call "$out" "$3"
  assert_eq "$(jq -r '.error.class // "no error"' "$out")" "$1" "error class of $3"
  desc=$(jq -r .error.desc "$out")
  grep -Eq -- "$2" <<<"$desc" || fail "$3: message '$desc' does not match '$2'"
  note "refused as expected: $desc"
}

# check_grown REPLY DISK N FS MOUNTPOINT OLD-PART-BYTES OLD-FS-BYTES: a
# guest-grow-disk reply that grew partition N and its filesystem, against
# what sfdisk, blockdev and the filesystem's own tools read.
check_grown() {
  local out=$1 disk=$2 n=$3 fs=$4 mnt=$5 old_part=$6 old_fs=$7
  local part label ss start size want_end
  part=$(part_dev "$disk" "$n")
  label=$(sfdisk --json "$disk" | jq -r .partitiontable.label)
  ss=$(blockdev --getss "$disk")
  start=$(part_field "$disk" "$n" start)
  size=$(part_field "$disk" "$n" size)
  if [ "$label" = gpt ]; then   # the last usable sector, before the backup table
    want_end=$(sfdisk --json "$disk" | jq -r .partitiontable.lastlba)
  else                          # growpart's 33 spare sectors at the end of MBR
    want_end=$(($(sectors_of "$disk") - 34))
  fi
  assert_eq "$((start + size - 1))" "$want_end" "end of partition $n (sectors)"
  assert_eq "$(jget "$out" '[.changed, .["dry-run"], .disk, .["disk-size"], .["sector-size"]] | @tsv')" \
    "$(printf 'true\tfalse\t%s\t%s\t%s' "$disk" "$(blockdev --getsize64 "$disk")" "$ss")" \
    "changed, dry-run, disk, disk-size, sector-size"
  assert_eq "$(jget "$out" '.layers[0] | [.kind, .device, .type, .partno, .["old-size"], .size, .changed] | @tsv')" \
    "$(printf 'partition\t%s\t%s\t%s\t%s\t%s\ttrue' "$part" "$label" "$n" "$old_part" "$((size * ss))")" \
    "partition layer vs sfdisk"
  assert_eq "$(blockdev --getsize64 "$part")" "$((size * ss))" "partition size: the kernel's vs the table's"
  assert_eq "$(jget "$out" '.layers[1] | [.kind, .device, .type, .mountpoint, .["old-size"], .size, .changed] | @tsv')" \
    "$(printf 'filesystem\t%s\t%s\t%s\t%s\t%s\ttrue' "$part" "$fs" "$mnt" "$old_fs" "$(fs_size "$fs" "$part" "$mnt")")" \
    "filesystem layer vs the $fs tools"
  assert_eq "$(jget "$out" '.layers | length')" 2 "number of layers"
}

# check_nothing_to_do DISK MOUNTPOINT ARGS-JSON: once more: changed false
# everywhere, not one byte written (the filesystem frozen meanwhile).
check_nothing_to_do() {
  local disk=$1 before
  freeze_fs "$2"
  before=$(fingerprint "$disk")
  expect_return "$WORK/again.json" "$(grow_cmd "$3")"
  assert_eq "$(fingerprint "$disk")" "$before" "disk image after a call with nothing to do"
  thaw_fs
  assert_eq "$(jget "$WORK/again.json" '[.changed, (.layers[] | .changed)] | map(tostring) | join(",")')" \
    false,false,false "changed, on the disk and each layer, with nothing to do"
  assert_eq "$(jget "$WORK/again.json" '[.layers[] | .size == .["old-size"]] | all')" true \
    "sizes with nothing to do"
}

# mounted_disk SIZE SECTOR TABLE N FS: a new loop disk of SIZE with
# SECTOR-byte sectors and the partition TABLE (an sfdisk script), FS made on
# partition N and mounted.  Sets d, p (the partition), mnt, and old_part and
# old_fs (their sizes in bytes, before any growth).
mounted_disk() {
  make_disk "$1" "$2"; d=$DISK
  partition "$d" "$3"
  p=$(part_dev "$d" "$4")
  make_fs "$5" "$p"
  mount_fs "$p"; mnt=$MNT
  old_part=$(blockdev --getsize64 "$p") old_fs=$(fs_size "$5" "$p" "$mnt")
}
