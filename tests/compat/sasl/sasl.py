#!/usr/bin/python3
"""SASL DIGEST-MD5 through kazoo's public API (sasl_options, with python3-pure-sasl).

  sasl.py --hosts HOSTS --user USER --password PASSWORD --path PATH

Prints one line per fact, then exits 0 (any surprise prints FAIL and exits 1):
  CREATED <path>          created by the SASL user, ACL sasl:<user> only
  READ <data>             read back by the same user
  ANONYMOUS NoAuth        a client without SASL may not read it
  BAD refused             a client with a wrong password is refused: kazoo ends AUTH_FAILED, then
                          closed, and reads nothing
"""

import argparse
import sys
import time

from kazoo.client import KazooClient
from kazoo.exceptions import NoAuthError
from kazoo.security import ACL, Id, Permissions

parser = argparse.ArgumentParser()
for name in ("hosts", "user", "password", "path"):
    parser.add_argument("--" + name, required=True)
args = parser.parse_args()


def say(*words):
    print(*words, flush=True)


def sasl(password):
    return {"mechanism": "DIGEST-MD5", "username": args.user, "password": password}


owner = KazooClient(hosts=args.hosts, sasl_options=sasl(args.password), timeout=10.0)
owner.start(timeout=30)
owner.create(args.path, b"for the SASL user only", acl=[ACL(Permissions.ALL, Id("sasl", args.user))])
say("CREATED", args.path)
data, _ = owner.get(args.path)
say("READ", data.decode())

anonymous = KazooClient(hosts=args.hosts, timeout=10.0)
anonymous.start(timeout=30)
try:
    anonymous.get(args.path)
    say("FAIL", "a client without SASL read a znode only the SASL user may read")
    sys.exit(1)
except NoAuthError:
    say("ANONYMOUS", "NoAuth")

intruder = KazooClient(hosts=args.hosts, sasl_options=sasl(args.password + "-wrong"), timeout=5.0)
try:
    # kazoo reports CONNECTED before it runs SASL, so start() may return; the refusal follows.
    intruder.start(timeout=10)
except Exception:
    pass
deadline = time.monotonic() + 15
while intruder.client_state not in ("AUTH_FAILED", "CLOSED") and time.monotonic() < deadline:
    time.sleep(0.05)  # kazoo's own thread moves the state on
try:
    intruder.get(args.path)
    say("FAIL", "a client with a wrong password read a znode")
    sys.exit(1)
except Exception:
    if intruder.client_state not in ("AUTH_FAILED", "CLOSED"):
        say("FAIL", "a wrong password left the client in state", intruder.client_state)
        sys.exit(1)
    say("BAD", "refused")
intruder.stop()
intruder.close()

for client in (owner, anonymous):
    client.stop()
    client.close()
