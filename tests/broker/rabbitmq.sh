#!/bin/bash
# A private RabbitMQ for tests (Debian's rabbitmq-server, run directly):
# its own node name, loopback ports picked free at run time (AMQP, AMQP
# over TLS, Erlang distribution, epmd), its own data directory and cookie
# under DIR, so that it never meets another broker on the machine.
# Stopped by its PID, and its epmd by its port.  /work/shared/BROKER-NOTES.md
# has the why of each variable.
#   rabbitmq.sh start DIR    start it; DIR/env then holds NODE, PORT,
#                            TLS_PORT, CA (the CA's certificate) for tests
#   rabbitmq.sh stop DIR     stop it (its data stays: start again to resume)
#   rabbitmq.sh ctl DIR ARGS...   rabbitmqctl against it
# TLS: a CA and a server certificate for "localhost" made with openssl on
# the first start.
set -euo pipefail
cmd=${1:?usage: $0 start|stop|ctl DIR}
dir=${2:?usage: $0 start|stop|ctl DIR}
shift 2
RMQ_BIN=/usr/lib/rabbitmq/bin

# A TCP port nobody listens on (nor binds, as far as ss shows), from a
# range above the usual ephemeral ones' start.
free_port() {
  local p
  for _ in $(seq 100); do
    p=$((20000 + RANDOM % 30000))
    if ! ss -Htan "( sport = :$p )" 2>/dev/null | grep -q .; then
      echo "$p"
      return 0
    fi
  done
  echo "rabbitmq.sh: no free port found" >&2
  return 1
}

env_of() {  # the broker's environment, from DIR/env
  # shellcheck disable=SC1091
  . "$dir/env"
  export HOME=$dir RABBITMQ_NODENAME=$NODE RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
    RABBITMQ_NODE_PORT=$PORT RABBITMQ_DIST_PORT=$DIST_PORT ERL_EPMD_PORT=$EPMD_PORT \
    RABBITMQ_MNESIA_BASE=$dir/mnesia RABBITMQ_LOG_BASE=$dir/log \
    RABBITMQ_ENABLED_PLUGINS_FILE=$dir/plugins RABBITMQ_CONF_ENV_FILE=$dir/rabbitmq-env \
    RABBITMQ_CONFIG_FILE=$dir/rabbitmq PATH=$RMQ_BIN:$PATH
}

ctl() {
  env_of
  "$RMQ_BIN/rabbitmqctl" -q -n "$NODE" "$@"
}

make_tls() {
  local t=$dir/tls
  mkdir -p "$t"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=qga-grow test CA" \
    -keyout "$t/ca.key" -out "$t/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
    -keyout "$t/server.key" -out "$t/server.csr" 2>/dev/null
  printf 'subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$t/ext"
  openssl x509 -req -in "$t/server.csr" -CA "$t/ca.pem" -CAkey "$t/ca.key" -CAcreateserial \
    -days 2 -extfile "$t/ext" -out "$t/server.pem" 2>/dev/null
  chmod 0644 "$t"/*.pem "$t"/*.key  # the broker reads them as root anyway
}

# start, and when a fresh broker does not come up (a port taken between
# picking and binding), once more on other ports
start() {
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if [ -f "$dir/env" ]; then
    start_once
  elif ! start_once; then
    rm -rf "$dir/env" "$dir/mnesia" "$dir/log" "$dir/tls"
    echo "rabbitmq.sh: trying again on other ports" >&2
    start_once
  fi
}

start_once() {
  if [ ! -f "$dir/env" ]; then
    local port tls dist epmd
    port=$(free_port) tls=$(free_port) dist=$(free_port) epmd=$(free_port)
    cat >"$dir/env" <<EOF
NODE=qgtest$$-$RANDOM@localhost
PORT=$port
TLS_PORT=$tls
DIST_PORT=$dist
EPMD_PORT=$epmd
CA=$dir/tls/ca.pem
EOF
    make_tls
    echo '[].' >"$dir/plugins"
    : >"$dir/rabbitmq-env"
    . "$dir/env"
    cat >"$dir/rabbitmq.conf" <<EOF
listeners.tcp.default = 127.0.0.1:$PORT
listeners.ssl.default = 127.0.0.1:$TLS_PORT
ssl_options.cacertfile = $dir/tls/ca.pem
ssl_options.certfile = $dir/tls/server.pem
ssl_options.keyfile = $dir/tls/server.key
ssl_options.verify = verify_none
ssl_options.fail_if_no_peer_cert = false
# the tests' daemons ask for short heartbeats
heartbeat = 60
# the tests run with little free disk at times: never block publishers
disk_free_limit.absolute = 1MB
log.console = false
log.file.level = info
EOF
  fi
  env_of
  # the server's shell script execs nothing we could wait on: keep its PID
  # (the script's), and the Erlang VM's, found as its child
  setsid "$RMQ_BIN/rabbitmq-server" >>"$dir/server.out" 2>&1 </dev/null &
  echo $! >"$dir/pid"
  local t0=$SECONDS
  until "$RMQ_BIN/rabbitmqctl" -q -n "$NODE" await_startup --timeout 5 >/dev/null 2>&1; do
    if ! kill -0 "$(cat "$dir/pid")" 2>/dev/null || [ $((SECONDS - t0)) -gt 120 ]; then
      echo "rabbitmq.sh: the broker did not start; its output:" >&2
      tail -n 30 "$dir/server.out" >&2 || true
      stop
      return 1
    fi
    sleep 0.5
  done
  # the VM's PID, for stopping it by PID
  pgrep -P "$(cat "$dir/pid")" -f beam >"$dir/beam.pid" 2>/dev/null || true
}

stop() {
  [ -f "$dir/env" ] || return 0
  env_of
  local pid beam
  pid=$(cat "$dir/pid" 2>/dev/null || true)
  beam=$(cat "$dir/beam.pid" 2>/dev/null || true)
  "$RMQ_BIN/rabbitmqctl" -q -n "$NODE" stop >/dev/null 2>&1 || true
  for p in $beam $pid; do
    for _ in $(seq 100); do
      kill -0 "$p" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$p" 2>/dev/null || true
  done
  # epmd, by its port (the first start leaves one behind otherwise)
  /usr/lib/erlang/bin/epmd -port "$EPMD_PORT" -kill >/dev/null 2>&1 || true
  rm -f "$dir/pid" "$dir/beam.pid"
}

case $cmd in
  start) start ;;
  stop) stop ;;
  ctl) ctl "$@" ;;
  *) echo "usage: $0 start|stop|ctl DIR" >&2; exit 2 ;;
esac
