#!/bin/bash
# virt-grow against libvirt's test driver (no daemon): domain lookup, disk
# selection by target, path and serial, every refusal, dry runs, JSON,
# batches.  The test driver has no block resize and no guest agent: a real
# resize is qemu-domain.sh's job.
#   test-driver.sh VIRT-GROW DATA-DIR
VG=$1
. "$(dirname "$0")/lib.sh"
URI="test://$(cd "$2" && pwd)/node.xml"
TB=1099506450432   # the test driver's capacity for every disk

run_vg -c "$URI" --dry-run vg-disks vda +1G
expect_rc 0 "dry run by target"
expect_in "would grow disk vda from 1024.0 GiB to 1.0 TiB" out "dry run says what it would do"
expect_in "guest side: none" out "no agent in the test driver"

run_vg -c "$URI" --dry-run --json 0c5e2b9a-7f1d-4e8b-9c3a-2d4f6a8b0e11 /images/data.raw 2T
expect_rc 0 "dry run by UUID and source path"
jq_is .disk vdb "JSON: disk found by path"
jq_is .outcome would-grow "JSON: outcome"
jq_is '."disk-size-before"' "$TB" "JSON: size before"
jq_is '."disk-size-target"' 2199023255552 "JSON: target"
jq_is '."disk-resized"' false "JSON: dry run resized nothing"
jq_is .serial a-serial-longer-than-twenty-bytes "JSON: serial"

run_vg -c "$URI" --dry-run vg-disks serial:ROOT-0001 "$TB"
expect_rc 1 "same size by serial: nothing to do"
expect_in "nothing to do: disk vda is already" out "nothing to do said"

run_vg -c "$URI" --dry-run vg-disks vda 1099506450433
expect_rc 0 "one byte more is rounded up to 512"
expect_in "rounded up to 1099506450944 bytes" err "rounding warned"

# text with bidi and zero-width characters (here the domain XML's, printed
# by the same code as the guest's): escaped on the terminal, exact in JSON
# (the characters written as UTF-8 bytes: whatever the locale)
run_vg -c "$URI" --dry-run vg-spoof vda +1G
expect_rc 0 "dry run of a disk with a spoofing path"
expect_in 'disk vda (serial SP\u2066OOF\ufeff, /images/\u202ewar.exe\u200b.raw)' out \
  "path and serial escaped on the table"
if grep -q $'\xe2\x80\xae\|\xe2\x81\xa6\|\xe2\x80\x8b\|\xef\xbb\xbf' <<<"$out$err"; then
  not_ok "a bidi or zero-width character reached the terminal"
else
  ok "no bidi or zero-width character reaches the terminal"
fi
run_vg -c "$URI" --dry-run --json vg-spoof vda +1G
jq_is .source $'/images/\xe2\x80\xaewar.exe\xe2\x80\x8b.raw' "JSON: the path exactly"
jq_is .serial $'SP\xe2\x81\xa6OOF\xef\xbb\xbf' "JSON: the serial exactly"
run_vg -c "$URI" vg-spoof serial:$'SP\xe2\x81\xa6OOF\xef\xbb\xbf' 1M
expect_rc 2 "shrink of the spoofing disk refused"
expect_in 'disk serial:SP\u2066OOF\ufeff: refusing to shrink disk vda' err "the refusal escaped"
run_vg -c "$URI" --quiet vg-spoof serial:$'SP\xe2\x81\xa6OOF\xef\xbb\xbf' 1M
expect_in 'disk serial:SP\u2066OOF\ufeff: error: refusing' err "--quiet's error line escaped"
run_vg -c "$URI" --json vg-spoof serial:$'SP\xe2\x81\xa6OOF\xef\xbb\xbf' 1M
expect_in 'disk serial:SP\u2066OOF\ufeff: refusing' err "--json's error line escaped"
jq_is '."requested-disk"' $'serial:SP\xe2\x81\xa6OOF\xef\xbb\xbf' "JSON: the disk as asked, exactly"

# refusals: exit 2, the reason named
refuse() {
  local what=$1 reason=$2; shift 2
  run_vg -c "$URI" "$@"
  expect_rc 2 "refused: $what"
  expect_in "$reason" err "reason for $what"
  expect_in "nothing was changed" err "nothing changed: $what"
}
refuse "shrink" "refusing to shrink disk vda" vg-disks vda 1000G
refuse "shrink (dry run too)" "refusing to shrink" --dry-run vg-disks vda 10G
refuse "cdrom" "it is a cdrom" vg-disks sda +1G
refuse "read-only" "read-only" vg-disks vdd +1G
refuse "shareable" "shareable" vg-disks vde +1G
refuse "nbd network disk" "cannot grow a \"nbd\" network disk" vg-disks vdf +1G
refuse "passed-through LUN" "SCSI LUN" vg-disks sdc +1G
refuse "shut-off domain" "domain vg-off is shut off" vg-off vda +1G
refuse "unknown domain" "domain nope:" nope vda +1G
refuse "unknown disk" "no disk vdz (its disks: vda" vg-disks vdz +1G
refuse "ambiguous serial" "matches two disks, vdh and sdb" vg-disks serial:dup +1G
refuse "backing file is not the disk" "no disk with source /images/base.qcow2" vg-disks /images/base.qcow2 +1G
refuse "no block resize in the test driver" "libvirt could not resize disk vda" vg-disks vda +1G

run_vg -c "test:///nonexistent/node.xml" vg-disks vda +1G
expect_rc 2 "bad URI"
expect_in "cannot connect to test:///nonexistent/node.xml" err "connection error named"

# usage errors: exit 2 before libvirt is touched
for args in "vg-disks vda" "vg-disks vda 0" "vg-disks vda -1G" "vg-disks vda 1.5G" \
            "vg-disks vda 20Q" "vg-disks vda +0" "--timeout 0 vg-disks vda 1G" \
            "--key-file luks.key vg-disks vda 1G" "--lv vg0 vg-disks vda 1G" \
            "--lv vg0/-x vg-disks vda 1G" "--lvm both vg-disks vda 1G" \
            "--lv vg0/srv --lvm pv vg-disks vda 1G" "--move-swap=yes vg-disks vda 1G" \
            "--lock-timeout -1 vg-disks vda 1G" "--lock-timeout 86401 vg-disks vda 1G" \
            "--lock-timeout 5s vg-disks vda 1G" "--lock-timeout" "--force=yes vg-disks vda 1G"; do
  # shellcheck disable=SC2086
  run_vg -c "$URI" $args
  expect_rc 2 "usage error: $args"
  expect_in "Try 'virt-grow --help'" err "usage hint: $args"
done

run_vg --help
expect_rc 0 "--help"
expect_in "Exit status: 0 grown" out "--help lists the exit codes"
expect_in "--key-file PATH" out "--help lists --key-file"
expect_in "--lvm pv|lv" out "--help lists --lvm"
expect_in "--move-swap     a swap partition" out "--help lists --move-swap"
expect_in "--lock-timeout SEC" out "--help lists --lock-timeout"
expect_in "--force         grow an xfs past" out "--help lists --force"
expect_in "asynchronous form" out "--help tells of the asynchronous form"
expect_in 'escaped (\x1b, \u202e)' out "--help tells of the escaping"

# the guest's options: checked, then (no agent here) the guest side is none
run_vg -c "$URI" --dry-run --key-file /etc/luks/data.key --lv vg0/srv --lvm lv vg-disks vda +1G
expect_rc 0 "dry run with --key-file, --lv, --lvm"
expect_in "guest side: none" out "guest options with no agent"
run_vg -c "$URI" --dry-run --move-swap vg-disks vda +1G
expect_rc 0 "dry run with --move-swap"
expect_in "guest side: none" out "--move-swap with no agent"
run_vg -c "$URI" --dry-run --lock-timeout 0 --force vg-disks vda +1G
expect_rc 0 "dry run with --lock-timeout 0 --force"
expect_in "guest side: none" out "--lock-timeout, --force with no agent"
# stdout is no terminal here: no progress line, not a byte of it
if grep -q $'\r\|\e' <<<"$out$err"; then not_ok "progress line drawn off a terminal"
else ok "no progress line off a terminal"; fi

# batches: words and JSON lines, concurrently, results in input order
batch=$(mktemp)
trap 'rm -f "$batch"' EXIT
cat >"$batch" <<EOB
# dry-run batch
vg-disks vda +1G
{"domain": "vg-disks", "disk": "serial:ROOT-0001", "size": "$TB"}
vg-disks sda +1G
{"domain": "vg-off", "disk": "vda", "size": 1, "uri": "$URI"}
{"domain": "vg-disks", "disk": "vdb", "size": "+1M", "key-file": "/k", "lv": "vg/lv", "lvm": "lv", "move-swap": true, "lock-timeout": 30, "force": true}
EOB
run_vg -c "$URI" --dry-run --json --jobs 3 --batch "$batch"
expect_rc 2 "batch: highest status (2) of the requests"
lines=$(wc -l <<<"$out")
[ "$lines" = 5 ] && ok "batch: one JSON line per request" || not_ok "batch: $lines lines"
out=$(sed -n 1p <<<"$out") jq_is '[.line, .outcome]|@tsv' "2	would-grow" "batch line 2 first"
run_vg -c "$URI" --dry-run --json --jobs 3 --batch "$batch"
out=$(sed -n 3p <<<"$out") jq_is '[.line, .outcome, .message]|@tsv' \
  "4	error	refusing to grow disk sda (/images/install.iso): it is a cdrom: only disks can grow" \
  "batch line 4 refused in place"

run_vg -c "$URI" --dry-run --batch - <<<"vg-disks vda +1G
vg-disks vdb +1G"
expect_rc 0 "batch from stdin, tables"
expect_in "2 requests: 2 grown, 0 nothing to do" out "batch summary"

printf '%s\n' '{"domain": "vg-disks", "disk": "vda", "size": "+1G", "lvm": "pv", "lv": "a/b"}' \
  >"$batch"
run_vg -c "$URI" --dry-run --batch "$batch"
expect_rc 2 "batch: lv with lvm pv is refused"
expect_in 'batch line 1: "lv" a/b and "lvm" pv contradict' err "contradiction named"

printf '%s\n' 'vg-disks vdb +1G' \
  '{"domain": "vg-disks", "disk": "vda", "size": "+1G", "move-swap": "yes"}' >"$batch"
run_vg -c "$URI" --dry-run --move-swap --batch "$batch"
expect_rc 2 "batch: a move-swap that is not true or false is refused"
expect_in 'batch line 2: "move-swap" is not true or false' err "bad move-swap named"

printf '%s\n' '{"domain": "vg-disks", "disk": "vda", "size": "+1G", "lock-timeout": "10"}' >"$batch"
run_vg -c "$URI" --dry-run --batch "$batch"
expect_rc 2 "batch: a lock-timeout that is not a number is refused"
expect_in 'batch line 1: "lock-timeout" is not a whole number of seconds' err "bad lock-timeout named"
printf '%s\n' '{"domain": "vg-disks", "disk": "vda", "size": "+1G", "force": 1}' >"$batch"
run_vg -c "$URI" --dry-run --batch "$batch"
expect_rc 2 "batch: a force that is not true or false is refused"
expect_in 'batch line 1: "force" is not true or false' err "bad force named"

printf 'vg-disks vda +1G\nvg-disks vda +2G\n' >"$batch"
run_vg -c "$URI" --dry-run --batch "$batch"
expect_rc 2 "batch: the same disk twice is refused"
expect_in "batch lines 1 and 2 both grow disk vda" err "duplicate named"

# bash completion: running domains, then their disks, from virsh
complete_words() {  # complete_words WORD...: the completions of the last word
  bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _virt_grow
           printf "%s\n" "${COMPREPLY[@]}"' _ "$COMPLETION" virt-grow "$@"
}
COMPLETION=$(dirname "$0")/../virt-grow.bash-completion
out=$(complete_words -c "$URI" "")
[ "$(echo $out)" = "vg-disks vg-spoof" ] && ok "completion: running domains" ||
  not_ok "completion of domains: $out"
out=$(complete_words -c "$URI" vg-disks vd)
[ "$(echo $out)" = "vda vdb vdc vdd vde vdf vdg vdh" ] && ok "completion: the domain's disks" ||
  not_ok "completion of disks: $out"
out=$(complete_words --dr)
[ "$out" = --dry-run ] && ok "completion: options" || not_ok "completion of options: $out"
out=$(complete_words --lvm "")
[ "$(echo $out)" = "pv lv auto" ] && ok "completion: --lvm's values" ||
  not_ok "completion of --lvm: $out"
out=$(complete_words --key-file /k -c "$URI" --lv vg/lv "")
[ "$(echo $out)" = "vg-disks vg-spoof" ] && ok "completion: --key-file and --lv values skipped" ||
  not_ok "completion after --key-file, --lv: $out"
out=$(complete_words --mo)
[ "$out" = --move-swap ] && ok "completion: --move-swap" || not_ok "completion of --mo: $out"
out=$(complete_words --move-swap -c "$URI" "")
[ "$(echo $out)" = "vg-disks vg-spoof" ] && ok "completion: --move-swap takes no value" ||
  not_ok "completion after --move-swap: $out"
out=$(complete_words --lo)
[ "$out" = --lock-timeout ] && ok "completion: --lock-timeout" || not_ok "completion of --lo: $out"
out=$(complete_words --fo)
[ "$out" = --force ] && ok "completion: --force" || not_ok "completion of --fo: $out"
out=$(complete_words --lock-timeout "")
[ -z "$out" ] && ok "completion: --lock-timeout takes a number" ||
  not_ok "completion after --lock-timeout: $out"
out=$(complete_words --lock-timeout 5 --force -c "$URI" "")
[ "$(echo $out)" = "vg-disks vg-spoof" ] && ok "completion: --lock-timeout's value skipped, --force takes none" ||
  not_ok "completion after --lock-timeout 5 --force: $out"

finish
