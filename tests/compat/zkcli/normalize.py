"""Turns a command-line client's output into a transcript that any compatible server reproduces.

Zxids become Z1, Z2, ... and session ids S1, S2, ... in order of first appearance, so equal values
stay equal; times become <time>. Everything else is kept as the client printed it.
"""

import re


class Normalizer:
    def __init__(self):
        self._zxids = {}
        self._sessions = {}

    def _alias(self, table, prefix, value):
        if value not in table:
            table[value] = f"{prefix}{len(table) + 1}"
        return table[value]

    def zxid(self, value):
        return self._alias(self._zxids, "Z", int(value, 16))

    def session(self, value):
        number = int(value, 16)
        return "0" if number == 0 else self._alias(self._sessions, "S", number)

    def line(self, text):
        # zkCli.sh: "cZxid = 0x100000002", "ctime = Thu Nov 26 16:52:29 UTC 2026", "ephemeralOwner = 0x0"
        m = re.fullmatch(r"([cmp]Zxid) = 0x([0-9a-f]+)", text)
        if m:
            return f"{m[1]} = {self.zxid(m[2])}"
        m = re.fullmatch(r"([cm]time) = .*", text)
        if m:
            return f"{m[1]} = <time>"
        m = re.fullmatch(r"ephemeralOwner = 0x([0-9a-f]+)", text)
        if m:
            return f"ephemeralOwner = {self.session(m[1])}"
        # The C client: "\tctime = Thu Nov 26 16:53:13 2026", "\tczxid=10000002e", "\tephemeralOwner = 0"
        m = re.fullmatch(r"(\t[cm]time ?= ?).*", text)
        if m:
            return f"{m[1]}<time>"
        m = re.fullmatch(r"(\t[cm]zxid)=([0-9a-f]+)", text)
        if m:
            return f"{m[1]}={self.zxid(m[2])}"
        m = re.fullmatch(r"(\tephemeralOwner) = ([0-9a-f]+)", text)
        if m:
            return f"{m[1]} = {self.session(m[2])}"
        return text


def sort_child_lists(lines):
    """Sorts each run of child names ("\tname" lines, as the C client lists them). A server returns
    children in no promised order; ZooKeeper's comes from a hash set."""
    out = []
    run = []
    for line in lines + [None]:
        if line is not None and re.fullmatch(r"\t[^\s=]+", line):
            run.append(line)
            continue
        out.extend(sorted(run))
        run = []
        if line is not None:
            out.append(line)
    return out


def read_commands(path):
    """(command, recorded) pairs from a commands file; '#' starts a comment, '!' marks setup."""
    commands = []
    with open(path) as f:
        for raw in f:
            line = raw.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            if line.startswith("!"):
                commands.append((line[1:], False))
            else:
                commands.append((line, True))
    return commands
