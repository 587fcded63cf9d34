#!/usr/bin/python3
"""Ephemeral nodes go when their session ends: on a clean close, and when another connection
attached to the same session closes it (the owner then finds its session expired)."""

from kazoo.client import KazooClient
from kazoo.protocol.states import KazooState

from scenario import Scenario, Waiter, state_waiter, wait_for_state


def body(s):
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
    owner = s.client()
    states = state_waiter(owner)
    owner.create(f"{root}/held", b"", ephemeral=True)
    observer.sync(root)
    observer.exists(f"{root}/held", watch=events.put)
    session_id, password = owner.client_id
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
    wait_for_state(states, KazooState.LOST)
    s.say("owner: session LOST")
    s.say(f"children -> {sorted(observer.get_children(root))}")
    observer.delete(root, recursive=True)


if __name__ == "__main__":
    scenario = Scenario(__doc__)
    scenario.parse("/compat-ephemerals")
    scenario.run(body)
