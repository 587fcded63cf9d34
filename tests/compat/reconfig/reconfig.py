#!/usr/bin/python3
"""kazoo's reconfig against a Colony ensemble, for the reconfig tests.

  reconfig.py --hosts H --auth super:secret add 'server.4=...:observer;...'
  reconfig.py --hosts H --auth super:secret remove 4
  reconfig.py --hosts H config

Prints the configuration the server answered (getConfig for "config"), one line per line of
data, each prefixed "CONFIG ", then "VERSION <hex>" from the version line and "MZXID <hex>" from
the Stat, or "ERROR <kazoo exception name>" if the call failed.
"""

import argparse
import sys

from kazoo.client import KazooClient
from kazoo.exceptions import KazooException


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--hosts", required=True)
    parser.add_argument("--auth", help="digest user:password to authenticate as")
    parser.add_argument("--from-config", type=lambda v: int(v, 16), default=-1)
    parser.add_argument("action", choices=["add", "remove", "config"])
    parser.add_argument("argument", nargs="?")
    args = parser.parse_args()

    auth = [("digest", args.auth)] if args.auth else None
    zk = KazooClient(hosts=args.hosts, auth_data=auth, timeout=10)
    zk.start(timeout=20)
    try:
        if args.action == "add":
            data, stat = zk.reconfig(joining=args.argument, leaving=None, new_members=None, from_config=args.from_config)
        elif args.action == "remove":
            data, stat = zk.reconfig(joining=None, leaving=args.argument, new_members=None, from_config=args.from_config)
        else:
            data, stat = zk.get("/zookeeper/config")
    except KazooException as e:
        print("ERROR " + type(e).__name__, flush=True)
        return 0
    finally:
        zk.stop()
        zk.close()
    text = data.decode("utf-8")
    for line in text.split("\n"):
        print("CONFIG " + line)
        if line.startswith("version="):
            print("VERSION " + line[len("version="):])
    print("MZXID %x" % stat.mzxid, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
