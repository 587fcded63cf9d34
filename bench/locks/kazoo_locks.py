#!/usr/bin/env python3
"""Acquire+release cycles per second of one kazoo Lock, and the acquire latency's p50 and p99.

    kazoo_locks.py HOSTS CLIENTS SECONDS

Each client is its own process and session (so Python's global interpreter lock does not serialise
them), looping acquire, release on the same lock for SECONDS. Prints one line in LockBench's format.
"""
import multiprocessing
import sys
import time
import uuid

from kazoo.client import KazooClient


def client(hosts, path, seconds, ready, start, results):
    zk = KazooClient(hosts=hosts, timeout=30)
    zk.start(timeout=30)
    lock = zk.Lock(path)
    lock.acquire()  # warm-up, also creates the path
    lock.release()
    ready.wait()
    start.wait()
    latencies = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        begin = time.perf_counter()
        lock.acquire()
        latencies.append((time.perf_counter() - begin) * 1000)
        lock.release()
    results.put(latencies)
    zk.stop()
    zk.close()


def main():
    hosts, clients, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    path = f"/bench/locks/{uuid.uuid4().hex}"
    ready = multiprocessing.Barrier(clients + 1)
    start = multiprocessing.Barrier(clients + 1)
    results = multiprocessing.Queue()
    workers = [multiprocessing.Process(target=client, args=(hosts, path, seconds, ready, start, results)) for _ in range(clients)]
    for worker in workers:
        worker.start()
    ready.wait()
    began = time.monotonic()
    start.wait()
    latencies = sorted(l for _ in workers for l in results.get())
    elapsed = time.monotonic() - began
    for worker in workers:
        worker.join()
    p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] if latencies else 0
    print(f"clients={clients} cycles={len(latencies)} seconds={elapsed:.1f} "
          f"cycles_per_s={len(latencies) / elapsed:.0f} p50_ms={p(0.50):.2f} p99_ms={p(0.99):.2f}")


if __name__ == "__main__":
    main()
