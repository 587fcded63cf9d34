#!/usr/bin/python3
"""The server a client is connected to dies: the client moves to another server of the ensemble and
keeps its session and its ephemerals, its watches work again, and so do its writes.

kazoo drops its one-shot watches when a connection breaks; its DataWatch and ChildrenWatch recipes
register theirs again, so those are what this scenario follows.

The scenario asks the harness to kill the server with the control line
"@CONNECTED-TO host:port" and waits for the harness's answer on stdin.
"""

from kazoo.protocol.states import KazooState

from kazoo.recipe.watchers import ChildrenWatch, DataWatch

from scenario import Scenario, Waiter, state_waiter, wait_for_state

# Losing the leader means an election before any server takes clients again.
RECONNECT_SECONDS = 30.0


def body(s):
    zk = s.client(timeout=15.0)
    states = state_waiter(zk)
    s.clean(zk)
    root = s.root
    zk.create(root, b"")
    zk.create(f"{root}/eph", b"", ephemeral=True)
    zk.create(f"{root}/data", b"before")
    session_before = zk.client_id[0]

    data_calls = Waiter()
    DataWatch(zk, f"{root}/data", lambda data, stat: data_calls.put(data))
    s.say(f"DataWatch: {data_calls.take('the first DataWatch call')!r}")
    child_calls = Waiter()
    ChildrenWatch(zk, root, lambda children: child_calls.put(sorted(children)))
    s.say(f"ChildrenWatch: {child_calls.take('the first ChildrenWatch call')}")

    # kazoo has no public way to name the server it talks to; its socket knows.
    host, port = zk._connection._socket.getpeername()[:2]
    answer = s.control(f"CONNECTED-TO {host}:{port}")
    s.say(f"harness: {answer}")

    wait_for_state(states, KazooState.SUSPENDED, RECONNECT_SECONDS)
    s.say("state: SUSPENDED")
    wait_for_state(states, KazooState.CONNECTED, RECONNECT_SECONDS)
    s.say("state: CONNECTED")
    new_host, new_port = zk._connection._socket.getpeername()[:2]
    s.say(f"moved to another server: {(new_host, new_port) != (host, port)}")
    s.say(f"same session: {zk.client_id[0] == session_before}")
    stat = zk.exists(f"{root}/eph")
    s.say(f"ephemeral kept: {stat is not None and stat.ephemeralOwner == session_before}")

    s.say("-- the watches work again")
    zk.set(f"{root}/data", b"after")
    s.say(f"DataWatch: {data_calls.take('a DataWatch call after the reconnect')!r}")
    zk.create(f"{root}/watched", b"")
    s.say(f"ChildrenWatch: {child_calls.take('a ChildrenWatch call after the reconnect')}")

    s.say("-- writes after the reconnect")
    s.attempt(f"create {root}/new", lambda: zk.create(f"{root}/new", b"x"))
    s.attempt(f"set {root}/new", lambda: zk.set(f"{root}/new", b"y"), show=lambda st: f"version={st.version}")
    s.attempt(f"create {root}/seq- sequential", lambda: zk.create(f"{root}/seq-", b"", sequence=True))
    s.say(f"children -> {sorted(zk.get_children(root))}")

    other = s.client()
    other.sync(root)
    s.say(f"a new client sees the ephemeral: {other.exists(f'{root}/eph') is not None}")
    zk.delete(root, recursive=True)


if __name__ == "__main__":
    scenario = Scenario(__doc__)
    scenario.parse("/compat-reconnect")
    scenario.run(body)
