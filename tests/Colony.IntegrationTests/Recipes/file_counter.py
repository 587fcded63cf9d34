"""Increments a counter kept in a plain file, N times, each time under a kazoo Lock (or, for the
control run, without one). Run as several processes at once by MutualExclusionTests.

    file_counter.py HOSTS LOCK_PATH COUNTER_FILE ITERATIONS lock|nolock GO_FILE

It prints "ready" once connected, waits for GO_FILE, so that all processes start together, then
prints "done". The read and the write are 2 ms apart: a wide window for a lost update.
"""
import os
import sys
import time

from kazoo.client import KazooClient


def main():
    hosts, lock_path, counter, iterations, mode, go = sys.argv[1:7]
    client = KazooClient(hosts=hosts, timeout=10)
    client.start(timeout=30)
    try:
        lock = client.Lock(lock_path, identifier=f"pid-{os.getpid()}") if mode == "lock" else None
        print("ready", flush=True)
        while not os.path.exists(go):
            time.sleep(0.01)
        for _ in range(int(iterations)):
            if lock is not None and not lock.acquire(timeout=60):
                print("no lock within 60 s", file=sys.stderr)
                return 3
            try:
                increment(counter)
            finally:
                if lock is not None:
                    lock.release()
        print("done", flush=True)
        return 0
    finally:
        client.stop()
        client.close()


def increment(counter):
    with open(counter) as f:
        value = int(f.read())
    time.sleep(0.002)
    # Replace the file whole, so a reader never sees it half written (the control run has readers
    # racing writers by design).
    temporary = f"{counter}.{os.getpid()}"
    with open(temporary, "w") as f:
        f.write(str(value + 1))
    os.replace(temporary, counter)


if __name__ == "__main__":
    sys.exit(main())
