#!/bin/bash
# The Ansible module against two private libvirtd instances standing in for
# two hypervisors (host-cli/tests/libvirtd.sh), three shut-off domains each
# whose data disks are volumes of a storage pool: one play (fleet.yml) with
# check mode, the grow, a rerun with nothing to do, dry_run, and failures
# carrying virt-grow's message; the images' sizes checked with qemu-img.
#   fleet.sh VIRT-GROW
set -euo pipefail
VG=$(readlink -f "${1:?usage: $0 VIRT-GROW}")
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../../.." && pwd)
LIBVIRTD=$TOP/host-cli/tests/libvirtd.sh
for tool in ansible-playbook virsh qemu-img jq; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool missing (scripts/install-deps.sh test)"; exit 77; }
done
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (private libvirtd)"; exit 77; }

work=$(mktemp -d /tmp/qg-ansible.XXXXXX)
cleanup() {
  for h in hv1 hv2; do "$LIBVIRTD" stop "$work/$h/libvirt" >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

M=$((1024 * 1024))
{
  echo "[hypervisors]"
  for h in hv1 hv2; do
    mkdir -p "$work/$h/pool"
    uri=$("$LIBVIRTD" start "$work/$h/libvirt")
    V() { virsh -q -c "$uri" "$@" >/dev/null; }
    V pool-define-as pool dir --target "$work/$h/pool"
    V pool-start pool
    names=()
    for d in a b c; do
      name=$h-$d
      fmt=$([ $d = b ] && echo qcow2 || echo raw)
      V vol-create-as pool "$name.$fmt" 64M --format "$fmt"
      cat >"$work/$h/$name.xml" <<EOX
<domain type='qemu'>
  <name>$name</name>
  <memory unit='MiB'>32</memory>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='$fmt'/><source file='$work/$h/pool/$name.$fmt'/>
      <target dev='vdb' bus='virtio'/>
    </disk>
  </devices>
</domain>
EOX
      V define "$work/$h/$name.xml"
      names+=("\"$name\"")
    done
    printf "%s ansible_connection=local ansible_python_interpreter=/usr/bin/python3 libvirt_uri='%s' domains='[%s]'\n" \
      "$h" "$uri" "$(IFS=,; echo "${names[*]}")"
  done
} >"$work/hosts"

# Ansible's own state in the test's directory, not the user's; Ansible
# wants a UTF-8 locale (the test suite runs under LC_ALL=C).
export LC_ALL=C.UTF-8 HOME=$work ANSIBLE_LOCAL_TEMP=$work/ansible-tmp ANSIBLE_REMOTE_TEMP=$work/ansible-tmp \
  ANSIBLE_LIBRARY=$TOP/contrib/ansible/library ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0
ansible-playbook -i "$work/hosts" -e "virt_grow=$VG" "$HERE/fleet.yml" >"$work/play.log" 2>&1 ||
  { cat "$work/play.log" >&2; fail "ansible-playbook"; }
# both hosts ran every task; each host's recap (three grown, dry run: 4
# changed; the two failures rescued by ignore_errors)
for h in hv1 hv2; do
  grep -Eq "^$h +: ok=[0-9]+ +changed=[0-9]+ +unreachable=0 +failed=0 +skipped=0 +rescued=0 +ignored=2" \
    "$work/play.log" || { cat "$work/play.log" >&2; fail "recap of $h"; }
done
for h in hv1 hv2; do
  for d in a b c; do
    f=$(ls "$work/$h/pool/$h-$d".*)
    size=$(qemu-img info -U --output=json "$f" | jq '."virtual-size"')
    [ "$size" = $((128 * M)) ] || fail "$f is $size bytes, not 128 MiB"
  done
done
echo "ok: one play grew 3 shut-off domains' disks on each of 2 hypervisors (check mode, rerun, dry_run, failures)"
