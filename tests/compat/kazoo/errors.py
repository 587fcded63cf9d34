#!/usr/bin/python3
"""Error outcomes: each failing request names the error the server returned, and changes nothing."""

from scenario import Scenario


def body(s):
    zk = s.client()
    s.clean(zk)
    root = s.root
    node = f"{root}/node"
    missing = f"{root}/missing"

    zk.create(root, b"")
    zk.create(node, b"v0")
    zk.create(f"{node}/child", b"")

    s.say("-- missing nodes")
    s.say(f"exists {missing} -> {zk.exists(missing)}")
    s.attempt(f"get {missing}", lambda: zk.get(missing))
    s.attempt(f"get_children {missing}", lambda: zk.get_children(missing))
    s.attempt(f"get_children {missing} include_data (getChildren2)",
              lambda: zk.get_children(missing, include_data=True))
    s.attempt(f"set {missing}", lambda: zk.set(missing, b"x"))
    s.attempt(f"delete {missing}", lambda: zk.delete(missing))
    s.attempt(f"get_acls {missing}", lambda: zk.get_acls(missing))
    s.attempt(f"set_acls {missing}", lambda: zk.set_acls(missing, zk.get_acls(root)[0]))
    s.attempt(f"create {missing}/child (no parent)", lambda: zk.create(f"{missing}/child", b""))

    s.say("-- existing nodes")
    s.attempt(f"create {node} again", lambda: zk.create(node, b"again"))
    s.attempt(f"create {root} again", lambda: zk.create(root, b""))

    s.say("-- versions")
    s.attempt(f"set {node} version=7", lambda: zk.set(node, b"x", version=7))
    s.attempt(f"delete {node}/child version=3", lambda: zk.delete(f"{node}/child", version=3))
    s.attempt(f"set_acls {node} version=9", lambda: zk.set_acls(node, zk.get_acls(node)[0], version=9))
    data, stat = zk.get(node)
    s.say(f"get {node} -> {data!r} version={stat.version} aversion={stat.aversion}")

    s.say("-- children")
    s.attempt(f"delete {node} (has a child)", lambda: zk.delete(node))
    s.attempt(f"delete {root} (has a child)", lambda: zk.delete(root))
    s.say(f"get_children {node} -> {zk.get_children(node)}")

    s.say("-- ephemerals")
    zk.create(f"{root}/eph", b"", ephemeral=True)
    s.attempt(f"create {root}/eph/child (under an ephemeral)", lambda: zk.create(f"{root}/eph/child", b""))

    s.say("-- the request size limit (jute.maxbuffer: a frame of 1048575 bytes at most)")
    big = f"{root}/big"
    zk.create(big, b"")
    # A setData frame: header 8, path 4 + length, data 4 + length, version 4.
    most = 1048575 - 20 - len(big.encode())
    s.attempt(f"set {big} to the most data a frame holds", lambda: zk.set(big, b"x" * most),
              show=lambda stat: f"dataLength={stat.dataLength}")
    s.say(f"get {big} -> {len(zk.get(big)[0])} bytes")
    # One byte more: the server closes the connection on the length alone (a session of its own).
    over = s.client()
    s.attempt(f"set {big} to one byte more", lambda: over.set(big, b"y" * (most + 1)))
    s.say(f"exists {big} -> dataLength={zk.exists(big).dataLength}")

    s.say("-- the reserved tree")
    reserved = zk.exists('/zookeeper')
    s.say(f"exists /zookeeper -> {reserved is not None} cversion={reserved.cversion} numChildren={reserved.numChildren}")
    s.attempt("delete /zookeeper", lambda: zk.delete("/zookeeper"))
    zk.delete(root, recursive=True)


if __name__ == "__main__":
    scenario = Scenario(__doc__)
    scenario.parse("/compat-errors")
    scenario.run(body)
