#!/bin/bash
# Run the libFuzzer targets for a bounded time each, in a clang build with
# AddressSanitizer and UndefinedBehaviorSanitizer.
#   run-fuzzers.sh SRCDIR BUILDDIR SECONDS [TARGET...]
# Targets: parse-size cli-args table agent-reply auto-conf wire-request (default: all).  Each starts
# from the committed corpus (tests/fuzz/corpus/TARGET, never written to);
# what it finds new goes to a temporary directory.  A crash, leak or sanitizer error
# fails the run, with the input printed (base64) so it can be added to the
# corpus as a regression test once fixed.
set -euo pipefail
src=$(cd "${1:?usage: $0 SRCDIR BUILDDIR SECONDS [TARGET...]}" && pwd)
build=${2:?} secs=${3:?}
shift 3
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(parse-size cli-args table agent-reply auto-conf wire-request)
command -v clang >/dev/null ||
  { echo "run-fuzzers: clang is missing (scripts/install-deps.sh test)" >&2; exit 2; }

if [ ! -f "$build/build.ninja" ]; then
  CC=clang meson setup "$build" "$src" -Dfuzzing=true -Db_sanitize=address,undefined \
    -Db_lundef=false -Dbuildtype=debugoptimized >"$build.setup.log" 2>&1 ||
    { cat "$build.setup.log" >&2; exit 2; }
fi
ninja -C "$build" $(printf 'tests/fuzz/fuzz-%s ' "${targets[@]}") >/dev/null

work=$(mktemp -d /tmp/qg-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export LSAN_OPTIONS=suppressions=$src/tests/fuzz/lsan.supp:print_suppressions=0
failed=0
for t in "${targets[@]}"; do
  mkdir -p "$work/$t/new"
  echo "# fuzz-$t for $secs s"
  rc=0
  "$build/tests/fuzz/fuzz-$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$work/$t/" \
    "$work/$t/new" "$src/tests/fuzz/corpus/$t" >"$work/$t/log" 2>&1 || rc=$?
  grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+ *DONE)' "$work/$t/log" || true
  if [ "$rc" != 0 ]; then
    failed=1
    tail -n 60 "$work/$t/log"
    for a in "$work/$t"/crash-* "$work/$t"/leak-* "$work/$t"/timeout-* "$work/$t"/oom-*; do
      [ -e "$a" ] || continue
      echo "FAIL: fuzz-$t: $(basename "$a"), base64:"
      base64 -w 76 "$a"
    done
  fi
done
[ "$failed" = 0 ] && echo "ok: ${targets[*]} fuzzed for $secs s each"
exit "$failed"
