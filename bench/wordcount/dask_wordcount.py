#!/usr/bin/env python3
"""Word count with Dask distributed: a LocalCluster of 2 worker processes and dask.bag.

usage: dask_wordcount.py FILE [--workers 2] [--blocksize-mib 64]
Prints MB/s, wall seconds and the number of distinct words.
"""
import os
import sys
import time


def main():
    import dask.bag as db
    from dask.distributed import Client, LocalCluster

    path = sys.argv[1]
    workers = int(sys.argv[sys.argv.index("--workers") + 1]) if "--workers" in sys.argv else 2
    block = int(sys.argv[sys.argv.index("--blocksize-mib") + 1]) if "--blocksize-mib" in sys.argv else 64
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, Client(cluster):
        start = time.perf_counter()
        lines = db.read_text(path, blocksize=block << 20, encoding="latin-1")
        counts = lines.str.split().flatten().frequencies(sort=False).compute()
        wall = time.perf_counter() - start
    size = os.path.getsize(path)
    print(f"dask x{workers}: {size / 1e6 / wall:.1f} MB/s, wall {wall:.2f} s; {len(counts)} distinct, {sum(c for _, c in counts)} words")


if __name__ == "__main__":
    main()
