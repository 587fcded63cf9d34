#!/usr/bin/python3
"""Read-only mode through kazoo's public API, driven by the fault tests.

Connects to one server with read_only=True, once the harness has stopped the other two:
  STATE <state>            the connection state kazoo reports (CONNECTED_RO expected)
  READ <data>              the latest data of PATH, read in the read-only session
  WRITE NotReadOnly        a write was refused with NotReadOnlyCallError
Then, after the harness writes "healed" on stdin (the other servers are back):
  WRITE ok <seconds>       a write went through again, that many seconds after "healed"
Any other outcome prints FAIL <reason> and exits 1.
"""

import argparse
import sys
import time

from kazoo.client import KazooClient
from kazoo.exceptions import KazooException, NotReadOnlyCallError

parser = argparse.ArgumentParser()
parser.add_argument("--host", required=True)
parser.add_argument("--path", required=True)
args = parser.parse_args()


def say(*words):
    print(*words, flush=True)


client = KazooClient(hosts=args.host, read_only=True, timeout=10.0, randomize_hosts=False)
client.start(timeout=30)
say("STATE", client.client_state)
data, _ = client.get(args.path)
say("READ", data.decode())
try:
    client.set(args.path, b"refused")
    say("FAIL", "a write succeeded in a read-only session")
    sys.exit(1)
except NotReadOnlyCallError:
    say("WRITE", "NotReadOnly")

if sys.stdin.readline().strip() != "healed":
    say("FAIL", "expected 'healed'")
    sys.exit(1)
healed = time.monotonic()
deadline = healed + 60
while True:
    try:
        client.set(args.path, b"after")
        say("WRITE", "ok", "%.1f" % (time.monotonic() - healed))
        break
    except (KazooException, Exception) as error:  # connection loss, expiry, read-only: retry until the deadline
        if time.monotonic() > deadline:
            say("FAIL", "no write within 60 s of the heal:", type(error).__name__)
            sys.exit(1)
        time.sleep(0.2)  # the client is reconnecting on its own; look again shortly
client.stop()
client.close()
