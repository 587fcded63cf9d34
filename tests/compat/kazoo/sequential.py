#!/usr/bin/python3
"""Sequential nodes: the suffix counts the children ever created under the parent, in ten digits.

The parent's reported cversion counts creates and deletes; the suffix counts creates only.
"""

from scenario import Scenario


def body(s):
    zk = s.client()
    s.clean(zk)
    root = s.root
    q = f"{root}/queue"
    zk.create(root, b"")
    zk.create(q, b"")
    me = zk.client_id[0]
    s.say(f"my session is {s.session(me)}")

    for i in range(3):
        s.attempt(f"create {q}/item- sequential", lambda: zk.create(f"{q}/item-", b"%d" % i, sequence=True))
    s.attempt(f"create {q}/other- sequential (shares the parent's counter)",
              lambda: zk.create(f"{q}/other-", b"", sequence=True))
    s.attempt(f"create {q}/plain (counts too)", lambda: zk.create(f"{q}/plain", b""))
    s.attempt(f"create {q}/item- sequential", lambda: zk.create(f"{q}/item-", b"", sequence=True))

    s.attempt(f"delete {q}/item-0000000000", lambda: zk.delete(f"{q}/item-0000000000"))
    s.attempt(f"create {q}/item- sequential (the suffix counts creates only)",
              lambda: zk.create(f"{q}/item-", b"", sequence=True))
    s.say(f"parent cversion={zk.exists(q).cversion} numChildren={zk.exists(q).numChildren}")

    s.attempt(f"create {q}/ sequential (empty prefix)", lambda: zk.create(f"{q}/", b"", sequence=True))

    path = s.attempt(f"create {q}/eph- ephemeral sequential",
                     lambda: zk.create(f"{q}/eph-", b"e", ephemeral=True, sequence=True))
    stat = zk.exists(path)
    s.say(f"  ephemeralOwner={s.session(stat.ephemeralOwner)} (mine: {stat.ephemeralOwner == me})")

    other = s.client()
    s.say(f"other session is {s.session(other.client_id[0])}")
    path = s.attempt(f"other: create {q}/eph- ephemeral sequential",
                     lambda: other.create(f"{q}/eph-", b"", ephemeral=True, sequence=True))
    zk.sync(q)  # reads from another session see its writes only after a sync
    s.say(f"  ephemeralOwner={s.session(zk.exists(path).ephemeralOwner)}")
    other.stop()
    other.close()
    zk.sync(q)
    s.say(f"after the other session closes: {sorted(zk.get_children(q))}")

    s.attempt(f"create {root}/second/item- sequential makepath (a fresh parent starts at 0)",
              lambda: zk.create(f"{root}/second/item-", b"", sequence=True, makepath=True))

    zk.delete(root, recursive=True)


if __name__ == "__main__":
    scenario = Scenario(__doc__)
    scenario.parse("/compat-sequential")
    scenario.run(body)
