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
# AGENT_WRAP (an array) goes in front of it, e.g. capsh dropping a
# capability (then "--" and a shell command line, as capsh takes it).
AGENT_WRAP=()
start_agent() {
  stop_agent
  mkdir -p "$WORK/agent-state"
  ${AGENT_WRAP[@]+"${AGENT_WRAP[@]}"} "$QGA" -m unix-listen -p "$AGENT_SOCK" -t "$WORK/agent-state" \
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

# ---- guest-grow-disk's asynchronous form ----

# start_job ARGS-JSON: guest-grow-disk with these arguments and "async":
# true; checks that the reply is {"job": N} alone, N > 0; sets JOB.  (That
# it comes at once is shown by the tests that hold the job back: the reply
# comes while the grow cannot go on.  Times here are loose: a loaded
# machine takes seconds for a client to start.)
start_job() {
  local t0 args
  args=$(jq -c '. + {async: true}' <<<"$1")
  t0=$(date +%s%N)
  expect_return "$WORK/job.json" "$(grow_cmd "$args")"
  (( ($(date +%s%N) - t0) / 1000000 < 30000 )) || fail "guest-grow-disk with async took over 30 s"
  assert_eq "$(jq -c 'keys' "$WORK/job.json")" '["job"]' "members of the async reply"
  JOB=$(jq -r .job "$WORK/job.json")
  [[ $JOB =~ ^[1-9][0-9]*$ ]] || fail "job id '$JOB' is no number above 0"
}

# job_status OUT JOB: guest-grow-disk-status; OUT holds .return.
job_status() {
  expect_return "$1" "{\"execute\": \"guest-grow-disk-status\", \"arguments\": {\"job\": $2}}"
}

# wait_job OUT JOB [SECONDS]: poll the status until done (default 120 s);
# OUT holds the final status, $WORK/phases every running status seen.
wait_job() {
  local end=$((SECONDS + ${3:-120}))
  : >"$WORK/phases"
  while :; do
    job_status "$1" "$2"
    [ "$(jq -r .done "$1")" = true ] && return 0
    jq -c . "$1" >>"$WORK/phases"
    [ "$SECONDS" -lt "$end" ] || fail "job $2 not done after ${3:-120} s: $(jq -c . "$1")"
    sleep 0.1
  done
}

# expect_ping_fast WHILE: guest-ping answers (the agent's main loop is
# free); tests call it while a job is held back, so an answer at all shows
# that the job does not block the agent; within 30 s, for a loaded machine.
expect_ping_fast() {
  local t0
  t0=$(date +%s%N)
  call "$WORK/ping" '{"execute":"guest-ping"}'
  assert_eq "$(jq -c . "$WORK/ping")" '{"return":{}}' "guest-ping reply"
  (( ($(date +%s%N) - t0) / 1000000 < 30000 )) || fail "guest-ping took over 30 s: ${1:-}"
}

# hold_lock DISK: a process of this test takes the disk's lock (a BSD
# flock on its node, as growers do) and keeps it until release_lock;
# LOCK_PID is its PID, the one /proc/locks shows.
LOCK_PID=
hold_lock() {
  /usr/bin/python3 -c '
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY)
fcntl.flock(fd, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(3600)' "$1" >"$WORK/lock.out" &
  LOCK_PID=$!
  for _ in $(seq 100); do grep -q locked "$WORK/lock.out" && return 0; sleep 0.1; done
  fail "the test's lock holder did not lock $1"
}
release_lock() {
  [ -n "$LOCK_PID" ] || return 0
  kill "$LOCK_PID" 2>/dev/null || true
  wait "$LOCK_PID" 2>/dev/null || true
  LOCK_PID=
}
on_exit release_lock

# stop_tool_on TOOL DEV (before start_agent): the agent runs TOOL (a
# filesystem's offline grow: e2fsck, resize2fs) through a stand-in, bind-
# mounted over /usr/sbin/TOOL in the agent's own mount namespace, that stops
# itself (SIGSTOP) the first time it is run on DEV and then runs the real
# one, so that the grow stays in that tool however short its run or busy
# the host (watching /proc for it could miss it).  The stand-in leaves its
# PID in WORK/paused/pid: await_tool_pause waits (up to 60 s) until that
# process is stopped, resume_tool lets it go on (also on exit, and also one
# that stopped before the test saw it: stopped, it would keep the agent
# from exiting).
stop_tool_on() {
  local tool=$1 dev=$2
  cp "/usr/sbin/$tool" "$WORK/real-$tool"
  cat >"$WORK/stand-in-$tool" <<EOF
#!/bin/sh
case " \$* " in
  *" $dev "*) mkdir "$WORK/paused" 2>/dev/null && { echo \$\$ >"$WORK/paused/pid"; kill -STOP \$\$; } ;;
esac
exec "$WORK/real-$tool" "\$@"
EOF
  chmod +x "$WORK/stand-in-$tool"
  # shellcheck disable=SC2016 # for that sh
  AGENT_WRAP=(unshare -m --propagation private sh -c 'mount --bind "$0" "$1" && shift && exec "$@"'
              "$WORK/stand-in-$tool" "/usr/sbin/$tool" ${AGENT_WRAP[@]+"${AGENT_WRAP[@]}"})
}
await_tool_pause() {
  local _ pid
  for _ in $(seq 600); do
    pid=$(cat "$WORK/paused/pid" 2>/dev/null || true)
    [ -n "$pid" ] && [ "$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)" = T ] &&
      { note "paused a filesystem tool ($pid) of the agent's"; return 0; }
    sleep 0.1
  done
  fail "the agent ran no stopping stand-in within 60 s"
}
resume_tool() {
  local pid
  pid=$(cat "$WORK/paused/pid" 2>/dev/null || true)
  [ -n "$pid" ] || return 0
  kill -CONT "$pid" 2>/dev/null || true
  rm -f "$WORK/paused/pid"   # once: the stand-in does not stop again
}
# first of the exit hooks: a paused tool goes on before the agent stops
EXIT_HOOKS=(resume_tool "${EXIT_HOOKS[@]}")
