#!/usr/bin/python3
"""Multi-op transactions: all ops apply together, or none does and each op reports its own result."""

from kazoo.exceptions import KazooException
from kazoo.protocol.states import ZnodeStat

from scenario import Scenario


def result_text(s, result):
    if isinstance(result, KazooException):
        return type(result).__name__
    if isinstance(result, ZnodeStat):
        return f"stat version={result.version} mzxid={s.zxid(result.mzxid)}"
    return repr(result)


def commit(s, label, txn):
    results = txn.commit()
    s.say(f"{label} -> {len(results)} results")
    for i, result in enumerate(results):
        s.say(f"  [{i}] {result_text(s, result)}")
    return results


def body(s):
    zk = s.client()
    s.clean(zk)
    root = s.root
    zk.create(root, b"")
    zk.create(f"{root}/existing", b"old")
    zk.create(f"{root}/doomed", b"")

    s.say("-- success")
    t = zk.transaction()
    t.create(f"{root}/new", b"fresh")
    t.create(f"{root}/new/child", b"")
    t.create(f"{root}/seq-", b"", sequence=True)
    t.set_data(f"{root}/existing", b"updated")
    t.check(f"{root}/existing", 1)
    t.delete(f"{root}/doomed")
    results = commit(s, "commit", t)
    s.say(f"  the set's mzxid is the create's czxid: "
          f"{results[3].mzxid == zk.exists(f'{root}/new').czxid}")
    s.say(f"children -> {sorted(zk.get_children(root))}")
    data, stat = zk.get(f"{root}/existing")
    s.say(f"get existing -> {data!r} version={stat.version}")

    s.say("-- failure in the middle: nothing applies")
    t = zk.transaction()
    t.create(f"{root}/never", b"")
    t.set_data(f"{root}/existing", b"lost", version=0)  # the version is 1 now
    t.delete(f"{root}/new/child")
    commit(s, "commit", t)
    s.say(f"exists never -> {zk.exists(f'{root}/never')}")
    s.say(f"exists new/child -> {zk.exists(f'{root}/new/child') is not None}")
    s.say(f"get existing -> {zk.get(f'{root}/existing')[0]!r}")

    s.say("-- each kind of failure")
    for label, build in [
        ("check on a missing node", lambda t: t.check(f"{root}/missing", 0)),
        ("check with a wrong version", lambda t: t.check(f"{root}/existing", 5)),
        ("create an existing node", lambda t: t.create(f"{root}/existing", b"")),
        ("create under a missing parent", lambda t: t.create(f"{root}/missing/x", b"")),
        ("delete a node with children", lambda t: t.delete(f"{root}/new")),
        ("delete a missing node", lambda t: t.delete(f"{root}/missing")),
    ]:
        t = zk.transaction()
        t.create(f"{root}/first", b"")
        build(t)
        t.create(f"{root}/last", b"")
        commit(s, label, t)
    s.say(f"children -> {sorted(zk.get_children(root))}")

    s.say("-- ops see the earlier ops of the same transaction")
    t = zk.transaction()
    t.create(f"{root}/tmp", b"a")
    t.set_data(f"{root}/tmp", b"b")
    t.check(f"{root}/tmp", 1)
    t.delete(f"{root}/tmp", version=1)
    commit(s, "create-set-check-delete", t)
    s.say(f"exists tmp -> {zk.exists(f'{root}/tmp')}")

    zk.delete(root, recursive=True)


if __name__ == "__main__":
    scenario = Scenario(__doc__)
    scenario.parse("/compat-transactions")
    scenario.run(body)
