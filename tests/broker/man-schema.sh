#!/bin/bash
# The wire format is written down twice, for programs (wire.schema.json)
# and for people (virt-growd.8): the members the man page lists under
# "Request" and "Reply" must be the schema's, no more, no fewer; and the
# page must format without warnings.
#   man-schema.sh SCHEMA MANPAGE
set -euo pipefail
schema=${1:?usage: $0 SCHEMA MANPAGE} man=${2:?}
members() {  # members SECTION: the .B words right after .TP in .SS SECTION
  awk -v sec="$1" '
    /^\.S[SH] / { inside = ($0 == ".SS " sec) ; next }
    inside && prev == ".TP" && /^\.B [a-z-]+$/ { print $2 }
    { prev = $0 }' "$man" | sort
}
fail=0
for def in request reply; do
  section=$(echo "${def:0:1}" | tr a-z A-Z)${def:1}
  want=$(jq -r --arg d "$def" '."$defs"[$d].properties | keys[]' "$schema" | sort)
  got=$(members "$section")
  if [ "$want" = "$got" ]; then
    echo "ok - $man's $section members are the schema's: $(echo $got)"
  else
    echo "not ok - $man's $section members differ from $schema's"
    diff <(echo "$want") <(echo "$got") | sed 's/^/# /' || true
    fail=1
  fi
done
warnings=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$man" 2>&1 || true)
if [ -z "$warnings" ]; then
  echo "ok - $man formats without warnings"
else
  echo "not ok - groff on $man:"; echo "$warnings" | sed 's/^/# /'
  fail=1
fi
echo "1..3"
exit "$fail"
