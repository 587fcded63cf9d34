#!/usr/bin/python3
"""Create, read, update and delete, with the stat fields each step changes."""

from scenario import Scenario


def body(s):
    zk = s.client()
    s.clean(zk)
    root = s.root
    a = f"{root}/a"

    s.attempt(f"create {root}", lambda: zk.create(root, b"root"))
    created = s.attempt(f"create {a} 'one'", lambda: zk.create(a, b"one"))
    s.say(f"returned path is requested path: {created == a}")

    data, first = zk.get(a)
    s.say(f"get {a} -> {data!r} {s.stat(first)}")
    s.say(f"  {s.compare('mzxid', first.mzxid, 'czxid', first.czxid)} "
          f"{s.compare('pzxid', first.pzxid, 'czxid', first.czxid)}")

    parent = zk.exists(root)
    s.say(f"exists {root} -> {s.stat(parent)}")
    s.say(f"  parent pzxid vs child czxid: {s.compare('pzxid', parent.pzxid, 'czxid', first.czxid)}")

    after_set = s.attempt(f"set {a} 'two'", lambda: zk.set(a, b"two"), show=s.stat)
    s.say(f"  {s.compare('mzxid', after_set.mzxid, 'czxid', after_set.czxid)} "
          f"czxid unchanged: {after_set.czxid == first.czxid}")
    s.attempt(f"set {a} 'three' version=1", lambda: zk.set(a, b"three", version=1), show=s.stat)
    data, third = zk.get(a)
    s.say(f"get {a} -> {data!r} version={third.version} dataLength={third.dataLength}")

    s.attempt(f"set {a} '' (empty)", lambda: zk.set(a, b""), show=s.stat)
    big = bytes(range(256)) * 40
    s.attempt(f"set {a} 10240 bytes", lambda: zk.set(a, big), show=s.stat)
    data, _ = zk.get(a)
    s.say(f"get {a} -> {len(data)} bytes, equal: {data == big}")

    s.attempt(f"create {root}/empty (no data)", lambda: zk.create(f"{root}/empty"))
    data, stat = zk.get(f"{root}/empty")
    s.say(f"get {root}/empty -> {data!r} dataLength={stat.dataLength}")

    s.attempt(f"create {root}/b", lambda: zk.create(f"{root}/b", b"b"))
    s.attempt(f"create {a}/child", lambda: zk.create(f"{a}/child", b"c"))
    s.say(f"get_children {root} -> {sorted(zk.get_children(root))}")
    children, pstat = zk.get_children(root, include_data=True)
    s.say(f"get_children {root} include_data -> {sorted(children)} {s.stat(pstat)}")
    s.say(f"get_children {a} -> {zk.get_children(a)}")
    s.say(f"exists {a} -> numChildren={zk.exists(a).numChildren}")

    s.attempt(f"create {root}/deep/er/path makepath", lambda: zk.create(f"{root}/deep/er/path", b"x", makepath=True))
    s.say(f"exists {root}/deep/er -> dataLength={zk.exists(f'{root}/deep/er').dataLength}")

    before = zk.exists(root)
    s.attempt(f"delete {root}/b", lambda: zk.delete(f"{root}/b"))
    after = zk.exists(root)
    s.say(f"parent after delete: cversion {before.cversion} -> {after.cversion}, "
          f"numChildren {before.numChildren} -> {after.numChildren}, "
          f"{s.compare('pzxid', after.pzxid, 'old pzxid', before.pzxid)}, "
          f"mzxid unchanged: {after.mzxid == before.mzxid}")
    s.attempt(f"delete {a}/child version=0", lambda: zk.delete(f"{a}/child", version=0))
    s.attempt(f"delete {a} version={zk.exists(a).version}", lambda: zk.delete(a, version=zk.exists(a).version))
    s.say(f"exists {a} -> {zk.exists(a)}")
    s.attempt(f"ensure_path {root}/made", lambda: zk.ensure_path(f"{root}/made"))
    s.attempt(f"delete {root} recursive", lambda: zk.delete(root, recursive=True))
    s.say(f"exists {root} -> {zk.exists(root)}")


if __name__ == "__main__":
    scenario = Scenario(__doc__)
    scenario.parse("/compat-crud")
    scenario.run(body)
