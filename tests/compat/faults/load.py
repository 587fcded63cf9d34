#!/usr/bin/python3
"""Write load for the fault tests: several kazoo clients, each holding an ephemeral and creating
sequentially numbered znodes, while the harness kills servers under them.

Every line on stdout is one fact (fields separated by spaces):
  EPHEMERAL <client> <path> <session>   the client's ephemeral exists, owned by <session> (decimal)
  STATE <client> <state> <seconds>      a connection state change (CONNECTED, SUSPENDED, LOST), with
                                        the time it was seen (seconds on a monotonic clock)
  ACK <client> <seq> <path>             the create of <path> was acknowledged
  UNKNOWN <client> <seq> <error>        the create's outcome is unknown (the connection broke)
  FINAL <client> <session> <state>      after "pause": the client's session now, and its state
  PAUSED / STOPPED                      answers to the harness's commands

The harness drives it through stdin: "pause" stops the writers and reports FINAL lines; "stop"
closes every session and exits. Client i lists the servers starting from server i (mod their
count) and does not shuffle them, so the harness knows where each client starts.
"""

import argparse
import sys
import threading
import time

from kazoo.client import KazooClient
from kazoo.exceptions import KazooException
from kazoo.handlers.threading import KazooTimeoutError
from kazoo.protocol.states import KazooState
from kazoo.retry import KazooRetry

# Bounds every wait: a write, a reconnect. Longer means the harness has found a bug.
WAIT_SECONDS = 30.0

_out = threading.Lock()


def say(*fields):
    with _out:
        print(" ".join(str(f) for f in fields), flush=True)


class LoadClient:
    def __init__(self, index, hosts, root, timeout):
        self.index = index
        self.root = root
        self.connected = threading.Event()
        order = hosts[index % len(hosts):] + hosts[:index % len(hosts)]
        # Retry connecting at a steady pace: kazoo's default backoff grows towards an hour.
        retry = KazooRetry(max_tries=-1, delay=0.1, backoff=1.5, max_delay=1.0)
        self.zk = KazooClient(hosts=",".join(order), timeout=timeout, randomize_hosts=False, connection_retry=retry)
        self.zk.add_listener(self._on_state)
        self.thread = threading.Thread(target=self._write_loop, daemon=True)

    def _on_state(self, state):
        say("STATE", self.index, state, f"{time.monotonic():.3f}")
        if state == KazooState.CONNECTED:
            self.connected.set()
        else:
            self.connected.clear()

    def start(self, pause):
        self.pause = pause
        self.zk.start(timeout=WAIT_SECONDS)
        path = self.zk.create(f"{self.root}/live-{self.index}", b"", ephemeral=True)
        say("EPHEMERAL", self.index, path, self.zk.client_id[0])
        self.thread.start()

    def _write_loop(self):
        seq = 0
        while not self.pause.is_set():
            seq += 1
            path = f"{self.root}/w-{self.index}-{seq:06d}"
            try:
                self.zk.create_async(path, str(seq).encode()).get(timeout=WAIT_SECONDS)
                say("ACK", self.index, seq, path)
            except (KazooException, KazooTimeoutError) as error:
                # Not acknowledged: it may or may not have happened. Wait for a connection, go on.
                say("UNKNOWN", self.index, seq, type(error).__name__)
                if not self.connected.wait(WAIT_SECONDS):
                    say("UNKNOWN", self.index, seq, "NoReconnect")

    def finish(self):
        self.thread.join(WAIT_SECONDS)
        say("FINAL", self.index, self.zk.client_id[0], self.zk.state)

    def close(self):
        self.zk.stop()
        self.zk.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hosts", required=True)
    parser.add_argument("--root", required=True)
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--timeout", type=float, default=8.0, help="session timeout in seconds")
    args = parser.parse_args()

    hosts = args.hosts.split(",")
    setup = KazooClient(hosts=args.hosts, timeout=args.timeout)
    setup.start(timeout=WAIT_SECONDS)
    setup.ensure_path(args.root)
    setup.stop()
    setup.close()

    pause = threading.Event()
    clients = [LoadClient(i, hosts, args.root, args.timeout) for i in range(args.clients)]
    for c in clients:
        c.start(pause)

    for line in sys.stdin:
        command = line.strip()
        if command == "pause":
            pause.set()
            for c in clients:
                c.finish()
            say("PAUSED")
        elif command == "stop":
            for c in clients:
                c.close()
            say("STOPPED")
            return 0
    return 1  # the harness went away without saying stop


if __name__ == "__main__":
    sys.exit(main())
