#!/usr/bin/env python3
"""The floor of a storage stack's grow: the work no grower can leave out,
each part timed inside a process that is already running (no process start,
no dynamic linking, no tool's own initialisation), for bench/stack-bench.sh.

The partition has been grown beforehand, untimed.  Then, bottom-up, as the
stack has them:
  crypt NAME KEYFILE   libcryptsetup (ctypes): the key slot's unlock into
                       the keyring (a LUKS2 mapping's reload needs the key)
                       and crypt_resize: the kernel's table reload
  lvm PV LV            pvresize and lvextend from that PV, sent to an LVM
                       shell started beforehand (untimed): LVM's metadata
                       commit and the kernel's table reload
  pool PV POOL         the same for a thin pool's data
  md MD                md's sysfs: each member's size, then the array's
                       component size (what mdadm --grow --size=max writes)
  fs FS MNT DEV        qg-resize-floor's open + resize ioctl (its own
                       in-process time)
Prints the sum in nanoseconds, then each part's ("PART NS") on stderr.

    stack-floor.py QG-RESIZE-FLOOR STEP ARGS... [-- STEP ARGS...]...
"""
import ctypes
import json
import os
import select
import subprocess
import sys
import time

LVM_ENV = {"LC_ALL": "C", "LVM_SUPPRESS_FD_WARNINGS": "1", "HOME": "/dev/null",
           "LVM_COMMAND_PROFILE": "lvmdbusd", "LVM_REPORT_FD": "3"}


class LvmShell:
    """LVM's shell, as lvm-shell.c drives it (the report pipe on fd 3)."""

    def __init__(self):
        r, w = os.pipe()
        env = dict(os.environ, **LVM_ENV)
        if os.environ.get("QG_LVM_DSYNC"):
            env["LD_PRELOAD"] = os.environ["QG_LVM_DSYNC"]
        self.p = subprocess.Popen(["lvm"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, env=env, pass_fds=(3,),
                                  preexec_fn=lambda: os.dup2(w, 3) if w != 3 else None)
        os.close(w)
        self.rep, self.buf = r, b""

    def call(self, line):
        self.p.stdin.write(line.encode() + b"\n")
        self.p.stdin.flush()
        while True:
            obj = self._object()
            if obj is not None:
                log = json.loads(obj).get("log", [])
                status = [e for e in log if e.get("log_context") == "shell"]
                if not status or status[-1]["log_ret_code"] != "1":
                    sys.exit(f"stack-floor: lvm {line} failed")
                return
            select.select([self.rep], [], [])
            data = os.read(self.rep, 65536)
            if not data:
                sys.exit("stack-floor: lvm ended")
            self.buf += data

    def _object(self):
        depth, in_str, esc, start = 0, False, False, None
        for i, c in enumerate(self.buf.decode()):
            if in_str:
                esc, in_str = (False, in_str) if esc else (c == "\\", c != '"')
            elif c == '"':
                in_str = True
            elif c == "{":
                start = i if depth == 0 else start
                depth += 1
            elif c == "}" and depth:
                depth -= 1
                if depth == 0:
                    obj, self.buf = self.buf[start:i + 1], self.buf[i + 1:]
                    return obj
        return None

    def close(self):
        self.p.stdin.close()
        self.p.wait()


def crypt_floor(name, keyfile):
    lib = ctypes.CDLL("libcryptsetup.so.12")
    cd = ctypes.c_void_p()
    if lib.crypt_init_by_name(ctypes.byref(cd), name.encode()) < 0:
        sys.exit(f"stack-floor: crypt_init_by_name {name}")
    keyring = 1 << 11  # CRYPT_ACTIVATE_KEYRING_KEY
    t = time.monotonic_ns()
    if keyfile != "-":
        r = lib.crypt_activate_by_keyfile_device_offset(cd, None, -1, keyfile.encode(),
                                                        ctypes.c_size_t(0), ctypes.c_uint64(0),
                                                        ctypes.c_uint32(keyring))
        if r < 0:
            sys.exit(f"stack-floor: unlock {name}: {r}")
    r = lib.crypt_resize(cd, name.encode(), ctypes.c_uint64(0))
    ns = time.monotonic_ns() - t
    lib.crypt_free(cd)
    if r < 0:
        sys.exit(f"stack-floor: crypt_resize {name}: {r}")
    return ns


def lvm_floor(shell, pv, lv):
    t = time.monotonic_ns()
    shell.call(f'pvresize "{pv}"')
    shell.call(f'lvextend -l +100%PVS "{lv}" "{pv}"')
    return time.monotonic_ns() - t


def md_floor(md):
    name = os.path.basename(os.path.realpath(md))
    base = f"/sys/class/block/{name}/md"
    t = time.monotonic_ns()
    for d in os.listdir(base):
        if d.startswith("dev-"):
            with open(f"{base}/{d}/size", "w") as f:
                f.write("0")
    with open(f"{base}/component_size", "w") as f:
        f.write("0")  # 0: as large as every member allows
    return time.monotonic_ns() - t


def fs_floor(resize_floor, fs, mnt, dev):
    size = os.open(dev, os.O_RDONLY)
    nbytes = os.lseek(size, 0, os.SEEK_END)
    os.close(size)
    out = subprocess.run([resize_floor, fs, mnt, str(nbytes)], check=True, capture_output=True,
                         text=True).stdout
    for line in out.splitlines():
        if line.startswith("inproc-ns "):
            return int(line.split()[1])
    sys.exit(f"stack-floor: qg-resize-floor said {out!r}")


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    resize_floor, steps, cur = sys.argv[1], [], []
    for a in sys.argv[2:]:
        if a == "--":
            steps.append(cur)
            cur = []
        else:
            cur.append(a)
    steps.append(cur)
    shell = None
    if any(s[0] in ("lvm", "pool") for s in steps):
        shell = LvmShell()
        shell.call("pvs")  # started and initialised, untimed
    total = 0
    for s in steps:
        if s[0] == "crypt":
            ns = crypt_floor(s[1], s[2])
        elif s[0] in ("lvm", "pool"):
            ns = lvm_floor(shell, s[1], s[2])
        elif s[0] == "md":
            ns = md_floor(s[1])
        elif s[0] == "fs":
            ns = fs_floor(resize_floor, s[1], s[2], s[3])
        else:
            sys.exit(f"stack-floor: unknown step {s[0]}")
        print(f"{s[0]} {ns}", file=sys.stderr)
        total += ns
    if shell:
        shell.close()
    print(total)


if __name__ == "__main__":
    main()
