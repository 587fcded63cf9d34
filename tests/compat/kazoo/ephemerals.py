#!/usr/bin/python3
"""Ephemeral nodes go when their session ends: on a clean close, and when another connection
attached to the same session closes it.

The second case needs an owner that cannot take its session back: a live client reconnects at
once when its connection is moved away, and the two would fight over the session. The owner is
therefore a child process, frozen with SIGSTOP before the twin attaches. Every wait is bounded.
"""

import os
import signal
import subprocess
import sys

from kazoo.client import KazooClient

from scenario import Scenario, Waiter


def body(s):
    if s.args.child:
        child(s)
        return
    observer = s.client()
    s.clean(observer)
    root = s.root
    observer.create(root, b"")
    events = Waiter()

    s.say("-- close")
    owner = s.client()
    s.say(f"owner session {s.session(owner.client_id[0])}, observer session {s.session(observer.client_id[0])}")
    eph = owner.create(f"{root}/eph", b"mine", ephemeral=True)
    seq = owner.create(f"{root}/eph-seq-", b"", ephemeral=True, sequence=True)
    owner.create(f"{root}/persistent", b"")
    observer.sync(root)  # reads from another session see its writes only after a sync
    stat = observer.exists(eph, watch=events.put)
    s.say(f"{eph}: ephemeralOwner={s.session(stat.ephemeralOwner)} {s.stat(stat)}")
    observer.exists(seq, watch=events.put)
    s.say(f"owner's ephemerals as the observer sees them: {sorted(observer.get_children(root))}")
    owner.stop()
    owner.close()
    deleted = sorted([events.take("first deletion"), events.take("second deletion")], key=lambda e: e.path)
    for e in deleted:
        s.say(f"event: {e.type} {e.path}")
    s.say(f"children after close -> {sorted(observer.get_children(root))}")

    s.say("-- session closed from a second connection")
    proc = subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), "--hosts", s.args.hosts, "--root", root, "--child"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        ready = proc.stdout.readline().split()
        if not ready or ready[0] != "ready":
            raise RuntimeError(f"the child did not get ready: {ready}")
        session_id, password = int(ready[1]), bytes.fromhex(ready[2])
        observer.sync(root)
        observer.exists(f"{root}/held", watch=events.put)
        os.kill(proc.pid, signal.SIGSTOP)
        twin = KazooClient(hosts=s.args.hosts, client_id=(session_id, password), timeout=10.0)
        twin.start(timeout=10.0)
        s.say(f"twin attached to the owner's session: {twin.client_id[0] == session_id}")
        twin.sync(root)
        s.say(f"twin sees the ephemeral as its own: "
              f"{twin.exists(f'{root}/held').ephemeralOwner == session_id}")
        twin.stop()
        twin.close()
        e = events.take("deletion after the twin closed")
        s.say(f"event: {e.type} {e.path}")
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
    observer.sync(root)
    s.say(f"children -> {sorted(observer.get_children(root))}")
    observer.delete(root, recursive=True)


def child(s):
    """Owns one ephemeral, reports its session's id and password, then waits to be frozen and killed."""
    zk = s.client()
    zk.create(f"{s.root}/held", b"", ephemeral=True)
    session_id, password = zk.client_id
    print(f"ready {session_id} {password.hex()}", flush=True)
    sys.stdin.read()

if __name__ == "__main__":
    scenario = Scenario(__doc__)
    scenario.parse("/compat-ephemerals",
                   lambda p: p.add_argument("--child", action="store_true", help="run as the frozen owner"))
    scenario.run(body)
