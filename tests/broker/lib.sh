# The request path's pieces for tests, the demo and the benchmark (source
# it after tests/loop/lib.sh, which gives WORK, on_exit, fail, note):
# a private broker (rabbitmq.sh) with the users a cloud would have, compute
# nodes (a private libvirtd each, a storage pool, shut-off domains whose
# disks are its volumes, a virt-growd), and requests sent to them.
# Everything is stopped by PID on exit.
#   needs: VG (virt-grow), VGD (virt-growd), VG_AMQP (tests/broker/vg-amqp)
BROKER_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BROKER_TOP=$(cd "$BROKER_HERE/../.." && pwd)
LIBVIRTD=$BROKER_TOP/host-cli/tests/libvirtd.sh
RMQ=$BROKER_HERE/rabbitmq.sh
export VIRT_GROW_SCHEMA=${VIRT_GROW_SCHEMA:-$BROKER_TOP/broker/wire.schema.json}
M=$((1 << 20))
declare -A VGD_PID NODE_URI

# Exit hooks that must run before the ones already there (daemons before
# their libvirtd, both before the broker).
on_exit_first() { EXIT_HOOKS=("$1" "${EXIT_HOOKS[@]}"); }

# broker_up: the broker in $WORK/rmq; PORT, TLS_PORT, CA, NODE set; the
# users: api (the cloud's API service: writes to the exchange only),
# intruder (the same rights, but no requester of any node), test (the
# tests' own bookkeeping: everything).  Passwords in $WORK/pw/USER.
broker_up() {
  on_exit '"$RMQ" stop "$WORK/rmq"'
  "$RMQ" start "$WORK/rmq" || fail "the private rabbitmq-server did not start"
  # shellcheck disable=SC1091
  . "$WORK/rmq/env"
  mkdir -p "$WORK/pw"
  local u
  for u in api intruder test; do
    broker_user "$u"
  done
  rmqctl set_permissions -p / api '^$' '^virt-grow$' '^$'
  rmqctl set_permissions -p / intruder '^$' '^virt-grow$' '^$'
  rmqctl set_permissions -p / test '.*' '.*' '.*'
}

rmqctl() { "$RMQ" ctl "$WORK/rmq" "$@"; }

# broker_user USER: a broker user with a random password in $WORK/pw/USER
broker_user() {
  (umask 077; head -c 12 /dev/urandom | base64 | tr -d '/+=' >"$WORK/pw/$1")
  rmqctl add_user "$1" "$(cat "$WORK/pw/$1")" >/dev/null
}

# The permissions README.md gives a compute node: it declares and reads
# its own queue only, publishes replies (default exchange) and dead letters.
node_permissions() {
  local n=$1
  rmqctl set_permissions -p / "$n" \
    "^(virt-grow|virt-grow\\.dead-letter|virt-grow\\.$n|virt-grow\\.dead-letter\\.$n)\$" \
    "^(amq\\.default|virt-grow\\.dead-letter|virt-grow\\.$n|virt-grow\\.dead-letter\\.$n)\$" \
    "^(virt-grow|virt-grow\\.dead-letter|virt-grow\\.$n)\$"
}

url_of() { echo "amqp://$1@127.0.0.1:$PORT/"; }

# node_up NAME CONFIG-LINES...: a compute node NAME: broker user NAME, a
# private libvirtd with a pool (or the libvirtd at NODE_LIBVIRT_URI), and a
# virt-growd whose configuration is the lines given (the [broker] and
# [libvirt] sections are written here: BROKER_URL overrides the plain
# loopback URL, BROKER_EXTRA adds lines).
node_up() {
  local n=$1
  shift
  mkdir -p "$WORK/$n/pool"
  broker_user "$n"
  node_permissions "$n"
  if [ -n "${NODE_LIBVIRT_URI:-}" ]; then
    NODE_URI[$n]=$NODE_LIBVIRT_URI
    on_exit_first "daemon_kill $n"
  else
    on_exit_first "\"$LIBVIRTD\" stop \"$WORK/$n/libvirt\""
    on_exit_first "daemon_kill $n"
    NODE_URI[$n]=$("$LIBVIRTD" start "$WORK/$n/libvirt") || fail "libvirtd of $n did not start"
    virsh -q -c "${NODE_URI[$n]}" pool-define-as pool dir --target "$WORK/$n/pool" >/dev/null
    virsh -q -c "${NODE_URI[$n]}" pool-start pool >/dev/null
  fi
  (umask 077; cp "$WORK/pw/$n" "$WORK/$n/password")
  {
    echo "[broker]"
    echo "url = ${BROKER_URL:-$(url_of "$n")}"
    echo "password-file = $WORK/$n/password"
    echo "node = $n"
    [ -n "${BROKER_EXTRA:-}" ] && printf '%s\n' "$BROKER_EXTRA"
    echo "[libvirt]"
    echo "uri = ${NODE_URI[$n]}"
    printf '%s\n' "$@"
  } >"$WORK/$n/virt-growd.conf"
  chmod 600 "$WORK/$n/virt-growd.conf"
  daemon_start "$n"
}

# daemon_start NAME: virt-growd of node NAME, its log in $WORK/NAME/log;
# returns once it consumes its queue.
daemon_start() {
  local n=$1 t0=$SECONDS before now
  before=$(grep -c "consuming virt-grow\\.$n" "$WORK/$n/log" 2>/dev/null) || before=0
  "$VGD" --config "$WORK/$n/virt-growd.conf" >>"$WORK/$n/log" 2>&1 &
  VGD_PID[$n]=$!
  until now=$(grep -c "consuming virt-grow\\.$n" "$WORK/$n/log" 2>/dev/null) && [ "$now" -gt "$before" ]; do
    kill -0 "${VGD_PID[$n]}" 2>/dev/null || { cat "$WORK/$n/log" >&2; fail "virt-growd of $n stopped"; }
    [ $((SECONDS - t0)) -lt 60 ] || { cat "$WORK/$n/log" >&2; fail "virt-growd of $n did not consume"; }
    sleep 0.2
  done
}

# daemon_stop NAME: SIGTERM, and its exit status in DAEMON_RC
daemon_stop() {
  local pid=${VGD_PID[$1]:-}
  DAEMON_RC=0
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" || DAEMON_RC=$?
  VGD_PID[$1]=
}

daemon_kill() {
  local pid=${VGD_PID[$1]:-}
  [ -n "$pid" ] || return 0
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  VGD_PID[$1]=
}

libvirtd_pid() { cat "$WORK/$1/libvirt/libvirtd.pid"; }

# domain NODE NAME [METADATA-XML]: a shut-off domain whose disk vdb is a
# 64 MiB raw volume NAME.raw of the node's pool
domain() {
  local n=$1 name=$2 meta=${3:-}
  virsh -q -c "${NODE_URI[$n]}" vol-create-as pool "$name.raw" 64M --format raw >/dev/null
  cat >"$WORK/$n/$name.xml" <<EOX
<domain type='qemu'>
  <name>$name</name>
  <memory unit='MiB'>32</memory>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  ${meta:+<metadata>$meta</metadata>}
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/><source file='$WORK/$n/pool/$name.raw'/>
      <target dev='vdb' bus='virtio'/><serial>$name-data</serial>
    </disk>
  </devices>
</domain>
EOX
  virsh -q -c "${NODE_URI[$n]}" define "$WORK/$n/$name.xml" >/dev/null
}

# The owners: ours, and Nova's (1.1 and 1.0)
owner() { echo "<vgrow:owner xmlns:vgrow='urn:qga-grow:virt-grow:owner:1' project='$1'/>"; }
nova_owner() {
  echo "<nova:instance xmlns:nova='http://openstack.org/xmlns/libvirt/nova/$2'><nova:name>i</nova:name><nova:owner><nova:user uuid='u-1'>alice</nova:user><nova:project uuid='$1'>demo</nova:project></nova:owner></nova:instance>"
}

vol_size() { qemu-img info -U --output=json "$WORK/$1/pool/$2.raw" | jq '."virtual-size"'; }

# request PROJECT DOMAIN DISK SIZE [NOT-AFTER [ID]]: a request's JSON
request() {
  local id=${6:-$(cat /proc/sys/kernel/random/uuid)}
  printf '{"version":1,"id":"%s","project":"%s","domain":"%s","disk":"%s","size":%s,"not-after":%s}\n' \
    "$id" "$1" "$2" "$3" "$4" "${5:-$(($(date +%s) + 300))}"
}

# send NODE USER FILE [vg-amqp options]: publish as USER, wait for the
# reply (in $WORK/reply.json); SEND_RC is vg-amqp's status
send() {
  local n=$1 u=$2 f=$3
  shift 3
  SEND_RC=0
  "$VG_AMQP" publish "$(url_of "$u")" "$n" "$f" --password-file "$WORK/pw/$u" \
    --replies 1 --timeout 120 "$@" >"$WORK/reply.json" 2>"$WORK/send.err" || SEND_RC=$?
}
reply() { jq -r "$1" "$WORK/reply.json"; }

# vgb NODE PROJECT ARGS...: virt-grow --broker as the API user; output in
# $WORK/vgb.out, .err, status in VGB_RC
vgb() {
  local n=$1 p=$2
  shift 2
  VGB_RC=0
  "$VG" --broker "$(url_of api)" --broker-password-file "$WORK/pw/api" --node "$n" \
    --project "$p" "$@" >"$WORK/vgb.out" 2>"$WORK/vgb.err" || VGB_RC=$?
}

# queue_counts QUEUE: "READY UNACKED"
queue_counts() {
  rmqctl list_queues name messages_ready messages_unacknowledged |
    awk -v q="$1" '$1 == q { print $2, $3 }'
}

# wait_unacked QUEUE N: until N deliveries of QUEUE are held unacknowledged
wait_unacked() {
  local t0=$SECONDS
  until [ "$(queue_counts "$1" | awk '{ print $2 }')" = "$2" ]; do
    [ $((SECONDS - t0)) -lt 60 ] || fail "$1: not $2 unacknowledged after 60 s ($(queue_counts "$1"))"
    sleep 0.3
  done
}

# wait_counts QUEUE "READY UNACKED": until the queue holds that
wait_counts() {
  local t0=$SECONDS
  until [ "$(queue_counts "$1")" = "$2" ]; do
    [ $((SECONDS - t0)) -lt 60 ] || fail "$1: not \"$2\" after 60 s ($(queue_counts "$1"))"
    sleep 0.3
  done
}
