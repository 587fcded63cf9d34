#!/usr/bin/python3
"""A session expires when its client goes silent: the server deletes its ephemerals after the
session timeout, and the client, once it speaks again, learns its session is gone.

The silent client is a child process stopped with SIGSTOP: its TCP connection stays open but no
heartbeat leaves it, which is what a hung client looks like to the server. Every wait is bounded.
"""

import os
import signal
import subprocess
import sys

from kazoo.protocol.states import KazooState

from scenario import Scenario, Waiter, state_waiter, wait_for_state

SESSION_TIMEOUT_SECONDS = 2.0


def child(s):
    """Owns an ephemeral with a short session, reports ready, then reports what it sees after SIGCONT."""
    zk = s.client(timeout=SESSION_TIMEOUT_SECONDS)
    states = state_waiter(zk)
    zk.create(f"{s.root}/owned", b"", ephemeral=True)
    zk.create(f"{s.root}/owned-seq-", b"", ephemeral=True, sequence=True)
    print(f"ready {zk.client_id[0]}", flush=True)
    wait_for_state(states, KazooState.LOST)
    print("child: session LOST", flush=True)
    # kazoo starts a fresh session after LOST; wait for it before reading.
    wait_for_state(states, KazooState.CONNECTED)
    zk.sync(s.root)
    print(f"child: new session sees {sorted(zk.get_children(s.root))}", flush=True)


def body(s):
    if s.args.child:
        child(s)
        return
    observer = s.client()
    s.clean(observer)
    root = s.root
    observer.create(root, b"")

    proc = subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), "--hosts", s.args.hosts, "--root", root, "--child"],
        stdout=subprocess.PIPE, text=True)
    try:
        ready = proc.stdout.readline().split()
        if not ready or ready[0] != "ready":
            raise RuntimeError(f"the child did not get ready: {ready}")
        owner = int(ready[1])
        s.say(f"child session {s.session(owner)} owns its ephemerals")
        observer.sync(root)
        events = Waiter()
        children = sorted(observer.get_children(root, watch=events.put))
        s.say(f"children -> {children}")
        stat = observer.exists(f"{root}/owned")
        s.say(f"owned: ephemeralOwner={s.session(stat.ephemeralOwner)}")

        os.kill(proc.pid, signal.SIGSTOP)
        s.say("child stopped (no more heartbeats)")
        event = events.take("the expired session's ephemerals to go")
        s.say(f"event: {event.type} {event.path}")
        observer.sync(root)
        s.say(f"children -> {sorted(observer.get_children(root))}")

        os.kill(proc.pid, signal.SIGCONT)
        s.say("child resumed")
        out, _ = proc.communicate(timeout=15)
        for line in out.splitlines():
            s.say(line)
        if proc.returncode != 0:
            raise RuntimeError(f"the child failed with exit code {proc.returncode}")
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
    observer.delete(root, recursive=True)


if __name__ == "__main__":
    scenario = Scenario(__doc__)
    scenario.parse("/compat-session-expiry",
                   extra=lambda p: p.add_argument("--child", action="store_true", help="(internal) run as the silent client"))
    scenario.run(body)
