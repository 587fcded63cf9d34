#!/usr/bin/env python3
"""Ten threads share a few counters; each read-modify-write happens under a per-resource lock.

The counters live in znodes and are read and written without versions, so without the locks
concurrent increments would overwrite each other. With them, every count comes out exact.

    python3 locks.py [CONNECT_STRING]        # default: $COLONY_CLUSTER, else 127.0.0.1:2181

Exits 0 when every count is exact, 1 on any violation, 2 when the cluster cannot be reached.
"""
import os
import sys
import threading
import uuid

from kazoo.client import KazooClient
from kazoo.handlers.threading import KazooTimeoutError

THREADS = 10
RESOURCES = ("alpha", "beta", "gamma")
INCREMENTS = 20  # per thread and resource
LOCK_TIMEOUT = 60  # seconds; a wait this long means something is wrong


def main():
    hosts = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("COLONY_CLUSTER", "127.0.0.1:2181")
    # A fresh root per run, so runs never see each other's counters.
    root = "/examples/locks-" + uuid.uuid4().hex[:8]
    client = KazooClient(hosts=hosts, timeout=10)
    try:
        client.start(timeout=15)
    except KazooTimeoutError:
        print(f"could not reach a server at {hosts}", file=sys.stderr)
        return 2
    try:
        for resource in RESOURCES:
            client.ensure_path(f"{root}/counters/{resource}")
            client.set(f"{root}/counters/{resource}", b"0")

        errors = []

        def worker(number):
            # One lock object per thread and resource: a kazoo Lock is not to be shared by threads.
            locks = {r: client.Lock(f"{root}/locks/{r}", identifier=f"worker-{number}") for r in RESOURCES}
            try:
                for _ in range(INCREMENTS):
                    for resource in RESOURCES:
                        with_lock(locks[resource], lambda: increment(client, f"{root}/counters/{resource}"))
            except Exception as error:  # reported by the main thread
                errors.append(f"worker {number}: {error!r}")

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        expected = THREADS * INCREMENTS
        ok = not errors
        for error in errors:
            print(error, file=sys.stderr)
        for resource in RESOURCES:
            value = int(client.get(f"{root}/counters/{resource}")[0])
            status = "ok" if value == expected else "LOST UPDATES"
            ok = ok and value == expected
            print(f"{resource}: {value} of {expected} {status}")
        print(f"{THREADS} threads, {len(RESOURCES)} resources: {'all counts exact' if ok else 'VIOLATION'}")
        client.delete(root, recursive=True)
        return 0 if ok else 1
    finally:
        client.stop()
        client.close()


def with_lock(lock, action):
    if not lock.acquire(timeout=LOCK_TIMEOUT):
        raise TimeoutError(f"no lock on {lock.path} within {LOCK_TIMEOUT} s")
    try:
        action()
    finally:
        lock.release()


def increment(client, path):
    value = int(client.get(path)[0])
    client.set(path, str(value + 1).encode())


if __name__ == "__main__":
    sys.exit(main())
