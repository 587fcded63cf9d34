#!/usr/bin/python3
"""Runs Apache's Java command-line client (zkCli.sh) through one session of scripted commands and
prints a normalized transcript: each command, then what the client printed for it.

zkCli.sh reads commands from stdin when it is not a terminal. Its built-in "version" command prints a
fixed line without touching the server, so the driver sends one after every command and uses those
lines to split the output per command.
"""

import argparse
import os
import subprocess
import sys

from normalize import Normalizer, read_commands

HERE = os.path.dirname(os.path.abspath(__file__))
ZKCLI = "/usr/share/zookeeper/bin/zkCli.sh"
MARKER = "ZooKeeper CLI version:"
# Lines the client prints that say nothing about the server's answers.
NOISE = ("SLF4J:", "Connecting to ", "Welcome to ZooKeeper!", "JLine support is", "WATCHER::", "WatchedEvent state:")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hosts", required=True)
    parser.add_argument("--commands", default=os.path.join(HERE, "zkcli-commands.txt"))
    parser.add_argument("--zkcli", default=ZKCLI)
    args = parser.parse_args()

    commands = read_commands(args.commands)
    script = "version\n" + "".join(f"{command}\nversion\n" for command, _ in commands) + "quit\n"
    # stderr joins stdout in one pipe: zkCli prints some answers ("Created /x") on stderr, and the
    # order of the two only survives if they share the pipe.
    run = subprocess.run([args.zkcli, "-server", args.hosts], input=script, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, timeout=60)
    lines = [l for l in run.stdout.splitlines() if l.strip() and not l.startswith(NOISE)]

    # The first marker comes before any command; after it, each marker closes one command's output.
    blocks = []
    current = None
    for line in lines:
        if line.startswith(MARKER):
            if current is not None:
                blocks.append(current)
            current = []
        elif current is not None:
            current.append(line)
        else:
            print(f"output before the first marker: {line}", file=sys.stderr)
            return 1
    if len(blocks) != len(commands):
        print(f"expected output for {len(commands)} commands, found {len(blocks)}:\n{run.stdout}", file=sys.stderr)
        return 1

    normalize = Normalizer()
    for (command, recorded), block in zip(commands, blocks):
        if not recorded:
            continue
        print(f"$ {command}")
        for line in block:
            print(f"  {normalize.line(line)}")
    if run.returncode != 0:
        print(f"zkCli.sh exited with {run.returncode}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
