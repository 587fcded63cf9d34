#!/usr/bin/python3
"""A kazoo Lock and a Colony DistributedLock on the same path exclude each other, in both orders.

--mode kazoo-first: kazoo takes the lock, then asks the harness to queue a Colony contender behind
it (@QUEUE-BEHIND path) and to report whether that contender got in; after kazoo releases, it asks
whether the Colony contender now holds the lock (@ACQUIRED? path).

--mode colony-first: the harness holds the Colony lock before the scenario starts. kazoo cannot
take it without waiting, queues behind it, asks the harness to release (@RELEASE path), and then
acquires.

--mode colony-reads: the harness holds a Colony read lock. A kazoo WriteLock cannot take the
path, a kazoo ReadLock can, alongside it.

The harness answers each control line with one line, which the transcript records.
"""

import os
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "kazoo"))

from scenario import Scenario, WAIT_SECONDS  # noqa: E402


def wait_for_contenders(zk, path, count):
    """Waits, on child watches, until the lock path has `count` children."""
    while True:
        changed = threading.Event()
        if len(zk.get_children(path, watch=lambda _: changed.set())) == count:
            return
        if not changed.wait(WAIT_SECONDS):
            raise TimeoutError(f"{path} never had {count} contenders")


def kazoo_first(s, zk, path):
    lock = zk.Lock(path, "kazoo")
    s.say(f"kazoo acquire -> {lock.acquire(timeout=WAIT_SECONDS)}")
    s.say(f"harness while kazoo holds: {s.control(f'QUEUE-BEHIND {path}')}")
    s.say(f"contenders: {lock.contenders()}")
    lock.release()
    s.say("kazoo released")
    s.say(f"harness after the release: {s.control(f'ACQUIRED? {path}')}")


def colony_first(s, zk, path):
    lock = zk.Lock(path, "kazoo")
    s.say(f"contenders: {lock.contenders()}")
    s.say(f"kazoo non-blocking acquire -> {lock.acquire(blocking=False)}")
    outcome = {}
    waiter = threading.Thread(target=lambda: outcome.setdefault("acquired", lock.acquire(timeout=2 * WAIT_SECONDS)))
    waiter.start()
    wait_for_contenders(zk, path, 2)
    s.say(f"kazoo queued, holding -> {lock.is_acquired}")
    s.say(f"harness: {s.control(f'RELEASE {path}')}")
    waiter.join(2 * WAIT_SECONDS)
    s.say(f"kazoo acquire -> {outcome.get('acquired')}")
    s.say(f"contenders: {lock.contenders()}")
    lock.release()


def colony_reads(s, zk, path):
    writer = zk.WriteLock(path, "kazoo-writer")
    s.say(f"kazoo write lock, non-blocking -> {writer.acquire(blocking=False)}")
    reader = zk.ReadLock(path, "kazoo-reader")
    s.say(f"kazoo read lock, non-blocking -> {reader.acquire(blocking=False)}")
    s.say(f"contenders: {reader.contenders()}")
    reader.release()


MODES = {"kazoo-first": kazoo_first, "colony-first": colony_first, "colony-reads": colony_reads}


def body(s):
    MODES[s.args.mode](s, s.client(), s.root)


if __name__ == "__main__":
    scenario = Scenario(__doc__)
    scenario.parse("/compat-lock-interop", lambda p: p.add_argument("--mode", choices=sorted(MODES), required=True))
    scenario.run(body)
