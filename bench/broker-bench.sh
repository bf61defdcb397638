#!/bin/bash
# The request path's benchmark (issue 20): a private RabbitMQ, two compute
# nodes (a private libvirtd and a virt-growd each, concurrency 4), 20
# shut-off domains on each whose data disk is a pool volume.
#   load     qg-broker-load publishes REQUESTS requests over the 40
#            domains, at most WINDOW unanswered at once and one per domain,
#            as a cloud's API would (one connection, direct replies); every
#            request must be answered exactly once, and grow: requests/s,
#            p50 / p99 / max latency from publish to reply.
#   single   the same, one request at a time: the path's own latency.
#   added    on one domain, alternately: virt-grow -c URI (local) and
#            virt-grow --broker (the whole path: connect, publish, the
#            node's checks, the same grow, the reply), each a process timed
#            from start to exit by qg-bench-exec, RUNS each.  The difference
#            of the medians is what the broker path adds.
#   bench/broker-bench.sh [--requests N] [--window W] [--runs N] [BUILD-DIR]
# Writes bench/results/broker.json and prints a Markdown table.  As root.
# Shut-off domains keep the guest out of it: the grow itself is a storage
# volume's resize, so what is measured is the path around it.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
requests=500 window=16 runs=20
while [ $# -gt 0 ]; do
  case $1 in
    --requests) requests=$2; shift 2 ;;
    --window) window=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    *) break ;;
  esac
done
build=$(readlink -f "${1:-$top/build}")
VG=$build/host-cli/virt-grow
VGD=$build/virt-growd/virt-growd
LOAD=$build/bench/qg-broker-load
BENCH_EXEC=$build/bench/qg-bench-exec
for f in "$build/qga-ext/qga-grow" "$VG" "$VGD" "$LOAD" "$BENCH_EXEC"; do
  [ -x "$f" ] || { echo "broker-bench: $f is missing: build first (ninja -C build)" >&2; exit 2; }
done
. "$top/tests/loop/lib.sh" "$build/qga-ext/qga-grow"
. "$top/tests/broker/lib.sh"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
T0=$SECONDS

broker_up
for n in n1 n2; do
  node_up "$n" "[daemon]" "state-dir = $WORK/$n/state" "concurrency = 4" \
    "[requester api]" "max-size = 1T"
done
targets=()
for n in n1 n2; do
  for i in $(seq 1 20); do
    domain "$n" "d$i" "$(owner bench)"
    targets+=("$n:d$i")
  done
done
domain n1 solo "$(owner bench)"
note "broker and two nodes with 20 domains each, up after $((SECONDS - T0)) s"

pw=$WORK/pw/api
url=$(url_of api)
"$LOAD" "$url" "$pw" bench "$requests" "$window" $((64 * M)) $((1 * M)) "${targets[@]}" \
  >"$WORK/load.json" || { cat "$WORK/load.json" >&2; fail "the load run"; }
note "load: $(cat "$WORK/load.json")"
"$LOAD" "$url" "$pw" bench 40 1 $((1024 * M)) $((1 * M)) "${targets[@]}" \
  >"$WORK/single.json" || { cat "$WORK/single.json" >&2; fail "the single run"; }
note "single: $(cat "$WORK/single.json")"

# added: local and broker alternately on n1's domain "solo"
size=$((64 * M))
echo "way,run,ns" >"$WORK/added.csv"
for ((run = 1; run <= runs; run++)); do
  for way in local broker; do
    size=$((size + M))
    if [ "$way" = local ]; then
      cmd=("$VG" -c "${NODE_URI[n1]}" -q solo vdb "$size")
    else
      cmd=("$VG" --broker "$url" --broker-password-file "$pw" --node n1 --project bench -q
           solo vdb "$size")
    fi
    ns=$("$BENCH_EXEC" -o "$WORK/added.log" -- "${cmd[@]}" | awk '{ print $1 }')
    [ "$(vol_size n1 solo)" = "$size" ] || fail "$way run $run did not grow solo to $size"
    echo "$way,$run,$ns" >>"$WORK/added.csv"
  done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
grep -c "request .*: grown" "$WORK/n1/log" "$WORK/n2/log" | sed 's/^/# grown, per node log: /'

mkdir -p "$top/bench/results"
python3 - "$WORK/load.json" "$WORK/single.json" "$WORK/added.csv" "$load_before" "$load_after" \
  "$top/bench/results/broker.json" <<'PY'
import csv, json, statistics, sys
load, single = (json.load(open(p)) for p in sys.argv[1:3])
rows = list(csv.DictReader(open(sys.argv[3])))
ms = {w: [int(r["ns"]) / 1e6 for r in rows if r["way"] == w] for w in ("local", "broker")}
med = {w: statistics.median(v) for w, v in ms.items()}
out = {"load": load, "single": single,
       "added": {w: {"runs": len(v), "median-ms": round(med[w], 1), "min-ms": round(min(v), 1),
                     "max-ms": round(max(v), 1)} for w, v in ms.items()},
       "added-ms": round(med["broker"] - med["local"], 1),
       "loadavg-before": sys.argv[4], "loadavg-after": sys.argv[5]}
json.dump(out, open(sys.argv[6], "w"), indent=1)
print(f"| run | requests | window | requests/s | p50 ms | p99 ms | max ms | answered once |")
print(f"|---|---|---|---|---|---|---|---|")
for name, r in (("load", load), ("single", single)):
    once = r["requests"] - r["unanswered"] if not r["duplicates"] and not r["strangers"] else "no"
    print(f"| {name} | {r['requests']} | {r['window']} | {r['per-second']} | {r['p50-ms']} | "
          f"{r['p99-ms']} | {r['max-ms']} | {once} |")
print()
print("| way (one domain, process start to exit) | runs | median ms | min | max |")
print("|---|---|---|---|---|")
for w, label in (("local", "virt-grow -c URI (local)"), ("broker", "virt-grow --broker")):
    v = ms[w]
    print(f"| {label} | {len(v)} | {med[w]:.1f} | {min(v):.1f} | {max(v):.1f} |")
print(f"\nthe broker path adds {med['broker'] - med['local']:.1f} ms (medians); "
      f"load average before {sys.argv[4]}, after {sys.argv[5]}")
PY
note "done in $((SECONDS - T0)) s"
