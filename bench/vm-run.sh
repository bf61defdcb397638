#!/bin/bash
# The VM-level benchmark: from the host's decision to grow a running VM's
# disk to the host knowing the guest's filesystem grew, three ways:
#   virt-grow    virt-grow DOMAIN serial:bench-data +SIZE, start to exit
#                (the guest asked first: guest-grow-disk's dry run for the
#                new size; the block resize; then guest-grow-disk on the
#                patched agent, which answers with the grown sizes)
#   virt-grow-unasked
#                the same with --no-preflight: the question's round trip is
#                the difference
#   classic      virsh blockresize, then the guest's udev rule runs growpart
#                + resize2fs (detached); the host polls guest-get-fsinfo
#                until total-bytes grows
#   qga-rule     virsh blockresize, then our udev rule (qga-grow auto); the
#                host polls guest-get-fsinfo likewise
# Each way RUNS times on an ext4 data disk (GPT, 1 GiB at first, +256 MiB a
# run), in the test guest (QEMU under TCG: every figure is inflated, the
# user-space ones most) under a private libvirtd.
#   bench/vm-run.sh [--runs N] [BUILD-DIR]
# Writes bench/results/vm.csv and prints a Markdown table (median, min, max
# in ms).  As root; scripts/setup.sh test builds what it needs.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
runs=5
[ "${1:-}" = --runs ] && { runs=$2; shift 2; }
build=$(readlink -f "${1:-$top/build}")
VG=$build/host-cli/virt-grow
AGENT=$build/qemu-ga-7.2/qemu-ga
for f in "$build/qga-ext/qga-grow" "$VG" "$AGENT"; do
  [ -x "$f" ] || { echo "vm-run: $f is missing: run scripts/setup.sh test" >&2; exit 2; }
done
. "$top/tests/loop/lib.sh" "$build/qga-ext/qga-grow"
. "$top/tests/vm/vm-lib.sh"
. "$top/tests/vm/e2e-lib.sh"
. "$top/tests/vm/libvirt-domain.sh"
M=$((1 << 20))

SERIALS=(qg-root bench-data)
declare -A LABEL=([qg-root]=gpt [bench-data]=gpt)
declare -A FS=([qg-root]=ext4 [bench-data]=ext4)
declare -A GMNT=([qg-root]=/ [bench-data]=/data)
declare -A PARTNO=([qg-root]=2 [bench-data]=1)
e2e_make_disks

# The classic way, as a guest would set it up by hand: a udev rule that runs
# growpart and resize2fs, detached (udev kills long RUN programs), while
# /run/qg-job/classic-on exists.
JOB=$WORK/job
mkdir -p "$JOB"
cat >"$JOB/91-classic-grow.rules" <<EOF
ACTION=="change", SUBSYSTEM=="block", ENV{DEVTYPE}=="disk", ENV{RESIZE}=="1", \\
  TEST=="/run/qg-job/classic-on", \\
  RUN+="/bin/sh -c 'setsid /bin/sh -c \"growpart /dev/%k 1 && resize2fs /dev/%k1\" </dev/null >/dev/null 2>&1 &'"
EOF
libvirt_guest_up bench "bench-data:1:/data" \
  "${IMG[qg-root]}:vda:virtio:qg-root" "${IMG[bench-data]}:vdb:virtio:bench-data"
V() { virsh -q -c "$URI" "$@"; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
total_bytes() {
  V qemu-agent-command bench '{"execute":"guest-get-fsinfo"}' |
    jq -r '.return[] | select(.mountpoint == "/data") | ."total-bytes"'
}
size=$((1024 * M))
csv=$top/bench/results/vm.csv
mkdir -p "$(dirname "$csv")"
echo "way,run,ms" >"$csv"

# poll_grown BEFORE: until the guest's /data is larger than BEFORE bytes.
poll_grown() {
  local end=$((SECONDS + 120))
  until [ "$(total_bytes)" -gt "$1" ]; do
    [ "$SECONDS" -lt "$end" ] || fail "the guest's /data did not grow within 120 s"
  done
}

for ((run = 1; run <= runs; run++)); do
  for way in virt-grow virt-grow-unasked classic qga-rule; do
    size=$((size + 256 * M))
    rm -f "$JOB/classic-on"
    e2e_auto_conf "enabled=false"
    case $way in
      classic) touch "$JOB/classic-on" ;;
      qga-rule) e2e_auto_conf "enabled=true" "disks=all" ;;
    esac
    before=$(total_bytes)
    t0=$(now_ms)
    if [ "$way" = virt-grow ]; then
      "$VG" -c "$URI" -q bench serial:bench-data "$size" >/dev/null
    elif [ "$way" = virt-grow-unasked ]; then
      "$VG" -c "$URI" -q --no-preflight bench serial:bench-data "$size" >/dev/null
    else
      V blockresize bench vdb "${size}B" >/dev/null
      poll_grown "$before"
    fi
    ms=$(( $(now_ms) - t0 ))
    [ "$(total_bytes)" -gt "$before" ] || fail "$way: /data did not grow"
    echo "$way,$run,$ms" >>"$csv"
    note "run $run, $way: $ms ms"
  done
done

touch "$JOB/stop"
vm_wait_exit 120 || note "the guest did not power off; stopping it"

python3 - "$csv" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
ways = ["virt-grow", "virt-grow-unasked", "classic", "qga-rule"]
desc = {"virt-grow": "virt-grow (guest asked first + block resize + guest-grow-disk)",
        "virt-grow-unasked": "virt-grow --no-preflight (block resize + guest-grow-disk)",
        "classic": "virsh blockresize + udev + growpart + resize2fs",
        "qga-rule": "virsh blockresize + udev + qga-grow auto"}
med = {}
print("| way | runs | median ms | min | max |")
print("|---|---|---|---|---|")
for w in ways:
    ms = [int(r["ms"]) for r in rows if r["way"] == w]
    med[w] = statistics.median(ms)
    print(f"| {desc[w]} | {len(ms)} | {med[w]:.0f} | {min(ms)} | {max(ms)} |")
print(f"\nclassic / virt-grow: {med['classic'] / med['virt-grow']:.1f}x")
print(f"the question before the resize: {med['virt-grow'] - med['virt-grow-unasked']:.0f} ms (median difference)")
PY
