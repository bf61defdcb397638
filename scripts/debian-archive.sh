# Helpers, sourced by build-qemu-ga.sh, to take what it needs from Debian's
# archive through apt-get with a private configuration: its own sources list
# and package lists under a cache directory, so /etc/apt and the system's
# lists stay as they are.  Mirrors: QG_DEBIAN_MIRROR (default
# http://deb.debian.org/debian), QG_DEBIAN_SECURITY_MIRROR.

QG_DEBIAN_MIRROR=${QG_DEBIAN_MIRROR:-http://deb.debian.org/debian}
QG_DEBIAN_SECURITY_MIRROR=${QG_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
APT_OPTS=()

# private_apt DIR TYPE SUITE...: point APT_OPTS at DIR, whose sources list
# has one TYPE (deb or deb-src) entry per SUITE, and update its lists.
private_apt() {
  local dir=$1 type=$2 suite mirror
  shift 2
  mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" "$dir/parts"
  for suite in "$@"; do
    case $suite in *-security) mirror=$QG_DEBIAN_SECURITY_MIRROR ;; *) mirror=$QG_DEBIAN_MIRROR ;; esac
    echo "$type [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite main"
  done >"$dir/sources.list"
  APT_OPTS=(-o "Dir::Etc::SourceList=$dir/sources.list" -o "Dir::Etc::SourceParts=$dir/parts"
            -o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir/cache"
            -o APT::Sandbox::User=root -q)
  apt-get "${APT_OPTS[@]}" update >"$dir/update.log" 2>&1 ||
    { cat "$dir/update.log" >&2; echo "apt-get update failed for $dir/sources.list" >&2; return 1; }
}

# fetch_qemu_source DIR SUITE: download Debian's newest qemu source package
# of a release (SUITE, -updates and -security) into DIR; print its .dsc.
fetch_qemu_source() {
  local dir=$1 suite=$2 version cached
  if ! private_apt "$dir/apt" deb-src "$suite" "$suite-updates" "$suite-security"; then
    # offline: the newest package downloaded before, if any
    cached=$(ls "$dir"/qemu_*.dsc 2>/dev/null | sort -V | tail -n 1)
    [ -n "$cached" ] || return 1
    echo "using $cached, downloaded before" >&2
    echo "$cached"
    return 0
  fi
  version=$(apt-cache "${APT_OPTS[@]}" showsrc --only-source qemu |
            sed -n 's/^Version: //p' | sort -V -r | head -n 1)
  [ -n "$version" ] || { echo "no qemu source package in $suite" >&2; return 1; }
  (cd "$dir" && apt-get "${APT_OPTS[@]}" source --download-only --only-source "qemu=$version") \
    >"$dir/download.log" 2>&1 ||
    { cat "$dir/download.log" >&2; echo "apt-get source qemu=$version failed" >&2; return 1; }
  echo "$dir/qemu_${version#*:}.dsc"
}

# use_meson_at_least VERSION CACHE: make `meson` at least VERSION.  Where
# the system's is older (Debian 12 has 1.0), unpack the one from
# bookworm-backports into CACHE (once) and put it first on PATH and
# PYTHONPATH; the system's meson package stays as it is.
use_meson_at_least() {
  local want=$1 dir=$2/meson-backports deb
  meson_at_least "$want" && return 0
  if [ ! -x "$dir/root/usr/bin/meson" ]; then
    private_apt "$dir/apt" deb bookworm-backports || return 1
    rm -f "$dir"/meson_*.deb
    (cd "$dir" && apt-get "${APT_OPTS[@]}" download meson/bookworm-backports) \
      >"$dir/download.log" 2>&1 ||
      { cat "$dir/download.log" >&2; echo "cannot download meson from bookworm-backports" >&2; return 1; }
    deb=$(ls "$dir"/meson_*.deb)
    rm -rf "$dir/root.new"
    dpkg-deb -x "$deb" "$dir/root.new"
    mv "$dir/root.new" "$dir/root"
  fi
  export PATH=$dir/root/usr/bin:$PATH
  export PYTHONPATH=$dir/root/usr/lib/python3/dist-packages${PYTHONPATH:+:$PYTHONPATH}
  meson_at_least "$want" ||
    { echo "meson $(meson --version) in $dir is older than $want" >&2; return 1; }
}

meson_at_least() {
  dpkg --compare-versions "$(meson --version 2>/dev/null || echo 0)" ge "$1"
}
