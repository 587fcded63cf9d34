#!/usr/bin/python3
"""Takes over an existing session (id and password from the harness) on the given server.

Prints "RESUMED <session> <host:port>" once connected (the session kazoo ended up with, in decimal,
and the server it talks to), then "OWNER <path> <session>" for the ephemeral owner it reads of
each path it was given (0 if the node is missing), then waits. "close" on stdin closes the
session and prints "CLOSED". State changes are printed as "STATE <state>".
"""

import argparse
import sys
import threading

from kazoo.client import KazooClient

_out = threading.Lock()


def say(*fields):
    """One line at a time: kazoo reports states from its own thread."""
    with _out:
        print(" ".join(str(f) for f in fields), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hosts", required=True)
    parser.add_argument("--session", type=int, required=True)
    parser.add_argument("--password", required=True, help="hex")
    parser.add_argument("--timeout", type=float, default=6.0)
    parser.add_argument("paths", nargs="*")
    args = parser.parse_args()

    zk = KazooClient(hosts=args.hosts, timeout=args.timeout,
                     client_id=(args.session, bytes.fromhex(args.password)))
    zk.add_listener(lambda state: say("STATE", state))
    zk.start(timeout=30.0)
    host, port = zk._connection._socket.getpeername()[:2]  # kazoo has no public way to name it
    say("RESUMED", zk.client_id[0], f"{host}:{port}")
    for path in args.paths:
        stat = zk.exists(path)
        say("OWNER", path, 0 if stat is None else stat.ephemeralOwner)

    for line in sys.stdin:
        if line.strip() == "close":
            zk.stop()
            zk.close()
            say("CLOSED")
            return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
