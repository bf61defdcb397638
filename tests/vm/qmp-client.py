#!/usr/bin/python3
"""Send one command to QEMU's monitor (QMP) or to a guest agent, print the
reply as one line of JSON.

    qmp-client.py qmp|qga SOCKET COMMAND-JSON [--timeout SEC]

Exit status: 0 a "return" reply, 1 an "error" reply, 2 no reply (connection
refused, timeout, garbage).  The agent is first synchronised with
guest-sync-delimited, so a reply left over from an earlier client is skipped.
"""
import json
import random
import socket
import sys


class Channel:
    def __init__(self, path, timeout):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b""

    def send(self, obj):
        self.sock.sendall(json.dumps(obj).encode() + b"\n")

    def read_line(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("the peer closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line

    def read_reply(self):
        """The next reply, skipping QMP events."""
        while True:
            line = self.read_line().strip()
            if not line:
                continue
            msg = json.loads(line)
            if "event" not in msg:
                return msg

    def skip_to_sentinel(self):
        """guest-sync-delimited answers after a 0xFF byte."""
        while b"\xff" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("the agent closed the connection")
            self.buf += chunk
        self.buf = self.buf.split(b"\xff", 1)[1]


def qmp(chan, cmd):
    chan.read_reply()  # greeting
    chan.send({"execute": "qmp_capabilities"})
    chan.read_reply()
    chan.send(cmd)
    return chan.read_reply()


def qga(chan, cmd):
    sync_id = random.randrange(1, 2**31)
    chan.sock.sendall(b"\xff")  # resets the agent's parser
    chan.send({"execute": "guest-sync-delimited", "arguments": {"id": sync_id}})
    while True:
        chan.skip_to_sentinel()
        if chan.read_reply().get("return") == sync_id:
            break
    chan.send(cmd)
    return chan.read_reply()


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--timeout")]
    timeout = 30.0
    for i, a in enumerate(argv):
        if a == "--timeout" and i + 1 < len(argv):
            timeout = float(argv[i + 1])
            args.remove(argv[i + 1])
        elif a.startswith("--timeout="):
            timeout = float(a.split("=", 1)[1])
    if len(args) != 3 or args[0] not in ("qmp", "qga"):
        print(__doc__, file=sys.stderr)
        return 2
    kind, path, text = args
    try:
        cmd = json.loads(text)
        chan = Channel(path, timeout)
        reply = (qmp if kind == "qmp" else qga)(chan, cmd)
    except (OSError, EOFError, ValueError) as e:
        print(f"qmp-client: {kind} {path}: {e}", file=sys.stderr)
        return 2
    print(json.dumps(reply))
    return 0 if "return" in reply else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
