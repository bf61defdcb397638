# Helpers for virt-grow's shell tests (sourced).
#   run_vg ARGS...      run virt-grow, keep stdout/stderr/status in $out $err $rc
#   expect_rc N WHAT    the last run's status must be N
#   expect_in TEXT WHERE WHAT   $out or $err must contain TEXT
#   jq_is FILTER VALUE WHAT     the last run's JSON output, through jq
set -euo pipefail
VG=${VG:?VG must name the virt-grow binary}
fails=0
checks=0
run_vg() {
  local o e
  o=$(mktemp) e=$(mktemp)
  rc=0
  "$VG" "$@" >"$o" 2>"$e" || rc=$?
  out=$(cat "$o") err=$(cat "$e")
  rm -f "$o" "$e"
}
ok() { checks=$((checks + 1)); echo "ok $checks - $1"; }
not_ok() {
  checks=$((checks + 1)) fails=$((fails + 1))
  echo "not ok $checks - $1"
  printf '# %s\n' "stdout: $out" "stderr: $err" | head -40
}
expect_rc() { if [ "$rc" = "$1" ]; then ok "$2 (exit $rc)"; else not_ok "$2: exit $rc, wanted $1"; fi; }
expect_in() {
  local text=$1 where=$2 what=$3 hay
  if [ "$where" = out ]; then hay=$out; else hay=$err; fi
  if grep -qF -- "$text" <<<"$hay"; then ok "$what"; else not_ok "$what: no \"$text\" in std$where"; fi
}
jq_is() {
  local got
  got=$(jq -r "$1" <<<"$out" 2>&1 || true)
  if [ "$got" = "$2" ]; then ok "$3"; else not_ok "$3: $1 is \"$got\", wanted \"$2\""; fi
}
finish() {
  echo "1..$checks"
  [ "$fails" = 0 ]
}
