#!/usr/bin/python3
"""kazoo's own recipes, as applications use them, run step by step so their outcomes are the same
on every run: counter, queues, election, barriers, party, semaphore, leases and the watch helpers
(DataWatch, ChildrenWatch, TreeCache). Each recipe leans on different server behaviour (versioned
sets, sequential nodes, multi-ops, ephemerals, watches), so the transcript checks them together as
clients meet them. Every wait is bounded.
"""

import datetime
import threading

from scenario import Scenario, Waiter


def counter(s, a, b):
    s.say("-- counter")
    c = a.Counter(f"{s.root}/counter")
    c += 5
    c -= 2
    s.say(f"a: value {c.value} (pre {c.pre_value}, post {c.post_value})")
    seen = b.Counter(f"{s.root}/counter")
    seen += 10
    s.say(f"b: value {seen.value}")
    s.say(f"a: value {c.value}")
    f = a.Counter(f"{s.root}/float", default=0.5)
    f += 0.25
    s.say(f"float: {f.value}")


def queues(s, a, b):
    s.say("-- queue")
    q = a.Queue(f"{s.root}/queue")
    for item, priority in [(b"low", 200), (b"high", 1), (b"mid", 100), (b"mid-later", 100)]:
        q.put(item, priority=priority)
    s.say(f"length {len(q)}")
    other = b.Queue(f"{s.root}/queue")
    s.say(f"taken in order: {[other.get() for _ in range(4)]}")
    s.say(f"empty get -> {other.get()}")

    s.say("-- locking queue")
    lq = a.LockingQueue(f"{s.root}/locking")
    lq.put(b"first")
    lq.put_all([b"second", b"third"], priority=50)
    s.say(f"length {len(lq)}")
    taker = b.LockingQueue(f"{s.root}/locking")
    first = taker.get(timeout=10)
    s.say(f"b takes {first} holds_lock={taker.holds_lock()}")
    s.say(f"b consumes -> {taker.consume()} holds_lock={taker.holds_lock()}")
    second = taker.get(timeout=10)
    s.say(f"b takes {second}, releases -> {taker.release()}")
    again = lq.get(timeout=10)
    s.say(f"a takes {again} (released back), consumes -> {lq.consume()}")
    s.say(f"length {len(lq)}")


def election(s, a, b):
    s.say("-- election")
    path = f"{s.root}/election"
    leading = threading.Event()
    resign = threading.Event()

    def lead():
        leading.set()
        resign.wait(10)

    e = a.Election(path, "candidate-a")
    runner = threading.Thread(target=e.run, args=(lead,), daemon=True)
    runner.start()
    if not leading.wait(10):
        raise TimeoutError("a was not elected")
    watcher = b.Election(path, "candidate-b")
    s.say(f"contenders seen by b: {watcher.contenders()}")
    resign.set()
    runner.join(10)
    s.say(f"a resigned; contenders: {watcher.contenders()}")


def barriers(s, a, b):
    s.say("-- barrier")
    path = f"{s.root}/barrier"
    held = a.Barrier(path)
    held.create()
    waiting = b.Barrier(path)
    s.say(f"b waits 0.2 s on a raised barrier -> {waiting.wait(0.2)}")
    passed = Waiter()
    waiter = threading.Thread(target=lambda: passed.put(waiting.wait(10)), daemon=True)
    waiter.start()
    held.remove()
    s.say(f"a lowers it; b passes -> {passed.take('b to pass the barrier')}")

    s.say("-- double barrier")
    path = f"{s.root}/double"
    entered = Waiter()
    doubles = [a.DoubleBarrier(path, 2, identifier="a"), b.DoubleBarrier(path, 2, identifier="b")]
    threads = [threading.Thread(target=lambda d=d: (d.enter(), entered.put(d.participating)), daemon=True) for d in doubles]
    threads[0].start()
    s.say(f"alone, a waits: {entered.pending()}")
    threads[1].start()
    s.say(f"both entered: {[entered.take('an entry'), entered.take('an entry')]}")
    left = Waiter()
    leavers = [threading.Thread(target=lambda d=d: (d.leave(), left.put(d.participating)), daemon=True) for d in doubles]
    for t in leavers:
        t.start()
    s.say(f"both left: {[left.take('a leave'), left.take('a leave')]}")
    s.say(f"children left behind: {sorted(a.get_children(path)) if a.exists(path) else 'none'}")


def party(s, a, b):
    s.say("-- party")
    path = f"{s.root}/party"
    pa = a.Party(path, "member-a")
    pb = b.Party(path, "member-b")
    pa.join()
    pb.join()
    s.say(f"members {sorted(pa)} len {len(pb)}")
    pa.leave()
    s.say(f"after a leaves: {sorted(pb)}")
    sa = a.ShallowParty(f"{s.root}/shallow", "shallow-a")
    sb = b.ShallowParty(f"{s.root}/shallow", "shallow-b")
    sa.join()
    sb.join()
    s.say(f"shallow members {sorted(sb)}")
    sb.leave()
    s.say(f"after b leaves: {sorted(sa)}")


def semaphore(s, a, b, c):
    s.say("-- semaphore")
    path = f"{s.root}/semaphore"
    sa = a.Semaphore(path, identifier="holder-a", max_leases=2)
    sb = b.Semaphore(path, identifier="holder-b", max_leases=2)
    sc = c.Semaphore(path, identifier="holder-c", max_leases=2)
    s.say(f"a acquires -> {sa.acquire(timeout=10)}")
    s.say(f"b acquires -> {sb.acquire(timeout=10)}")
    s.say(f"c tries without blocking -> {sc.acquire(blocking=False)}")
    s.say(f"holders {sorted(sc.lease_holders())}")
    sa.release()
    s.say(f"a releases; c acquires -> {sc.acquire(timeout=10)}")
    s.say(f"holders {sorted(sb.lease_holders())}")
    wrong = c.Semaphore(path, identifier="wrong", max_leases=3)
    try:
        wrong.acquire(blocking=False)
        s.say("a semaphore asking for a different lease count -> acquired")
    except ValueError as error:  # kazoo reads the count the semaphore's node was made with
        s.say(f"a semaphore asking for a different lease count -> refused: {error}")
    sb.release()
    sc.release()


def leases(s, a, b):
    s.say("-- leases")
    path = f"{s.root}/lease"
    hour = datetime.timedelta(hours=1)
    s.say(f"a takes the lease -> {bool(a.NonBlockingLease(path, hour, identifier='a'))}")
    s.say(f"b takes it too -> {bool(b.NonBlockingLease(path, hour, identifier='b'))}")
    s.say(f"a renews -> {bool(a.NonBlockingLease(path, hour, identifier='a'))}")
    multi = f"{s.root}/multi-lease"
    s.say(f"two of two: a -> {bool(a.MultiNonBlockingLease(2, multi, hour, identifier='a'))}, "
          f"b -> {bool(b.MultiNonBlockingLease(2, multi, hour, identifier='b'))}")
    s.say(f"a third, asking for two -> {bool(b.MultiNonBlockingLease(2, multi, hour, identifier='c'))}")


def watches(s, a, b):
    s.say("-- data watch")
    path = f"{s.root}/watched"
    data = Waiter()

    @a.DataWatch(path)
    def on_data(value, stat):
        data.put((value, stat.version if stat else None))

    s.say(f"before it exists: {data.take('the first call')}")
    b.create(path, b"one")
    s.say(f"created: {data.take('the creation')}")
    b.set(path, b"two")
    s.say(f"set: {data.take('the change')}")
    b.delete(path)
    s.say(f"deleted: {data.take('the deletion')}")

    s.say("-- children watch")
    parent = f"{s.root}/kids"
    b.create(parent, b"")
    kids = Waiter()

    @a.ChildrenWatch(parent)
    def on_children(children):
        kids.put(sorted(children))

    s.say(f"at first: {kids.take('the first call')}")
    b.create(f"{parent}/x", b"")
    s.say(f"added: {kids.take('the addition')}")
    b.create(f"{parent}/y", b"")
    s.say(f"added: {kids.take('the second addition')}")
    b.delete(f"{parent}/x")
    s.say(f"removed: {kids.take('the removal')}")


def tree_cache(s, a, b):
    s.say("-- tree cache")
    from kazoo.recipe.cache import TreeCache, TreeEvent

    root = f"{s.root}/tree"
    b.create(f"{root}/one", b"1", makepath=True)
    events = Waiter()
    cache = TreeCache(a, root)
    cache.listen(lambda event: events.put(event))
    cache.start()
    names = {v: k for k, v in vars(TreeEvent).items() if k.isupper() and isinstance(v, int)}

    def take(what):
        event = events.take(what)
        path = event.event_data.path if event.event_data is not None else None
        return f"{names.get(event.event_type, event.event_type)} {path}"

    initial = sorted(take("the initial load") for _ in range(3))
    s.say(f"initial: {initial}")
    b.create(f"{root}/two", b"2")
    s.say(f"after a create: {take('the added node')}")
    b.set(f"{root}/one", b"uno")
    s.say(f"after a set: {take('the update')}")
    s.say(f"cached data of one: {cache.get_data(f'{root}/one').data}")
    b.delete(f"{root}/two")
    s.say(f"after a delete: {take('the removal')}")
    s.say(f"cached children: {sorted(cache.get_children(root))}")
    cache.close()


def body(s):
    a = s.client()
    b = s.client()
    c = s.client()
    s.clean(a)
    a.create(s.root, b"")
    counter(s, a, b)
    queues(s, a, b)
    election(s, a, b)
    barriers(s, a, b)
    party(s, a, b)
    semaphore(s, a, b, c)
    leases(s, a, b)
    watches(s, a, b)
    tree_cache(s, a, b)
    a.delete(s.root, recursive=True)


if __name__ == "__main__":
    scenario = Scenario(__doc__)
    scenario.parse("/compat-recipes")
    scenario.run(body)
