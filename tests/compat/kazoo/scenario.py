"""Shared plumbing for the kazoo compatibility scenarios.

A scenario prints a normalized transcript: one line per observable outcome, with every value the
server chooses (zxids, session ids, times) replaced by a stable alias, so the same scenario gives
the same transcript against any ZooKeeper-compatible server. Relations survive normalization: two
equal zxids get the same alias, and scenarios print explicit comparisons where order matters.

Lines that start with "@" are control lines for the harness that runs the scenario, not part of
the transcript (for example "@CONNECTED-TO 127.0.0.1:2181", answered by a line on stdin).
"""

import argparse
import socket
import sys
import threading
import time
import traceback

from kazoo.client import KazooClient
from kazoo.protocol.states import KazooState

# Every wait for an event is bounded; a scenario that needs longer has found a bug.
WAIT_SECONDS = 10.0


class Aliases:
    """Maps server-chosen values to names in order of first appearance: the first zxid seen is
    Z1, the next distinct one Z2, and so on."""

    def __init__(self, prefix):
        self._prefix = prefix
        self._names = {}

    def __call__(self, value):
        if value not in self._names:
            self._names[value] = f"{self._prefix}{len(self._names) + 1}"
        return self._names[value]


class Scenario:
    def __init__(self, description):
        parser = argparse.ArgumentParser(description=description)
        parser.add_argument("--hosts", required=True, help="host:port,host:port,...")
        parser.add_argument("--root", default=None, help="the znode the scenario works under")
        self.parser = parser
        self.args = None
        self.zxid = Aliases("Z")
        self.session = Aliases("S")
        self._clients = []

    def parse(self, default_root, extra=None):
        if extra:
            extra(self.parser)
        self.args = self.parser.parse_args()
        self.root = self.args.root or default_root
        return self.args

    # --- output ------------------------------------------------------------------------------

    def say(self, line):
        print(line, flush=True)

    def control(self, line):
        """A request to the harness; returns the harness's one-line answer from stdin."""
        print("@" + line, flush=True)
        answer = sys.stdin.readline()
        if not answer:
            raise RuntimeError(f"the harness closed stdin instead of answering {line!r}")
        return answer.strip()

    def stat(self, stat):
        """The stat fields, with zxids and the ephemeral owner aliased and times checked, not printed."""
        owner = "none" if stat.ephemeralOwner == 0 else self.session(stat.ephemeralOwner)
        return (
            f"czxid={self.zxid(stat.czxid)} mzxid={self.zxid(stat.mzxid)} pzxid={self.zxid(stat.pzxid)} "
            f"version={stat.version} cversion={stat.cversion} aversion={stat.aversion} "
            f"ephemeralOwner={owner} dataLength={stat.dataLength} numChildren={stat.numChildren} "
            f"times={self._times(stat)}"
        )

    @staticmethod
    def _times(stat):
        # Both clocks are on this machine: a sane server stamps times within a few minutes of ours.
        now_ms = time.time() * 1000
        recent = all(abs(now_ms - t) < 300_000 for t in (stat.ctime, stat.mtime))
        if stat.ctime == 0 and stat.mtime == 0:
            return "zero"
        if not recent:
            return f"unexpected(ctime={stat.ctime},mtime={stat.mtime})"
        return "ok" if stat.mtime >= stat.ctime else "mtime<ctime"

    @staticmethod
    def compare(name_a, a, name_b, b):
        """'mzxid>czxid', 'pzxid=czxid' and so on: a relation that holds on any server."""
        op = ">" if a > b else "<" if a < b else "="
        return f"{name_a}{op}{name_b}"

    def attempt(self, label, action, show=None):
        """Runs one operation and prints 'label -> ok ...' or 'label -> ErrorName'. Errors from the
        server are outcomes to record, not failures of the scenario."""
        from kazoo.exceptions import KazooException

        try:
            result = action()
        except KazooException as error:
            self.say(f"{label} -> {type(error).__name__}")
            return None
        shown = show(result) if show else ("" if result is None else repr(result))
        self.say(f"{label} -> ok{' ' + shown if shown else ''}")
        return result

    # --- clients -----------------------------------------------------------------------------

    def leader_first(self):
        """Moves the ensemble's leader to the front of the host list, so that clients made after
        this start on it. ZooKeeper 3.8 checks a write against the ACL of its pending change
        record, and setACL's record keeps the old ACL: a write forwarded by a follower right after
        a setACL that the leader has not applied yet can pass the ACL it revoked. Through the
        leader, the setACL's reply comes after the leader applied it, so a scenario that revokes a
        permission gets the same answer every run."""
        hosts = self.args.hosts.split(",")
        leaders = [h for h in hosts if _mode(h) == "leader"]
        self.args.hosts = ",".join(leaders + [h for h in hosts if h not in leaders])

    def client(self, **options):
        options.setdefault("timeout", 10.0)
        # A scenario's clients watch and read what its other clients wrote. ZooKeeper promises that
        # across sessions only on one server (or after sync), so they all start on the first host
        # and fail over in order, rather than each on a random server of the ensemble.
        options.setdefault("randomize_hosts", False)
        c = KazooClient(hosts=self.args.hosts, **options)
        c.start(timeout=WAIT_SECONDS)
        self._clients.append(c)
        return c

    def clean(self, client):
        """Deletes the scenario's root so the scenario can rerun against a server that kept it."""
        if client.exists(self.root):
            client.delete(self.root, recursive=True)

    def close_all(self):
        for c in self._clients:
            try:
                c.stop()
                c.close()
            except Exception:  # closing after a failure: the first error is the one to report
                pass

    def run(self, body):
        """Runs body(self); exits 1 with the traceback on stderr if anything unexpected happened."""
        code = 0
        try:
            body(self)
        except Exception:
            traceback.print_exc()
            code = 1
        finally:
            self.close_all()
        sys.exit(code)


def _mode(host):
    """The server's role from the `srvr` four-letter word ("leader", "follower", "standalone"), or
    None when it does not answer."""
    address, _, port = host.rpartition(":")
    try:
        with socket.create_connection((address, int(port)), timeout=WAIT_SECONDS) as conn:
            conn.sendall(b"srvr")
            reply = b""
            while chunk := conn.recv(4096):
                reply += chunk
    except OSError:
        return None
    for line in reply.decode(errors="replace").splitlines():
        if line.startswith("Mode: "):
            return line[len("Mode: "):].strip()
    return None


def perms(mask):
    """An ACL's permission bits as letters, "rwcda" for all, "-" for none."""
    # ZooKeeper's bits: READ=1 WRITE=2 CREATE=4 DELETE=8 ADMIN=16.
    return "".join(letter for bit, letter in [(1, "r"), (2, "w"), (4, "c"), (8, "d"), (16, "a")] if mask & bit) or "-"


class Waiter:
    """Collects values from a callback thread and lets the scenario wait for them, bounded."""

    def __init__(self):
        self._items = []
        self._cond = threading.Condition()

    def put(self, item):
        with self._cond:
            self._items.append(item)
            self._cond.notify_all()

    def take(self, what, timeout=WAIT_SECONDS):
        """The next item, or raises after the timeout."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._items, timeout=timeout):
                raise TimeoutError(f"timed out waiting for {what}")
            return self._items.pop(0)

    def pending(self):
        with self._cond:
            return list(self._items)


def state_waiter(client):
    """A Waiter fed with the client's connection state changes (CONNECTED, SUSPENDED, LOST)."""
    waiter = Waiter()

    def listener(state):
        waiter.put(state)

    client.add_listener(listener)
    return waiter


def wait_for_state(waiter, wanted, timeout=WAIT_SECONDS):
    """Takes states until `wanted` arrives; returns the ones seen on the way."""
    seen = []
    while True:
        state = waiter.take(f"state {wanted}", timeout)
        seen.append(state)
        if state == wanted:
            return seen


__all__ = ["Scenario", "Waiter", "perms", "state_waiter", "wait_for_state", "KazooState", "WAIT_SECONDS"]
