#!/usr/bin/python3
"""Seeded random operations: hundreds of creates, deletes, sets, reads, checks, multi-ops, ACL
changes and watches, chosen by a fixed seed with no regard to the state they meet. Versions are
often wrong, parents often missing, permissions often lacking, so the outcomes cover the corners a
hand-written scenario would skip. Every outcome is a transcript line, so a server that differs from
the reference anywhere (an error code, a version, a child count, an event) shows in the diff.

Two sessions on the same server: "a" holds digest credentials and all the watches; "b" has none,
so it meets the ACLs, and its ephemeral nodes die when it is closed and opened again.
"""

import random

from kazoo.exceptions import KazooException
from kazoo.protocol.states import ZnodeStat
from kazoo.security import ACL, Id, make_digest_acl

from scenario import Scenario, Waiter, perms

SEEDS = (7, 1234, 98765)
OPS_PER_SEED = 250

# Names under the root: a small pool, so that operations keep meeting each other's nodes.
PATHS = ["a", "b", "a/x", "a/y", "b/x", "a/x/z", "e", "e/c"]
DATA = [b"", b"v", b"some data", bytes(range(40))]
VERSIONS = [-1, -1, 0, 1, 2, 5]


class Run:
    def __init__(self, s, rng, root):
        self.s = s
        self.rng = rng
        self.root = root
        self.a = s.client()
        self.a.add_auth("digest", "alice:secret")
        self.b = s.client()
        self.events = []
        self.sequential = []  # every name a sequential create returned, so later ops can target them
        self.barriers = 0
        # Alice always keeps every permission, so she can clean up whatever the world lost.
        self.alice = make_digest_acl("alice", "secret", all=True)

    # --- choosing -----------------------------------------------------------------------------

    def path(self):
        if self.sequential and self.rng.random() < 0.15:
            return self.rng.choice(self.sequential)
        return f"{self.root}/{self.rng.choice(PATHS)}"

    def session(self):
        return ("b", self.b) if self.rng.random() < 0.3 else ("a", self.a)

    def acl(self):
        world = self.rng.choice([31, 31, 1, 3, 5, 9, 17, 0, 29, 15])
        return [ACL(world, Id("world", "anyone")), self.alice]

    def short(self, path):
        return path[len(self.root):] or "/"

    # --- showing ------------------------------------------------------------------------------

    def stat(self, stat):
        owner = "none" if stat.ephemeralOwner == 0 else self.s.session(stat.ephemeralOwner)
        return (f"czxid={self.s.zxid(stat.czxid)} mzxid={self.s.zxid(stat.mzxid)} pzxid={self.s.zxid(stat.pzxid)} "
                f"v={stat.version} cv={stat.cversion} av={stat.aversion} owner={owner} "
                f"len={stat.dataLength} kids={stat.numChildren}")

    def result(self, value):
        if isinstance(value, KazooException):
            return type(value).__name__
        if isinstance(value, ZnodeStat):
            return self.stat(value)
        if isinstance(value, str):
            return self.short(value)
        if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], ZnodeStat):
            first = value[0]
            shown = self.short(first) if isinstance(first, str) else repr(first)
            return f"{shown} {self.stat(value[1])}"
        return repr(value)

    def attempt(self, label, action, show=None):
        try:
            value = action()
        except KazooException as error:
            self.s.say(f"{label} -> {type(error).__name__}")
            return None
        self.s.say(f"{label} -> ok {show(value) if show else self.result(value)}".rstrip())
        return value

    def watcher(self, label):
        def fire(event):
            self.events.append((f"{event.type} {self.short(event.path)}", label))
        return fire

    def flush_events(self):
        """Prints every event session a has had so far. Its events come in order, so once a
        sentinel's own event arrives, every earlier one has too."""
        self.barriers += 1
        sentinel = f"{self.root}-sentinel-{self.barriers}"
        arrived = Waiter()
        self.a.exists(sentinel, watch=lambda event: arrived.put(event))
        self.a.create(sentinel, b"")
        arrived.take(f"the event of {sentinel}")
        self.a.delete(sentinel)
        # One event from the server fires every callback the client keeps for its path, in an
        # order of the client's choosing: print each event once, with its callbacks sorted.
        groups = []
        for event, label in self.events:
            if groups and groups[-1][0] == event:
                groups[-1][1].append(label)
            else:
                groups.append((event, [label]))
        for event, labels in groups:
            self.s.say(f"  event {event} (set by {'; '.join(sorted(labels))})")
        self.events.clear()

    # --- operations ---------------------------------------------------------------------------

    def create(self):
        name, zk = self.session()
        path = self.path()
        data = self.rng.choice(DATA)
        ephemeral = self.rng.random() < 0.15
        sequence = self.rng.random() < 0.2
        acl = self.acl() if self.rng.random() < 0.2 else None
        with_stat = self.rng.random() < 0.5
        label = (f"{name} create {self.short(path)} len={len(data)}{' ephemeral' if ephemeral else ''}"
                 f"{' sequence' if sequence else ''}{' acl=' + perms(acl[0].perms) if acl else ''}{' +stat' if with_stat else ''}")
        created = self.attempt(label, lambda: zk.create(path, data, acl=acl, ephemeral=ephemeral, sequence=sequence, include_data=with_stat))
        if created is not None and sequence:
            self.sequential.append(created[0] if with_stat else created)

    def delete(self):
        name, zk = self.session()
        path = self.path()
        version = self.rng.choice(VERSIONS)
        self.attempt(f"{name} delete {self.short(path)} version={version}", lambda: zk.delete(path, version=version))

    def set(self):
        name, zk = self.session()
        path = self.path()
        data = self.rng.choice(DATA)
        version = self.rng.choice(VERSIONS)
        self.attempt(f"{name} set {self.short(path)} len={len(data)} version={version}", lambda: zk.set(path, data, version=version))

    def get(self):
        name, zk = self.session()
        path = self.path()
        watch = name == "a" and self.rng.random() < 0.5
        label = f"{name} get {self.short(path)}{' watch' if watch else ''}"
        self.attempt(label, lambda: zk.get(path, watch=self.watcher(label) if watch else None))

    def exists(self):
        name, zk = self.session()
        path = self.path()
        watch = name == "a" and self.rng.random() < 0.5
        label = f"{name} exists {self.short(path)}{' watch' if watch else ''}"
        self.attempt(label, lambda: zk.exists(path, watch=self.watcher(label) if watch else None),
                     show=lambda stat: "none" if stat is None else self.stat(stat))

    def children(self):
        name, zk = self.session()
        path = self.rng.choice([self.root, self.path()])
        watch = name == "a" and self.rng.random() < 0.5
        label = f"{name} children {self.short(path)}{' watch' if watch else ''}"
        self.attempt(label, lambda: zk.get_children(path, watch=self.watcher(label) if watch else None, include_data=True),
                     show=lambda value: f"{sorted(self.short(f'{path}/{c}') for c in value[0])} {self.stat(value[1])}")

    def get_acls(self):
        name, zk = self.session()
        path = self.path()
        self.attempt(f"{name} get_acls {self.short(path)}", lambda: zk.get_acls(path),
                     show=lambda value: f"{[f'{a.id.scheme}:{perms(a.perms)}' for a in value[0]]} {self.stat(value[1])}")

    def set_acls(self):
        name, zk = self.session()
        path = self.path()
        acl = self.acl()
        version = self.rng.choice(VERSIONS)
        self.attempt(f"{name} set_acls {self.short(path)} world={perms(acl[0].perms)} version={version}",
                     lambda: zk.set_acls(path, acl, version=version))

    def transaction(self):
        name, zk = self.session()
        t = zk.transaction()
        described = []
        for _ in range(self.rng.randint(1, 4)):
            kind = self.rng.choice(["create", "create", "delete", "set", "check"])
            path = self.path()
            version = self.rng.choice(VERSIONS)
            if kind == "create":
                ephemeral = self.rng.random() < 0.3
                sequence = self.rng.random() < 0.3
                t.create(path, self.rng.choice(DATA), ephemeral=ephemeral, sequence=sequence)
                described.append(f"create {self.short(path)}{' ephemeral' if ephemeral else ''}{' sequence' if sequence else ''}")
            elif kind == "delete":
                t.delete(path, version=version)
                described.append(f"delete {self.short(path)} version={version}")
            elif kind == "set":
                t.set_data(path, self.rng.choice(DATA), version=version)
                described.append(f"set {self.short(path)} version={version}")
            else:
                t.check(path, version)
                described.append(f"check {self.short(path)} version={version}")
        results = self.attempt(f"{name} multi [{'; '.join(described)}]", t.commit, show=lambda r: f"{len(r)} results")
        for i, value in enumerate(results or []):
            self.s.say(f"  [{i}] {self.result(value)}")
            if isinstance(value, str) and "sequence" in described[i]:
                self.sequential.append(value)

    def sync(self):
        name, zk = self.session()
        path = self.path()
        self.attempt(f"{name} sync {self.short(path)}", lambda: zk.sync(path), show=lambda _: "")

    def reopen_b(self):
        """Closes b's session (its ephemerals go at once) and opens a new one."""
        self.b.stop()
        self.b.close()
        self.b = self.s.client()
        self.s.say("b closed and reopened")

    def close(self):
        for zk in (self.a, self.b):
            zk.stop()
            zk.close()

    def step(self):
        choice = self.rng.choices(
            [self.create, self.delete, self.set, self.get, self.exists, self.children, self.get_acls, self.set_acls,
             self.transaction, self.sync, self.reopen_b],
            weights=[24, 14, 12, 8, 8, 8, 3, 4, 12, 2, 1])[0]
        choice()


def body(s):
    # Its ACL changes revoke permissions that later writes are checked against (see leader_first).
    s.leader_first()
    seeds = [int(seed) for seed in s.args.seeds.split(",")] if s.args.seeds else SEEDS
    for seed in seeds:
        root = f"{s.root}-{seed}"
        run = Run(s, random.Random(seed), root)
        cleanup(run.a, root)
        run.a.create(root, b"")
        s.say(f"== seed {seed}")
        for i in range(OPS_PER_SEED):
            run.step()
            if i % 25 == 24:
                run.flush_events()
        run.flush_events()
        cleanup(run.a, root)
        run.close()


def cleanup(zk, root):
    """Alice may delete everything (her ACL entry keeps every permission), however the world's was cut."""
    if zk.exists(root):
        zk.delete(root, recursive=True)


if __name__ == "__main__":
    scenario = Scenario(__doc__)
    # Other seeds, to search further by hand: --seeds 1,2,3 (the golden holds the default ones).
    scenario.parse("/compat-random", extra=lambda parser: parser.add_argument("--seeds", default=None))
    scenario.run(body)
