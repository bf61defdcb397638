#!/bin/bash
# The udev rule names qga-grow@DISK:SEQNUM.service; the unit runs
# "qga-grow auto" with the instance.  Each kernel name must reach qga-grow
# as it was: the instance is expanded as systemd does for the unit's
# specifier (%i verbatim; %I unescaped by systemd-escape's rules, which
# turn "-" into "/": dm-3 would become dm/3), names that a unit name cannot
# hold as they are take the rule's detached way, and qga-grow resolves
# what it gets to the node /dev/NAME.
#   service-instance.sh QGA-GROW BUILD-RULES-DIR
set -euo pipefail
QG=$(readlink -f "${1:?usage: $0 QGA-GROW BUILD-RULES-DIR}")
rules=${2:?usage: $0 QGA-GROW BUILD-RULES-DIR}
unit=$rules/qga-grow@.service
rule=$rules/90-qga-grow.rules
work=$(mktemp -d /tmp/qg-service-instance.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v systemd-escape >/dev/null || { echo "1..0 # SKIP no systemd-escape"; exit 77; }

exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
case $exec_start in
  *" auto %i") spec=%i ;;
  *" auto %I") spec=%I ;;
  *) fail "ExecStart is '$exec_start', not qga-grow auto %i or %I" ;;
esac
# the rule: which kernel names take the detached way instead of the unit
glob=$(sed -n 's/^KERNEL=="\([^"]*\)", GOTO="qga_grow_detached"$/\1/p' "$rule")
grep -q 'SYSTEMD_WANTS}+="qga-grow@%k:$env{SEQNUM}.service"' "$rule" ||
  fail "the rule does not name qga-grow@%k:\$env{SEQNUM}.service"
printf '[auto]\nenabled=false\n' >"$work/auto.conf"

n=0
for name in dm-3 dm-12 nvme0n1 sda vdb md127 loop0 xvda 'cciss!c0d0'; do
  n=$((n + 1))
  # shellcheck disable=SC2053  # the rule's glob, as udev's fnmatch reads it
  if [ -n "$glob" ] && [[ $name == $glob ]]; then
    [[ $name =~ ^[A-Za-z0-9_.-]+$ ]] && fail "$name: a valid unit name, yet not given to the unit"
    echo "ok $n - $name: the detached way"
    continue
  fi
  instance=$name:4711
  [[ $instance =~ ^[A-Za-z0-9:_.\\-]+$ ]] ||
    fail "$name: qga-grow@$instance.service is no valid unit name (and the rule names it)"
  if [ "$spec" = %i ]; then arg=$instance; else arg=$(systemd-escape --unescape "$instance"); fi
  [ "$arg" = "$instance" ] || fail "$name: the unit runs 'qga-grow auto $arg' (${spec} of $instance)"
  rc=0
  "$QG" auto --config "$work/auto.conf" "$arg" >"$work/out" 2>&1 || rc=$?
  [ "$rc" = 1 ] && grep -q "^qga-grow: /dev/$name: automatic growth is off (.*) \[uevent 4711\]$" "$work/out" ||
    fail "$name: qga-grow auto $arg (exit $rc) said: $(cat "$work/out")"
  echo "ok $n - $name: the unit's instance $instance, qga-grow auto /dev/$name"
done
echo "1..$n"
