#!/usr/bin/python3
"""A client that owns ephemerals and then waits to be killed.

It connects with the given session timeout, creates <count> ephemerals under <root>, prints
"READY <session> <path> <path> ...", and blocks reading stdin. The harness SIGKILLs it: the
session is never closed, so the ephemerals must go when the session expires.
"""

import argparse
import sys

from kazoo.client import KazooClient


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hosts", required=True)
    parser.add_argument("--root", required=True)
    parser.add_argument("--count", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=3.0, help="session timeout in seconds")
    args = parser.parse_args()

    zk = KazooClient(hosts=args.hosts, timeout=args.timeout)
    zk.start(timeout=30.0)
    zk.ensure_path(args.root)
    paths = [zk.create(f"{args.root}/eph-", b"", ephemeral=True, sequence=True) for _ in range(args.count)]
    print("READY", zk.client_id[0], *paths, flush=True)
    sys.stdin.read()  # until killed (or the harness closes stdin)
    return 0


if __name__ == "__main__":
    sys.exit(main())
