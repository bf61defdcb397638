#!/bin/bash
# The cloud's request path, for real (issue 20): one private rabbitmq-server
# (rabbitmq.sh), two compute nodes (a private libvirtd and a virt-growd
# each; n1 over plain AMQP on the loopback, n2 over TLS with the broker's
# certificate and host name verified), requests published by virt-grow
# --broker and by vg-amqp (what no good publisher sends).  Shut-off domains
# with pool volumes for the rules, the wire and delivery; then the test
# guest (TCG, the patched agent) under n1 for the full path, whose reply
# carries the sizes the guest confirmed, and an agent that hangs past the
# heartbeat interval.
#   broker-path.sh QGA-GROW VIRT-GROW VIRT-GROWD VG-AMQP [QEMU-GA]
# Without QEMU-GA (or when it is not built) the guest part is skipped.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../loop/lib.sh"
VG=$(readlink -f "${1:?usage: $0 QGA-GROW VIRT-GROW VIRT-GROWD VG-AMQP [QEMU-GA]}")
VGD=$(readlink -f "$2")
VG_AMQP=$(readlink -f "$3")
AGENT=${4:-}
for tool in virsh libvirtd qemu-img jq openssl ss /usr/lib/rabbitmq/bin/rabbitmq-server; do
  PATH=$PATH:/usr/sbin command -v "$tool" >/dev/null ||
    { echo "SKIP: $tool missing (scripts/install-deps.sh test)"; exit 77; }
done
. "$HERE/lib.sh"
pass() { echo "ok - $*"; }

# ---- the broker and two compute nodes
T0=$SECONDS
broker_up
broker_user webapi
rmqctl set_permissions -p / webapi '^$' '^virt-grow$' '^$'
note "broker up after $((SECONDS - T0)) s (RabbitMQ on 127.0.0.1:$PORT, TLS on $TLS_PORT)"

BROKER_EXTRA="heartbeat = 2" node_up n1 "[domains]" "unowned = deny" \
  "[daemon]" "state-dir = $WORK/n1/state" "concurrency = 4" "timeout = 60" \
  "[requester api]" "max-size = 3G" \
  "[requester webapi]" "max-size = 1G" "domains = web-* db-?"
# n2: TLS, the broker's certificate checked against the CA and "localhost"
BROKER_URL="amqps://n2@localhost:$TLS_PORT/" BROKER_EXTRA="ca-file = $CA" \
  node_up n2 "[domains]" "unowned = allow" \
  "[daemon]" "state-dir = $WORK/n2/state" \
  "[requester api]" "max-size = 512M"
grep -q "connected to amqps://n2@localhost:$TLS_PORT/" "$WORK/n2/log" ||
  fail "n2 is not on TLS: $(cat "$WORK/n2/log")"
pass "two nodes consume their queues (n2 over TLS, peer and host name verified)"
# TLS refuses what it cannot verify; plain AMQP goes nowhere but loopback
echo '{}' >"$WORK/empty.json"
"$VG_AMQP" publish "amqps://api@127.0.0.1:$TLS_PORT/" n2 "$WORK/empty.json" --ca "$CA" \
  --password-file "$WORK/pw/api" 2>"$WORK/tls.err" && fail "TLS to a name the certificate lacks"
grep -q "hostname verification failed\|hostname" "$WORK/tls.err" || fail "TLS host name: $(cat "$WORK/tls.err")"
"$VG_AMQP" publish "amqps://api@localhost:$TLS_PORT/" n2 "$WORK/empty.json" \
  --password-file "$WORK/pw/api" 2>"$WORK/tls.err" && fail "TLS to a broker no system CA signed"
grep -qi "verif" "$WORK/tls.err" || fail "TLS peer: $(cat "$WORK/tls.err")"
vgb n2 tenant-a --broker "amqp://api@192.0.2.1/" c1 vdb 1G
[ "$VGB_RC" = 2 ] && grep -q "refusing plain AMQP to 192.0.2.1" "$WORK/vgb.err" ||
  fail "plain AMQP off the loopback: exit $VGB_RC $(cat "$WORK/vgb.err")"
pass "TLS: a host name or a CA that does not match is refused; plain AMQP only on the loopback"

domain n1 a1 "$(owner tenant-a)"
domain n1 nova11 "$(nova_owner proj-nova 1.1)"
domain n1 nova10 "$(nova_owner proj-nova 1.0)"
domain n1 loner
domain n1 web-1 "$(owner tenant-a)"
domain n1 db-12 "$(owner tenant-a)"
for d in k1 f1 t1 q1 q2 q3; do domain n1 "$d" "$(owner tenant-a)"; done
domain n2 c1 "$(owner tenant-a)"
domain n2 loner2
for d in q4 q5 q6; do domain n2 "$d" "$(owner tenant-a)"; done

# ---- routing, and the reference publisher's output
vgb n2 tenant-a c1 vdb 96M
[ "$VGB_RC" = 0 ] || fail "virt-grow --broker to n2: exit $VGB_RC: $(cat "$WORK/vgb.out" "$WORK/vgb.err")"
grep -q "disk vdb grown from 64.0 MiB to 96.0 MiB" "$WORK/vgb.out" || fail "table: $(cat "$WORK/vgb.out")"
assert_eq "$(vol_size n2 c1)" $((96 * M)) "c1's volume on n2"
pass "virt-grow --broker to n2 grew c1 there (the local table, exit 0)"
vgb n1 tenant-a --json c1 vdb 128M
[ "$VGB_RC" = 2 ] || fail "c1 through n1: exit $VGB_RC"
grep -q "node n1 has no domain c1" "$WORK/vgb.err" || fail "unknown domain on n1: $(cat "$WORK/vgb.err")"
assert_eq "$(vol_size n2 c1)" $((96 * M)) "c1 after asking n1"
pass "the same domain asked of n1 is unknown there: routing by node, nothing changed"
vgb n1 tenant-a --json a1 serial:a1-data 80M
[ "$VGB_RC" = 0 ] || fail "a1 by serial: exit $VGB_RC $(cat "$WORK/vgb.err")"
assert_eq "$(jq -r .outcome "$WORK/vgb.out")" grown "a1 --json outcome"
assert_eq "$(jq -r '."disk-size-after"' "$WORK/vgb.out")" $((80 * M)) "a1 --json size after"
assert_eq "$(jq -r '."disk-format"' "$WORK/vgb.out")" raw "a1 --json disk format"
assert_eq "$(vol_size n1 a1)" $((80 * M)) "a1's volume"
vgb n1 tenant-a a1 vdb 80M
[ "$VGB_RC" = 1 ] || fail "a1 again: exit $VGB_RC, want 1 (nothing to do)"
pass "--json as a local run's report; the same size again: nothing to do (exit 1)"
vgb nowhere tenant-a a1 vdb 90M
[ "$VGB_RC" = 2 ] && grep -q "node nowhere is unknown to the broker" "$WORK/vgb.err" ||
  fail "an unroutable node: exit $VGB_RC $(cat "$WORK/vgb.err")"
pass "an unknown node is an error naming it (mandatory publish)"

# ---- refusals: a reply naming the rule, nothing changed
refused() {  # refused WHAT VOLUME-NODE VOLUME SIZE-BEFORE RULE-TEXT
  [ "$SEND_RC" = 0 ] || fail "$1: vg-amqp $SEND_RC: $(cat "$WORK/send.err")"
  assert_eq "$(reply .status)" refused "$1: status"
  assert_eq "$(reply .exit)" 2 "$1: exit"
  reply .error | grep -qF -- "$5" || fail "$1: error $(reply .error), want $5"
  assert_eq "$(vol_size "$2" "$3")" "$4" "$1: $3's volume"
  pass "refused, naming why: $1"
}
request tenant-a a1 vdb $((96 * M)) >"$WORK/r.json"
send n1 intruder "$WORK/r.json"
refused "a broker user who is no requester" n1 a1 $((80 * M)) "rule [requester]: broker user intruder"
send n1 api "$WORK/r.json" --no-user-id
refused "no user_id" n1 a1 $((80 * M)) "rule [requester]: the message has no user_id"
request tenant-b a1 vdb $((96 * M)) >"$WORK/r.json"
send n1 api "$WORK/r.json"
refused "another project" n1 a1 $((80 * M)) "rule [project]: domain a1 belongs to another project"
request tenant-a a1 vdb $((4096 * M)) >"$WORK/r.json"
send n1 api "$WORK/r.json"
refused "past max-size" n1 a1 $((80 * M)) "rule [max-size]"
request tenant-x loner vdb $((96 * M)) >"$WORK/r.json"
send n1 api "$WORK/r.json"
refused "an unowned domain (unowned=deny)" n1 loner $((64 * M)) "rule [unowned]"
request tenant-a web-1 vdb $((96 * M)) >"$WORK/r.json"
send n1 webapi "$WORK/r.json"
[ "$(reply .status)" = grown ] || fail "webapi on web-1: $(cat "$WORK/reply.json")"
request tenant-a a1 vdb $((96 * M)) >"$WORK/r.json"
send n1 webapi "$WORK/r.json"
refused "a domain outside the requester's domains=" n1 a1 $((80 * M)) "rule [domains]: domain a1"
request tenant-a nosuch vdb $((96 * M)) >"$WORK/r.json"
send n1 api "$WORK/r.json"
refused "an unknown domain" n1 a1 $((80 * M)) "node n1 has no domain nosuch"
request tenant-a a1 vdz $((96 * M)) >"$WORK/r.json"
send n1 api "$WORK/r.json"
refused "an unknown disk" n1 a1 $((80 * M)) "the domain has no disk vdz"
request tenant-a a1 vdb '"+16M"' >"$WORK/r.json"
send n1 api "$WORK/r.json"
refused "a relative size on the wire" n1 a1 $((80 * M)) 'relative size "+16M" refused'
vgb n1 tenant-a a1 vdb +16M
[ "$VGB_RC" = 2 ] && grep -q "a relative size (+16M) cannot be sent" "$WORK/vgb.err" ||
  fail "virt-grow --broker +16M: exit $VGB_RC $(cat "$WORK/vgb.err")"
pass "virt-grow --broker refuses a relative size it cannot read, sending nothing"
vgb n1 tenant-a -c "${NODE_URI[n1]}" a1 vdb +16M
[ "$VGB_RC" = 0 ] || fail "+16M with -c: exit $VGB_RC $(cat "$WORK/vgb.err")"
assert_eq "$(vol_size n1 a1)" $((96 * M)) "a1 after +16M read through -c"
pass "a relative size read where it can be (-c URI), sent absolute"
request tenant-a a1 vdb $((112 * M)) $(($(date +%s) - 5)) >"$WORK/r.json"
send n1 api "$WORK/r.json"
assert_eq "$(reply .status)" expired "expired: status"
assert_eq "$(vol_size n1 a1)" $((96 * M)) "expired: a1's volume"
pass "a request past not-after is answered expired and never run"
request tenant-a a1 vdb $((112 * M)) >"$WORK/r.json"
send n1 api "$WORK/r.json" --user-id admin
[ "$SEND_RC" = 1 ] && grep -q "406 PRECONDITION_FAILED - user_id property set to 'admin' but authenticated user was 'api'" "$WORK/send.err" ||
  fail "a forged user_id: vg-amqp $SEND_RC $(cat "$WORK/send.err")"
assert_eq "$(vol_size n1 a1)" $((96 * M)) "forged user_id: a1's volume"
pass "a forged user_id: the broker refuses the publish"
for v in 1.1 1.0; do
  request proj-nova "nova${v/./}" vdb $((96 * M)) >"$WORK/r.json"
  send n1 api "$WORK/r.json"
  assert_eq "$(reply .status)" grown "Nova $v owner"
  request tenant-a "nova${v/./}" vdb $((128 * M)) >"$WORK/r.json"
  send n1 api "$WORK/r.json"
  refused "Nova $v's owner is another project" n1 "nova${v/./}" $((96 * M)) "rule [project]"
done
pass "Nova's nova:owner/nova:project uuid= (1.1 and 1.0) is the owner"
request anyone loner2 vdb $((96 * M)) >"$WORK/r.json"
send n2 api "$WORK/r.json"
assert_eq "$(reply .status)" grown "unowned=allow on n2"
assert_eq "$(vol_size n2 loner2)" $((96 * M)) "loner2"
pass "unowned=allow grows an unowned domain"

# ---- the Ansible module's broker options (contrib/ansible)
if command -v ansible-playbook >/dev/null; then
  cat >"$WORK/play.yml" <<EOP
- hosts: localhost
  gather_facts: false
  vars: {b: {broker: "$(url_of api)", broker_password_file: "$WORK/pw/api", node: n1,
             executable: "$VG"}}
  tasks:
    - virt_grow: "{{ b | combine({'project': 'tenant-a', 'domain': 'db-12', 'disk': 'vdb', 'size': '96M'}) }}"
      register: g
    - assert: {that: [g.changed, "g.outcome == 'grown'", "g.disk_size_after == $((96 * M))"]}
    - virt_grow: "{{ b | combine({'project': 'tenant-b', 'domain': 'db-12', 'disk': 'vdb', 'size': '128M'}) }}"
      register: r
      ignore_errors: true
    - assert: {that: [r is failed, "'rule [project]' in r.msg", not r.changed]}
EOP
  LC_ALL=C.UTF-8 HOME=$WORK ANSIBLE_LOCAL_TEMP=$WORK/ansible-tmp ANSIBLE_REMOTE_TEMP=$WORK/ansible-tmp \
    ANSIBLE_LIBRARY=$BROKER_TOP/contrib/ansible/library ANSIBLE_NOCOLOR=1 \
    ansible-playbook -i localhost, -c local -e ansible_python_interpreter=/usr/bin/python3 \
    "$WORK/play.yml" >"$WORK/play.log" 2>&1 || { cat "$WORK/play.log" >&2; fail "the Ansible play"; }
  assert_eq "$(vol_size n1 db-12)" $((96 * M)) "db-12 after the Ansible play"
  pass "the Ansible module's broker/node/project options: grown through n1, a refusal fails the task"
fi

# ---- malformed messages: dead-lettered with the reason; the node serves on
bad_body() {  # bad_body WHAT RULE BODY...
  local what=$1 rule=$2
  shift 2
  printf '%s' "$*" >"$WORK/bad.json"
  send n1 api "$WORK/bad.json"
  [ "$SEND_RC" = 0 ] || fail "$what: no reply ($(cat "$WORK/send.err"))"
  assert_eq "$(reply .status)" refused "$what: status"
  "$VG_AMQP" get "$(url_of test)" virt-grow.dead-letter.n1 --password-file "$WORK/pw/test" \
    --count 1 --timeout 20 >"$WORK/dead.json" || fail "$what: nothing dead-lettered"
  assert_eq "$(jq -r '.headers."x-virt-grow-rule"' "$WORK/dead.json")" "$rule" "$what: rule header"
  assert_eq "$(jq -r '.headers."x-virt-grow-user-id"' "$WORK/dead.json")" api "$what: user header"
  assert_eq "$(jq -r .body "$WORK/dead.json")" "$(cat "$WORK/bad.json")" "$what: the body as sent"
  note "dead-lettered ($what): $(jq -r '.headers."x-virt-grow-reason"' "$WORK/dead.json")"
}
# the relative size and the user without rights above went there too
"$VG_AMQP" get "$(url_of test)" virt-grow.dead-letter.n1 --password-file "$WORK/pw/test" \
  --count 3 --timeout 20 >"$WORK/dead.json" || fail "the earlier dead letters"
assert_eq "$(jq -r '.headers."x-virt-grow-rule"' "$WORK/dead.json" | sort | tr '\n' ' ')" \
  "relative-size requester requester " "the earlier refusals' dead letters"
na=$(($(date +%s) + 300))
bad_body "not JSON" malformed 'grow a1 please'
bad_body "a size as a string" malformed "{\"version\":1,\"id\":\"$(cat /proc/sys/kernel/random/uuid)\",\"project\":\"tenant-a\",\"domain\":\"a1\",\"disk\":\"vdb\",\"size\":\"100M\",\"not-after\":$na}"
bad_body "a member twice" malformed "{\"version\":1,\"id\":\"$(cat /proc/sys/kernel/random/uuid)\",\"project\":\"tenant-a\",\"domain\":\"a1\",\"disk\":\"vdb\",\"size\":100663296,\"size\":999999999,\"not-after\":$na}"
bad_body "an unknown member" malformed "{\"version\":1,\"id\":\"$(cat /proc/sys/kernel/random/uuid)\",\"project\":\"tenant-a\",\"domain\":\"a1\",\"disk\":\"vdb\",\"size\":100663296,\"not-after\":$na,\"dry-run\":true}"
bad_body "version 2" version "{\"version\":2,\"id\":\"$(cat /proc/sys/kernel/random/uuid)\"}"
head -c 70000 /dev/zero | tr '\0' ' ' >"$WORK/big.json"
bad_body "oversized" oversized "$(cat "$WORK/big.json"){}"
assert_eq "$(vol_size n1 a1)" $((96 * M)) "a1 after the malformed messages"
kill -0 "${VGD_PID[n1]}" || fail "n1's virt-growd died"
request tenant-a a1 vdb $((104 * M)) >"$WORK/r.json"
send n1 api "$WORK/r.json"
assert_eq "$(reply .status)" grown "a request after the malformed ones"
pass "malformed, mistyped, oversized: dead-lettered with the reason, the node serves on"

# ---- the same id again: grown once, answered each time, identically (the
# second while the first runs or just after, the third from the journal)
request tenant-a a1 vdb $((112 * M)) >"$WORK/r.json"
id=$(jq -r .id "$WORK/r.json")
"$VG_AMQP" publish "$(url_of api)" n1 "$WORK/r.json" --password-file "$WORK/pw/api" \
  --times 2 --replies 2 --message-id "$id" --timeout 60 >"$WORK/two.json" ||
  fail "an id twice: $(cat "$WORK/two.json")"
send n1 api "$WORK/r.json"
cat "$WORK/reply.json" >>"$WORK/two.json"
[ "$(wc -l <"$WORK/two.json")" = 3 ] && [ "$(sort -u "$WORK/two.json" | wc -l)" = 1 ] ||
  fail "three replies, not identical: $(cat "$WORK/two.json")"
assert_eq "$(head -1 "$WORK/two.json" | jq -r '.status + " " + (.report."disk-size-before" | tostring)')" \
  "grown $((104 * M))" "the replies say it grew from 104 MiB"
assert_eq "$(grep -c "request $id from api: domain a1 disk vdb size $((112 * M)): grown" "$WORK/n1/log")" 1 \
  "grows of $id in the log"
pass "the same id published three times: grown once, three identical replies"

"$VG_AMQP" declare "$(url_of test)" test.replies --password-file "$WORK/pw/test"
on_exit_first "kill -CONT $(libvirtd_pid n1) 2>/dev/null || true"

# ---- the daemon killed with a request in its hands: redelivered, done once
# (libvirtd stopped, so that the grow waits inside libvirt)
request tenant-a k1 vdb $((96 * M)) >"$WORK/k.json"
kid=$(jq -r .id "$WORK/k.json")
kill -STOP "$(libvirtd_pid n1)"
"$VG_AMQP" publish "$(url_of api)" n1 "$WORK/k.json" --password-file "$WORK/pw/api" \
  --reply-to test.replies >/dev/null
wait_unacked virt-grow.n1 1
daemon_kill n1
kill -CONT "$(libvirtd_pid n1)"
wait_counts virt-grow.n1 "1 0"  # the killed daemon's request back in the queue
daemon_start n1
"$VG_AMQP" get "$(url_of test)" test.replies --password-file "$WORK/pw/test" --count 1 \
  --timeout 60 >"$WORK/k.out" || fail "no reply after the restart"
assert_eq "$(jq -r .body "$WORK/k.out" | jq -r '.id + " " + .status')" "$kid grown" "the redelivered request's reply"
assert_eq "$(vol_size n1 k1)" $((96 * M)) "k1"
assert_eq "$(grep -c "request $kid from api: .*: grown" "$WORK/n1/log")" 1 "grows of $kid"
wait_counts virt-grow.n1 "0 0"
pass "virt-growd SIGKILLed with a request in its hands: redelivered to the restarted one, grown once"

# ---- SIGTERM with a grow running: it finishes, is answered and acknowledged
request tenant-a t1 vdb $((96 * M)) >"$WORK/t.json"
kill -STOP "$(libvirtd_pid n1)"
"$VG_AMQP" publish "$(url_of api)" n1 "$WORK/t.json" --password-file "$WORK/pw/api" \
  --reply-to test.replies >/dev/null
wait_unacked virt-grow.n1 1
kill -TERM "${VGD_PID[n1]}"
sleep 1
kill -0 "${VGD_PID[n1]}" || fail "virt-growd did not wait for its running grow"
kill -CONT "$(libvirtd_pid n1)"
daemon_stop n1
assert_eq "$DAEMON_RC" 0 "virt-growd's exit status after SIGTERM"
"$VG_AMQP" get "$(url_of test)" test.replies --password-file "$WORK/pw/test" --count 1 \
  --timeout 20 >"$WORK/t.out" || fail "no reply to the grow SIGTERM waited for"
assert_eq "$(jq -r .body "$WORK/t.out" | jq -r .status)" grown "the reply after SIGTERM"
wait_counts virt-grow.n1 "0 0"  # acknowledged
pass "SIGTERM: no new requests, the running grow finished, answered, acknowledged; exit 0"

# ---- the broker restarted with requests queued: all delivered
daemon_stop n2
for d in q1 q2 q3; do
  request tenant-a "$d" vdb $((96 * M)) >"$WORK/$d.json"
  "$VG_AMQP" publish "$(url_of api)" n1 "$WORK/$d.json" --password-file "$WORK/pw/api" \
    --reply-to test.replies >/dev/null
done
for d in q4 q5 q6; do
  request tenant-a "$d" vdb $((96 * M)) >"$WORK/$d.json"
  "$VG_AMQP" publish "$(url_of api)" n2 "$WORK/$d.json" --password-file "$WORK/pw/api" \
    --reply-to test.replies >/dev/null
done
wait_counts virt-grow.n1 "3 0"
wait_counts virt-grow.n2 "3 0"
"$RMQ" stop "$WORK/rmq"
"$RMQ" start "$WORK/rmq" || fail "the broker did not start again"
wait_counts virt-grow.n1 "3 0"  # still there after the restart
wait_counts virt-grow.n2 "3 0"
daemon_start n1
daemon_start n2
"$VG_AMQP" get "$(url_of test)" test.replies --password-file "$WORK/pw/test" --count 6 \
  --timeout 120 >"$WORK/q.out" || fail "not every queued request answered"
assert_eq "$(jq -r .body "$WORK/q.out" | jq -r .status | sort | uniq -c | awk '{ print $1, $2 }')" \
  "6 grown" "the six replies"
for d in q1 q2 q3; do assert_eq "$(vol_size n1 "$d")" $((96 * M)) "$d"; done
for d in q4 q5 q6; do assert_eq "$(vol_size n2 "$d")" $((96 * M)) "$d"; done
pass "the broker restarted with six requests queued: all delivered, all answered"

# ---- the broker restarted under a grow in flight: the reply arrives
request tenant-a f1 vdb $((96 * M)) >"$WORK/f.json"
fid=$(jq -r .id "$WORK/f.json")
kill -STOP "$(libvirtd_pid n1)"
"$VG_AMQP" publish "$(url_of api)" n1 "$WORK/f.json" --password-file "$WORK/pw/api" \
  --reply-to test.replies >/dev/null
wait_unacked virt-grow.n1 1
"$RMQ" stop "$WORK/rmq"
kill -CONT "$(libvirtd_pid n1)"   # the grow ends while the broker is away
"$RMQ" start "$WORK/rmq" || fail "the broker did not start again"
"$VG_AMQP" get "$(url_of test)" test.replies --password-file "$WORK/pw/test" --count 1 \
  --timeout 120 >"$WORK/f.out" || fail "no reply after the broker came back"
assert_eq "$(jq -r .body "$WORK/f.out" | jq -r '.id + " " + .status')" "$fid grown" "the in-flight grow's reply"
assert_eq "$(grep -c "request $fid from api: .*: grown" "$WORK/n1/log")" 1 "grows of $fid"
grep -q "connection is lost\|closed the connection" "$WORK/n1/log" || fail "n1 never saw the broker go"
pass "the broker restarted under a grow in flight: reconnected, the reply arrived, grown once"
note "broker part done after $((SECONDS - T0)) s"

# ---- the guest: the full path, and an agent that hangs
if [ -z "$AGENT" ] || [ ! -x "$AGENT" ]; then
  echo "ok - SKIP the guest part: no patched agent at ${AGENT:-(none given)} (scripts/build-qemu-ga.sh)"
  echo "ok: the request path on shut-off domains"
  exit 0
fi
AGENT=$(readlink -f "$AGENT")
. "$HERE/../vm/vm-lib.sh"
. "$HERE/../vm/e2e-lib.sh"
. "$HERE/../vm/libvirt-domain.sh"
SERIALS=(qg-root vg-data)
declare -A LABEL=([qg-root]=gpt [vg-data]=gpt) FS=([qg-root]=ext4 [vg-data]=ext4)
declare -A GMNT=([qg-root]=/ [vg-data]=/mnt/data) PARTNO=([qg-root]=2 [vg-data]=1)
e2e_make_disks
e2e_write_job chroot "vg-data:1:/mnt/data"
libvirt_domain_xml vm1 "$JOB" chroot "${IMG[qg-root]}:vda:virtio:qg-root" \
  "${IMG[vg-data]}:vdb:virtio:vg-data" |
  sed "s|</name>|</name><metadata>$(owner tenant-a)</metadata>|" >"$WORK/vm1.xml"
libvirt_boot "$WORK/n1/libvirt" vm1 "$WORK/vm1.xml"
vgb n1 tenant-a --json --timeout 300 vm1 serial:vg-data 1536M
[ "$VGB_RC" = 0 ] || guest_failed "the full path: exit $VGB_RC $(cat "$WORK/vgb.out" "$WORK/vgb.err")"
out() { jq -r "$1" "$WORK/vgb.out"; }
assert_eq "$(out .outcome)" grown "full path: outcome"
assert_eq "$(out '."guest-method"')" guest-grow-disk "full path: guest side"
assert_eq "$(out '.guest."disk-size"')" $((1536 * M)) "full path: the guest's disk"
assert_eq "$(out '[.guest.layers[].changed] | all')" true "full path: every layer grew"
fs=$(out '.guest.layers[-1].size')
[ "$fs" -gt $((1400 * M)) ] && [ "$fs" -le $((1536 * M)) ] || fail "full path: filesystem $fs bytes"
note "full path: $(out '[.guest.layers[] | "\(.kind) \(."old-size") -> \(.size)"] | join(", ")')"
pass "the full path: queue, virt-growd, block resize, guest-grow-disk; the reply carries the guest's sizes"

# A refusal the guest can foresee (its filesystem frozen: asked first, it
# refuses the new size): answered refused, the disk untouched
ga() { virsh -q -c "${NODE_URI[n1]}" qemu-agent-command vm1 "$1" >/dev/null; }
cap() { virsh -q -c "${NODE_URI[n1]}" domblkinfo vm1 vdb | awk '/^Capacity:/ { print $2 }'; }
ga '{"execute":"guest-exec","arguments":{"path":"/sbin/fsfreeze","arg":["-f","/mnt/data"]}}'
sleep 1
request tenant-a vm1 serial:vg-data $((1664 * M)) >"$WORK/r.json"
send n1 api "$WORK/r.json"
ga '{"execute":"guest-exec","arguments":{"path":"/sbin/fsfreeze","arg":["-u","/mnt/data"]}}'
[ "$SEND_RC" = 0 ] || fail "frozen: vg-amqp $SEND_RC: $(cat "$WORK/send.err")"
assert_eq "$(reply '[.status, .exit, .report."disk-resized", .report."guest-preflight"] | @tsv')" \
  "$(printf 'refused\t2\tfalse\trefused')" "frozen in the guest: status, exit, resized, preflight"
reply .error | grep -q "frozen" || fail "frozen in the guest: the reply's error: $(reply .error)"
assert_eq "$(cap)" $((1536 * M)) "frozen in the guest: the disk's capacity"
pass "a refusal the guest foresaw (frozen): answered refused, the disk untouched"

# Grows of one domain run one at a time (virt-growd's lock per domain):
# vdb's grow waits in the guest for its disk's lock (held there for 15 s,
# shared: the guest's dry run before the resize passes, the grow waits),
# and a request for vda of the same domain, published right after, waits
# its turn in virt-growd.  Without that lock its question to the guest
# meets vdb's job in the agent (one grow at a time) and is refused (seen:
# "this agent is growing a disk in job 2"), so the order is asserted too.
gdisk=$(out .guest.disk)
ga "{\"execute\":\"guest-exec\",\"arguments\":{\"path\":\"/usr/bin/flock\",\"arg\":[\"-s\",\"$gdisk\",\"sleep\",\"15\"]}}"
request tenant-a vm1 serial:vg-data $((1664 * M)) | jq -c '.guest = {"lock-timeout": 60}' >"$WORK/a.json"
request tenant-a vm1 serial:qg-root $((1152 * M)) >"$WORK/b.json"
for f in a b; do
  "$VG_AMQP" publish "$(url_of api)" n1 "$WORK/$f.json" --password-file "$WORK/pw/api" \
    --reply-to test.replies >/dev/null
done
"$VG_AMQP" get "$(url_of test)" test.replies --password-file "$WORK/pw/test" --count 2 \
  --timeout 180 >"$WORK/ab.out" || fail "two requests for vm1: $(cat "$WORK/ab.out")"
jq -r .body "$WORK/ab.out" | jq -c '{id, status, error}' | while read -r l; do note "two requests for one domain: $l"; done
assert_eq "$(jq -r .body "$WORK/ab.out" | jq -r '"\(.id) \(.status)"' | paste -sd' ')" \
  "$(jq -r .id "$WORK/a.json") grown $(jq -r .id "$WORK/b.json") grown" \
  "two requests for one domain: answered in turn, both grown"
pass "two requests for one domain: the second waits its turn in virt-growd, both grown"

# not-after passes while the guest answers the question before the resize
# (its disk's lock held there for 8 s: the question waits for it): the
# request is checked once more right before the resize, answered expired
# with the report, and the disk is untouched.
ga "{\"execute\":\"guest-exec\",\"arguments\":{\"path\":\"/usr/bin/flock\",\"arg\":[\"$gdisk\",\"sleep\",\"8\"]}}"
sleep 1
c0=$(cap)
request tenant-a vm1 serial:vg-data $((1728 * M)) $(($(date +%s) + 3)) |
  jq -c '.guest = {"lock-timeout": 60}' >"$WORK/x.json"
send n1 api "$WORK/x.json"
[ "$SEND_RC" = 0 ] || fail "expiry before the resize: vg-amqp $SEND_RC: $(cat "$WORK/send.err")"
assert_eq "$(reply '[.status, .exit, .report."disk-resized", .report."guest-preflight"] | @tsv')" \
  "$(printf 'expired\t2\tfalse\tagreed')" "expiry before the resize: status, exit, resized, preflight"
reply .error | grep -q "before the disk was resized" ||
  fail "expiry before the resize: the reply's error: $(reply .error)"
assert_eq "$(cap)" "$c0" "expiry before the resize: the disk's capacity"
pass "not-after passed during the question to the guest: answered expired, the disk untouched"

# virt-growd SIGKILLed mid-grow: after the block resize, while the guest
# waits for the disk's lock (held in the guest for 20 s, shared: the
# guest's answer to the question before the resize, a dry run, shares it;
# the grow waits).  The restarted
# daemon gets the request again and completes it; the requester, still
# waiting, gets one reply.
gdisk=$(out .guest.disk)
virsh -q -c "${NODE_URI[n1]}" qemu-agent-command vm1 \
  "{\"execute\":\"guest-exec\",\"arguments\":{\"path\":\"/usr/bin/flock\",\"arg\":[\"-s\",\"$gdisk\",\"sleep\",\"20\"]}}" >/dev/null
"$VG" --broker "$(url_of api)" --broker-password-file "$WORK/pw/api" --node n1 --project tenant-a \
  --json --timeout 240 --lock-timeout 120 vm1 serial:vg-data 1792M >"$WORK/kill.out" 2>"$WORK/kill.err" &
requester=$!
t0=$SECONDS
until [ "$(virsh -q -c "${NODE_URI[n1]}" domblkinfo vm1 vdb | awk '/^Capacity:/ { print $2 }')" = $((1792 * M)) ]; do
  [ $((SECONDS - t0)) -lt 120 ] || fail "the disk was not resized within 120 s"
  sleep 0.2
done
daemon_kill n1
note "virt-growd killed $((SECONDS - t0)) s after the publish, the disk resized, the guest waiting for its lock"
daemon_start n1
rc=0; wait "$requester" || rc=$?
[ "$rc" = 0 ] || [ "$rc" = 1 ] || fail "the requester after the kill: exit $rc $(cat "$WORK/kill.out" "$WORK/kill.err")"
kid=$(grep -o 'request [0-9a-f-]* from api: domain vm1 disk serial:vg-data size '$((1792 * M)) "$WORK/n1/log" | awk '{ print $2 }' | sort -u)
[ "$(echo "$kid" | wc -l)" = 1 ] && [ -n "$kid" ] || fail "the killed request in the log: $kid"
assert_eq "$(grep -c "\"id\":\"$kid\",\"requester\":\"api\".*\"event\":\"started\"\|\"event\":\"started\",\"id\":\"$kid\"" "$WORK/n1/state/journal")" 2 "starts of $kid in the journal"
assert_eq "$(grep -c "request $kid from api" "$WORK/n1/log")" 1 "answers to $kid"
assert_eq "$(jq -r '."disk-size-after"' "$WORK/kill.out")" $((1792 * M)) "the disk after the kill"
fs=$(jq -r '.guest.layers[-1].size' "$WORK/kill.out")
[ "$fs" -gt $((1700 * M)) ] || fail "the filesystem after the kill: $fs bytes"
pass "virt-growd SIGKILLed mid-grow (disk resized, guest waiting): redelivered, completed once ($(jq -r .outcome "$WORK/kill.out"), filesystem $fs bytes)"

# An agent that stops answering for longer than two heartbeats (n1's is
# 2 s): the grow waits on it in a worker, the AMQP thread keeps the
# connection alive.
connected=$(grep -c "connected to" "$WORK/n1/log")
virsh -q -c "${NODE_URI[n1]}" qemu-agent-command vm1 \
  '{"execute":"guest-exec","arguments":{"path":"/bin/sh","arg":["-c","sleep 1; kill -STOP $PPID; sleep 15; kill -CONT $PPID"]}}' >/dev/null
sleep 3
vgb n1 tenant-a --json --timeout 120 vm1 serial:vg-data 2048M
secs=$(grep "request .* domain vm1 disk serial:vg-data size $((2048 * M))" "$WORK/n1/log" |
  sed 's/.*(exit [0-9], \([0-9.]*\) s).*/\1/')
note "the hung agent: virt-grow --broker exit $VGB_RC after a grow of $secs s: $(out .message)"
[ "${secs%.*}" -ge 8 ] || fail "the grow took $secs s: the agent did not hang past the heartbeats"
assert_eq "$(grep -c "connected to" "$WORK/n1/log")" "$connected" "connections of n1 (none lost)"
! grep -q "heartbeat" "$WORK/n1/log" || fail "n1 lost a heartbeat: $(grep heartbeat "$WORK/n1/log")"
assert_eq "$(out '."disk-size-after"')" $((2048 * M)) "the disk after the hung agent"
pass "an agent hung for 15 s (heartbeat 2 s): the reply arrived, the connection survived"

# Three requests for the same size of one domain (ids of their own) at
# once, as a client retrying with new ids would send them: the disk grows
# once.  (virt-growd runs them one at a time; libvirt's own job locks would
# mostly order them too, so this shows the outcome, not which lock.)
until virsh -q -c "${NODE_URI[n1]}" qemu-agent-command vm1 '{"execute":"guest-ping"}' >/dev/null 2>&1; do
  sleep 1
done
for i in 1 2 3; do
  request tenant-a vm1 serial:vg-data $((2304 * M)) >"$WORK/s$i.json"
  "$VG_AMQP" publish "$(url_of api)" n1 "$WORK/s$i.json" --password-file "$WORK/pw/api" \
    --reply-to test.replies >/dev/null
done
"$VG_AMQP" get "$(url_of test)" test.replies --password-file "$WORK/pw/test" --count 3 \
  --timeout 300 >"$WORK/s.out" || fail "three replies for vm1"
assert_eq "$(jq -r .body "$WORK/s.out" | jq -r .status | sort | uniq -c | awk '{ printf "%s %s ", $1, $2 }')" \
  "1 grown 2 nothing-to-do " "three requests at once for vm1's disk"
pass "three requests for one domain at once: one grew it, two found nothing to do"
echo "ok: the request path, $((SECONDS - T0)) s"
