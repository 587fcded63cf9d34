#!/usr/bin/python3
"""Runs Apache's C command-line client (cli_mt from the C client library) once per command and prints
a normalized transcript: each command, then what the client printed for it.

cli_mt answers on stderr from its completion thread; its own chatter (session events, timings, the
echo of a create) is dropped. Each command runs in its own process and session, in batch mode.
"""

import argparse
import os
import re
import socket
import subprocess
import sys

from normalize import Normalizer, read_commands, sort_child_lists

HERE = os.path.dirname(os.path.abspath(__file__))
CLI_MT = "/usr/lib/zookeeper/bin/cli_mt"
NOISE = ("Batch mode:", "Watcher SESSION_EVENT", "Got a new session id:", "time = ", "Creating [")
# The C library's own log lines: "2026-11-26 17:00:39,036:21612(0x7fc6d1bcc6c0):ZOO_ERROR@...".
LIBRARY_LOG = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+:\d+\(0x[0-9a-f]+\):ZOO_")


def reachable_first(hosts):
    """The host list with servers that accept connections first. cli_mt always tries the first host
    first, and in batch mode a refused connection fails the command instead of moving on."""
    def accepts(host):
        name, _, port = host.rpartition(":")
        try:
            with socket.create_connection((name, int(port)), timeout=2):
                return True
        except OSError:
            return False

    listed = hosts.split(",")
    return ",".join(sorted(listed, key=lambda h: not accepts(h)))


def clean(hosts, root):
    """Deletes the scenario's root with kazoo: the C client has no recursive delete."""
    from kazoo.client import KazooClient

    zk = KazooClient(hosts=hosts)
    zk.start(timeout=10)
    try:
        if zk.exists(root):
            zk.delete(root, recursive=True)
    finally:
        zk.stop()
        zk.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hosts", required=True)
    parser.add_argument("--commands", default=os.path.join(HERE, "cclient-commands.txt"))
    parser.add_argument("--root", default="/compat-cclient", help="deleted before the commands run")
    parser.add_argument("--cli", default=CLI_MT)
    args = parser.parse_args()

    clean(args.hosts, args.root)
    hosts = reachable_first(args.hosts)
    normalize = Normalizer()
    for command, recorded in read_commands(args.commands):
        run = subprocess.run([args.cli, "-h", hosts, "-c", command], stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=20)
        if run.returncode != 0:
            print(f"cli_mt exited with {run.returncode} for {command!r}:\n{run.stderr}", file=sys.stderr)
            return 1
        if not recorded:
            continue
        print(f"$ {command}")
        lines = [l for l in (run.stderr + run.stdout).splitlines()
                 if l.strip() and not l.startswith(NOISE) and not LIBRARY_LOG.match(l)]
        for line in sort_child_lists(lines):
            print(f"  {normalize.line(line)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
