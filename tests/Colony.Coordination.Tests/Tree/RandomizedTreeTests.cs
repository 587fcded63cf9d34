using Colony.Coordination.Commands;
using Colony.Coordination.Security;
using Colony.Coordination.Tree;
using Colony.Core;

namespace Colony.Coordination.Tests.Tree;

/// <summary>
/// Seeded random command streams: replicas fed the same stream agree byte for byte, a replica restored
/// from a mid-stream snapshot catches up exactly, the tree's derived indexes stay consistent, and a
/// small reference model agrees on every result of the core operations.
/// </summary>
public sealed class RandomizedTreeTests
{
    private static readonly string[] Paths = ["/a", "/b", "/a/x", "/a/y", "/b/x", "/a/x/1", "/c", "/zookeeper/q"];
    private static readonly long[] SessionIds = [0x0100_0000_0000_0001, 0x0100_0000_0000_0002, 0x0100_0000_0000_0003];
    private static readonly Id Bob = DigestAuthentication.IdFor("bob:pw");
    private static readonly Id[][] AuthChoices = [[], [Bob], [new Id("ip", "10.0.0.1")], [new Id("super", "")]];

    private static readonly ulong[] Nodes = [1, 2, 3];

    private sealed class Generator(ulong seed)
    {
        private readonly SeededRandom _random = new(seed);
        private readonly Dictionary<long, byte[]> _passwords = [];
        private readonly Dictionary<long, ulong> _homes = [];
        private long _time = 1_000_000;

        private T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];

        public CoordinationCommand Next()
        {
            _time += _random.Next(0, 500);
            var op = NextOp(allowMulti: true);
            long session = op switch
            {
                Op.MoveSession move => move.SessionId,
                Op.CreateSession or Op.CloseSession or Op.TouchSessions or Op.DeleteContainer or Op.DeleteExpiredTtl => 0,
                _ => Pick(SessionIds),
            };
            // Mostly from the node the session's client was last sent to, so its writes pass; now and
            // then from another one, as a connection the client has left would.
            ulong origin = _homes.TryGetValue(session, out ulong home) && _random.Next(5) != 0 ? home : Pick(Nodes);
            if (op is Op.CreateSession or Op.MoveSession)
            {
                _homes[op is Op.CreateSession create ? create.SessionId : session] = origin;
            }
            return new CoordinationCommand(origin, session, _random.Next(1000), _time, Pick(AuthChoices), op);
        }

        private Op.CreateSession NewSession()
        {
            var create = new Op.CreateSession(Pick(SessionIds), _random.Next(1, 10_000), [(byte)_random.Next(256)]);
            _passwords[create.SessionId] = create.Password;
            return create;
        }

        /// <summary>A move with the password the session was last created with, or now and then a wrong one.</summary>
        private Op.MoveSession Move()
        {
            long id = Pick(SessionIds);
            byte[] password = _passwords.TryGetValue(id, out var known) && _random.Next(6) != 0 ? known : [(byte)_random.Next(256), 0];
            return new Op.MoveSession(id, password);
        }

        private Op NextOp(bool allowMulti)
        {
            int roll = _random.Next(allowMulti ? 100 : 60);
            string path = Pick(Paths);
            return roll switch
            {
                < 25 => new Op.Create(path, Data(), Acl(), Pick(Modes), 0) is var c && c.Mode.IsTtl()
                    ? c with { TtlMs = _random.Next(1, 2000) }
                    : c with { TtlMs = _random.Next(10) == 0 ? 5 : -1 },
                < 38 => new Op.Delete(path, Version()),
                < 50 => new Op.SetData(path, Data(), Version()),
                < 60 => new Op.Check(path, Version()),
                < 68 => new Op.SetAcl(path, Acl(), Version()),
                < 78 => new Op.Multi([.. Enumerable.Range(0, _random.Next(0, 4)).Select(_ => NextOp(allowMulti: false))]),
                < 83 => NewSession(),
                < 86 => new Op.CloseSession(Pick(SessionIds)),
                < 88 => new Op.TouchSessions([Pick(SessionIds)]),
                < 90 => Move(),
                < 94 => new Op.DeleteContainer(path),
                < 97 => new Op.DeleteExpiredTtl(path),
                _ => new Op.Sync(path),
            };
        }

        private static readonly CreateMode[] Modes =
        [
            CreateMode.Persistent, CreateMode.Persistent, CreateMode.Ephemeral, CreateMode.PersistentSequential,
            CreateMode.EphemeralSequential, CreateMode.Container, CreateMode.PersistentWithTtl,
        ];

        private byte[]? Data() => _random.Next(8) == 0 ? null : new byte[_random.Next(0, 6)];

        private int Version() => _random.Next(3) == 0 ? -1 : _random.Next(0, 3);

        private Acl[] Acl() => _random.Next(6) switch
        {
            0 => [new Acl(Perms.Read, Id.Anyone)],
            1 => [.. Colony.Coordination.Acl.CreatorAll],
            2 => [new Acl(Perms.All, new Id("ip", "10.0.0.0/8"))],
            3 => [],
            _ => [.. Colony.Coordination.Acl.OpenUnsafe],
        };
    }

    private static byte[] Snapshot(DataTree tree)
    {
        var stream = new MemoryStream();
        tree.WriteSnapshot(stream);
        return stream.ToArray();
    }

    [Theory]
    [InlineData(1UL)]
    [InlineData(2UL)]
    [InlineData(3UL)]
    [InlineData(4UL)]
    public void Replicas_fed_the_same_commands_agree_byte_for_byte(ulong seed)
    {
        var generator = new Generator(seed);
        var commands = Enumerable.Range(0, 3000).Select(_ => generator.Next()).ToList();
        var left = new DataTree();
        var right = new DataTree();
        DataTree? late = null;
        var codes = new HashSet<ErrorCode>();
        int moves = 0;
        for (int i = 0; i < commands.Count; i++)
        {
            // The right replica sees each command only through the codec, as followers do.
            var a = left.Apply(commands[i]);
            var b = right.Apply(CoordinationCommand.Decode(commands[i].Encode()));
            Assert.Equal(a.Error, b.Error);
            Assert.Equal(a.Zxid, b.Zxid);
            Assert.Equal(a.Triggers, b.Triggers);
            Assert.Equal(a.Multi, b.Multi);
            codes.Add(a.Error);
            moves += commands[i].Operation is Op.MoveSession && a.IsOk ? 1 : 0;
            late?.Apply(commands[i]);
            if (i == commands.Count / 2)
            {
                late = new DataTree();
                late.Restore(new MemoryStream(Snapshot(left)));
            }
            if (i % 250 == 0)
            {
                CheckConsistency(left);
            }
        }
        CheckConsistency(left);
        Assert.Equal(Snapshot(left), Snapshot(right));
        Assert.Equal(Snapshot(left), Snapshot(late!));
        // The stream must reach the interesting paths, or this test proves little.
        Assert.Superset(new HashSet<ErrorCode> { ErrorCode.Ok, ErrorCode.NoNode, ErrorCode.NodeExists, ErrorCode.BadVersion, ErrorCode.NoAuth, ErrorCode.InvalidAcl, ErrorCode.SessionExpired, ErrorCode.SessionMoved, ErrorCode.AuthFailed, ErrorCode.NotEmpty }, codes);
        Assert.True(moves > 0, "no session moved");
    }

    /// <summary>Checks what the tree derives against what it stores, using only the public API.</summary>
    private static void CheckConsistency(DataTree tree)
    {
        int nodes = 0;
        long size = 0;
        var ephemerals = new Dictionary<long, List<string>>();
        var stack = new Stack<string>([DataTree.RootPath]);
        while (stack.Count > 0)
        {
            string path = stack.Pop();
            Assert.True(tree.TryGetNode(path, out var node));
            Assert.True(tree.TryGetChildren(path, out var children));
            Assert.Equal(children.Count, node.Stat.NumChildren);
            Assert.Equal(node.Data?.Length ?? 0, node.Stat.DataLength);
            nodes++;
            size += path.Length + node.Stat.DataLength;
            if (EphemeralOwner.KindOf(node.Stat.EphemeralOwner) == NodeKind.Ephemeral)
            {
                Assert.Empty(children);
                Assert.True(tree.SessionExists(node.Stat.EphemeralOwner), $"{path} outlived its session");
                if (!ephemerals.TryGetValue(node.Stat.EphemeralOwner, out var list))
                {
                    ephemerals[node.Stat.EphemeralOwner] = list = [];
                }
                list.Add(path);
            }
            foreach (var child in children)
            {
                stack.Push(path == "/" ? "/" + child : path + "/" + child);
            }
        }
        Assert.Equal(nodes, tree.NodeCount);
        Assert.Equal(size, tree.ApproximateDataSize);
        foreach (var session in tree.Sessions)
        {
            var expected = ephemerals.GetValueOrDefault(session.SessionId) ?? [];
            expected.Sort(StringComparer.Ordinal);
            Assert.Equal(expected, tree.GetEphemerals(session.SessionId));
        }
    }

    /// <summary>
    /// A reference model of create, delete, setData and check (open ACLs, one session) written from
    /// ZooKeeper's rules independently of the tree; both must agree on every code and version.
    /// </summary>
    [Theory]
    [InlineData(11UL)]
    [InlineData(12UL)]
    public void Core_operations_agree_with_a_reference_model(ulong seed)
    {
        var random = new SeededRandom(seed);
        var driver = new TreeDriver();
        var model = new Dictionary<string, (int Version, bool Ephemeral, int Cversion)>(StringComparer.Ordinal) { ["/"] = (0, false, -1) };
        string[] paths = ["/a", "/a/b", "/a/b/c", "/d", "/d/e"];
        for (int step = 0; step < 5000; step++)
        {
            var ops = new List<Op>();
            int count = random.Next(4) == 0 ? random.Next(1, 4) : 1;
            for (int i = 0; i < count; i++)
            {
                string path = paths[random.Next(paths.Length)];
                int version = random.Next(3) == 0 ? -1 : random.Next(0, 3);
                ops.Add(random.Next(4) switch
                {
                    0 => new Op.Create(path, [], Acl.OpenUnsafe, random.Next(3) == 0 ? CreateMode.Ephemeral : CreateMode.Persistent),
                    1 => new Op.Delete(path, version),
                    2 => new Op.SetData(path, [], version),
                    _ => new Op.Check(path, version),
                });
            }
            var scratch = new Dictionary<string, (int Version, bool Ephemeral, int Cversion)>(model, StringComparer.Ordinal);
            var expected = ErrorCode.Ok;
            foreach (var op in ops)
            {
                expected = ModelApply(scratch, op);
                if (expected != ErrorCode.Ok)
                {
                    break;
                }
            }
            var result = count == 1 ? driver.Run(ops[0]) : driver.Run(new Op.Multi(ops));
            Assert.Equal(expected, result.Error);
            if (expected == ErrorCode.Ok)
            {
                model = scratch;
            }
            foreach (var path in paths)
            {
                Assert.Equal(model.ContainsKey(path), driver.Tree.Exists(path));
                if (model.TryGetValue(path, out var entry))
                {
                    var stat = driver.StatOf(path);
                    Assert.Equal(entry.Version, stat.Version);
                    Assert.Equal(entry.Cversion, stat.Cversion);
                }
            }
        }
    }

    private static ErrorCode ModelApply(Dictionary<string, (int Version, bool Ephemeral, int Cversion)> nodes, Op op)
    {
        static string Parent(string p) => p.LastIndexOf('/') == 0 ? "/" : p[..p.LastIndexOf('/')];
        switch (op)
        {
            case Op.Create c:
                if (!nodes.TryGetValue(Parent(c.Path), out var parent))
                {
                    return ErrorCode.NoNode;
                }
                if (nodes.ContainsKey(c.Path))
                {
                    return ErrorCode.NodeExists;
                }
                if (parent.Ephemeral)
                {
                    return ErrorCode.NoChildrenForEphemerals;
                }
                nodes[Parent(c.Path)] = parent with { Cversion = parent.Cversion + 1 };
                nodes[c.Path] = (0, c.Mode == CreateMode.Ephemeral, 0);
                return ErrorCode.Ok;
            case Op.Delete d:
                if (!nodes.TryGetValue(d.Path, out var node))
                {
                    return ErrorCode.NoNode;
                }
                if (d.Version != -1 && d.Version != node.Version)
                {
                    return ErrorCode.BadVersion;
                }
                if (nodes.Keys.Any(k => k.StartsWith(d.Path + "/", StringComparison.Ordinal)))
                {
                    return ErrorCode.NotEmpty;
                }
                nodes.Remove(d.Path);
                nodes[Parent(d.Path)] = nodes[Parent(d.Path)] with { Cversion = nodes[Parent(d.Path)].Cversion + 1 };
                return ErrorCode.Ok;
            case Op.SetData s:
                if (!nodes.TryGetValue(s.Path, out var target))
                {
                    return ErrorCode.NoNode;
                }
                if (s.Version != -1 && s.Version != target.Version)
                {
                    return ErrorCode.BadVersion;
                }
                nodes[s.Path] = target with { Version = target.Version + 1 };
                return ErrorCode.Ok;
            case Op.Check k:
                if (!nodes.TryGetValue(k.Path, out var checkedNode))
                {
                    return ErrorCode.NoNode;
                }
                return k.Version != -1 && k.Version != checkedNode.Version ? ErrorCode.BadVersion : ErrorCode.Ok;
            default:
                throw new InvalidOperationException();
        }
    }
}
