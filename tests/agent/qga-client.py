#!/usr/bin/python3
"""Send commands to a QEMU guest agent on a unix socket, the way a host does.

  qga-client.py SOCKET COMMAND-JSON...

Connects, synchronises with guest-sync (a random id, discarding anything
stale until that id comes back), then sends each COMMAND-JSON in turn and
prints each reply on one line, as the agent sent it.  A reply that is an
error is printed too: the caller checks it.  Exit 0 when every command got
a reply, 2 on a bad argument, 1 when the agent did not answer.
Environment: QGA_CLIENT_TIMEOUT, seconds to wait for one reply (default 60).
"""
import json
import os
import random
import socket
import sys


class Agent:
    def __init__(self, path, timeout):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b""

    def send(self, text):
        self.sock.sendall(text.encode() + b"\n")

    def reply(self):
        """The next JSON value the agent sends (one per line)."""
        while b"\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("the agent closed the connection")
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        line = line.strip()
        return line.decode() if line else self.reply()

    def sync(self):
        sync_id = random.randrange(1, 2**31)
        self.send(json.dumps({"execute": "guest-sync", "arguments": {"id": sync_id}}))
        while True:
            try:
                if json.loads(self.reply()).get("return") == sync_id:
                    return
            except ValueError:
                pass  # a stale partial reply: skip it


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    commands = argv[2:]
    for text in commands:
        try:
            json.loads(text)
        except ValueError as e:
            print(f"qga-client: not JSON: {text!r}: {e}", file=sys.stderr)
            return 2
    try:
        agent = Agent(argv[1], float(os.environ.get("QGA_CLIENT_TIMEOUT", "60")))
        agent.sync()
        for text in commands:
            agent.send(text)
            print(agent.reply(), flush=True)
    except (OSError, EOFError) as e:
        print(f"qga-client: {argv[1]}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
